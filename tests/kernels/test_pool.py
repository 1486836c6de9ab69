"""Max pooling's kernels (max_pool, max_pool_backward): the compiled ones against the NumPy
reference on random geometries (padding, dilation, strides that overlap, skip or fit, a right
edge that ceil_mode leaves short), at ties, infinities and NaNs, threaded and not, and the
inputs that go to the reference."""

import numpy as np
import pytest

from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference


def _geometry(rng, n):
    """(x shape, kernel, stride, dilation, lo, out) as the pooling functions make them: padding
    at most half the dilated kernel, out long enough to leave a short last window."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, n))
    dilation = tuple(int(d) for d in rng.integers(1, 3, n))
    stride = tuple(int(s) for s in rng.integers(1, 4, n))
    lo = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    spatial, out = [], []
    for k, d, s, p in zip(kernel, dilation, stride, lo):
        size = int(rng.integers((k - 1) * d + 1, 10 if n < 3 else 7))
        span = size + 2 * p - d * (k - 1) - 1
        o = (span + (s - 1 if rng.random() < 0.5 else 0)) // s + 1
        if (o - 1) * s >= size + p:
            o -= 1
        spatial.append(size)
        out.append(o)
    lead = tuple(int(a) for a in rng.integers(1, 4, int(rng.integers(1, 3))))
    return lead + tuple(spatial), kernel, stride, dilation, lo, tuple(out)


def _values(rng, shape, dtype_name, kind):
    if kind == "ties":
        return rng.integers(-2, 3, shape).astype(dtype_name)
    x = rng.standard_normal(shape).astype(dtype_name)
    if kind == "special":
        x[rng.random(shape) < 0.2] = -np.inf
        x[rng.random(shape) < 0.1] = np.nan
        x[rng.random(shape) < 0.05] = np.inf
    return x


def _check(geo, x, rng):
    shape, kernel, stride, dilation, lo, out = geo
    want = R.max_pool(x, kernel, stride, dilation, lo, out)
    got = K.max_pool(x, kernel, stride, dilation, lo, out)
    for a, b in zip(got, want):
        assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    g = rng.standard_normal(want[0].shape).astype(x.dtype)
    spatial = shape[len(shape) - len(kernel) :]
    back = K.max_pool_backward(g, want[1], spatial)
    ref = R.max_pool_backward(g, want[1], spatial)
    assert back.dtype == ref.dtype and back.shape == ref.shape
    np.testing.assert_array_equal(back, ref)  # the same adds in the same order


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_random_geometries_match_the_reference(n, kind, dtype_name):
    rng = np.random.default_rng(10 * n + len(kind))
    for _ in range(30):
        geo = _geometry(rng, n)
        _check(geo, _values(rng, geo[0], dtype_name, kind), rng)


def test_an_all_minus_inf_window_picks_its_first_entry_inside():
    x = np.full((1, 1, 4), -np.inf)
    values, index = K.max_pool(x, (3,), (1,), (1,), (1,), (4,))
    assert values.tolist() == [[[-np.inf] * 4]]
    assert index.tolist() == [[[0, 0, 1, 2]]]  # torch's indices


def test_the_last_nan_of_a_window_wins():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 5.0]]])
    values, index = K.max_pool(x, (4,), (4,), (1,), (0,), (1,))
    assert np.isnan(values[0, 0, 0]) and index.tolist() == [[[3]]]


def test_threaded_kernels_match(threads_from_any_size, dtype_name):
    rng = np.random.default_rng(5)
    for n in (1, 2, 3):
        for _ in range(10):
            geo = _geometry(rng, n)
            _check(geo, _values(rng, geo[0], dtype_name, "ties"), rng)


def test_a_cnn_sized_case_matches():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 64, 24, 24)).astype(np.float32)
    _check((x.shape, (2, 2), (2, 2), (1, 1), (0, 0), (12, 12)), x, rng)


@pytest.mark.parametrize(
    "x",
    [
        np.arange(48.0).reshape(2, 3, 8)[:, :, ::2],  # not contiguous: copied first
        np.arange(12, dtype=np.int64).reshape(1, 2, 6),  # not float
        np.arange(12, dtype=np.float16).reshape(1, 2, 6),
        np.zeros((0, 2, 5), dtype=np.float32),  # empty
    ],
)
def test_other_inputs(x):
    geo = ((2,), (2,), (1,), (1,), ((x.shape[-1] + 2 - 2) // 2 + 1,))
    want = R.max_pool(x, *geo)
    got = K.max_pool(x, *geo)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    g = np.ones(want[0].shape, dtype=x.dtype)
    np.testing.assert_array_equal(
        K.max_pool_backward(g, want[1], x.shape[-1:]), R.max_pool_backward(g, want[1], x.shape[-1:])
    )


def test_windows_with_no_entry_inside():
    """torch's index for a window with no entry inside (first positions at or past 0, here
    outside the plane), and a backward that skips indices outside the plane."""
    x = np.random.default_rng(7).standard_normal((2, 3, 4, 1)).astype(np.float32)
    geo = ((1, 3), (1, 3), (1, 2), (0, 1), (4, 1))
    _check((x.shape,) + geo, x, np.random.default_rng(8))
    values, index = K.max_pool(x, *geo)
    assert np.isneginf(values).all() and index[0, 0, :, 0].tolist() == [1, 2, 3, 4]
