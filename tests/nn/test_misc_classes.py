"""The remaining torch.nn classes: Fold/Unfold, AdaptiveLogSoftmaxWithLoss, CrossMapLRN2d,
Container and DataParallel, against torch with the same weights."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, seeded_rng, torch
from nn_check import check_layer, compare_derivatives, copy_state

pytestmark = pytest.mark.torch


@pytest.mark.parametrize(
    "kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), padding=1, stride=2, dilation=1)]
)
def test_unfold_module(kw, dtype_name, device):
    x = seeded_rng("unfold", str(kw)).standard_normal((2, 3, 5, 6))
    check_layer(lambda T: T.nn.Unfold(**kw), [x], dtype_name, device)


def test_fold_module(dtype_name, device):
    x = seeded_rng("fold").standard_normal((2, 3 * 4, 9))
    check_layer(lambda T: T.nn.Fold((4, 4), 2, stride=1), [x], dtype_name, device)


def _asm(T):
    T.manual_seed(0)
    return T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True)


@pytest.mark.parametrize("targets", [[0, 4, 9, 2, 7], [0, 1, 2, 1, 0], [3, 4, 5, 6, 9]])
def test_adaptive_log_softmax(targets, dtype_name, device):
    tm, mm = _asm(torch), _asm(mytorch)
    assert repr(mm) == repr(tm)
    assert list(mm.state_dict()) == list(tm.state_dict())
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    x = seeded_rng("asm").standard_normal((5, 8)).astype(dtype_name)
    xt = torch.tensor(x, requires_grad=True)
    xm = mytorch.tensor(x, device=device, requires_grad=True)
    yt, ym = torch.tensor(targets), mytorch.tensor(targets, device=device)
    ot, om = tm(xt, yt), mm(xm, ym)
    assert type(om).__name__ == "_ASMoutput" and om._fields == ot._fields
    assert_matches(om.output, ot.output)
    assert_matches(om.loss, ot.loss)
    # a batch of shortlist classes leaves the clusters out of the graph
    used = (lambda m: m.head) if max(targets) < 3 else (lambda m: m)
    tp, mp = [xt] + list(used(tm).parameters()), [xm] + list(used(mm).parameters())
    compare_derivatives(ot.loss, om.loss, tp, mp, dtype_name, device, True)
    assert_matches(mm.log_prob(xm), tm.log_prob(xt))
    assert_matches(mm.predict(xm), tm.predict(xt))
    # unbatched
    assert_matches(mm(xm[1], ym[1]).output, tm(xt[1], yt[1]).output)
    with pytest.raises(IndexError):
        tm.log_prob(xt[0])
    with pytest.raises(IndexError):
        mm.log_prob(xm[0])


def test_adaptive_log_softmax_errors():
    mm, tm = _asm(mytorch), _asm(torch)
    x = np.zeros((2, 8), "float32")
    for args in (
        (x, [0, 10]),  # a class out of range
        (x, [0]),  # batch sizes differ
        (x[0], [1, 2]),  # 1-d target needs 2-d input
        (x, 1),  # 0-d target needs 1-d input
        (x[None], [[1, 2]]),  # multi-target
    ):
        with pytest.raises(RuntimeError):
            tm(torch.tensor(args[0]), torch.tensor(args[1]))
        with pytest.raises(RuntimeError):
            mm(mytorch.tensor(args[0]), mytorch.tensor(args[1]))
    for cutoffs in ([5, 3], [0, 4], [4, 4], [10], []):
        with pytest.raises(ValueError):
            torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
        with pytest.raises(ValueError):
            mytorch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)


@pytest.mark.parametrize("channels", [1, 2, 5, 8])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_cross_map_lrn2d_values(size, channels, dtype_name, device):
    x = seeded_rng("lrn", size, channels).standard_normal((2, channels, 3, 2)).astype(dtype_name)
    tm, mm = (
        torch.nn.CrossMapLRN2d(size, 0.3, 0.6, 1.5),
        mytorch.nn.CrossMapLRN2d(size, 0.3, 0.6, 1.5),
    )
    assert repr(mm) == repr(tm)
    assert_matches(mm(mytorch.tensor(x, device=device)), tm(torch.tensor(x)))


def test_cross_map_lrn2d_gradients_are_the_derivative_of_its_forward():
    """torch's hand-written backward fails gradcheck; ours is the true derivative."""
    x = mytorch.tensor(
        seeded_rng("lrn-grad").standard_normal((1, 6, 2, 2)), dtype=mytorch.float64,
        requires_grad=True,
    )  # fmt: skip
    m = mytorch.nn.CrossMapLRN2d(3, 0.3, 0.6, 1.5)
    assert mytorch.autograd.gradcheck(m, (x,))
    assert mytorch.autograd.gradgradcheck(m, (x,))
    with pytest.raises(ValueError, match="Expected input to be 4D, got 3D"):
        m(x[0])


def test_container_is_deprecated():
    with pytest.warns(FutureWarning):
        tc = torch.nn.Container(a=torch.nn.Linear(2, 3))
    with pytest.warns(FutureWarning, match="nn.Container is deprecated"):
        mc = mytorch.nn.Container(a=mytorch.nn.Linear(2, 3))
    assert repr(mc) == repr(tc)
    assert list(mc.state_dict()) == list(tc.state_dict())


def test_data_parallel_without_gpus(device):
    if mytorch.cuda.is_available():
        pytest.skip("the no-GPU behaviour")
    tm = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    mm = mytorch.nn.DataParallel(mytorch.nn.Linear(3, 2))
    assert type(mm).__module__ == "mytorch.nn.parallel.data_parallel"
    assert repr(mm) == repr(tm) and mm.device_ids == tm.device_ids == []
    assert list(mm.state_dict()) == list(tm.state_dict()) == ["module.weight", "module.bias"]
    copy_state(mm, tm)
    x = np.ones((4, 3), "float32")
    assert_matches(mm(mytorch.tensor(x)), tm(torch.tensor(x)))
    with pytest.raises(RuntimeError):
        torch.nn.parallel.data_parallel(tm.module, torch.tensor(x))
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        mytorch.nn.parallel.data_parallel(mm.module, mytorch.tensor(x))


@pytest.mark.parametrize(
    "kw,tshape",
    [
        (dict(), (6,)),
        (dict(bias=True, label_smoothing=0.1, ignore_index=2), (6,)),
        (dict(out_features=(3,), bias=True), (6, 3)),
        (dict(reduction="none", weight=True), (6,)),
    ],
)
def test_linear_cross_entropy_loss(kw, tshape, dtype_name, device):
    kw = dict(kw)
    weight = kw.pop("weight", None)

    def make(T):
        T.manual_seed(0)
        w = T.tensor(np.linspace(0.5, 1.5, 5).astype("float32")) if weight else None
        return T.nn.LinearCrossEntropyLoss(4, 5, weight=w, **kw)

    tm, mm = make(torch), make(mytorch)
    assert repr(mm) == repr(tm)
    assert list(mm.state_dict()) == list(tm.state_dict())
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    rng = seeded_rng("lce", str(kw))
    x = rng.standard_normal((6, 4)).astype(dtype_name)
    y = rng.integers(0, 5, tshape)
    xt, xm = (
        torch.tensor(x, requires_grad=True),
        mytorch.tensor(x, device=device, requires_grad=True),
    )
    ot, om = tm(xt, torch.tensor(y)), mm(xm, mytorch.tensor(y, device=device))
    assert_matches(om, ot)
    compare_derivatives(
        ot, om, [xt] + list(tm.parameters()), [xm] + list(mm.parameters()), dtype_name, device,
        True,
    )  # fmt: skip


def test_linear_cross_entropy_options():
    to, mo = torch.nn.LinearCrossEntropyOptions(), mytorch.nn.LinearCrossEntropyOptions()
    assert repr(mo) == repr(to)
    assert type(mo).__module__ == "mytorch.nn.modules.linear_cross_entropy_options"
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    w = np.random.default_rng(1).standard_normal((5, 4)).astype("float32")
    t = [1, 2, 3]
    got = mytorch.nn.functional.linear_cross_entropy(
        mytorch.tensor(x), mytorch.tensor(w), mytorch.tensor(t), options=mo
    )
    want = torch.nn.functional.linear_cross_entropy(
        torch.tensor(x), torch.tensor(w), torch.tensor(t), options=to
    )
    assert_matches(got, want)
    with pytest.raises(TypeError):
        mytorch.nn.functional.linear_cross_entropy(
            mytorch.tensor(x), mytorch.tensor(w), mytorch.tensor(t), options="chunked"
        )
