"""The compiled batched loops (mytorch._ext._blas): products and solves split across threads, one
single-threaded BLAS/LAPACK call per matrix, against the NumPy reference."""

import numpy as np
import pytest
from helpers import raises

import mytorch
from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.base import _LinAlgError
from mytorch._backends.reference import NUMPY

pytestmark = pytest.mark.kernels_vs_reference

ext = pytest.importorskip("mytorch._ext._blas")
torch = pytest.importorskip("torch")
HOOKS = _threads._scipy_blas_hooks() != (0, 0)


@pytest.fixture(params=["threads", "one loop"])
def mode(request):
    """Every batch split across 3 threads (the thresholds at zero), or every batch on one."""
    before = _threads.get_num_threads()
    prev = ext._set_par_sizes(0, 0)
    _threads.set_num_threads(3 if request.param == "threads" else 1)
    yield request.param
    _threads.set_num_threads(before)
    ext._set_par_sizes(*prev)


def _tol(dtype, k):
    return (1e-5, 1e-5 * max(1, k)) if dtype == np.float32 else (1e-12, 1e-12 * max(1, k))


def _check_matmul(a, b):
    want = np.matmul(a, b)
    got = K.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    rtol, atol = _tol(want.dtype, a.shape[-1])
    np.testing.assert_allclose(got, want, rtol=rtol * 10, atol=atol)


def _spd(rng, shape, dtype):
    n = shape[-1]
    a = rng.standard_normal(shape) + np.eye(n) * 2 * n**0.5
    return a.astype(dtype)


def _check_solve(a, b):
    want = NUMPY.linalg_solve(a, b)
    got = K.linalg_solve(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    rtol, atol = _tol(want.dtype, a.shape[-1])
    np.testing.assert_allclose(got, want, rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((6, 5, 7), (6, 7, 3)),
        ((4, 128, 128), (4, 128, 128)),  # each product above NUMPY_FROM
        ((2, 1, 3, 4), (5, 4, 6)),  # broadcast batch dims
        ((3, 4), (7, 4, 5)),  # a shared matrix
        ((9, 1, 6), (9, 6, 1)),  # vector-like products (gemv)
        ((5, 4, 6), (6,)),
    ],
)
def test_matmul_batches(sa, sb, dtype_name, rng, mode):
    a = rng.standard_normal(sa).astype(dtype_name)
    b = rng.standard_normal(sb).astype(dtype_name)
    _check_matmul(a, b)
    if a.ndim >= 2:
        _check_matmul(np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2), b)  # column-major
    if b.ndim >= 2:
        _check_matmul(a, np.swapaxes(b, -1, -2).copy().swapaxes(-1, -2))


def test_matmul_strided_batches(dtype_name, rng, mode):
    a = rng.standard_normal((8, 10, 12)).astype(dtype_name)
    b = rng.standard_normal((8, 12, 9)).astype(dtype_name)
    _check_matmul(a[::2, ::2], b[::2, :, :6])  # strided batch and rows
    _check_matmul(a[:, :, ::2], b[:, ::2])  # no unit stride: copied
    _check_matmul(np.broadcast_to(a[0], (8, 10, 12)), b)


def test_matmul_matches_the_one_loop_exactly(rng):
    """The same BLAS call per matrix whichever thread runs it: the same bits."""
    a = rng.standard_normal((16, 33, 40)).astype(np.float32)
    b = rng.standard_normal((16, 40, 17)).astype(np.float32)
    before = _threads.get_num_threads()
    prev = ext._set_par_sizes(0, 0)
    try:
        _threads.set_num_threads(1)
        one = K.matmul(a, b)
        _threads.set_num_threads(4)
        four = K.matmul(a, b)
    finally:
        _threads.set_num_threads(before)
        ext._set_par_sizes(*prev)
    np.testing.assert_array_equal(one, four)


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((5, 6, 6), (5, 6, 2)),
        ((7, 1, 1), (7, 1, 3)),
        ((3, 1, 8, 8), (4, 8, 1)),  # broadcast batch dims
        ((8, 8), (6, 8, 3)),  # one matrix, a batch of right-hand sides
        ((4, 9, 9), (9, 5)),
        ((2, 64, 64), (2, 64, 4)),
    ],
)
def test_solve_batches(sa, sb, dtype_name, rng, mode):
    a = _spd(rng, sa, dtype_name)
    b = rng.standard_normal(sb).astype(dtype_name)
    _check_solve(a, b)
    _check_solve(np.swapaxes(a, -1, -2).copy().swapaxes(-1, -2), b)  # column-major
    _check_solve(a, np.swapaxes(b, -1, -2).copy().swapaxes(-1, -2))


def test_solve_strided_and_broadcast_views(dtype_name, rng, mode):
    a = _spd(rng, (6, 10, 10), dtype_name)
    b = rng.standard_normal((6, 10, 7)).astype(dtype_name)
    _check_solve(a[::2], b[::2, :, ::3])
    _check_solve(np.swapaxes(a, -1, -2), b)  # a transposed view
    big = np.zeros((6, 20, 20), dtype_name)
    big[:, ::2, ::2] = a
    _check_solve(big[:, ::2, ::2], b)  # no unit stride
    _check_solve(np.broadcast_to(a[0], (6, 10, 10)), b)


def test_solve_takes_the_reference_outside_its_path(rng):
    a = _spd(rng, (3, 4, 4), np.float32)
    for b in (rng.standard_normal((3, 4, 2)), rng.integers(0, 3, (3, 4, 2))):  # mixed dtypes
        np.testing.assert_array_equal(K.linalg_solve(a, b), NUMPY.linalg_solve(a, b))
    c = _spd(rng, (2, 3, 3), np.complex128)
    d = rng.standard_normal((2, 3, 1)).astype(np.complex128)
    np.testing.assert_array_equal(K.linalg_solve(c, d), NUMPY.linalg_solve(c, d))
    empty = np.zeros((0, 4, 4), np.float32), np.zeros((0, 4, 1), np.float32)
    assert K.linalg_solve(*empty).shape == NUMPY.linalg_solve(*empty).shape
    big = _spd(rng, (2, 300, 300), np.float64)  # above the size the batched loop takes
    _check_solve(big, rng.standard_normal((2, 300, 1)))


@pytest.mark.parametrize("where", [0, 4, 7])
def test_solve_singular_raises_the_references_error(where, dtype_name, rng, mode):
    a = _spd(rng, (8, 5, 5), dtype_name)
    a[where, 2] = a[where, 1] * 2  # two proportional rows: an exactly zero pivot
    a[where, :, 3] = 0
    b = rng.standard_normal((8, 5, 2)).astype(dtype_name)
    with raises(_LinAlgError) as info:
        NUMPY.linalg_solve(a, b)
    with raises(_LinAlgError, match=str(info.value)):
        K.linalg_solve(a, b)


def test_solve_singular_as_torch(mode):
    """linalg.solve on a batch holding a singular matrix raises torch's error (LinAlgError)."""
    a = np.tile(np.eye(4), (6, 1, 1))
    a[3] = 0
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.solve(torch.tensor(a), torch.ones(6, 4, 2, dtype=torch.float64))
    rhs = mytorch.ones(6, 4, 2, dtype=mytorch.float64)
    with raises(mytorch.linalg.LinAlgError):
        mytorch.linalg.solve(mytorch.tensor(a), rhs)
    x, info = mytorch.linalg.solve_ex(mytorch.tensor(a), rhs)
    assert info.tolist() == [0, 0, 0, 1, 0, 0]
    assert np.isnan(x.numpy()[3]).all() and (x.numpy()[[0, 1, 2, 4, 5]] == 1).all()


def test_solve_as_torch(dtype_name, rng, mode):
    a = _spd(rng, (3, 1, 16, 16), dtype_name)
    b = rng.standard_normal((4, 16, 3)).astype(dtype_name)
    got = mytorch.linalg.solve(mytorch.tensor(a), mytorch.tensor(b))
    want = torch.linalg.solve(torch.tensor(a), torch.tensor(b))
    assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
    rtol, atol = _tol(a.dtype, 16)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol * 10, atol=atol * 10)
    vec = rng.standard_normal((3, 1, 16)).astype(dtype_name)
    got = mytorch.linalg.solve(mytorch.tensor(a), mytorch.tensor(vec))
    want = torch.linalg.solve(torch.tensor(a), torch.tensor(vec))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol * 10, atol=atol * 10)


@pytest.mark.skipif(not HOOKS, reason="SciPy runs on a BLAS other than its bundled OpenBLAS")
def test_blas_thread_count_is_restored():
    from threadpoolctl import threadpool_info

    def scipy_blas():
        return [i["num_threads"] for i in threadpool_info() if "scipy.libs" in i["filepath"]]

    before = _threads.get_num_threads()
    prev = ext._set_par_sizes(0, 0)
    try:
        _threads.set_num_threads(2)
        counts = scipy_blas()
        rng = np.random.default_rng(0)
        K.matmul(*(rng.standard_normal((4, 8, 8)) for _ in range(2)))
        K.linalg_solve(_spd(rng, (4, 8, 8), np.float64), rng.standard_normal((4, 8, 1)))
        assert scipy_blas() == counts
    finally:
        _threads.set_num_threads(before)
        ext._set_par_sizes(*prev)


def test_hooks_found_with_scipys_openblas():
    from threadpoolctl import threadpool_info

    bundled = any(
        i["internal_api"] == "openblas" and "scipy.libs" in i["filepath"] for i in threadpool_info()
    )
    assert HOOKS == bundled


def _check_lu(a):
    want_lu, want_piv = NUMPY.linalg_lu_factor(a)
    got_lu, got_piv = K.linalg_lu_factor(a)
    assert got_lu.shape == want_lu.shape and got_lu.dtype == want_lu.dtype
    assert got_piv.shape == want_piv.shape and got_piv.dtype == want_piv.dtype == np.int32
    np.testing.assert_array_equal(got_piv, want_piv)
    rtol, atol = _tol(a.dtype, a.shape[-1])
    np.testing.assert_allclose(got_lu, want_lu, rtol=rtol * 10, atol=atol * 10)


@pytest.mark.parametrize("shape", [(5, 6, 6), (3, 2, 7, 7), (4, 5, 3), (4, 3, 5), (1, 1), (9, 9)])
def test_lu_factor(shape, dtype_name, rng, mode):
    a = rng.standard_normal(shape).astype(dtype_name)
    _check_lu(a)
    _check_lu(np.swapaxes(a, -1, -2).copy().swapaxes(-1, -2))  # column-major
    if a.ndim > 2:
        _check_lu(a[::2])  # a strided batch
        _check_lu(np.swapaxes(a, 0, -1).copy().swapaxes(0, -1))  # batch dims that do not merge


def test_lu_factor_singular_and_fallbacks(rng, mode):
    a = rng.standard_normal((4, 5, 5))
    a[1, :, 2] = 0  # singular: factored all the same, a zero on U's diagonal
    _check_lu(a)
    assert (np.diagonal(K.linalg_lu_factor(a)[0][1]) == 0).any()
    c = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))
    for b in (c, np.zeros((0, 3, 3)), np.zeros((2, 0, 3)), rng.standard_normal((2, 300, 300))):
        for got, want in zip(K.linalg_lu_factor(b), NUMPY.linalg_lu_factor(b)):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


def test_lu_factor_as_torch(dtype_name, rng, mode):
    a = rng.standard_normal((6, 12, 12)).astype(dtype_name)
    lu, piv = mytorch.linalg.lu_factor(mytorch.tensor(a))
    tlu, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    assert piv.tolist() == tpiv.tolist() and str(piv.dtype) == str(tpiv.dtype)
    rtol, atol = _tol(a.dtype, 12)
    np.testing.assert_allclose(lu.numpy(), tlu.numpy(), rtol=rtol * 10, atol=atol * 10)
    info = mytorch.linalg.inv_ex(mytorch.tensor(np.zeros((2, 3, 3), dtype_name)))[1]
    assert info.tolist() == torch.linalg.inv_ex(torch.zeros(2, 3, 3)).info.tolist()
