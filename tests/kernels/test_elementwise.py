"""Elementwise kernels: the active dispatch (compiled or not) against the NumPy reference."""

import numpy as np
import pytest

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

UNARY = ["neg", "exp", "tanh", "sqrt", "sigmoid", "relu", "clone"]
BINARY = ["add", "sub", "mul", "div", "sigmoid_backward", "tanh_backward", "relu_backward"]
# Sizes around the thresholds: empty, tiny, odd, and above the threaded size (2**16).
SIZES = [0, 1, 7, 1000, 4099, (1 << 17) + 5]


def _data(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _same(got, want):
    """Bitwise equal values (the kernels run the reference's loops), same type, dtype and shape."""
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


def _unary(name, x):
    with np.errstate(all="ignore"):
        return getattr(K, name)(x), getattr(R, name)(x)


def _binary(name, x, y):
    with np.errstate(all="ignore"):
        return getattr(K, name)(x, y), getattr(R, name)(x, y)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_contiguous(name, n, dtype_name, rng):
    _same(*_unary(name, _data(rng, n, dtype_name)))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_contiguous(name, n, dtype_name, rng):
    _same(*_binary(name, _data(rng, n, dtype_name), _data(rng, n, dtype_name)))


@pytest.mark.parametrize("name", UNARY)
def test_unary_layouts(name, dtype_name, rng):
    x = _data(rng, (67, 33), dtype_name)
    for v in (
        x.T,
        x[::2],
        x[:, 1:],
        x[::-1],
        np.empty((0, 5), dtype_name),
        x[0, 0],
        np.asarray(x[0, 0]),
    ):
        _same(*_unary(name, v))


@pytest.mark.parametrize("name", BINARY)
def test_binary_layouts(name, dtype_name, rng):
    x = _data(rng, (67, 33), dtype_name)
    y = _data(rng, (67, 33), dtype_name)
    cases = [
        (x.T, y.T),  # transposed
        (x[::2], y[::2]),  # strided
        (x, y.T.copy().T),  # one Fortran-ordered
        (x, y[0]),  # broadcast row
        (x[:, :1], y),  # broadcast column
        (np.empty((0, 3), dtype_name), np.empty((0, 3), dtype_name)),  # 0-size
        (np.empty((0, 3), dtype_name), 2.0),
        (x, 2.5),  # Python scalars on either side
        (-3, y),
        (2.5, y),
        (x, x.dtype.type(1.5)),  # NumPy scalar of the same dtype (a 0-d tensor's data)
        (x.dtype.type(0.5), y),
        (np.asarray(x.dtype.type(0.25)), y),  # 0-d array
        (np.broadcast_to(x[0, 0], x.shape), y),  # expand's view of a scalar gradient
        (np.broadcast_to(x[:1, :1], (5, 67, 33)), y),  # ... that also adds a dim
        (x, np.broadcast_to(y[0, :1], (67, 33))),
        (x[0, 0], y[0, 0]),  # NumPy scalars: the 0-d tensor fast path
        (x, y[:1, :1]),  # one element, broadcast by shape
    ]
    for a, b in cases:
        _same(*_binary(name, a, b))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary_mixed_and_integer_dtypes(name, rng):
    # Other dtypes (and mixed ones, which apply2 never passes but a caller could) take the
    # reference.
    a = rng.integers(1, 9, (5, 6))
    b = rng.integers(1, 9, (5, 6))
    _same(*_binary(name, a, b))
    _same(*_binary(name, a.astype(np.float32), b.astype(np.float64)))
    _same(*_binary(name, a.astype(np.float16), b.astype(np.float16)))
    _same(*_binary(name, a.astype(np.float32), 2**60))


def test_scalar_cast_matches_numpy_weak_promotion(rng):
    # A Python float operand is rounded to the array's dtype first, as NumPy does (NEP 50).
    x = _data(rng, 5000, np.float32)
    _same(*_binary("mul", x, 0.1))
    _same(*_binary("add", 1e-9, x))


def test_special_values(dtype_name):
    x = np.array(
        [0.0, -0.0, 1e-45, 88.7, 89.0, 710.0, -1e4, np.inf, -np.inf, np.nan] * 700, dtype=dtype_name
    )
    for name in UNARY:
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(*_unary(name, x))
    for name in BINARY:
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(*_binary(name, x, x[::-1].copy()))


@pytest.fixture
def threads_from_any_size():
    """Compiled kernels split every array across threads (restoring the measured thresholds)."""
    try:
        from mytorch._ext import _elementwise as ext
    except ImportError:
        yield
        return
    sizes = ext._sizes()
    for name in sizes:
        ext._set_sizes(name, 0, 1)
    yield
    for name, (lo, par) in sizes.items():
        ext._set_sizes(name, lo, par)


@pytest.mark.parametrize("name", UNARY + BINARY)
def test_threaded_loops_match(name, threads_from_any_size, rng):
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(3)
        for n in (1, 63, 64, 65, 1000, 70001):
            x = _data(rng, n, np.float64)
            if name in UNARY:
                _same(*_unary(name, x))
            else:
                _same(*_binary(name, x, _data(rng, n, np.float64)))
                _same(*_binary(name, x, 1.5))
    finally:
        _threads.set_num_threads(before)


def test_thread_count_gives_the_same_result(threads_from_any_size, rng):
    x = _data(rng, (1 << 18) + 11, np.float32)
    y = _data(rng, (1 << 18) + 11, np.float32)
    before = _threads.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            _threads.set_num_threads(n)
            results.append((K.exp(x), K.mul(x, y), K.sigmoid_backward(x, y)))
        for r in results[1:]:
            for got, want in zip(r, results[0]):
                np.testing.assert_array_equal(got, want)
    finally:
        _threads.set_num_threads(before)


def test_results_are_fresh_writable_arrays(rng):
    x = _data(rng, 5000, np.float64)
    out = K.exp(x)
    assert out.flags.writeable and out.flags.owndata and out is not x
    g = np.broadcast_to(np.float64(2.0), x.shape)
    out = K.mul(g, x)
    assert out.flags.writeable and out.shape == x.shape


def test_compiled_overrides_are_active():
    ext = pytest.importorskip("mytorch._ext._elementwise")
    import os

    if os.environ.get("MYTORCH_NO_EXT") == "1":
        pytest.skip("compiled kernels switched off")
    for name in ext.OVERRIDES:
        assert getattr(K, name) is getattr(ext, name)
    assert set(UNARY + BINARY) <= set(ext.OVERRIDES)


def test_compiled_thresholds_are_sane():
    ext = pytest.importorskip("mytorch._ext._elementwise")
    for name, (min_size, par_size) in ext._sizes().items():
        assert 0 <= min_size <= par_size, name
