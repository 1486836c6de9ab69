"""interpolate / upsample against torch: every mode's values (torch's coordinate conventions:
align_corners, scale_factor passed on or recomputed, nearest's float32 index arithmetic,
bicubic's A = -0.75 with border-clamped taps), gradients of two orders, the deprecated forms,
the Upsample modules (repr included) and the exception classes."""

import warnings

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

SHAPES = {1: (2, 3, 5), 2: (2, 2, 5, 6), 3: (1, 2, 3, 4, 5)}
SIZES = [
    dict(size=7),
    dict(size=3),
    dict(size=1),
    dict(scale_factor=2),
    dict(scale_factor=1.7),
    dict(scale_factor=0.6),
    dict(scale_factor=1.01),
    dict(scale_factor=0.6, recompute_scale_factor=True),
    dict(scale_factor=2.5, recompute_scale_factor=False),
]


def _per_dim(kw, n):
    """kw with a per-dim tuple for size/scale_factor (distinct sizes per dim)."""
    if "size" in kw:
        return dict(kw, size=tuple(kw["size"] + j for j in range(n)))
    return dict(kw, scale_factor=tuple(kw["scale_factor"] * (1 + 0.25 * j) for j in range(n)))


def _interp(**kw):
    return lambda T, x: T.nn.functional.interpolate(x, **kw)


def _adjoint(kw, x, dtype_name):
    """torch's forward as a matrix (rows: the outputs of the unit inputs), in x's layout."""
    n = x.size
    eye = np.eye(n, dtype=dtype_name).reshape((n * x.shape[0],) + x.shape[1:])
    return torch.nn.functional.interpolate(torch.tensor(eye), **kw).reshape(n, -1).numpy()


def _check(kw, x, dtype_name, device):
    """check_fn, where torch's gradient is its forward's adjoint. Where it is not (torch's 1-d
    and 3-d nearest forward maps output o to floor(o / scale_factor) in its arithmetic, but
    the backward copies a dim whose size is kept, halves the index of a dim whose size
    doubles and works in float32, as the 2-d kernels do; its bicubic forward interpolates a
    dim whose size is kept with the scale_factor given, the backward copies it), the values
    are compared with torch, and mytorch's gradient with the adjoint of torch's forward."""
    fn = _interp(**kw)
    a = _adjoint(kw, x.astype(dtype_name), dtype_name)
    g = seeded_rng("cotangent").standard_normal(a.shape[1]).astype(dtype_name)
    xt = torch.tensor(x.astype(dtype_name), requires_grad=True)
    (gt,) = torch.autograd.grad(fn(torch, xt), xt, torch.tensor(g).reshape(fn(torch, xt).shape))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype_name == "float32" else dict(rtol=1e-10, atol=1e-10)
    if np.allclose(gt.numpy().ravel(), a @ g, **tol):
        check_fn(fn, [x], dtype_name, device)
        return
    check_fn(fn, [x], dtype_name, device, grad=[])
    xm = mytorch.tensor(x.astype(dtype_name), device=device, requires_grad=True)
    om = fn(mytorch, xm)
    (gm,) = mytorch.autograd.grad(om, xm, mytorch.tensor(g, device=device).reshape(om.shape))
    np.testing.assert_allclose(gm.cpu().numpy().ravel(), a @ g, **tol)


@pytest.mark.parametrize("kw", SIZES, ids=str)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_nearest_area(mode, kw, dtype_name, device):
    for n, shape in SHAPES.items():
        x = seeded_rng("nearest", mode, str(kw), n).standard_normal(shape)
        for k in (kw, _per_dim(kw, n)):
            _check(dict(k, mode=mode), x, dtype_name, device)


@pytest.mark.parametrize(
    "shape, kw",
    [
        ((1, 1, 4), dict(scale_factor=2.125)),
        ((1, 1, 10), dict(scale_factor=1.01)),
        ((1, 1, 2, 2, 4), dict(scale_factor=2.125)),
        ((1, 1, 3, 5), dict(scale_factor=(1.01, 1.5), mode="bicubic")),
    ],
    ids=str,
)
def test_gradient_is_adjoint(shape, kw, device):
    # the gradient is J^T g with J torch's forward (as a matrix, from the unit inputs)
    n = int(np.prod(shape))
    eye = torch.eye(n, dtype=torch.float64).reshape((n,) + shape[1:])
    cols = torch.nn.functional.interpolate(eye, **kw).reshape(n, -1)
    x = mytorch.zeros(shape, dtype=mytorch.float64, device=device, requires_grad=True)
    y = mytorch.nn.functional.interpolate(x, **kw)
    g = np.arange(y.numel(), dtype="float64")
    (gx,) = mytorch.autograd.grad(y, x, mytorch.tensor(g.reshape(y.shape), device=device))
    np.testing.assert_allclose(gx.cpu().numpy().ravel(), cols.numpy() @ g, rtol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", SIZES, ids=str)
@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear"])
def test_linear_modes(mode, kw, align_corners, dtype_name, device):
    n = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}[mode]
    x = seeded_rng("linear", mode, str(kw), align_corners).standard_normal(SHAPES[n])
    for k in (kw, _per_dim(kw, n)):
        _check(dict(k, mode=mode, align_corners=align_corners), x, dtype_name, device)


def test_default_align_corners_and_unbatched_sizes(dtype_name, device):
    x = seeded_rng("defaults").standard_normal((1, 1, 4, 4))
    check_fn(_interp(scale_factor=3, mode="bilinear"), [x], dtype_name, device)
    check_fn(_interp(size=(9, 2), mode="bicubic"), [x], dtype_name, device)
    # NOTE: bicubic reads past the border: the taps are clamped, the weights kept
    check_fn(_interp(size=(2, 9), mode="bicubic", align_corners=True), [x], dtype_name, device)


def test_nearest_integer_input(device):
    x = np.arange(12, dtype="uint8").reshape(1, 1, 3, 4)
    check_fn(_interp(scale_factor=1.5), [x], "float32", device)


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")
def test_deprecated_forms(device):
    x = seeded_rng("deprecated").standard_normal((1, 2, 3, 4))
    for name, kw in [
        ("upsample", dict(scale_factor=2, mode="bilinear")),
        ("upsample", dict(size=5)),
        ("upsample_nearest", dict(scale_factor=2)),
        ("upsample_bilinear", dict(size=(5, 7))),
    ]:
        check_fn(lambda T, x: getattr(T.nn.functional, name)(x, **kw), [x], "float64", device)
        with warnings.catch_warnings(record=True) as wm:
            warnings.simplefilter("always")
            getattr(mytorch.nn.functional, name)(mytorch.tensor(x), **kw)
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
        assert [str(w.message) for w in wm] == [str(w.message) for w in wt]
        assert [w.category for w in wm] == [w.category for w in wt]


def test_interpolate_errors():
    x4 = np.zeros((1, 1, 4, 4), "float32")

    def F(T):
        return T.nn.functional

    for fn in [
        lambda T: F(T).interpolate(T.tensor(x4), size=2, scale_factor=2),
        lambda T: F(T).interpolate(T.tensor(x4)),
        lambda T: F(T).interpolate(T.tensor(x4), size=(2, 3, 4)),
        lambda T: F(T).interpolate(T.tensor(x4), scale_factor=(2.0,)),
        lambda T: F(T).interpolate(T.tensor(x4), size=(2, 2.0)),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, align_corners=True),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="area", align_corners=False),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, recompute_scale_factor=True),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="linear"),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="trilinear"),
        lambda T: F(T).interpolate(T.tensor(x4[0]), size=2, mode="bilinear"),
        lambda T: F(T).interpolate(T.tensor(x4[0]), size=2, mode="trilinear"),
        lambda T: F(T).interpolate(T.tensor(x4[None]), size=2, mode="bilinear"),
        lambda T: F(T).interpolate(T.tensor(x4[None]), size=2, mode="linear"),
        lambda T: F(T).interpolate(T.tensor(x4[None]), size=2, mode="bicubic"),
        lambda T: F(T).interpolate(T.tensor(x4[0, 0]), scale_factor=2),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="foo"),
        lambda T: F(T).interpolate(T.tensor(x4), size=0),
        lambda T: F(T).interpolate(T.tensor(x4), scale_factor=0.1, mode="bilinear"),
        lambda T: F(T).interpolate(T.tensor(x4), scale_factor=-2.0),
        lambda T: F(T).interpolate(T.zeros(1, 0, 4, 4), size=2, mode="bilinear"),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="nearest", antialias=True),
        lambda T: F(T).interpolate(T.tensor(x4[0]), size=2, mode="bilinear", antialias=True),
        lambda T: F(T).interpolate(T.tensor(x4), size=2, mode="lanczos"),
    ]:
        raises_like(fn)
    # antialias=True (which torch has for bilinear/bicubic on 4-d input) is not implemented
    with pytest.raises(NotImplementedError, match="antialias"):
        mytorch.nn.functional.interpolate(
            mytorch.zeros(1, 1, 4, 4), 2, mode="bilinear", antialias=True
        )


MODULES = [
    lambda T: T.nn.Upsample(scale_factor=2),
    lambda T: T.nn.Upsample(size=(5, 7), mode="bilinear"),
    lambda T: T.nn.Upsample(scale_factor=(1.5, 2), mode="bicubic", align_corners=True),
    lambda T: T.nn.Upsample(scale_factor=0.5, mode="area"),
    lambda T: T.nn.Upsample(size=5, mode="nearest-exact"),
    lambda T: T.nn.Upsample(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
    lambda T: T.nn.UpsamplingNearest2d(scale_factor=3),
    lambda T: T.nn.UpsamplingNearest2d(size=(3, 9)),
    lambda T: T.nn.UpsamplingBilinear2d(scale_factor=2),
    lambda T: T.nn.UpsamplingBilinear2d(size=(6, 4)),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_upsample_modules(i, dtype_name, device):
    x = seeded_rng("upmod", i).standard_normal((2, 3, 4, 5))
    check_layer(MODULES[i], [x], dtype_name, device)


def test_upsample_module_1d_3d(device):
    x = seeded_rng("upmod13").standard_normal((1, 2, 3, 4, 5))
    check_layer(lambda T: T.nn.Upsample(scale_factor=2, mode="trilinear"), [x], "float64", device)
    check_layer(lambda T: T.nn.Upsample(size=7, mode="linear"), [x[0, 0]], "float64", device)
    for T in (torch, mytorch):
        assert T.nn.Upsample(size=3).name == "Upsample"
        assert T.nn.UpsamplingBilinear2d(size=3).align_corners is True


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear"])
@pytest.mark.parametrize("n_in, n_out", [(14, 46), (26, 22), (13, 11), (31, 7), (3, 37)])
def test_float32_index_arithmetic(mode, n_in, n_out, dtype_name, device):
    # NOTE: sizes where a source index computed in float64 differs from torch's float32 one
    x = seeded_rng("f32idx", n_in).standard_normal((1, 2, n_in))
    _check(dict(size=n_out, mode=mode), x, dtype_name, device)
    if mode != "linear":
        _check(dict(size=(n_out, 3), mode=mode), x[..., None] + np.arange(3), dtype_name, device)
