"""affine_grid and grid_sample against torch (and torch.affine_grid_generator / grid_sampler):
values, gradients with respect to input, grid and theta (at the padding's kinks too: torch's
slope there), second derivatives where torch has them, warnings and exception classes."""

import warnings

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import raises_like, seeded_rng, torch

pytestmark = pytest.mark.torch

MODES2 = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]


def _gs(mode, padding_mode, align_corners):
    return lambda T, x, g: T.nn.functional.grid_sample(x, g, mode, padding_mode, align_corners)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES2)
def test_grid_sample_2d(mode, padding_mode, align_corners, dtype_name, device):
    rng = seeded_rng("gs2", mode, padding_mode, align_corners)
    x = rng.standard_normal((2, 3, 5, 6))
    # NOTE: up to 3.5: several reflections, and taps past every border
    g = rng.uniform(-3.5, 3.5, (2, 4, 7, 2))
    # torch's grid_sampler backward has no derivative: first derivatives only
    check_fn(_gs(mode, padding_mode, align_corners), [x, g], dtype_name, device, second=False)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_3d(mode, padding_mode, align_corners, dtype_name, device):
    rng = seeded_rng("gs3", mode, padding_mode, align_corners)
    x = rng.standard_normal((2, 2, 3, 4, 5))
    g = rng.uniform(-2.5, 2.5, (2, 3, 2, 4, 3))
    check_fn(_gs(mode, padding_mode, align_corners), [x, g], dtype_name, device, second=False)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES2)
def test_grid_sample_kinks(mode, padding_mode, align_corners, device):
    # grid points on the pixel centres, on the half-way points (nearest rounds half to even),
    # on the borders (-1, 1: a clipped coordinate has slope 0 there), and on the reflections
    x = seeded_rng("gskinks").standard_normal((1, 2, 4, 5))
    w, h = 5, 4
    xs = [(2 * i + 1) / w - 1 for i in range(w)] + [2 * i / (w - 1) - 1 for i in range(w)]
    xs += [-1.0, 1.0, -3.0, 3.0, 0.5 / w - 1, 1 - 0.5 / w, 0.25, -0.5, 5 / w, 2.0]
    ys = [(2 * i + 1) / h - 1 for i in range(h)] + [-1.0, 1.0, 1.5, -0.75]
    g = np.stack(np.meshgrid(xs, ys), -1)[None]
    check_fn(_gs(mode, padding_mode, align_corners), [x, g], "float64", device, second=False)


def test_torch_names(device):
    rng = seeded_rng("gsnames")
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.uniform(-1.2, 1.2, (2, 3, 3, 2))
    theta = rng.standard_normal((2, 2, 3))
    for mode in range(3):
        check_fn(
            lambda T, x, g: T.grid_sampler(x, g, mode, 2, False), [x, g], "float64", device, False
        )
    check_fn(
        lambda T, t: T.affine_grid_generator(t, [2, 3, 4, 5], True), [theta], "float64", device
    )


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(
    "size", [(2, 3, 4, 5), (2, 1, 1, 6), (2, 3, 3, 4, 5), (2, 1, 2, 1, 3)], ids=str
)
def test_affine_grid(size, align_corners, dtype_name, device):
    n = len(size) - 2
    theta = seeded_rng("affine", size).standard_normal((2, n, n + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unit-size grids with align_corners warn in both
        check_fn(
            lambda T, t: T.nn.functional.affine_grid(t, size, align_corners),
            [theta],
            dtype_name,
            device,
        )


def test_affine_grid_then_grid_sample(dtype_name, device):
    rng = seeded_rng("stn")
    x = rng.standard_normal((2, 3, 6, 7))
    theta = rng.standard_normal((2, 2, 3)) * 0.5 + np.array([[1.0, 0, 0], [0, 1, 0]])

    def f(T, x, t):
        grid = T.nn.functional.affine_grid(t, [2, 3, 4, 5], align_corners=False)
        return T.nn.functional.grid_sample(x, grid, align_corners=False)

    check_fn(f, [x, theta], dtype_name, device, second=False)


def test_second_derivatives(device):
    # torch has none for grid_sampler: mytorch's are checked by finite differences
    rng = seeded_rng("gsgg")
    x = mytorch.tensor(rng.standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    for mode in MODES2:
        for padding_mode in PADDINGS:
            g = rng.uniform(-0.9, 0.9, (1, 2, 3, 2))
            g = mytorch.tensor(g, device=device, requires_grad=mode != "nearest")

            def f(x, g):
                return mytorch.nn.functional.grid_sample(x, g, mode, padding_mode, False)

            assert mytorch.autograd.gradgradcheck(f, (x, g))


def test_align_corners_warnings():
    x, g, theta = np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 1, 2)), np.zeros((1, 2, 3))
    for fn in [
        lambda T: T.nn.functional.grid_sample(T.tensor(x), T.tensor(g)),
        lambda T: T.nn.functional.affine_grid(T.tensor(theta), [1, 1, 2, 2]),
        lambda T: T.nn.functional.affine_grid(T.tensor(theta), [1, 1, 1, 2], True),
    ]:
        caught = []
        for T in (torch, mytorch):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                fn(T)
            caught.append([(x.category, str(x.message)) for x in w])
        assert caught[0] == caught[1] and caught[0]


def test_grid_errors():
    F = lambda T: T.nn.functional  # noqa: E731
    z = lambda T, *s, dtype=None: T.zeros(*s, dtype=dtype)  # noqa: E731
    for fn in [
        lambda T: F(T).grid_sample(z(T, 1, 1, 4, 4), z(T, 1, 3, 3, 2), mode="foo"),
        lambda T: F(T).grid_sample(z(T, 1, 1, 4, 4), z(T, 1, 3, 3, 2), padding_mode="foo"),
        lambda T: F(T).grid_sample(z(T, 1, 1, 4, 4), z(T, 3, 3, 2), align_corners=False),
        lambda T: F(T).grid_sample(z(T, 1, 1, 4, 4), z(T, 2, 3, 3, 2), align_corners=False),
        lambda T: F(T).grid_sample(z(T, 1, 1, 4, 4), z(T, 1, 3, 3, 3), align_corners=False),
        lambda T: F(T).grid_sample(z(T, 1, 4, 4), z(T, 3, 3, 2), align_corners=False),
        lambda T: F(T).grid_sample(z(T, 1, 1, 0, 4), z(T, 1, 3, 3, 2), align_corners=False),
        lambda T: F(T).grid_sample(
            z(T, 1, 1, 2, 4, 4), z(T, 1, 2, 3, 3, 3), mode="bicubic", align_corners=False
        ),
        lambda T: F(T).grid_sample(
            z(T, 1, 1, 4, 4), z(T, 1, 3, 3, 2, dtype=T.float64), align_corners=False
        ),
        lambda T: F(T).affine_grid(z(T, 1, 2, 3, dtype=T.long), [1, 1, 3, 4], False),
        lambda T: F(T).affine_grid(z(T, 1, 2, 3), [1, 1, 1, 0], False),
        lambda T: F(T).affine_grid(z(T, 1, 2, 3), [1, 3, 4], False),
        lambda T: F(T).affine_grid(z(T, 1, 3, 4), [1, 1, 3, 4], False),
        lambda T: F(T).affine_grid(z(T, 1, 2, 3), [1, 1, 2, 3, 4], False),
        lambda T: F(T).affine_grid(z(T, 2, 3), [1, 1, 3, 4], False),
        lambda T: F(T).affine_grid(z(T, 1, 2, 3), [2, 1, 3, 4], False),
    ]:
        raises_like(fn)
