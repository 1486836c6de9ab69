"""3-d pooling against torch: nn.functional's max/avg/adaptive/lp pooling over 3 spatial dims,
max_unpool1d/3d (and max_unpool2d's output_size check), torch.max_pool3d, and the 3-d pooling and
unpooling modules (values, argmax indices, gradients of two orders, exception classes)."""

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

POOL3 = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]
SHAPE = (2, 2, 5, 6, 7)


@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("kw", POOL3, ids=str)
def test_max_pool3d(kw, dilation, dtype_name, device):
    x = seeded_rng("maxpool3", kw).standard_normal(SHAPE)
    check_fn(
        lambda T, x: T.nn.functional.max_pool3d(x, dilation=dilation, return_indices=True, **kw),
        [x],
        dtype_name,
        device,
    )
    check_fn(
        lambda T, x: T.nn.functional.max_pool3d_with_indices(x[0], dilation=dilation, **kw),
        [x],
        dtype_name,
        device,
    )
    check_fn(lambda T, x: T.max_pool3d(x, dilation=dilation, **kw), [x], dtype_name, device)


def test_max_pool3d_ties(dtype_name, device):
    x = np.zeros((1, 1, 3, 4, 4))
    x[0, 0, 1] = 1.0
    for kw in [dict(kernel_size=2), dict(kernel_size=2, stride=1), dict(kernel_size=3, padding=1)]:
        check_fn(
            lambda T, x: T.nn.functional.max_pool3d(x, return_indices=True, **kw),
            [x],
            dtype_name,
            device,
        )
    check_fn(lambda T, x: T.nn.functional.adaptive_max_pool3d(x, 2, True), [x], dtype_name, device)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 3])
@pytest.mark.parametrize("kw", POOL3, ids=str)
def test_avg_pool3d(kw, count_include_pad, divisor_override, dtype_name, device):
    x = seeded_rng("avgpool3", kw).standard_normal(SHAPE)
    check_fn(
        lambda T, x: T.nn.functional.avg_pool3d(
            x, count_include_pad=count_include_pad, divisor_override=divisor_override, **kw
        ),
        [x],
        dtype_name,
        device,
    )


@pytest.mark.parametrize("size", [1, 3, (4, None, 2), (2, 6, 8), (None, None, 3)], ids=str)
def test_adaptive3d(size, dtype_name, device):
    x = seeded_rng("adaptive3", size).standard_normal(SHAPE)
    F = lambda T: T.nn.functional  # noqa: E731
    check_fn(lambda T, x: F(T).adaptive_avg_pool3d(x, size), [x], dtype_name, device)
    check_fn(lambda T, x: F(T).adaptive_avg_pool3d(x[0], size), [x], dtype_name, device)
    check_fn(lambda T, x: F(T).adaptive_max_pool3d(x, size, True), [x], dtype_name, device)
    check_fn(lambda T, x: F(T).adaptive_max_pool3d(x[1], size), [x], dtype_name, device)
    check_fn(lambda T, x: F(T).adaptive_max_pool3d_with_indices(x, size), [x], dtype_name, device)


@pytest.mark.parametrize("norm_type", [1, 2, 3.0])
@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=(2, 3, 2), stride=2),
        dict(kernel_size=3, stride=2, ceil_mode=True),
    ],
    ids=str,
)
def test_lp_pool3d(kw, norm_type, dtype_name, device):
    x = np.abs(seeded_rng("lppool3", kw).standard_normal(SHAPE)) + 0.5
    check_fn(lambda T, x: T.nn.functional.lp_pool3d(x, norm_type, **kw), [x], dtype_name, device)


@pytest.mark.parametrize(
    "kw, shape",
    [
        (dict(kernel_size=2), (2, 2, 4, 6, 8)),
        (dict(kernel_size=3, stride=2, padding=1), (2, 2, 5, 7, 9)),
        (dict(kernel_size=(2, 3, 2), stride=(1, 2, 2)), (2, 2, 5, 7, 6)),
    ],
    ids=str,
)
def test_max_unpool3d(kw, shape, dtype_name, device):
    # NOTE: shapes that max_unpool3d's default output size gives back (else indices overflow)
    x = seeded_rng("unpool3", kw).standard_normal(shape)

    def f(T, x):
        out, idx = T.nn.functional.max_pool3d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool3d(out, idx, **kw)

    def g(T, x):
        out, idx = T.nn.functional.max_pool3d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool3d(out, idx, output_size=x.shape, **kw)

    check_fn(f, [x], dtype_name, device)
    check_fn(g, [x], dtype_name, device)

    def h(T, x):
        out, idx = T.nn.functional.max_pool3d(x[0], return_indices=True, **kw)
        return T.nn.functional.max_unpool3d(out, idx, output_size=x.shape[-3:], **kw)

    check_fn(h, [x], dtype_name, device)


@pytest.mark.parametrize(
    "kw",
    [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=1)],
    ids=str,
)
def test_max_unpool1d(kw, dtype_name, device):
    x = seeded_rng("unpool1", kw).standard_normal((2, 3, 9))

    def f(T, x):
        out, idx = T.nn.functional.max_pool1d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool1d(out, idx, **kw)

    def g(T, x):
        out, idx = T.nn.functional.max_pool1d(x, return_indices=True, **kw)
        return T.nn.functional.max_unpool1d(out, idx, output_size=x.shape[-1:], **kw)

    check_fn(f, [x], dtype_name, device)
    check_fn(g, [x], dtype_name, device)
    check_fn(lambda T, x: g(T, x[0]), [x], dtype_name, device)


def test_pooling3d_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    x5 = np.zeros((1, 1, 4, 4, 4), "float32")
    idx = lambda T, shape, v=0: T.zeros(*shape, dtype=T.long) + v  # noqa: E731
    for fn in [
        lambda T: F(T).max_pool3d(T.tensor(x5[0, 0]), 2),
        lambda T: F(T).max_pool3d(T.tensor(x5), 2, padding=2),
        lambda T: F(T).max_pool3d(T.tensor(x5), 5),
        lambda T: F(T).max_pool3d(T.tensor(x5), 2, stride=0),
        lambda T: F(T).avg_pool3d(T.tensor(x5[0, 0]), 2),
        lambda T: F(T).avg_pool3d(T.tensor(x5), 2, padding=2),
        lambda T: F(T).avg_pool3d(T.tensor(x5), 2, divisor_override=0),
        lambda T: F(T).avg_pool3d(T.tensor(x5), 6),
        lambda T: F(T).adaptive_avg_pool3d(T.tensor(x5[0, 0]), 2),
        lambda T: F(T).adaptive_max_pool3d(T.tensor(x5[0, 0]), 2),
        lambda T: F(T).adaptive_max_pool3d(T.tensor(x5), (2, 2)),
        lambda T: F(T).lp_pool3d(T.tensor(x5[0, 0]), 2, 2),
        lambda T: F(T).max_unpool3d(T.tensor(x5), idx(T, x5.shape, 999), 2),
        lambda T: F(T).max_unpool3d(T.tensor(x5), idx(T, x5.shape[:-1]), 2),
        lambda T: F(T).max_unpool3d(T.tensor(x5[0, 0]), idx(T, x5.shape[2:]), 2),
        lambda T: F(T).max_unpool3d(T.tensor(x5), idx(T, x5.shape), 2, output_size=(3, 3, 3)),
        lambda T: F(T).max_unpool3d(T.tensor(x5), idx(T, x5.shape), 2, output_size=(8, 8)),
        lambda T: F(T).max_unpool2d(T.tensor(x5[0]), idx(T, x5.shape[1:]), 2, output_size=(11, 9)),
        lambda T: F(T).max_unpool1d(T.tensor(x5[0, 0]), idx(T, x5.shape[2:], 9), 2),
        lambda T: F(T).max_unpool1d(T.tensor(x5[0, 0, 0]), idx(T, (4,)), 2),
        lambda T: F(T).max_unpool1d(T.tensor(x5[0, 0]), idx(T, (4, 4)), 2, output_size=(20,)),
    ]:
        raises_like(fn)


MODULES = [
    lambda T: T.nn.MaxPool3d(3, 2, 1),
    lambda T: T.nn.MaxPool3d((2, 3, 2), dilation=(1, 2, 1), ceil_mode=True),
    lambda T: T.nn.AvgPool3d(3, 2, 1, count_include_pad=False),
    lambda T: T.nn.AvgPool3d(2, ceil_mode=True, divisor_override=3),
    lambda T: T.nn.AdaptiveAvgPool3d((3, None, 2)),
    lambda T: T.nn.AdaptiveMaxPool3d(3),
    lambda T: T.nn.LPPool3d(2, 3, stride=2),
    lambda T: T.nn.LPPool3d(1.5, (2, 3, 2)),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_pool3d_modules(i, dtype_name, device):
    x = np.abs(seeded_rng("pool3mod", i).standard_normal(SHAPE)) + 0.1
    check_layer(MODULES[i], [x], dtype_name, device)
    check_layer(MODULES[i], [x[0]], dtype_name, device)


@pytest.mark.parametrize("n", [1, 3])
def test_unpool_modules(n, device):
    shape = (2, 3, 9) if n == 1 else (2, 3, 4, 6, 5)
    x = seeded_rng("unpoolmod", n).standard_normal(shape).astype("float32")
    name = f"MaxPool{n}d"
    pt = getattr(torch.nn, name)(2, return_indices=True)
    pm = getattr(mytorch.nn, name)(2, return_indices=True)
    ut, um = getattr(torch.nn, f"MaxUnpool{n}d")(2), getattr(mytorch.nn, f"MaxUnpool{n}d")(2)
    assert repr(um) == repr(ut) and repr(pm) == repr(pt)
    ot, it = pt(torch.tensor(x))
    om, im = pm(mytorch.tensor(x, device=device))
    np.testing.assert_array_equal(im.cpu().numpy(), it.numpy())
    rt = ut(ot, it, output_size=list(shape[2:]))
    rm = um(om, im, output_size=list(shape[2:]))
    np.testing.assert_array_equal(rm.cpu().numpy(), rt.numpy())
    for T in (torch, mytorch):
        m = T.nn.AdaptiveMaxPool3d(2, return_indices=True)
        assert isinstance(m(T.ones(1, 2, 5, 4, 3)), tuple)
    k = (2,) * n if n == 1 else (2, 3, 1)
    for args in [(k, 1, 0), (3,)]:
        assert repr(getattr(mytorch.nn, f"MaxUnpool{n}d")(*args)) == repr(
            getattr(torch.nn, f"MaxUnpool{n}d")(*args)
        )


FRACTIONAL = [
    (2, (2, 3, 7, 8), 2, dict(output_size=(3, 4))),
    (2, (2, 3, 7, 8), (2, 3), dict(output_size=(6, 6))),
    (2, (2, 3, 9, 8), 3, dict(output_size=1)),
    (2, (3, 7, 8), 2, dict(output_ratio=(0.5, 0.75))),
    (3, (2, 2, 5, 6, 7), 2, dict(output_size=(3, 3, 4))),
    (3, (2, 2, 5, 6, 7), (2, 1, 3), dict(output_size=(3, 2, 4))),
    (3, (2, 5, 6, 7), 2, dict(output_ratio=0.5)),
    (3, (2, 2, 5, 6, 7), 2, dict(output_ratio=(0.5, 0.6, 0.5))),
]


@pytest.mark.parametrize("n, shape, k, kw", FRACTIONAL, ids=str)
def test_fractional_max_pool(n, shape, k, kw, dtype_name, device):
    # the samples are given (torch's own draw need not be reproduced); more rows than the batch
    rng = seeded_rng("fractional", shape, str(kw))
    x = rng.standard_normal(shape)
    u = rng.uniform(0, 1, (3, shape[-n - 1], n))
    u[0] = 0.0  # the first windows start at 0
    name = f"fractional_max_pool{n}d"

    def f(T, x, u):
        return getattr(T.nn.functional, name)(x, k, _random_samples=u, return_indices=True, **kw)

    def g(T, x, u):
        return getattr(T.nn.functional, name + "_with_indices")(x, k, _random_samples=u, **kw)

    check_fn(f, [x, u], dtype_name, device, grad=[0])
    check_fn(g, [x, u], dtype_name, device, grad=[0])


def test_fractional_ties_and_draw(device):
    x = np.zeros((2, 2, 6, 6))
    x[:, :, 2:4] = 1.0
    u = seeded_rng("fracties").uniform(0, 1, (2, 2, 2))
    for kw in [dict(output_size=(3, 3)), dict(output_size=(5, 2))]:
        check_fn(
            lambda T, x, u: T.nn.functional.fractional_max_pool2d(
                x, 2, _random_samples=u, return_indices=True, **kw
            ),
            [x, u],
            "float64",
            device,
            grad=[0],
        )
    # drawn samples: every output is some entry of its plane, at the index it reports
    xm = mytorch.tensor(seeded_rng("fracdraw").standard_normal((2, 3, 7, 8)), device=device)
    out, idx = mytorch.nn.functional.fractional_max_pool2d(
        xm, 2, output_ratio=(0.5, 0.5), return_indices=True
    )
    assert tuple(out.shape) == (2, 3, 3, 4)
    picked = xm.reshape(2, 3, -1).gather(2, idx.reshape(2, 3, -1)).reshape(out.shape)
    np.testing.assert_array_equal(picked.cpu().numpy(), out.cpu().numpy())


def test_fractional_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    x4, x5 = np.zeros((2, 3, 7, 8), "float32"), np.zeros((2, 3, 5, 6, 7), "float32")
    u = lambda T, *s: T.zeros(*s)  # noqa: E731
    for fn in [
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, output_ratio=0.5),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, output_ratio=(0.5, 0.5, 0.5)),
        lambda T: F(T).fractional_max_pool2d(
            T.tensor(x4), 2, (7, 3), _random_samples=u(T, 2, 3, 2)
        ),
        lambda T: F(T).fractional_max_pool2d(
            T.tensor(x4), 2, (3, 8), _random_samples=u(T, 2, 3, 2)
        ),
        lambda T: F(T).fractional_max_pool2d(
            T.tensor(x4[0, 0]), 2, 3, _random_samples=u(T, 1, 1, 2)
        ),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, 3, _random_samples=u(T, 1, 3, 2)),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, 3, _random_samples=u(T, 2, 4, 2)),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, 3, _random_samples=u(T, 2, 3, 1)),
        lambda T: F(T).fractional_max_pool2d(T.tensor(x4), 2, 3, _random_samples=u(T, 2, 3)),
        lambda T: F(T).fractional_max_pool2d(
            T.tensor(x4), 2, 3, _random_samples=u(T, 2, 3, 2).double()
        ),
        lambda T: F(T).fractional_max_pool3d(T.tensor(x5), 2),
        lambda T: F(T).fractional_max_pool3d(
            T.tensor(x5), 2, (4, 3, 3), _random_samples=u(T, 2, 3, 3)
        ),
        lambda T: F(T).fractional_max_pool3d(
            T.tensor(x5), 2, (3, 3, 6), _random_samples=u(T, 2, 3, 3)
        ),
        lambda T: F(T).fractional_max_pool3d(
            T.tensor(x5[0, 0]), 2, 2, _random_samples=u(T, 1, 1, 3)
        ),
        lambda T: T.nn.FractionalMaxPool2d(2),
        lambda T: T.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
        lambda T: T.nn.FractionalMaxPool2d(2, output_ratio=1.5),
        lambda T: T.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0)),
        lambda T: T.nn.FractionalMaxPool3d(2),
    ]:
        raises_like(fn)


@pytest.mark.parametrize("n", [2, 3])
def test_fractional_modules(n, dtype_name, device):
    shape = (2, 3, 7, 8) if n == 2 else (2, 2, 5, 6, 7)
    rng = seeded_rng("fracmod", n)
    x = rng.standard_normal(shape)
    u = rng.uniform(0, 1, (2, shape[1], n)).astype(dtype_name)
    cls = f"FractionalMaxPool{n}d"
    for kw in [dict(output_size=3), dict(output_ratio=0.5)]:

        def make(T):
            return getattr(T.nn, cls)(2, _random_samples=T.tensor(u), **kw)

        check_layer(make, [x], dtype_name, device)
    for T in (torch, mytorch):
        m = getattr(T.nn, cls)(2, output_size=2, return_indices=True)
        assert isinstance(m(T.ones(shape)), tuple) and "_random_samples" not in m.state_dict()
