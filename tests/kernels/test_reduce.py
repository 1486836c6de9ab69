"""Reduction kernels (sum, mean, amax, sum_to): the active dispatch against the NumPy reference."""

import itertools

import numpy as np
import pytest

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

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


def _close(got, want, dtype):
    assert type(got) is type(want), (type(got), type(want))
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    tol = 2e-6 if np.dtype(dtype) == np.float32 else 1e-13
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


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
                with pytest.raises(ValueError):
                    getattr(K, name)(x, dim, keepdim)
                continue
            with np.errstate(all="ignore"):
                _close(getattr(K, name)(x, dim, keepdim), want, dtype_name)


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
            _close(getattr(K, name)(v, dim, False), getattr(R, name)(v, dim, False), dtype_name)
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
        ((2, 3, 4), (3, 1)),  # two blocks of dims: the reference
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
    _close(got, want, dtype_name)
    assert np.shape(got) == dst
    if src == dst:
        assert got is x
    _close(
        K.sum_to(np.broadcast_to(x, (2,) + src), dst),
        R.sum_to(np.broadcast_to(x, (2,) + src), dst),
        dtype_name,
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
    "shape,dim", [((100_003,), None), ((7, 1001), (1,)), ((5, 3, 64), (1,)), ((9, 4), (0,))]
)
def test_threaded_reductions_match(shape, dim, threads_from_any_size, rng):
    x = rng.standard_normal(shape)
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(3)
        for name in ("sum", "mean", "amax"):
            _close(getattr(K, name)(x, dim, False), getattr(R, name)(x, dim, False), np.float64)
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
