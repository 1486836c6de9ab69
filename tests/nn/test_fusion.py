"""nn.utils.fusion (conv/linear + batch norm folded into one layer) against torch."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, to_numpy, torch
from nn_check import assert_same_state_dict, copy_state

pytestmark = pytest.mark.torch

CONVS = {
    "Conv1d": ((1, 2, 6), "BatchNorm1d"),
    "Conv2d": ((1, 2, 5, 5), "BatchNorm2d"),
    "Conv3d": ((1, 2, 4, 4, 4), "BatchNorm3d"),
    "ConvTranspose1d": ((1, 2, 6), "BatchNorm1d"),
    "ConvTranspose2d": ((1, 2, 5, 5), "BatchNorm2d"),
}


def trained_bn(T, bn_name, shape, affine):
    """A batch norm in eval whose running statistics and affine parameters are not the
    defaults."""
    T.manual_seed(0)
    bn = getattr(T.nn, bn_name)(3, affine=affine).double()
    rng = seeded_rng("fusion", bn_name)
    bn(T.tensor(rng.standard_normal((4, 3) + shape[2:]) * 2 + 1))
    if affine:
        with T.no_grad():
            bn.weight.copy_(T.tensor(rng.standard_normal(3)))
            bn.bias.copy_(T.tensor(rng.standard_normal(3)))
    return bn.eval()


@pytest.mark.parametrize("conv_name", list(CONVS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_fuse_conv_bn_eval(conv_name, bias, affine):
    shape, bn_name = CONVS[conv_name]
    transpose = "Transpose" in conv_name

    def make(T):
        T.manual_seed(0)
        return getattr(T.nn, conv_name)(2, 3, 2, bias=bias).double().eval()

    tc, mc = make(torch), make(mytorch)
    copy_state(mc, tc)
    tb = trained_bn(torch, bn_name, shape, affine)
    mb = getattr(mytorch.nn, bn_name)(3, affine=affine).double().eval()
    copy_state(mb, tb)
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    mf = mytorch.nn.utils.fuse_conv_bn_eval(mc, mb, transpose=transpose)
    assert type(mf) is type(mc) and mf is not mc
    assert repr(mf) == repr(tf)
    assert_same_state_dict(mf, tf)
    for name in ("weight", "bias"):
        pm, pt = getattr(mf, name), getattr(tf, name)
        assert isinstance(pm, mytorch.nn.Parameter) and pm.requires_grad == pt.requires_grad
        assert_matches(pm, pt)
    x = seeded_rng("fusion-x", conv_name).standard_normal(shape)
    assert_matches(mf(mytorch.tensor(x)), tf(torch.tensor(x)))
    np.testing.assert_allclose(
        to_numpy(mf(mytorch.tensor(x))), to_numpy(mb(mc(mytorch.tensor(x)))), rtol=1e-10
    )
    assert mc.bias is None or mc.bias is not mf.bias  # the original is left as it was


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("features", [3, 1])
def test_fuse_linear_bn_eval(bias, features):
    def make(T):
        T.manual_seed(0)
        return T.nn.Linear(4, 3, bias=bias).double().eval()

    tl, ml = make(torch), make(mytorch)
    copy_state(ml, tl)
    tb = trained_bn(torch, "BatchNorm1d", (4, 3), True) if features == 3 else None
    if tb is None:
        torch.manual_seed(0)
        tb = torch.nn.BatchNorm1d(1).double()
        tb(torch.tensor(np.arange(8.0).reshape(8, 1)))
        tb.eval()
    mb = mytorch.nn.BatchNorm1d(features).double().eval()
    copy_state(mb, tb)
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    mf = mytorch.nn.utils.fuse_linear_bn_eval(ml, mb)
    assert repr(mf) == repr(tf)
    for name in ("weight", "bias"):
        assert_matches(getattr(mf, name), getattr(tf, name))
    x = seeded_rng("fusion-lin").standard_normal((5, 4))
    assert_matches(mf(mytorch.tensor(x)), tf(torch.tensor(x)))


def test_fuse_weights_dtypes_and_grad():
    rng = seeded_rng("fuse-weights")
    w, b = rng.standard_normal((2, 3, 2)), rng.standard_normal(3)
    rm, rv, g, beta = (
        rng.standard_normal(3),
        rng.random(3) + 0.5,
        rng.standard_normal(3),
        rng.random(3),
    )
    out = {}
    for T in (mytorch, torch):
        args = [T.tensor(a, dtype=T.float32) for a in (rm, rv)]
        cw = T.tensor(w, dtype=T.float32, requires_grad=False)
        cb = T.tensor(b, dtype=T.float64)
        out[T] = T.nn.utils.fuse_conv_bn_weights(cw, cb, *args, 1e-3, None, T.tensor(beta), True)
        out[T] += T.nn.utils.fuse_linear_bn_weights(
            T.tensor(w[0].T.copy()).t(), None, *args, 1e-5, T.tensor(g), T.tensor(beta)
        )
    for pm, pt in zip(out[mytorch], out[torch]):
        assert type(pm) is mytorch.nn.Parameter and pm.requires_grad == pt.requires_grad
        assert_matches(pm, pt)


def test_fusion_errors():
    def training(T):
        T.nn.utils.fuse_conv_bn_eval(T.nn.Conv2d(2, 3, 1), T.nn.BatchNorm2d(3))

    raises_like(training, ["Fusion only for eval!"], AssertionError)

    def mismatch(T):
        T.nn.utils.fuse_linear_bn_eval(T.nn.Linear(2, 3).eval(), T.nn.BatchNorm1d(2).eval())

    raises_like(mismatch, ["linear.out_features == bn.num_features"], AssertionError)

    def no_stats(T):
        bn = T.nn.BatchNorm2d(3, track_running_stats=False).eval()
        T.nn.utils.fuse_conv_bn_eval(T.nn.Conv2d(2, 3, 1).eval(), bn)

    raises_like(no_stats, ["must not be None"], AssertionError)
