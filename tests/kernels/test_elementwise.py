"""Elementwise kernels: the active dispatch (compiled or not) against the NumPy reference."""

import numpy as np
import pytest
from helpers import raises

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R
from mytorch._registry import OPS

# Each test compares the active CPU kernels with the NumPy reference (or NumPy itself): skipped
# where the kernels are the reference (tests/conftest.py).
pytestmark = pytest.mark.kernels_vs_reference

UNARY = ["neg", "exp", "tanh", "sqrt", "sigmoid", "relu", "clone"]
BINARY = ["add", "sub", "mul", "div", "sigmoid_backward", "tanh_backward", "relu_backward", "pow"]
COMPARE = ["lt", "le", "gt", "ge", "eq", "ne"]
BINARY += COMPARE
# Sizes around the thresholds: empty, tiny, odd, and above the threaded size (2**16).
SIZES = [0, 1, 7, 1000, 4099, (1 << 17) + 5]


def _data(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _same(got, want):
    """Bitwise equal values (the kernels run the reference's loops), same type, dtype, shape and
    memory layout."""
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    if isinstance(want, np.ndarray) and want.size > 1:
        assert got.strides == want.strides
    np.testing.assert_array_equal(got, want)
    if np.asarray(want).dtype.kind == "f":
        # bitwise: NaN payloads and the sign of zero too
        np.testing.assert_array_equal(_bits(got), _bits(want))


def _bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.itemsize}")


def _kernel(be, name):
    """The kernel of op ``name`` on ``be`` (a method, or its array module's function)."""
    return OPS[name].kernel_on(be) if name in OPS else getattr(be, name)


def _unary(name, x):
    with np.errstate(all="ignore"):
        return _kernel(K, name)(x), _kernel(R, name)(x)


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
            results.append((_kernel(K, "exp")(x), K.mul(x, y), K.sigmoid_backward(x, y)))
        for r in results[1:]:
            for got, want in zip(r, results[0]):
                np.testing.assert_array_equal(got, want)
    finally:
        _threads.set_num_threads(before)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide"])
def test_binary_into_matches_numpy_in_place(name, threads_from_any_size, dtype_name, rng):
    """binary_into writes x op= y into x, bitwise as NumPy's ufunc with out=x: threaded for a
    C-contiguous x with a Python number, a NumPy scalar of x's dtype, an array of x's shape or
    x itself; NumPy's own call for the rest (an overlapping view, another dtype, a broadcast
    operand, a strided x, a read-only x raises as NumPy does)."""
    dt = np.dtype(dtype_name)
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(3)
        base = _data(rng, 70001, dt)
        other = _data(rng, 70001, dt)
        cases = [other, 1.5, 3, dt.type(0.25), None, np.float64(2.0), other[:1], other[::1]]
        for y in cases:
            x, want = base.copy(), base.copy()
            y = x if y is None else y
            yw = want if y is x else y
            getattr(np, name)(want, yw, out=want)
            got = K.binary_into(name, x, y)
            assert got is x
            _same(x, want)
        # an overlapping view of x (NumPy buffers it) and a strided x
        x, want = base.copy(), base.copy()
        getattr(np, name)(want[1:], want[:-1], out=want[1:])
        K.binary_into(name, x[1:], x[:-1])
        _same(x, want)
        x2, want2 = _data(rng, (300, 400), dt), None
        want2 = x2.copy()
        getattr(np, name)(want2[:, ::2], 2.0, out=want2[:, ::2])
        K.binary_into(name, x2[:, ::2], 2.0)
        _same(x2, want2)
        ro = base.copy()
        ro.flags.writeable = False
        with raises(ValueError):
            K.binary_into(name, ro, 1.0)
    finally:
        _threads.set_num_threads(before)


def test_results_are_fresh_writable_arrays(rng):
    x = _data(rng, 5000, np.float64)
    out = _kernel(K, "exp")(x)
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


# --- broadcasting, pow by a scalar, comparisons and where (issue 9) ---------------------------


def _broadcast_cases(rng, dt):
    """(x, y) pairs that broadcast: contiguous, rows, columns, stride-0 views, scalars, 3-d."""
    x = _data(rng, (37, 70), dt)
    y = _data(rng, (37, 70), dt)
    col = _data(rng, (37, 1), dt)
    row = _data(rng, (70,), dt)
    t = _data(rng, (3, 37, 70), dt)
    return [
        (x, y),
        (x, row),  # (M, N) with (N,)
        (row, x),
        (x, row[None]),  # (1, N)
        (x, col),  # (M, 1)
        (col, x),
        (col, row),  # outer product shape
        (row[None], col),
        (np.broadcast_to(row, x.shape), x),  # expanded views, strides (0, 4)
        (x, np.broadcast_to(col, x.shape)),  # strides (4, 0)
        (np.broadcast_to(row, x.shape), np.broadcast_to(col, x.shape)),
        (np.broadcast_to(x, (2, 37, 70)), t[:2]),
        (t, x),  # 3-d with 2-d
        (t, col),
        (t, _data(rng, (3, 1, 70), dt)),
        (_data(rng, (3, 1, 1), dt), t),
        (t, np.broadcast_to(_data(rng, (1, 37, 1), dt), t.shape)),
        (x, 0.75),  # Python scalars on either side
        (-2, x),
        (x, dt(1.5)),  # NumPy scalar of the dtype
        (np.asarray(dt(0.5)), t),  # 0-d array
        (np.broadcast_to(dt(3.0), (5, 1, 70)), x),  # one element, repeated
        (x[:1, :1], t),
    ]


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcast(name, dtype_name, rng):
    dt = np.dtype(dtype_name).type
    for a, b in _broadcast_cases(rng, dt):
        _same(*_binary(name, a, b))


@pytest.mark.parametrize("name", BINARY)
def test_binary_fallbacks(name, dtype_name, rng):
    # Layouts, dtypes and shapes outside the fast path take the reference (same result).
    x = _data(rng, (37, 70), dtype_name)
    other = "float64" if dtype_name == "float32" else "float32"
    cases = [
        (x.T, _data(rng, (70, 37), dtype_name)),  # transposed: NumPy keeps its memory order
        (x.T, _data(rng, (37,), dtype_name)),
        (x[:, ::2], x[:, 1::2]),  # strided
        (x[::-1], x),  # reversed
        (x, x.astype(other)),  # mixed dtypes
        (x, np.float64(2.0) if dtype_name == "float32" else np.float32(2.0)),
        (x, 2**60),  # a Python int a double does not hold exactly
        (x, True),
        (x.astype(">" + x.dtype.str[1:]), x),  # byte-swapped
        (np.empty((0, 70), dtype_name), x[0]),  # empty
        (np.empty((0, 70), dtype_name), 1.0),
        (np.empty((0, 70), dtype_name), np.empty((0, 1), dtype_name)),
        (np.asarray(x[0, 0]), x[1, 1]),  # 0-d result: a NumPy scalar
        (np.asarray(x[0, 0]), np.asarray(x[1, 1])),
        (x[0, 0], 2.0),
    ]
    for a, b in cases:
        _same(*_binary(name, a, b))
    # Shapes that do not broadcast: the reference's error (pow's is a RuntimeError).
    with raises((RuntimeError if name == "pow" else ValueError), match="broadcast"):
        getattr(K, name)(x, x[:, :5])


# Exponents NumPy's power loop or the ndarray ** operator treat specially (2, 0.5, -1, 0, 1, and
# those that round to them in float32), and others.
# fmt: off
EXPONENTS = [
    2, 3, 0.5, -1, 2.5, 0, 1, -2, -0.5, 1 / 3, 4, 10, 0.25, -3, 1e10, np.inf, -np.inf, np.nan,
    2**53 - 1, 2 + 1e-12, 0.5 - 1e-12, -1 + 1e-12,
]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-40, -1e-40, 1e30, -1e30, np.inf, -np.inf, np.nan, 0.5, -2.0]
# fmt: on


def _special(dt):
    return np.array(SPECIAL, dt)


def test_pow_by_scalar(dtype_name, rng):
    dt = np.dtype(dtype_name).type
    x = np.concatenate([_data(rng, 4093, dtype_name) * 3, _special(dt)])
    for e in EXPONENTS:
        for y in (e, dt(e), np.asarray(dt(e)), np.broadcast_to(dt(e), (1, 1))):
            _same(*_binary("pow", x, y))
            _same(*_binary("pow", x[: x.size // 2 * 2].reshape(2, -1), y))
            _same(*_binary("pow", np.broadcast_to(x[:7], (5, 7)), y))


def test_compare_special_values(dtype_name):
    dt = np.dtype(dtype_name).type
    v = _special(dt)
    x, y = np.broadcast_arrays(v[:, None], v[None, :])
    for name in COMPARE:
        _same(*_binary(name, x.copy(), y.copy()))
        _same(*_binary(name, v[:, None], v))
        for s in (np.nan, np.inf, -np.inf, 0.0, -0.0):
            _same(*_binary(name, v, s))
            _same(*_binary(name, s, v))


def test_scalar_rounding_matches_numpy(rng):
    # A Python operand is rounded to the array's dtype (NEP 50), comparisons included.
    x = np.array([0.1, 16777216.0, 16777218.0, 1e-46, 3.4e38], np.float32)
    for name in COMPARE + ["add", "sub", "mul", "div"]:
        for s in (0.1, 16777217, -16777217, 1e-46, 3.4e38, 2**53 - 1):
            _same(*_binary(name, x, s))
            _same(*_binary(name, s, x))


def _where(cond, x, y):
    with np.errstate(all="ignore"):
        return K.where(cond, x, y), R.where(cond, x, y)


def test_where(dtype_name, rng):
    dt = np.dtype(dtype_name).type
    for x, y in _broadcast_cases(rng, dt):
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        cond = rng.random(shape) < 0.5
        _same(*_where(cond, x, y))
        _same(*_where(cond[..., :1], x, y))  # a broadcast condition
        _same(*_where(np.broadcast_to(cond[..., :1], shape), y, x))
        _same(*_where(cond, x, 0.0))
        _same(*_where(cond, -1, y))


def test_where_special_values_and_fallbacks(dtype_name, rng):
    dt = np.dtype(dtype_name).type
    v = _special(dt)
    nan2 = np.array([np.nan], dt)
    nan2.view(f"u{nan2.itemsize}")[0] |= 1  # a NaN with another payload
    cond = np.arange(v.size) % 2 == 0
    _same(*_where(cond, v, v[::-1].copy()))
    _same(*_where(cond, np.nan, v))
    _same(*_where(~cond, v, nan2))
    _same(*_where(np.ones(3, bool), nan2, 0.0))
    other = np.float64 if dt is np.float32 else np.float32
    x = _data(rng, (9, 4), dtype_name)
    for c, a, b in [
        (cond.astype(np.int8), v, v),  # not a bool condition
        (cond, v, v.astype(other)),  # mixed dtypes
        (cond, v, other(1)),
        (cond, 1.0, 2.0),  # no array value: float64 from two Python floats
        (cond.tolist(), v, v),
        (np.bool_(True), x, 2.0),  # NumPy bool scalar condition
        (np.asarray(True), np.asarray(dt(1)), 2.0),  # 0-d result: stays a 0-d array
        (np.empty((0, 4), bool), x[:1], 0.0),  # empty
        (x.T > 0, x.T, 0.0),  # transposed
        (x[:8:2] > 0, x[:8:2], x[1::2]),  # strided
    ]:
        _same(*_where(c, a, b))
    with raises(ValueError):
        K.where(cond, x, 0.0)


@pytest.mark.parametrize("name", BINARY + ["where"])
def test_threaded_broadcast_matches(name, threads_from_any_size, rng):
    # Every size split across threads, at thread starts inside rows of odd lengths.
    before = _threads.get_num_threads()
    try:
        for nt in (2, 3):
            _threads.set_num_threads(nt)
            for dt in (np.float32, np.float64):
                for a, b in _broadcast_cases(rng, dt) + [
                    (_data(rng, (1000, 3), dt), _data(rng, (3,), dt)),
                    (_data(rng, (2, 100003), dt), _data(rng, (2, 1), dt)),
                    (_data(rng, 70001, dt), dt(0.5)),
                ]:
                    if name == "where":
                        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
                        _same(*_where(rng.random(shape) < 0.5, a, b))
                    elif name == "pow":
                        for e in (2, 2.5, 0.5, -1, 3, 1 / 3):
                            _same(*_binary(name, a, e))
                    else:
                        _same(*_binary(name, a, b))
    finally:
        _threads.set_num_threads(before)


@pytest.fixture
def no_fallback(monkeypatch):
    """Make the compiled kernels' reference fallbacks fail: the fast path must take the call."""
    ext = pytest.importorskip("mytorch._ext._elementwise")
    import os

    if os.environ.get("MYTORCH_NO_EXT") == "1":
        pytest.skip("compiled kernels switched off")

    def forbid(name):
        def fallback(*args):
            raise AssertionError(f"{name} fell back to the reference")

        monkeypatch.setattr(ext, "_ref_" + name, fallback)

    return forbid


@pytest.mark.parametrize("name", BINARY + ["where"])
def test_broadcast_cases_take_the_fast_path(name, no_fallback, dtype_name, rng):
    dt = np.dtype(dtype_name).type
    cases = _broadcast_cases(rng, dt)
    no_fallback(name)
    for a, b in cases:
        if name == "where":
            cond = rng.random(np.broadcast_shapes(np.shape(a), np.shape(b))) < 0.5
            K.where(cond, a, b)
        elif name == "pow":
            if isinstance(a, np.ndarray) and a.ndim:
                K.pow(a, 2.5)
                K.pow(a, b if np.size(b) == 1 else dt(2))
        elif not (name == "relu_backward" and not isinstance(a, (np.ndarray, dt))):
            with np.errstate(all="ignore"):
                getattr(K, name)(a, b)
