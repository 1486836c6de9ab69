"""The convolutions against torch: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d, F.unfold and
F.fold (values, gradients of input, weight and bias, second derivatives, every argument form,
float32 and float64, the CPU and the stand-in device, the exception classes torch raises), and
the modules Conv1d/2d/3d and ConvTranspose1d/2d/3d through nn_check.check_layer."""

import numpy as np
import pytest

import mytorch
from helpers import TOL2, assert_matches, raises_like, seeded_rng, to_numpy, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

R = seeded_rng("conv")


def _r(*shape):
    return R.standard_normal(shape)


# (function name, arrays (input, weight[, bias]), keyword arguments)
CASES = [
    ("conv1d", [_r(2, 4, 9), _r(6, 4, 3), _r(6)], {}),
    ("conv1d", [_r(4, 9), _r(6, 2, 4)], dict(groups=2, padding="same")),
    ("conv1d", [_r(2, 4, 9), _r(6, 4, 3)], dict(stride=2, padding=2, dilation=2)),
    ("conv1d", [_r(2, 4, 9), _r(4, 1, 3), _r(4)], dict(groups=4, padding="valid")),
    (
        "conv2d",
        [_r(2, 4, 7, 6), _r(6, 2, 3, 2), _r(6)],
        dict(groups=2, stride=(2, 1), padding=1, dilation=(1, 2)),
    ),  # fmt: skip
    ("conv2d", [_r(2, 4, 7, 6), _r(6, 4, 3, 2)], dict(padding="same", dilation=2)),
    ("conv2d", [_r(2, 4, 7, 6), _r(6, 4, 2, 4)], dict(padding="same")),
    ("conv2d", [_r(3, 5, 6), _r(2, 3, 3, 3), _r(2)], dict(padding=(2, 0), stride=[3, 2])),
    ("conv2d", [_r(1, 3, 5, 5), _r(2, 3, 5, 5)], {}),
    ("conv3d", [_r(1, 2, 5, 4, 6), _r(3, 2, 2, 3, 2), _r(3)], dict(stride=(1, 2, 2))),
    ("conv3d", [_r(2, 4, 4, 4, 3), _r(4, 2, 2, 2, 2)], dict(groups=2, padding="same")),
    ("conv3d", [_r(2, 4, 4, 3), _r(2, 2, 3, 1, 2)], dict(padding=1, dilation=(1, 2, 1))),
    ("conv_transpose1d", [_r(2, 4, 5), _r(4, 3, 3), _r(3)], {}),
    (
        "conv_transpose1d",
        [_r(2, 4, 5), _r(4, 3, 3)],
        dict(padding=1, output_padding=2, dilation=3),
    ),  # fmt: skip
    ("conv_transpose1d", [_r(4, 5), _r(4, 1, 2)], dict(stride=3, groups=2, output_padding=1)),
    (
        "conv_transpose2d",
        [_r(2, 4, 5, 4), _r(4, 3, 3, 2), _r(6)],
        dict(groups=2, stride=2, padding=1, output_padding=1),
    ),  # fmt: skip
    ("conv_transpose2d", [_r(3, 4, 3), _r(3, 2, 2, 3)], dict(stride=(1, 2), dilation=(2, 1))),
    ("conv_transpose2d", [_r(1, 2, 3, 3), _r(2, 2, 3, 3)], dict(padding=(2, 1))),
    (
        "conv_transpose3d",
        [_r(1, 2, 3, 3, 2), _r(2, 3, 2, 2, 2), _r(3)],
        dict(stride=(2, 1, 3), padding=(0, 1, 0), output_padding=(1, 0, 2)),
    ),  # fmt: skip
]
FOLD_CASES = [
    (
        "unfold",
        [_r(2, 3, 7, 6)],
        dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1)),
    ),  # fmt: skip
    ("unfold", [_r(3, 5, 5)], dict(kernel_size=2)),
    ("unfold", [_r(1, 2, 4, 5)], dict(kernel_size=3, stride=3, padding=(0, 1))),
    (
        "fold",
        [_r(2, 18, 9)],
        dict(output_size=(5, 6), kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=2),
    ),  # fmt: skip
    ("fold", [_r(12, 16)], dict(output_size=5, kernel_size=2)),
    ("fold", [_r(1, 8, 4)], dict(output_size=(4, 7), kernel_size=(2, 2), stride=(2, 3))),
]


def _run(T, name, xs, kwargs, device):
    return getattr(T.nn.functional, name)(*xs, **kwargs)


def _check(name, arrays, kwargs, dtype_name, device, ns="nn.functional"):
    xt = [torch.tensor(a.astype(dtype_name), requires_grad=True) for a in arrays]
    xm = [mytorch.tensor(a.astype(dtype_name), device=device, requires_grad=True) for a in arrays]
    ft = getattr(torch.nn.functional if ns == "nn.functional" else torch, name)
    fm = getattr(mytorch.nn.functional if ns == "nn.functional" else mytorch, name)
    with _quiet():
        ot = ft(*xt, **kwargs)
    om = fm(*xm, **kwargs)
    assert_matches(om, ot)
    assert om.device.type == device
    w = seeded_rng("w", name).standard_normal(tuple(ot.shape)).astype(dtype_name)
    gt = torch.autograd.grad((ot * torch.tensor(w)).sum(), xt, create_graph=True)
    gm = mytorch.autograd.grad((om * mytorch.tensor(w, device=device)).sum(), xm,
                               create_graph=True)  # fmt: skip
    for a, b in zip(gm, gt):
        assert_matches(a, b)
    vs = [seeded_rng("v", i).standard_normal(tuple(g.shape)).astype(dtype_name) for i, g in
          enumerate(gt)]  # fmt: skip
    st = sum((g * torch.tensor(v)).sum() for g, v in zip(gt, vs))
    sm = sum((g * mytorch.tensor(v, device=device)).sum() for g, v in zip(gm, vs))
    if not st.requires_grad:  # linear in one input (unfold, fold): no second derivative
        return
    ht = torch.autograd.grad(st, xt, allow_unused=True)
    hm = mytorch.autograd.grad(sm, xm, allow_unused=True)
    for a, b, x in zip(hm, ht, xt):
        a = np.zeros(tuple(x.shape)) if a is None else to_numpy(a)
        b = np.zeros(tuple(x.shape)) if b is None else to_numpy(b)
        np.testing.assert_allclose(a, b, **TOL2[dtype_name])


class _quiet:
    """torch warns on padding='same' with an even kernel; mytorch does not."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


@pytest.mark.parametrize("name, arrays, kwargs", CASES + FOLD_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES + FOLD_CASES)])  # fmt: skip
def test_functional(name, arrays, kwargs, dtype_name, device):
    _check(name, arrays, kwargs, dtype_name, device)


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                  "conv_transpose2d", "conv_transpose3d"])  # fmt: skip
def test_top_level(name):
    case = next(c for c in CASES if c[0] == name)
    _check(name, case[1], case[2], "float64", "cpu", ns="torch")
    assert mytorch.nn.functional.conv2d is mytorch.conv2d


def test_gradcheck():
    x = mytorch.tensor(_r(1, 2, 5, 4), requires_grad=True)
    w = mytorch.tensor(_r(4, 1, 2, 3), requires_grad=True)
    b = mytorch.tensor(_r(4), requires_grad=True)
    F = mytorch.nn.functional

    def f(x, w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)

    def g(x, w, b):
        return F.conv_transpose2d(x, w.reshape(2, 2, 2, 3), b[:2], stride=2, padding=1)

    assert mytorch.autograd.gradcheck(f, (x, w, b))
    assert mytorch.autograd.gradgradcheck(f, (x, w, b))
    assert mytorch.autograd.gradgradcheck(g, (x, w, b))


def _bad(fn, *arrays):
    def call(T):
        return fn(T.nn.functional, *[T.tensor(a) for a in arrays])

    return call


X = _r(2, 4, 7, 7)
W = _r(6, 2, 3, 3)
BAD = [
    _bad(lambda F, x, w: F.conv2d(x, w), X, W),  # channels
    _bad(lambda F, x, w: F.conv2d(x, w, groups=3), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=0), X, W),
    _bad(lambda F, x, w: F.conv2d(x[0, 0], w, groups=2), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, padding="same", stride=2), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, padding="foo"), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w.float(), groups=2), X, W),
    _bad(lambda F, x, w, b: F.conv2d(x, w, b, groups=2), X, W, _r(5)),
    _bad(lambda F, x, w, b: F.conv2d(x, w, b.float(), groups=2), X, W, _r(6)),
    _bad(lambda F, x, w: F.conv2d(x[:, :, :1, :1], w, groups=2), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, stride=0), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, padding=-1), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, dilation=0), X, W),
    _bad(lambda F, x, w: F.conv2d(x, w, groups=2, stride=(1, 1, 1)), X, W),
    _bad(lambda F, x, w: F.conv_transpose2d(x, w[:4], groups=2, stride=2, output_padding=2), X, W),
    _bad(lambda F, x, w: F.conv_transpose2d(x, w[:5], groups=2), X, W),
    _bad(lambda F, x, w: F.conv_transpose2d(x, w[:3]), X, W),
    _bad(lambda F, x, w: F.conv_transpose2d(x, w[:4], padding="same"), X, W),
    _bad(lambda F, x, w: F.conv_transpose2d(x, w[:4], padding=-1), X, W),
    _bad(lambda F, x: F.unfold(x, 8), X),
    _bad(lambda F, x: F.unfold(x, 2, stride=0), X),
    _bad(lambda F, x: F.fold(x, (7, 7), 3), _r(2, 35, 25)),
    _bad(lambda F, x: F.fold(x, (7, 7), 3), _r(2, 36, 24)),
    _bad(lambda F, x: F.fold(x, (7, 7), 3), _r(1, 2, 36, 25)),
    _bad(lambda F, x: F.fold(x, (2, 2), 3), _r(2, 36, 25)),
]


@pytest.mark.parametrize("fn", BAD, ids=[str(i) for i in range(len(BAD))])
def test_errors(fn):
    raises_like(fn)


# --- the modules ------------------------------------------------------------------------------
MODULES = [
    ("Conv1d", (4, 6, 3), {}, (2, 4, 9)),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="reflect", groups=2), (2, 4, 9)),
    ("Conv1d", (4, 2, 3), dict(padding=2, padding_mode="circular", bias=False), (4, 9)),
    ("Conv2d", (4, 6, 3), dict(stride=2, padding=1, groups=2), (2, 4, 7, 6)),
    (
        "Conv2d",
        (3, 4, (3, 2)),
        dict(padding=(1, 2), padding_mode="replicate", dilation=2),
        (2, 3, 7, 6),
    ),  # fmt: skip
    ("Conv2d", (3, 4, 3), dict(padding="valid"), (3, 5, 5)),
    ("Conv3d", (2, 3, 2), dict(padding="same", padding_mode="reflect"), (1, 2, 4, 3, 4)),
    ("Conv3d", (2, 4, (2, 1, 3)), dict(stride=(1, 2, 1), groups=2), (1, 2, 4, 4, 4)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, output_padding=1, groups=2), (2, 4, 5)),
    ("ConvTranspose2d", (4, 3, (2, 3)), dict(stride=2, padding=1, dilation=2), (2, 4, 4, 3)),
    ("ConvTranspose2d", (2, 3, 3), dict(bias=False), (2, 3, 3)),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2, output_padding=1), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("cls, args, kwargs, shape", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])  # fmt: skip
def test_module(cls, args, kwargs, shape, dtype_name, device):
    x = seeded_rng("conv-module", cls, shape).standard_normal(shape)
    with _quiet():
        check_layer(lambda T: getattr(T.nn, cls)(*args, **kwargs), [x], dtype_name, device)


def test_module_paths_and_init():
    for name in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                 "ConvTranspose3d"):  # fmt: skip
        cls = getattr(mytorch.nn, name)
        assert cls is getattr(mytorch.nn.modules.conv, name)
        assert cls.__module__ == "mytorch.nn.modules.conv"
    mytorch.manual_seed(0)
    m = mytorch.nn.Conv2d(4, 8, 3, groups=2)
    bound = 1 / np.sqrt(2 * 9)  # fan_in = in_channels / groups * kernel
    w, b = to_numpy(m.weight), to_numpy(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound and np.abs(b).std() > 0
    t = mytorch.nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3, 3)
    assert m.transposed is False and t.transposed is True


def test_conv_transpose_output_size():
    x = _r(1, 4, 5, 5).astype("float32")
    tm = torch.nn.ConvTranspose2d(4, 6, 3, stride=2)
    mm = mytorch.nn.ConvTranspose2d(4, 6, 3, stride=2)
    mm.load_state_dict({k: mytorch.tensor(to_numpy(v)) for k, v in tm.state_dict().items()})
    for size in ([12, 12], [11, 12], (1, 6, 12, 11)):
        om = mm(mytorch.tensor(x), output_size=size)
        assert_matches(om, tm(torch.tensor(x), output_size=size))
    raises_like(
        lambda T: (tm if T is torch else mm)(T.tensor(x), output_size=[14, 12]), exc=ValueError
    )


MODULE_BAD = [
    lambda T: T.nn.Conv2d(4, 6, 3, groups=3),
    lambda T: T.nn.Conv2d(4, 6, 3, groups=0),
    lambda T: T.nn.Conv2d(4, 9, 3, groups=2),
    lambda T: T.nn.Conv2d(4, 6, 3, padding="foo"),
    lambda T: T.nn.Conv2d(4, 6, 3, padding="same", stride=2),
    lambda T: T.nn.Conv2d(4, 6, 3, padding_mode="x"),
    lambda T: T.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
]


@pytest.mark.parametrize("fn", MODULE_BAD, ids=[str(i) for i in range(len(MODULE_BAD))])
def test_module_errors(fn):
    raises_like(fn, exc=ValueError)
