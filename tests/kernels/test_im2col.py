"""The convolution kernels (im2col, col2im): the compiled ones against the NumPy reference, on
random geometries, both column layouts, threaded and not, and the fallbacks."""

import itertools

import numpy as np
import pytest

from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

# Each test compares the active CPU kernels with the NumPy reference: skipped where the kernels
# are the reference (tests/conftest.py).
pytestmark = pytest.mark.kernels_vs_reference


def _geometry(rng, n):
    """(x shape, kernel, dilation, stride, lo, out): random sizes, padding before (lo) and a
    right edge that pads, fits or crops."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, n))
    dilation = tuple(int(d) for d in rng.integers(1, 3, n))
    stride = tuple(int(s) for s in rng.integers(1, 4, n))
    lo = tuple(int(p) for p in rng.integers(0, 3, n))
    spatial = tuple(int(s) for s in rng.integers(1, 9 if n < 3 else 6, n))
    out = []
    for s, k, d, st, p in zip(spatial, kernel, dilation, stride, lo):
        hi = int(rng.integers(-2, 3))
        out.append(max(1, (s + p + hi - d * (k - 1) - 1) // st + 1))
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) + spatial
    return shape, kernel, dilation, stride, lo, tuple(out)


def _cols_shape(shape, kernel, out, inner):
    nb, c = shape[:2]
    return (c, *kernel, nb, *out) if inner else (nb, c, *kernel, *out)


def _check(got, want):
    assert type(got) is np.ndarray
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.flags.c_contiguous
    # The same copies, and col2im adds the kernel offsets in the reference's order: bit for bit.
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("inner", [False, True])
def test_random_geometries_match_the_reference(n, inner, dtype_name):
    rng = np.random.default_rng(100 * n + inner)
    for _ in range(40):
        shape, kernel, dilation, stride, lo, out = _geometry(rng, n)
        x = rng.standard_normal(shape).astype(dtype_name)
        want = R.im2col(x, kernel, dilation, stride, lo, out, inner)
        assert want.shape == _cols_shape(shape, kernel, out, inner)
        _check(K.im2col(x, kernel, dilation, stride, lo, out, inner), want)
        cols = rng.standard_normal(want.shape).astype(dtype_name)
        want = R.col2im(cols, dilation, stride, lo, shape[2:], inner)
        _check(K.col2im(cols, dilation, stride, lo, shape[2:], inner), want)


def test_im2col_reads_zero_padding():
    x = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    got = K.im2col(x, (2, 2), (1, 1), (1, 1), (1, 1), (3, 4), False)
    want = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 2)))
    for i, j in itertools.product(range(2), range(2)):
        np.testing.assert_array_equal(got[0, 0, i, j], want[0, 0, i : i + 3, j : j + 4])


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), y> == <x, col2im(y)> for every geometry (float64)."""
    for n in (1, 2, 3):
        for _ in range(10):
            shape, kernel, dilation, stride, lo, out = _geometry(rng, n)
            x = rng.standard_normal(shape)
            for inner in (False, True):
                y = rng.standard_normal(_cols_shape(shape, kernel, out, inner))
                lhs = np.vdot(K.im2col(x, kernel, dilation, stride, lo, out, inner), y)
                rhs = np.vdot(x, K.col2im(y, dilation, stride, lo, shape[2:], inner))
                assert np.isclose(lhs, rhs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("inner", [False, True])
def test_threaded_kernels_match(inner, threads_from_any_size, dtype_name, rng):
    for n in (1, 2, 3):
        for _ in range(10):
            shape, kernel, dilation, stride, lo, out = _geometry(rng, n)
            x = rng.standard_normal(shape).astype(dtype_name)
            want = R.im2col(x, kernel, dilation, stride, lo, out, inner)
            _check(K.im2col(x, kernel, dilation, stride, lo, out, inner), want)
            cols = rng.standard_normal(want.shape).astype(dtype_name)
            want = R.col2im(cols, dilation, stride, lo, shape[2:], inner)
            _check(K.col2im(cols, dilation, stride, lo, shape[2:], inner), want)


def test_a_convolution_sized_case_matches(rng):
    """16 x 8 x 32 x 32, 3 x 3, padding 1 (threaded by size), both layouts."""
    x = rng.standard_normal((16, 8, 32, 32)).astype(np.float32)
    geo = ((3, 3), (1, 1), (1, 1), (1, 1), (32, 32))
    for inner in (False, True):
        want = R.im2col(x, *geo, inner)
        _check(K.im2col(x, *geo, inner), want)
        back = R.col2im(want, *geo[1:4], (32, 32), inner)
        _check(K.col2im(want, *geo[1:4], (32, 32), inner), back)


@pytest.mark.parametrize(
    "x",
    [
        np.arange(24.0).reshape(2, 3, 4)[:, :, ::2],  # not contiguous
        np.arange(12, dtype=np.int64).reshape(1, 2, 6),  # not float
        np.arange(12, dtype=np.float16).reshape(1, 2, 6),
        np.zeros((0, 2, 5), dtype=np.float32),  # empty
    ],
)
def test_other_inputs_go_to_the_reference(x):
    geo = ((2,), (1,), (1,), (1,))
    out = ((x.shape[2] + 1 - 2) // 1 + 1,)
    want = R.im2col(x, *geo, out, True)
    got = K.im2col(x, *geo, out, True)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    back = K.col2im(np.ascontiguousarray(want), *geo[1:], x.shape[2:], True)
    np.testing.assert_array_equal(back, R.col2im(want, *geo[1:], x.shape[2:], True))


def test_four_spatial_dims_go_to_the_reference(rng):
    x = rng.standard_normal((1, 2, 3, 3, 3, 3))
    geo = ((2,) * 4, (1,) * 4, (1,) * 4, (0,) * 4, (2,) * 4)
    np.testing.assert_array_equal(K.im2col(x, *geo, False), R.im2col(x, *geo, False))
