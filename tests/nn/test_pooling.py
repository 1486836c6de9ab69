"""Pooling against torch: nn.functional's max/avg/adaptive/lp pooling and max_unpool2d, torch's
top-level names, and the pooling modules (values, argmax indices, gradients of two orders,
exception classes)."""

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import assert_matches, raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

POOL2 = [
    dict(kernel_size=3),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=3, ceil_mode=True),
]


def _one(kw):
    return {k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items()}


@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("kw", POOL2, ids=str)
def test_max_pool(kw, dilation, dtype_name, device):
    x = seeded_rng("maxpool", kw).standard_normal((2, 3, 7, 8))
    check_fn(
        lambda T, x: T.nn.functional.max_pool2d(x, dilation=dilation, return_indices=True, **kw),
        [x],
        dtype_name,
        device,
    )
    check_fn(
        lambda T, x: T.nn.functional.max_pool1d(
            x[0], dilation=dilation, return_indices=True, **_one(kw)
        ),
        [x],
        dtype_name,
        device,
    )
    check_fn(lambda T, x: T.max_pool2d(x, dilation=dilation, **kw), [x[0]], dtype_name, device)
    check_fn(
        lambda T, x: T.max_pool1d(x, dilation=dilation, **_one(kw)), [x[0]], dtype_name, device
    )
    check_fn(
        lambda T, x: T.max_pool1d_with_indices(x, dilation=dilation, **_one(kw)),
        [x[0]],
        dtype_name,
        device,
    )


def test_max_pool_ties(dtype_name, device):
    # NOTE: ties go to the first entry of the window in scan order, in values, indices and grads
    x = np.array([[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 3, 3, 0], [3, 3, 0, 0]]]], dtype=float)
    for kw in [dict(kernel_size=2), dict(kernel_size=2, stride=1), dict(kernel_size=3, padding=1)]:
        check_fn(
            lambda T, x: T.nn.functional.max_pool2d(x, return_indices=True, **kw),
            [x],
            dtype_name,
            device,
        )
        check_fn(
            lambda T, x: T.nn.functional.max_pool1d(x[0], return_indices=True, **kw),
            [x],
            dtype_name,
            device,
        )
    check_fn(lambda T, x: T.nn.functional.adaptive_max_pool2d(x, 3, True), [x], dtype_name, device)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kw", POOL2, ids=str)
def test_avg_pool(kw, count_include_pad, dtype_name, device):
    x = seeded_rng("avgpool", kw).standard_normal((2, 3, 7, 8))
    c = count_include_pad
    check_fn(
        lambda T, x: T.nn.functional.avg_pool2d(x, count_include_pad=c, **kw),
        [x],
        dtype_name,
        device,
    )
    check_fn(
        lambda T, x: T.nn.functional.avg_pool1d(x, count_include_pad=c, **_one(kw)),
        [x[0]],
        dtype_name,
        device,
    )
    check_fn(
        lambda T, x: T.avg_pool1d(x, count_include_pad=c, **_one(kw)), [x[0]], dtype_name, device
    )
    check_fn(
        lambda T, x: T.nn.functional.avg_pool2d(x, count_include_pad=c, divisor_override=5, **kw),
        [x[0]],
        dtype_name,
        device,
    )


@pytest.mark.parametrize("size", [1, 3, 7, (4, None), (5, 3), (2, 8), (None, 6)], ids=str)
def test_adaptive(size, dtype_name, device):
    x = seeded_rng("adaptive", size).standard_normal((2, 3, 7, 8))
    F = "nn.functional"
    s1 = size if not isinstance(size, tuple) else size[1] or 5

    def f(name, *args):
        def call(T, x):
            mod = T.nn.functional if name.startswith(F) else T
            return getattr(mod, name.split(".")[-1])(x, *args)

        return call

    check_fn(f(F + ".adaptive_avg_pool2d", size), [x], dtype_name, device)
    check_fn(f(F + ".adaptive_max_pool2d", size, True), [x], dtype_name, device)
    check_fn(f(F + ".adaptive_max_pool2d", size), [x[0]], dtype_name, device)
    check_fn(f(F + ".adaptive_avg_pool1d", s1), [x[0]], dtype_name, device)
    check_fn(f(F + ".adaptive_max_pool1d", s1, True), [x[0]], dtype_name, device)
    check_fn(f("adaptive_avg_pool1d", s1), [x[0]], dtype_name, device)
    check_fn(f("adaptive_max_pool1d", s1), [x[0]], dtype_name, device)


@pytest.mark.parametrize("norm_type", [1, 2, 3.0])
@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=(2, 3), stride=2),
        dict(kernel_size=3, stride=2, ceil_mode=True),
    ],
    ids=str,
)
def test_lp_pool(kw, norm_type, dtype_name, device):
    x = np.abs(seeded_rng("lppool", kw).standard_normal((2, 3, 7, 8))) + 0.5
    check_fn(lambda T, x: T.nn.functional.lp_pool2d(x, norm_type, **kw), [x], dtype_name, device)
    check_fn(
        lambda T, x: T.nn.functional.lp_pool1d(x, norm_type, **_one(kw)), [x[0]], dtype_name, device
    )


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(2, 3), stride=(1, 2)),
    ],
    ids=str,
)
def test_max_unpool2d(kw, dtype_name, device):
    n = 6 if kw == dict(kernel_size=2) else 7  # the size max_unpool2d gives back by default
    x = seeded_rng("unpool", kw).standard_normal((2, 3, n, n))

    def f(T, x):
        out, idx = T.nn.functional.max_pool2d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool2d(out, idx, **kw)

    check_fn(f, [x], dtype_name, device)

    def g(T, x):
        out, idx = T.nn.functional.max_pool2d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool2d(out, idx, output_size=x.shape, **kw)

    check_fn(g, [x], dtype_name, device)


def test_pooling_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    x4 = np.zeros((1, 1, 4, 4), "float32")
    for fn in [
        lambda T: F(T).max_pool2d(T.tensor(x4), 2, padding=2),
        lambda T: F(T).max_pool2d(T.tensor(x4[0, 0, 0]), 2),
        lambda T: F(T).max_pool2d(T.tensor(x4), 5),
        lambda T: F(T).max_pool1d(T.tensor(x4[0, 0, 0]), 2),
        lambda T: F(T).avg_pool2d(T.tensor(x4), 2, padding=2),
        lambda T: F(T).avg_pool2d(T.tensor(x4), 6),
        lambda T: F(T).avg_pool1d(T.tensor(x4[0]), 5),
        lambda T: F(T).adaptive_avg_pool2d(T.tensor(x4[0, 0, 0]), 2),
        lambda T: F(T).adaptive_max_pool2d(T.tensor(x4[0, 0, 0]), 2),
        lambda T: F(T).adaptive_avg_pool1d(T.tensor(x4[0, 0, 0]), 2),
        lambda T: F(T).max_unpool2d(T.tensor(x4), T.zeros(1, 1, 4, 4, dtype=T.long) + 99, 2),
        lambda T: F(T).max_unpool2d(T.tensor(x4), T.zeros(1, 1, 4, dtype=T.long), 2),
    ]:
        raises_like(fn)


MODULES = [
    lambda T: T.nn.MaxPool2d(3, 2, 1),
    lambda T: T.nn.MaxPool2d((2, 3), dilation=(1, 2), ceil_mode=True),
    lambda T: T.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
    lambda T: T.nn.AvgPool2d(2, ceil_mode=True, divisor_override=3),
    lambda T: T.nn.AdaptiveAvgPool2d((3, None)),
    lambda T: T.nn.AdaptiveMaxPool2d(3),
    lambda T: T.nn.LPPool2d(2, 3, stride=2),
    lambda T: T.nn.LPPool2d(1.5, (2, 3)),
]
MODULES1 = [
    lambda T: T.nn.MaxPool1d(3, 2, 1, dilation=2),
    lambda T: T.nn.AvgPool1d(3, 2, 1, ceil_mode=True),
    lambda T: T.nn.AdaptiveAvgPool1d(3),
    lambda T: T.nn.AdaptiveMaxPool1d(4),
    lambda T: T.nn.LPPool1d(2, 3),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_pool_modules(i, dtype_name, device):
    x = np.abs(seeded_rng("poolmod", i).standard_normal((2, 3, 7, 8))) + 0.1
    check_layer(MODULES[i], [x], dtype_name, device)
    check_layer(MODULES[i], [x[0]], dtype_name, device)


@pytest.mark.parametrize("i", range(len(MODULES1)))
def test_pool1d_modules(i, dtype_name, device):
    x = np.abs(seeded_rng("poolmod1", i).standard_normal((2, 3, 9))) + 0.1
    check_layer(MODULES1[i], [x], dtype_name, device)


def test_return_indices_and_unpool_modules(device):
    x = seeded_rng("unpoolmod").standard_normal((2, 3, 6, 8)).astype("float32")
    pt, pm = (
        torch.nn.MaxPool2d(2, return_indices=True),
        mytorch.nn.MaxPool2d(2, return_indices=True),
    )
    ut, um = torch.nn.MaxUnpool2d(2), mytorch.nn.MaxUnpool2d(2)
    assert repr(um) == repr(ut) and repr(pm) == repr(pt)
    ot, it = pt(torch.tensor(x))
    om, im = pm(mytorch.tensor(x, device=device))
    np.testing.assert_array_equal(im.cpu().numpy(), it.numpy())
    rt = ut(ot, it, output_size=[6, 8])
    rm = um(om, im, output_size=[6, 8])
    np.testing.assert_array_equal(rm.cpu().numpy(), rt.numpy())
    for T in (torch, mytorch):
        m = T.nn.AdaptiveMaxPool1d(2, return_indices=True)
        assert isinstance(m(T.ones(1, 2, 5)), tuple)
    assert repr(mytorch.nn.AdaptiveMaxPool1d(2, True)) == repr(torch.nn.AdaptiveMaxPool1d(2, True))
    assert repr(mytorch.nn.MaxUnpool2d((2, 3), 1, (1, 0))) == repr(
        torch.nn.MaxUnpool2d((2, 3), 1, (1, 0))
    )


@pytest.mark.parametrize(
    "shape,k", [((2, 3, 6, 8), 2), ((1, 2, 7, 9), 3), ((2, 5, 9), 3), ((1, 1, 4, 6, 6), 2)]
)
def test_tiled_windows_match_torch_at_ties(shape, k, device):
    """Windows that tile the input (stride = kernel, no padding) take the reshape path: values,
    indices (first maximum in scan order at ties), gradients and second derivatives as torch's,
    a cropped remainder included."""
    n = len(shape) - 2
    x = np.random.default_rng(sum(shape)).integers(0, 3, shape).astype("float64")  # many ties
    fn = f"max_pool{n}d"
    xt, xm = (
        torch.tensor(x, requires_grad=True),
        mytorch.tensor(x, device=device, requires_grad=True),
    )
    vt, it = getattr(torch.nn.functional, fn)(xt, k, return_indices=True)
    vm, im = getattr(mytorch.nn.functional, fn)(xm, k, return_indices=True)
    assert_matches(vm, vt)
    assert_matches(im, it)
    w = np.random.default_rng(1).standard_normal(tuple(vt.shape))
    (gt,) = torch.autograd.grad((vt * torch.tensor(w)).sum(), xt, create_graph=True)
    (gm,) = mytorch.autograd.grad((vm * mytorch.tensor(w, device=device)).sum(), xm)
    assert_matches(gm, gt)
    at = getattr(torch.nn.functional, f"avg_pool{n}d")(xt, k)
    am = getattr(mytorch.nn.functional, f"avg_pool{n}d")(xm, k)
    assert_matches(am, at)
