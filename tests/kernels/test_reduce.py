"""Reduction kernels (sum, mean, amax, var, sum_to): the active dispatch against the NumPy
reference."""

import itertools

import numpy as np
import pytest
from helpers import raises

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

# Each test compares the active CPU kernels with the NumPy reference (or NumPy itself): skipped
# where the kernels are the reference (tests/conftest.py).
pytestmark = pytest.mark.kernels_vs_reference

SHAPES = [
    (7,),
    (1,),
    (0,),
    (5, 0),
    (3, 4),
    (1, 9),
    (9, 1),
    (2, 3, 4),
    (3, 1, 5, 2),
    (300, 257),
    (3, 70000),
]


def _close(got, want, dtype, scale=None):
    """got against the reference's want. A sum's rounding depends on its order (the kernels'
    is not NumPy's pairwise one), so with ``scale`` (the sum of |x| that made each value) the
    tolerance is a few ulps of that scale instead."""
    assert type(got) is type(want), (type(got), type(want))
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    tol = 2e-6 if np.dtype(dtype) == np.float32 else 1e-13
    if scale is None:
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        return
    atol = tol + 8 * np.finfo(dtype).eps * np.asarray(scale)
    ok = np.isclose(got, want, rtol=tol, atol=atol, equal_nan=True)
    assert np.all(ok), (np.asarray(got)[~ok], np.asarray(want)[~ok], np.asarray(atol)[~ok])


def _scale(name, x, dim, keepdim):
    """The sum (for mean: the mean) of |x| behind each result of a sum or mean; None for
    other reductions."""
    if name not in ("sum", "mean"):
        return None
    with np.errstate(all="ignore"):
        return getattr(R, name)(np.abs(np.asarray(x, dtype=np.float64)), dim, keepdim)


def _dims(nd):
    yield None
    for r in range(1, nd + 1):
        yield from itertools.combinations(range(nd), r)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference on empty slices
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
def test_dim_reductions(name, shape, dtype_name, rng):
    x = rng.standard_normal(shape).astype(dtype_name)
    for dim in _dims(len(shape)):
        for keepdim in (False, True):
            try:
                want = getattr(R, name)(x, dim, keepdim)
            except ValueError:  # amax of an empty reduction
                with raises(ValueError):
                    getattr(K, name)(x, dim, keepdim)
                continue
            with np.errstate(all="ignore"):
                got = getattr(K, name)(x, dim, keepdim)
                _close(got, want, dtype_name, _scale(name, x, dim, keepdim))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference where N - correction <= 0
@pytest.mark.parametrize("shape", SHAPES)
def test_var(shape, dtype_name, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype_name)
    for dim in _dims(len(shape)):
        for keepdim in (False, True):
            for correction in (0, 1, 2.5):
                with np.errstate(all="ignore"):
                    got = K.var(x, dim, correction, keepdim)
                    want = np.var(x, axis=dim, ddof=correction, keepdims=keepdim)
                _close(got, want, dtype_name)
                assert R.var(x, dim, correction, keepdim).dtype == want.dtype


def test_var_layouts(dtype_name, rng):
    x = rng.standard_normal((40, 30)).astype(dtype_name)
    for v in (x.T, x[::2], np.broadcast_to(x[0], (5, 30)), x[0, 0], np.asarray(x[0, 0])):
        c = 1 if np.ndim(v) else 0  # a 0-d input: N = 1
        for dim in (None, (0,)) if np.ndim(v) else (None,):
            _close(K.var(v, dim, c, False), np.var(v, axis=dim, ddof=c), dtype_name)
    x[3, 4] = np.nan
    x[5, 6] = np.inf
    for dim in (None, (0,), (1,)):
        with np.errstate(all="ignore"):
            got, want = K.var(x, dim, 1, False), np.var(x, axis=dim, ddof=1)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
def test_layouts_and_dtypes(name, dtype_name, rng):
    x = rng.standard_normal((40, 30)).astype(dtype_name)
    for v in (
        x.T,
        x[::2],
        x[:, ::-1],
        np.broadcast_to(x[0], (5, 30)),
        x[0, 0],
        np.asarray(x[0, 0]),
    ):
        for dim in (None, (0,)) if np.ndim(v) else (None,):
            _close(
                getattr(K, name)(v, dim, False),
                getattr(R, name)(v, dim, False),
                dtype_name,
                _scale(name, v, dim, False),
            )
    i = rng.integers(-5, 5, (4, 6))
    np.testing.assert_array_equal(
        getattr(K, name)(i, (1,), False), getattr(R, name)(i, (1,), False)
    )


def test_nan_and_inf_propagate(dtype_name):
    x = np.arange(200_000, dtype=dtype_name).reshape(2, 100_000)
    x[1, 5] = np.nan
    x[0, 7] = np.inf
    for name in ("sum", "mean", "amax"):
        for dim in (None, (1,), (0,)):
            want = getattr(R, name)(x, dim, False)
            got = getattr(K, name)(x, dim, False)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_array_equal(np.isinf(got), np.isinf(want))


@pytest.mark.parametrize(
    "src,dst",
    [
        ((3, 4), (4,)),
        ((3, 4), (3, 1)),
        ((3, 4), (1, 4)),
        ((3, 4), ()),
        ((3, 4), (1, 1)),
        ((2, 3, 4), (3, 4)),
        ((2, 3, 4), (4,)),
        ((2, 3, 4), (3, 1)),  # two blocks of dims: one at a time
        ((2, 3, 4), (1, 3, 1)),
        ((5, 1, 4), (1, 4)),
        ((512, 1024), (1024,)),
        ((300_000,), (1,)),
        ((0, 4), (4,)),
        ((3, 4), (3, 4)),
    ],
)
def test_sum_to(src, dst, dtype_name, rng):
    x = rng.standard_normal(src).astype(dtype_name)
    want = R.sum_to(x, dst)
    got = K.sum_to(x, dst)
    _close(got, want, dtype_name, R.sum_to(np.abs(x.astype(np.float64)), dst))
    assert np.shape(got) == dst
    if src == dst:
        assert got is x
    _close(
        K.sum_to(np.broadcast_to(x, (2,) + src), dst),
        R.sum_to(np.broadcast_to(x, (2,) + src), dst),
        dtype_name,
        2 * R.sum_to(np.abs(x.astype(np.float64)), dst),
    )


@pytest.fixture
def threads_from_any_size():
    try:
        from mytorch._ext import _reduce as ext
    except ImportError:
        yield
        return
    prev = ext._set_par_size(1)
    yield
    ext._set_par_size(prev)


@pytest.mark.parametrize(
    "shape,dim",
    [
        ((100_003,), None),
        ((7, 1001), (1,)),
        ((5, 3, 64), (1,)),
        ((9, 4), (0,)),
        ((6, 5, 300), (0, 2)),
        ((3, 4, 5, 6), (0, 2)),
        ((2, 3, 4, 5, 6), (0, 2, 4)),
    ],
)
def test_threaded_reductions_match(shape, dim, threads_from_any_size, rng):
    x = rng.standard_normal(shape)
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(3)
        for name in ("sum", "mean", "amax"):
            _close(
                getattr(K, name)(x, dim, False),
                getattr(R, name)(x, dim, False),
                np.float64,
                _scale(name, x, dim, False),
            )
    finally:
        _threads.set_num_threads(before)


# Block reductions (the reduced dims followed by others): a leading dim (one block, split into
# column tiles), middle dims (several blocks), blocks wider than one tile (TILE_BYTES), narrow
# ones, and more blocks than threads.
BLOCKS = [
    ((64, 300), (0,)),
    ((2, 1, 5, 3000), (0, 1)),
    ((3, 50, 70), (1,)),
    ((7, 9, 6000), (1,)),
    ((4, 3, 5, 9), (1, 2)),
    ((5000, 3), (0,)),
    ((20, 10, 40), (1,)),
    ((3, 2, 9000), (0,)),
]


@pytest.mark.parametrize("nt", [2, 3])
@pytest.mark.parametrize("shape,dim", BLOCKS)
def test_threaded_blocks_equal_numpy(shape, dim, nt, threads_from_any_size, dtype_name, rng):
    """Threads split blocks into column tiles, each summed row by row: NumPy's order, so the
    same results, bit for bit (var too: np.var sums the squares the same way)."""
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype_name)
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(nt)
        for name in ("sum", "mean", "amax"):
            got = getattr(K, name)(x, dim, False)
            np.testing.assert_array_equal(got, getattr(R, name)(x, dim, False))
        for correction in (0, 1):
            got = K.var(x, dim, correction, True)
            np.testing.assert_array_equal(got, np.var(x, axis=dim, ddof=correction, keepdims=True))
        keep = tuple(1 if d in dim else s for d, s in enumerate(shape))
        np.testing.assert_array_equal(K.sum_to(x, keep), R.sum_to(x, keep))
    finally:
        _threads.set_num_threads(before)


@pytest.mark.parametrize(
    "shape,dim", [((100_003,), None), ((7, 1001), (1,)), ((2, 3, 4), (0, 2)), ((5, 3, 64), (1,))]
)
def test_threaded_var_matches(shape, dim, threads_from_any_size, rng):
    x = rng.standard_normal(shape).astype(np.float32) + 10
    before = _threads.get_num_threads()
    try:
        for nt in (1, 2, 3):
            _threads.set_num_threads(nt)
            _close(K.var(x, dim, 1, False), np.var(x, axis=dim, ddof=1), np.float32)
    finally:
        _threads.set_num_threads(before)


def test_thread_count_gives_close_results(threads_from_any_size, rng):
    x = rng.standard_normal((3, 200_001)).astype(np.float32)
    before = _threads.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            _threads.set_num_threads(n)
            results.append(
                [
                    K.sum(x, None, False),
                    K.sum(x, (1,), False),
                    K.sum(x, (0,), False),
                    K.amax(x, None, False),
                ]
            )
    finally:
        _threads.set_num_threads(before)
    for r in results[1:]:
        for got, want in zip(r, results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-5)


def test_compiled_reductions_are_active():
    ext = pytest.importorskip("mytorch._ext._reduce")
    import os

    if os.environ.get("MYTORCH_NO_EXT") == "1":
        pytest.skip("compiled kernels switched off")
    for name in ext.OVERRIDES:
        assert getattr(K, name) is getattr(ext, name)


@pytest.mark.parametrize("shape, dim", [((1 << 20,), None), ((64, 5000), (1,)), ((3, 17), (1,))])
def test_float32_sums_stay_accurate(shape, dim, rng):
    """The kernels' sums (16 float32 lanes over short stretches, blocks added in double) stay
    within a few ulps of the float64 sum, sum |x| being the scale."""
    x = (rng.standard_normal(shape) + 0.25).astype(np.float32)
    exact = np.sum(x.astype(np.float64), axis=dim)
    scale = np.sum(np.abs(x.astype(np.float64)), axis=dim)
    got = np.asarray(K.sum(x, dim, False), dtype=np.float64)
    assert np.all(np.abs(got - exact) <= 4 * np.finfo(np.float32).eps * scale)
