"""Matmul kernel: the active dispatch (SciPy BLAS when compiled) against np.matmul."""

import itertools

import numpy as np
import pytest
from helpers import raises

from mytorch._backends import CPU as K

# Each test compares the active CPU kernels with the NumPy reference (or NumPy itself): skipped
# where the kernels are the reference (tests/conftest.py).
pytestmark = pytest.mark.kernels_vs_reference


def _check(a, b):
    want = np.matmul(a, b)
    got = K.matmul(a, b)
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    k = a.shape[-1]
    tol = 1e-5 if np.asarray(want).dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol * 10, atol=tol * max(1, k))


def _layouts(x):
    """The same matrix stored row-major, column-major, and with a padded leading dim."""
    yield x
    yield np.asfortranarray(x)
    rows, cols = x.shape
    padded = np.zeros((rows, cols + 3), x.dtype)
    padded[:, :cols] = x
    yield padded[:, :cols]
    padded_f = np.zeros((rows + 2, cols), x.dtype, order="F")
    padded_f[:rows] = x
    yield padded_f[:rows]


@pytest.mark.parametrize(
    "m,k,n", list(itertools.product([0, 1, 3, 17], [0, 1, 5, 33], [0, 1, 4, 19]))
)
def test_2d_all_layouts(m, k, n, dtype_name, rng):
    a = rng.standard_normal((m, k)).astype(dtype_name)
    b = rng.standard_normal((k, n)).astype(dtype_name)
    for x in _layouts(a):
        for y in _layouts(b):
            _check(x, y)


def test_strided_and_reversed(dtype_name, rng):
    a = rng.standard_normal((20, 30)).astype(dtype_name)
    b = rng.standard_normal((30, 12)).astype(dtype_name)
    _check(a[:, ::2], b[::2])  # no unit stride: copied
    _check(a[::-1], b)  # negative stride: copied
    _check(a[::3], b[:, ::-1])
    _check(a.T, a)  # A.T @ A shares memory


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((7,), (7,)),  # dot: a NumPy scalar
        ((0,), (0,)),
        ((7,), (7, 3)),
        ((4, 7), (7,)),
        ((2, 3, 7), (7,)),
        ((7,), (2, 7, 3)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 6)),
        ((2, 3, 4), (1, 4, 5)),
        ((7, 1, 3, 4), (1, 6, 4, 2)),
        ((0, 3, 4), (4, 5)),
        ((2, 3, 0), (2, 0, 5)),
        ((3, 1, 4), (1, 4, 1)),
    ],
)
def test_1d_and_batched_broadcast(sa, sb, dtype_name, rng):
    a = rng.standard_normal(sa).astype(dtype_name)
    b = rng.standard_normal(sb).astype(dtype_name)
    _check(a, b)
    if a.ndim >= 2:
        _check(np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2), b)  # transposed storage
    if b.ndim >= 2:
        _check(a, np.swapaxes(np.swapaxes(b, -1, -2).copy(), -1, -2))


def test_broadcast_view_batches(dtype_name, rng):
    a = np.broadcast_to(rng.standard_normal((3, 4)).astype(dtype_name), (5, 3, 4))
    b = rng.standard_normal((5, 4, 2)).astype(dtype_name)
    _check(a, b)
    _check(
        b.transpose(0, 2, 1),
        np.broadcast_to(rng.standard_normal((4, 1)).astype(dtype_name), (5, 4, 1)),
    )


def test_large_matches_reference(rng):
    a = rng.standard_normal((300, 257)).astype(np.float32)
    b = rng.standard_normal((257, 129)).astype(np.float32)
    _check(a, b)
    _check(a.T.copy().T, b.T.copy().T)
    _check(a, b[:, 0])  # matrix-vector (gemv)
    _check(b[:, 0], rng.standard_normal((257, 300)).astype(np.float32))


def test_other_dtypes_take_the_reference(rng):
    a = rng.integers(-5, 5, (4, 3))
    b = rng.integers(-5, 5, (3, 2))
    np.testing.assert_array_equal(K.matmul(a, b), a @ b)
    h = a.astype(np.float16)
    np.testing.assert_array_equal(K.matmul(h, b.astype(np.float16)), h @ b.astype(np.float16))


@pytest.mark.parametrize("sa,sb", [((3, 4), (5, 6)), ((2, 3, 4), (3, 4, 5)), ((4,), (5,))])
def test_shape_mismatch_raises_like_numpy(sa, sb):
    with raises(ValueError):
        K.matmul(np.ones(sa, np.float32), np.ones(sb, np.float32))


def test_thread_count_gives_close_results(rng, use_threads):
    a = rng.standard_normal((256, 256)).astype(np.float64)
    use_threads(1)
    one = K.matmul(a, a)
    use_threads(2)
    two = K.matmul(a, a)
    np.testing.assert_allclose(one, two, rtol=1e-12, atol=1e-12)


def test_compiled_matmul_is_active():
    ext = pytest.importorskip("mytorch._ext._blas")
    import os

    if os.environ.get("MYTORCH_NO_EXT") == "1":
        pytest.skip("compiled kernels switched off")
    assert K.matmul is ext.matmul


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(64, 64, 127), (64, 64, 128), (32, 128, 512), (3, 2, 87382)])
def test_both_sides_of_the_numpy_threshold(m, k, n, dtype):
    """Products below 2^19 multiply-adds run the BLAS loop, from it a split across threads (or
    NumPy's matmul): all give NumPy's values, batched too."""
    rng = np.random.default_rng(m * n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    _check(a, b)
    _check(np.stack([a, a[::-1]]), b)


@pytest.fixture(params=[2, 3], ids=["2threads", "3threads"])
def split_threads(request, use_threads):
    use_threads(request.param)
    return request.param


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((300, 700), (700, 40)),  # more rows than columns: rows split
        ((40, 700), (700, 300)),  # columns split
        ((20, 2000), (2000, 33)),  # a last block of one column
        ((33, 2000), (2000, 20)),  # ... of one row
        ((2048,), (2048, 513)),  # vector-matrix
        ((513, 2048), (2048,)),  # matrix-vector
        ((1, 200, 300), (300, 100)),  # a batch of one
    ],
)
@pytest.mark.parametrize("split", [True, False], ids=["split", "numpy"])
def test_products_split_across_threads_match_numpy(sa, sb, split, split_threads, dtype_name, rng):
    """Products from 2^19 multiply-adds that no batch splits: each result's blocks computed by
    one thread each (or, with the split switched off, NumPy's matmul), on every layout of the
    operands."""
    ext = pytest.importorskip("mytorch._ext._blas")
    prev = ext._set_split_sizes(*((1 << 19, 1 << 62, 1 << 62) if split else (1 << 62,) * 3))
    try:
        a = rng.standard_normal(sa).astype(dtype_name)
        b = rng.standard_normal(sb).astype(dtype_name)
        _check(a, b)
        if a.ndim == 2 and b.ndim == 2:
            _check(np.asfortranarray(a), np.asfortranarray(b))
            _check(a[:, ::-1], b[::-1])
    finally:
        ext._set_split_sizes(*prev)


@pytest.mark.parametrize("kernel", [True, False], ids=["avx512-kernel", "blas"])
def test_small_float32_products_match_numpy(kernel, rng):
    """Float32 products with row-major operands, the right one's rows a multiple of 64 and in
    cache, take csrc/_small_gemm.pxd's kernel where the CPU has AVX-512 (4-row blocks and a
    remainder, leading dims wider than the rows, batches); BLAS where switched off."""
    ext = pytest.importorskip("mytorch._ext._blas")
    prev = ext._set_small_gemm(kernel)
    try:
        wide_a = rng.standard_normal((37, 260)).astype(np.float32)
        wide_b = rng.standard_normal((200, 192)).astype(np.float32)
        _check(wide_a[:, :200], wide_b[:, :128])  # lda 260, ldb 192
        _check(rng.standard_normal((6, 64)).astype(np.float32),
               rng.standard_normal((64, 64)).astype(np.float32))  # fmt: skip
        a = rng.standard_normal((8, 33, 128)).astype(np.float32)
        b = rng.standard_normal((8, 128, 128)).astype(np.float32)
        _check(a, b)  # a batch split across threads
        _check(a[0], b)  # one left operand broadcast over the batch
    finally:
        ext._set_small_gemm(prev)


@pytest.mark.parametrize("kernel", [True, False], ids=["avx512-kernels", "blas"])
@pytest.mark.parametrize(
    "m, k, n",
    [(16, 16, 64), (128, 784, 256), (256, 128, 784), (37, 300, 131), (131, 100, 67), (70, 33, 200)],
)  # fmt: skip
def test_packed_float32_products_match_numpy(kernel, m, k, n, split_threads, rng):
    """Float32 products from 16 x 16 x 64 take csrc/_packed_gemm.pxd's kernel where the CPU has
    AVX-512, with either operand row- or column-major or with a padded leading dim: 64-column
    panels (a last one partly padding), 6- and 4-row tiles and a remainder, depths past one
    panel (MT_KC), and the result split across threads by panels or by rows; BLAS where
    switched off."""
    ext = pytest.importorskip("mytorch._ext._blas")
    prev = ext._set_small_gemm(kernel)
    try:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        for x, y in itertools.product(_layouts(a), _layouts(b)):
            _check(x, y)
    finally:
        ext._set_small_gemm(prev)


def test_a_large_product_on_blas_threads_matches_numpy(split_threads, rng):
    """From 2^27 multiply-adds a product runs on SciPy's BLAS with its own threads."""
    a = rng.standard_normal((512, 512)).astype(np.float32)
    _check(a, a.T)
