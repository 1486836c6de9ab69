# cython: boundscheck=False, wraparound=False, cdivision=True
"""Matmul through SciPy's BLAS (scipy.linalg.cython_blas), called without the GIL.

np.matmul's contract (1-D operands, 2-D, batched with broadcast batch dims) for float32/float64
operands of one dtype; other dtypes go to the NumPy reference. Transposed operands are passed as
BLAS transpose flags rather than copied; only operands with no unit stride in either matrix dim
(or negative strides) are copied first.

NOTE: every float matmul runs on SciPy's OpenBLAS: NumPy bundles another OpenBLAS with its own
thread pool, and alternating between the two pools cost over half the SGEMM throughput here.

Batches of products and of linear systems (linalg.solve) are split across threads (OpenMP,
mytorch.set_num_threads's count), one single-threaded BLAS/LAPACK call per matrix, as torch does:
OpenBLAS threads each small product badly (64 products of 128 x 128 x 128: 1.6x torch's time
through NumPy), and NumPy's solve runs one system after another. SciPy's OpenBLAS is set to one
thread around such a loop (_set_blas_hooks), since a pthreads OpenBLAS would otherwise start its
own threads from each OpenMP thread; without the hooks the batches keep the one-thread loop.
"""

cimport numpy as cnp
from cython.parallel cimport prange, threadid
from libc.stdlib cimport free, malloc
from libc.string cimport memset
from scipy.linalg.cython_blas cimport dgemm, dgemv, sgemm, sgemv
from scipy.linalg.cython_lapack cimport dgesv, dgetrf, sgesv, sgetrf

from _blas_hooks cimport BlasHooks, blas_restore, blas_single, hooks_from
from _cpu cimport mt_cpu_level
from _packed_gemm cimport MT_KC, mt_sgemm_packed
from _small_gemm cimport SMALL_B, mt_has_avx512, mt_rows_gemm_avx512, small_gemm_switch

import numpy as np

from mytorch._backends.base import _LinAlgError
from mytorch._backends.reference import NUMPY as _ref

# The reference kernel of matmul is NumPy's own function (its declaration names it).
_np_matmul = np.matmul
# Products of at least this many multiply-adds are not run by the one-thread loop (see matmul).
NUMPY_FROM = 1 << 19

cnp.import_array()

ctypedef cnp.npy_intp intp

cdef enum:
    MAX_INT = 2147483647  # BLAS dims and strides are C ints
    MAX_THREADS = 64
    MIN_BLOCK = 16  # the least rows or columns of one thread's block of a split product

cdef int _nthreads = 1
# Batched products of at least this many multiply-adds in all are split across threads, and
# batched solves of at least this many n * n * (n + k) in all: waking a thread costs 15-50 us
# here, 2^25 multiply-adds take about 200 us on one core.
cdef intp _par_matmul = 1 << 25
# Products from NUMPY_FROM multiply-adds: split across threads from _split_from (NumPy's matmul
# below it), on SciPy's BLAS and its own threads from _split_to, NumPy's matmul from _numpy_from
# (never by default; see matmul).
cdef intp _split_from = NUMPY_FROM
cdef intp _split_to = 1 << 27
cdef intp _numpy_from = 1 << 62
cdef intp _par_solve = 1 << 22
cdef bint _small_gemm = mt_has_avx512() != 0
# SciPy's OpenBLAS thread count (unknown until _set_blas_hooks).
cdef BlasHooks _hooks = BlasHooks(NULL, NULL)


def _set_num_threads(int n):
    """Threads the batched loops may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = min(max(n, 1), MAX_THREADS)


def _set_blas_hooks(size_t set_addr, size_t get_addr):
    """The addresses of SciPy's OpenBLAS openblas_set_num_threads and openblas_get_num_threads
    (0, 0: unknown, and the batches stay on one thread)."""
    hooks_from(&_hooks, set_addr, get_addr)


def _set_small_gemm(bint on):
    """Whether small float32 products may use the AVX-512 kernel; returns the previous setting."""
    return small_gemm_switch(&_small_gemm, on)


def _set_split_sizes(intp split_from, intp split_to, intp numpy_from):
    """The multiply-adds of one product from which it is split across threads, from which it
    no longer is (it runs on SciPy's BLAS and its threads) and from which it goes to NumPy's
    matmul (products from 2^19 below split_from go to NumPy too); returns the previous
    settings."""
    global _split_from, _split_to, _numpy_from
    prev = _split_from, _split_to, _numpy_from
    _split_from, _split_to, _numpy_from = split_from, split_to, numpy_from
    return prev


def _set_par_sizes(intp matmul, intp solve):
    """The work (of a whole batch) from which batched products and solves use threads; returns
    the previous settings."""
    global _par_matmul, _par_solve
    prev = _par_matmul, _par_solve
    _par_matmul, _par_solve = matmul, solve
    return prev


cdef int _batch_threads(intp nbatch, intp work, intp par) noexcept:
    """Threads for a loop over nbatch matrices of work in all: 1 below par, or where no hooks
    keep the BLAS single-threaded."""
    if _hooks.set == NULL or nbatch < 2 or work < par:
        return 1
    return <int>min(<intp>_nthreads, nbatch)


cdef struct Operand:
    char *base
    intp rs, cs  # matrix strides in elements (row, column)
    char trans  # 'N': rows are contiguous (row-major); 'T': columns are (column-major)
    int ld


cdef bint _layout(Operand *op, intp rows, intp cols) noexcept:
    """Fill op.trans/op.ld for a rows x cols matrix seen as column-major by BLAS; False to copy.

    Row-major storage (unit column stride) is, to BLAS, the transpose stored column-major;
    column-major storage (unit row stride) is the matrix itself.
    """
    cdef intp rs = op.rs, cs = op.cs
    if (cs == 1 or cols == 1) and (rows == 1 or rs >= max(1, cols)):
        op.trans = b"N"
        op.ld = <int>(rs if rows > 1 else max(1, cols))
    elif (rs == 1 or rows == 1) and (cols == 1 or cs >= max(1, rows)):
        op.trans = b"T"
        op.ld = <int>(cs if cols > 1 else max(1, rows))
    else:
        return False
    return op.ld <= MAX_INT


cdef inline void _gemm(int typenum, char *ta, char *tb, int *m, int *n, int *k,
                       char *a, int *lda, char *b, int *ldb, char *c, int *ldc) noexcept nogil:
    cdef float f1 = 1, f0 = 0
    cdef double d1 = 1, d0 = 0
    if typenum == cnp.NPY_FLOAT:
        sgemm(ta, tb, m, n, k, &f1, <float *>a, lda, <float *>b, ldb, &f0, <float *>c, ldc)
    else:
        dgemm(ta, tb, m, n, k, &d1, <double *>a, lda, <double *>b, ldb, &d0, <double *>c, ldc)


cdef inline void _gemv(int typenum, char *t, int *m, int *n, char *a, int *lda,
                       char *x, int *incx, char *y) noexcept nogil:
    cdef float f1 = 1, f0 = 0
    cdef double d1 = 1, d0 = 0
    cdef int one = 1
    if typenum == cnp.NPY_FLOAT:
        sgemv(t, m, n, &f1, <float *>a, lda, <float *>x, incx, &f0, <float *>y, &one)
    else:
        dgemv(t, m, n, &d1, <double *>a, lda, <double *>x, incx, &d0, <double *>y, &one)


cdef void _product(int typenum, Operand *A, Operand *B, char *c, int m, int n, int k,
                   int ldc) noexcept nogil:
    """c[m, n] (row-major, rows ldc entries apart; contiguous for a vector) = A[m, k] @ B[k, n]."""
    cdef int inc
    cdef char flip
    # NOTE: row-major via C.T = B.T @ A.T: BLAS sees C column-major as C.T (n x m).
    if n == 1 and ldc == 1 and B.rs > 0 and B.rs <= MAX_INT:
        # Matrix-vector: c[m] = A @ b with b a strided vector.
        inc = <int>B.rs
        if A.trans == b"N":
            flip = b"T"
            _gemv(typenum, &flip, &k, &m, A.base, &A.ld, B.base, &inc, c)
        else:
            flip = b"N"
            _gemv(typenum, &flip, &m, &k, A.base, &A.ld, B.base, &inc, c)
    elif m == 1 and A.cs > 0 and A.cs <= MAX_INT:
        # Vector-matrix: c[n] = a @ B = B.T @ a.
        inc = <int>A.cs
        if B.trans == b"N":
            flip = b"N"
            _gemv(typenum, &flip, &n, &k, B.base, &B.ld, A.base, &inc, c)
        else:
            flip = b"T"
            _gemv(typenum, &flip, &k, &n, B.base, &B.ld, A.base, &inc, c)
    elif (_small_gemm and typenum == cnp.NPY_FLOAT and A.trans == b"N" and B.trans == b"N"
            and n % 64 == 0 and <intp>k * n <= SMALL_B):
        mt_rows_gemm_avx512(m, n, k, <const float *>A.base, A.ld, <const float *>B.base, B.ld,
                            <float *>c, ldc, NULL)
    elif not (_packed_ok(typenum, m, n, k) and _packed(A, B, c, m, n, k, ldc)):
        _gemm(typenum, &B.trans, &A.trans, &n, &m, &k, B.base, &B.ld, A.base, &A.ld, c, &ldc)


cdef inline bint _packed_ok(int typenum, intp m, intp n, intp k) noexcept nogil:
    """Whether a float32 product of this shape goes to csrc/_packed_gemm.pxd's kernel: where the
    CPU has AVX-512, not so thin that most of a 6 x 64 tile would be padding, and below the
    products that run on BLAS's own threads (see matmul; those stay on BLAS)."""
    return (_small_gemm and typenum == cnp.NPY_FLOAT and m >= 16 and n >= 64 and k >= 16
            and m * n * k < _split_to)


cdef bint _packed(Operand *A, Operand *B, char *c, int m, int n, int k, int ldc) noexcept nogil:
    """c = A @ B by the packed kernel on this thread; False (nothing written) where its panel
    buffer could not be had."""
    cdef float *buf = <float *>malloc(MT_KC * 64 * sizeof(float))
    if buf == NULL:
        return False
    mt_sgemm_packed(m, n, k, <const float *>A.base, A.rs, A.cs, <const float *>B.base, B.rs,
                    B.cs, <float *>c, ldc, NULL, buf)
    free(buf)
    return True


cdef void _product_at(int typenum, Operand A, Operand B, intp oa, intp ob, char *c,
                      int m, int n, int k) noexcept nogil:
    """_product of the batch item whose operands start oa and ob bytes on (private copies)."""
    A.base += oa
    B.base += ob
    _product(typenum, &A, &B, c, m, n, k, n)


cdef void _part_at(int typenum, Operand A, Operand B, intp oa, intp ob, char *c, int m, int n,
                   int k, int part, int step, bint cols, intp isz) noexcept nogil:
    """Block ``part`` of _product_at's result: columns [part * step, + step) of it if ``cols``,
    else those rows (one thread's share of one product)."""
    cdef int lo = part * step, hi
    A.base += oa
    B.base += ob
    if cols:
        hi = min(n, lo + step)
        if lo < hi:
            B.base += lo * B.cs * isz
            _product(typenum, &A, &B, c + lo * isz, m, hi - lo, k, n)
    else:
        hi = min(m, lo + step)
        if lo < hi:
            A.base += lo * A.rs * isz
            _product(typenum, &A, &B, c + <intp>lo * n * isz, hi - lo, n, k, n)


cdef intp *_batch_offsets(cnp.ndarray a, int abd, cnp.ndarray b, int bbd, list batch,
                          intp nbatch) except NULL:
    """Byte offsets of each batch item's matrices (offs[2t] in a, offs[2t + 1] in b; an odometer
    over the broadcast batch dims: a's are its first abd dims, b's its first bbd). Free it."""
    cdef int nb = len(batch)
    cdef intp *offs = <intp *>malloc(2 * max(nbatch, 1) * sizeof(intp))
    cdef intp *idx = <intp *>malloc((nb + 1) * sizeof(intp))
    if offs == NULL or idx == NULL:
        free(offs)
        free(idx)
        raise MemoryError()
    cdef intp t, oa, ob
    cdef int d
    memset(idx, 0, (nb + 1) * sizeof(intp))
    for t in range(nbatch):
        oa = 0
        ob = 0
        for d in range(nb):
            if d >= nb - abd and cnp.PyArray_DIM(a, d - (nb - abd)) != 1:
                oa += idx[d] * cnp.PyArray_STRIDE(a, d - (nb - abd))
            if d >= nb - bbd and cnp.PyArray_DIM(b, d - (nb - bbd)) != 1:
                ob += idx[d] * cnp.PyArray_STRIDE(b, d - (nb - bbd))
        offs[2 * t] = oa
        offs[2 * t + 1] = ob
        d = nb - 1
        while d >= 0:
            idx[d] += 1
            if idx[d] < <intp>batch[d]:
                break
            idx[d] = 0
            d -= 1
    free(idx)
    return offs


def matmul(x, y):
    """out[..., m, n] = x[..., m, k] @ y[..., k, n] (np.matmul semantics); float32/float64 via BLAS."""
    if type(x) is not cnp.ndarray or type(y) is not cnp.ndarray:
        return _np_matmul(x, y)
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef cnp.ndarray b = <cnp.ndarray>y
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef int and_ = cnp.PyArray_NDIM(a), bnd = cnp.PyArray_NDIM(b)
    if (typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE) or cnp.PyArray_TYPE(b) != typenum \
            or and_ == 0 or bnd == 0:
        return _np_matmul(x, y)
    cdef intp m = 1 if and_ == 1 else cnp.PyArray_DIM(a, and_ - 2)
    cdef intp k = cnp.PyArray_DIM(a, and_ - 1)
    cdef intp kb = cnp.PyArray_DIM(b, 0) if bnd == 1 else cnp.PyArray_DIM(b, bnd - 2)
    cdef intp n = 1 if bnd == 1 else cnp.PyArray_DIM(b, bnd - 1)
    if k != kb or m > MAX_INT or n > MAX_INT or k > MAX_INT:
        return _np_matmul(x, y)
    # Broadcast the batch dims (all but the last two; a 1-D operand has none).
    cdef int abd = max(and_ - 2, 0), bbd = max(bnd - 2, 0)
    cdef int nb = max(abd, bbd)
    cdef list batch = []
    cdef int i
    cdef intp da, db
    for i in range(nb):
        da = cnp.PyArray_DIM(a, i - (nb - abd)) if i >= nb - abd else 1
        db = cnp.PyArray_DIM(b, i - (nb - bbd)) if i >= nb - bbd else 1
        if da != db and da != 1 and db != 1:
            return _np_matmul(x, y)
        batch.append(max(da, db) if da and db else 0)
    cdef intp nbatch = 1
    for i in range(nb):
        nbatch *= <intp>batch[i]
    # NOTE: a product of 2^19 to 2^27 multiply-adds that the batch does not split is split
    # itself: its result's columns (or rows, where it has more) in blocks across the OpenMP
    # threads, one single-threaded BLAS call each, so that the threads mytorch runs between two
    # large products are one pool. Left to OpenBLAS's own threads, their wake-up and (where
    # OPENBLAS_THREAD_TIMEOUT was not set before the library loaded, see mytorch._blas_env)
    # their spinning for about 0.1 s after each call cost more: spinning, they took the cores
    # from every OpenMP kernel run next (after one of the digits CNN's fc1 products, on NumPy's
    # OpenBLAS, its convolutions ran at half speed on 2 cores); and SciPy's OpenBLAS threads
    # skinny products badly (32 x 128 x 512 on 2 threads: 71 us, against 41 us on one). From
    # 2^27 (512^3) the product runs on SciPy's BLAS and its own threads, which share the packed
    # operands: split, 1024^3 forward + backward ran as fast alone (20.9 against 20.3 ms) but
    # took 45.6 ms against 23.4 when torch's own threads ran in between (torch's OpenMP pool
    # spins too), while the transformer step was within 2% either way. NumPy's matmul takes
    # them only without the hooks (no way to keep SciPy's BLAS to one thread), or where
    # _set_split_sizes says. A batch split across threads (one single-threaded product each)
    # is taken first, unless some threads would idle (fewer large products than threads) or
    # get unequal shares.
    cdef intp work = m * n * k
    cdef int nt = _batch_threads(nbatch, nbatch * work, _par_matmul)
    cdef bint par = nt > 1 and (work < NUMPY_FROM or (
        nbatch >= _nthreads and (nbatch % _nthreads == 0 or nbatch >= 8 * _nthreads)))
    cdef int parts = 1, pstep = 0
    cdef bint pcols = n >= m
    cdef intp dim = n if pcols else m
    cdef intp panels
    if work >= NUMPY_FROM and not par:
        if _hooks.set == NULL or work < _split_from or work >= _numpy_from:
            return _np_matmul(x, y)
        parts = <int>min(<intp>_nthreads, dim // MIN_BLOCK) if work < _split_to else 1
        if parts > 1 and _packed_ok(typenum, m, n, k):
            # NOTE: the packed kernel works in 64-column panels: the columns are split in whole
            # panels where they share out evenly (each thread packs only its own), else the rows
            # (each thread packs every panel; 256 x 784 as 7 + 6 panels: one thread with 8% more)
            panels = (n + 63) // 64
            pcols = panels % parts == 0 or m < 16 * parts
            pstep = <int>((panels + parts - 1) // parts * 64 if pcols else (m + parts - 1) // parts)
        elif parts > 1:
            pstep = <int>(((dim + parts - 1) // parts + MIN_BLOCK - 1) // MIN_BLOCK * MIN_BLOCK)
    shape = list(batch)
    if and_ > 1:
        shape.append(m)
    if bnd > 1:
        shape.append(n)
    cdef cnp.ndarray out = np.empty(shape, dtype=a.dtype)
    if out.size == 0:
        return out
    if k == 0:
        out.fill(0)
        return out[()] if out.ndim == 0 else out
    cdef intp isz = cnp.PyArray_ITEMSIZE(a)
    cdef Operand A, B
    A.base = cnp.PyArray_BYTES(a)
    A.cs = cnp.PyArray_STRIDE(a, and_ - 1) // isz
    A.rs = 0 if and_ == 1 else cnp.PyArray_STRIDE(a, and_ - 2) // isz
    B.base = cnp.PyArray_BYTES(b)
    B.rs = cnp.PyArray_STRIDE(b, bnd - 1 if bnd == 1 else bnd - 2) // isz
    B.cs = 0 if bnd == 1 else cnp.PyArray_STRIDE(b, bnd - 1) // isz
    if not _layout(&A, m, k) or not (cnp.PyArray_FLAGS(a) & cnp.NPY_ARRAY_ALIGNED):
        a = np.ascontiguousarray(a)
        return matmul(a, b)
    if not _layout(&B, k, n) or not (cnp.PyArray_FLAGS(b) & cnp.NPY_ARRAY_ALIGNED):
        b = np.ascontiguousarray(b)
        return matmul(a, b)
    cdef intp *offs = _batch_offsets(a, abd, b, bbd, batch, nbatch)
    cdef intp t, q
    cdef char *abase = A.base
    cdef char *bbase = B.base
    cdef char *c = cnp.PyArray_BYTES(out)
    cdef intp cstep = m * n * isz
    cdef int mi = <int>m, ni = <int>n, ki = <int>k
    cdef int old_threads
    with nogil:
        if par:
            old_threads = blas_single(&_hooks)
            for t in prange(nbatch, num_threads=nt, schedule="dynamic"):
                _product_at(typenum, A, B, offs[2 * t], offs[2 * t + 1], c + t * cstep,
                            mi, ni, ki)
            blas_restore(&_hooks, old_threads)
        elif parts > 1:
            old_threads = blas_single(&_hooks)
            for q in prange(nbatch * parts, num_threads=parts, schedule="static"):
                t = q // parts
                _part_at(typenum, A, B, offs[2 * t], offs[2 * t + 1], c + t * cstep, mi, ni, ki,
                         <int>(q % parts), pstep, pcols, isz)
            blas_restore(&_hooks, old_threads)
        else:
            for t in range(nbatch):
                A.base = abase + offs[2 * t]
                B.base = bbase + offs[2 * t + 1]
                _product(typenum, &A, &B, c + t * cstep, mi, ni, ki, ni)
    free(offs)
    return out[()] if out.ndim == 0 else out


# --- batched solve ----------------------------------------------------------------------------
ctypedef fused real:
    float
    double

# Systems larger than this go to NumPy (LAPACK's own threads factor one large matrix better).
cdef intp _solve_max_n = 256


def _set_solve_max_n(intp n):
    """The largest system size the batched solve takes; returns the previous setting."""
    global _solve_max_n
    prev = _solve_max_n
    _solve_max_n = n
    return prev


cdef void _solve_one(const char *a, intp ars, intp acs, const char *b, intp brs, intp bcs,
                     real *x, int n, int k, real *work, int *ipiv, int *info) noexcept nogil:
    """x[n, k] (C-contiguous) = solve(a, b) through ?gesv on column-major copies in work
    (n * n + n * k entries); info: ?gesv's (> 0: a is singular)."""
    cdef real *lu = work
    cdef real *rhs = work + <intp>n * n
    cdef intp i, j
    for i in range(n):
        for j in range(n):
            lu[j * n + i] = (<const real *>(a + i * ars + j * acs))[0]
        for j in range(k):
            rhs[j * n + i] = (<const real *>(b + i * brs + j * bcs))[0]
    if real is float:
        sgesv(&n, &k, lu, &n, ipiv, rhs, &n, info)
    else:
        dgesv(&n, &k, lu, &n, ipiv, rhs, &n, info)
    for i in range(n):
        for j in range(k):
            x[i * k + j] = rhs[j * n + i]


cdef void _solve_all(const char *a, intp ars, intp acs, const char *b, intp brs, intp bcs,
                     real *x, int n, int k, const intp *offs, intp nbatch, int nt,
                     real *work, int *ipiv, int *infos) noexcept nogil:
    cdef intp t, wsize = <intp>n * n + <intp>n * k
    cdef int tid
    if nt > 1:
        for t in prange(nbatch, num_threads=nt, schedule="dynamic"):
            tid = threadid()
            _solve_one(a + offs[2 * t], ars, acs, b + offs[2 * t + 1], brs, bcs,
                       x + t * n * k, n, k, work + tid * wsize, ipiv + tid * n, &infos[t])
    else:
        for t in range(nbatch):
            _solve_one(a + offs[2 * t], ars, acs, b + offs[2 * t + 1], brs, bcs,
                       x + t * n * k, n, k, work, ipiv, &infos[t])


def linalg_solve(a, b):
    """The reference's linalg_solve (X with a X = b, b matrices, batch dims broadcast): float32
    and float64 systems up to _solve_max_n, one ?gesv per system, the batch split across threads
    (each system copied column-major first, as NumPy and torch do: the same LU and pivots).
    Other inputs, and a singular matrix (for the reference's error), take the reference."""
    if type(a) is not cnp.ndarray or type(b) is not cnp.ndarray:
        return _ref.linalg_solve(a, b)
    cdef cnp.ndarray aa = <cnp.ndarray>a
    cdef cnp.ndarray bb = <cnp.ndarray>b
    cdef int typenum = cnp.PyArray_TYPE(aa)
    cdef int and_ = cnp.PyArray_NDIM(aa), bnd = cnp.PyArray_NDIM(bb)
    if (typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE) \
            or cnp.PyArray_TYPE(bb) != typenum or and_ < 2 or bnd < 2:
        return _ref.linalg_solve(a, b)
    cdef intp n = cnp.PyArray_DIM(aa, and_ - 1)
    cdef intp k = cnp.PyArray_DIM(bb, bnd - 1)
    if cnp.PyArray_DIM(aa, and_ - 2) != n or cnp.PyArray_DIM(bb, bnd - 2) != n or n == 0 \
            or k == 0 or n > _solve_max_n or k > MAX_INT:
        return _ref.linalg_solve(a, b)
    cdef int abd = and_ - 2, bbd = bnd - 2
    cdef int nb = max(abd, bbd)
    cdef list batch = []
    cdef int i
    cdef intp da, db, nbatch = 1
    for i in range(nb):
        da = cnp.PyArray_DIM(aa, i - (nb - abd)) if i >= nb - abd else 1
        db = cnp.PyArray_DIM(bb, i - (nb - bbd)) if i >= nb - bbd else 1
        if da != db and da != 1 and db != 1:
            return _ref.linalg_solve(a, b)
        batch.append(max(da, db) if da and db else 0)
        nbatch *= <intp>batch[i]
    if nbatch == 0:
        return _ref.linalg_solve(a, b)
    cdef int nt = _batch_threads(nbatch, nbatch * n * n * (n + k), _par_solve)
    cdef intp isz = cnp.PyArray_ITEMSIZE(aa)
    cdef intp wsize = n * n + n * k
    cdef cnp.ndarray out = np.empty(batch + [n, k], dtype=aa.dtype)
    cdef intp *offs = _batch_offsets(aa, abd, bb, bbd, batch, nbatch)
    cdef char *work = <char *>malloc(nt * wsize * isz)
    cdef int *ipiv = <int *>malloc(nt * n * sizeof(int))
    cdef int *infos = <int *>malloc(nbatch * sizeof(int))
    if work == NULL or ipiv == NULL or infos == NULL:
        free(offs)
        free(work)
        free(ipiv)
        free(infos)
        raise MemoryError()
    cdef const char *ab = cnp.PyArray_BYTES(aa)
    cdef const char *bbase = cnp.PyArray_BYTES(bb)
    cdef intp ars = cnp.PyArray_STRIDE(aa, and_ - 2), acs = cnp.PyArray_STRIDE(aa, and_ - 1)
    cdef intp brs = cnp.PyArray_STRIDE(bb, bnd - 2), bcs = cnp.PyArray_STRIDE(bb, bnd - 1)
    cdef int old_threads = 1
    cdef bint singular = False
    cdef intp t
    with nogil:
        if nt > 1:
            old_threads = blas_single(&_hooks)
        if typenum == cnp.NPY_FLOAT:
            _solve_all(ab, ars, acs, bbase, brs, bcs, <float *>cnp.PyArray_BYTES(out),
                       <int>n, <int>k, offs, nbatch, nt, <float *>work, ipiv, infos)
        else:
            _solve_all(ab, ars, acs, bbase, brs, bcs, <double *>cnp.PyArray_BYTES(out),
                       <int>n, <int>k, offs, nbatch, nt, <double *>work, ipiv, infos)
        if nt > 1:
            blas_restore(&_hooks, old_threads)
        for t in range(nbatch):
            if infos[t] != 0:
                singular = True
    free(offs)
    free(work)
    free(ipiv)
    free(infos)
    if singular:
        return _ref.linalg_solve(a, b)
    return out


# --- batched LU ------------------------------------------------------------------------------
cdef void _lu_one(const char *a, intp ars, intp acs, real *lu, int *piv, int m, int n,
                  real *work, int *ipiv) noexcept nogil:
    """lu[m, n] (C-contiguous) and piv[min(m, n)]: ?getrf of a, on a column-major copy in work."""
    cdef intp i, j
    cdef int info
    for i in range(m):
        for j in range(n):
            work[j * m + i] = (<const real *>(a + i * ars + j * acs))[0]
    if real is float:
        sgetrf(&m, &n, work, &m, ipiv, &info)
    else:
        dgetrf(&m, &n, work, &m, ipiv, &info)
    for i in range(m):
        for j in range(n):
            lu[i * n + j] = work[j * m + i]
    for i in range(min(m, n)):
        piv[i] = ipiv[i]


cdef void _lu_all(const char *a, intp ars, intp acs, intp astep, real *lu, int *piv, int m,
                  int n, intp nbatch, int nt, real *work, int *ipiv) noexcept nogil:
    cdef intp t, k = min(m, n), wsize = <intp>m * n
    cdef int tid
    if nt > 1:
        for t in prange(nbatch, num_threads=nt, schedule="dynamic"):
            tid = threadid()
            _lu_one(a + t * astep, ars, acs, lu + t * m * n, piv + t * k, m, n,
                    work + tid * wsize, ipiv + tid * k)
    else:
        for t in range(nbatch):
            _lu_one(a + t * astep, ars, acs, lu + t * m * n, piv + t * k, m, n, work, ipiv)


def linalg_lu_factor(a):
    """The reference's linalg_lu_factor ((LU packed, int32 1-based LAPACK pivots)): float32 and
    float64 matrices of up to _solve_max_n rows and columns, one ?getrf per matrix, the batch
    split across threads; other inputs take the reference."""
    if type(a) is not cnp.ndarray:
        return _ref.linalg_lu_factor(a)
    cdef cnp.ndarray aa = <cnp.ndarray>a
    cdef int typenum = cnp.PyArray_TYPE(aa)
    cdef int nd = cnp.PyArray_NDIM(aa)
    if (typenum != cnp.NPY_FLOAT and typenum != cnp.NPY_DOUBLE) or nd < 2:
        return _ref.linalg_lu_factor(a)
    cdef intp m = cnp.PyArray_DIM(aa, nd - 2), n = cnp.PyArray_DIM(aa, nd - 1)
    if m == 0 or n == 0 or m > _solve_max_n or n > _solve_max_n:
        return _ref.linalg_lu_factor(a)
    # NOTE: the batch dims flattened: a copy where they do not merge into one stride.
    cdef cnp.ndarray flat = aa.reshape((-1, m, n))
    cdef intp nbatch = cnp.PyArray_DIM(flat, 0)
    if nbatch == 0:
        return _ref.linalg_lu_factor(a)
    cdef intp k = min(m, n)
    cdef int nt = _batch_threads(nbatch, nbatch * m * n * k, _par_solve)
    cdef intp isz = cnp.PyArray_ITEMSIZE(aa)
    cdef tuple shape = a.shape
    cdef cnp.ndarray lu = np.empty(shape, dtype=aa.dtype)
    cdef cnp.ndarray piv = np.empty(shape[:nd - 2] + (k,), dtype=np.int32)
    cdef char *work = <char *>malloc(nt * m * n * isz)
    cdef int *ipiv = <int *>malloc(nt * k * sizeof(int))
    if work == NULL or ipiv == NULL:
        free(work)
        free(ipiv)
        raise MemoryError()
    cdef const char *ab = cnp.PyArray_BYTES(flat)
    cdef intp astep = cnp.PyArray_STRIDE(flat, 0)
    cdef intp ars = cnp.PyArray_STRIDE(flat, 1), acs = cnp.PyArray_STRIDE(flat, 2)
    cdef int old_threads = 1
    with nogil:
        if nt > 1:
            old_threads = blas_single(&_hooks)
        if typenum == cnp.NPY_FLOAT:
            _lu_all(ab, ars, acs, astep, <float *>cnp.PyArray_BYTES(lu),
                    <int *>cnp.PyArray_BYTES(piv), <int>m, <int>n, nbatch, nt, <float *>work, ipiv)
        else:
            _lu_all(ab, ars, acs, astep, <double *>cnp.PyArray_BYTES(lu),
                    <int *>cnp.PyArray_BYTES(piv), <int>m, <int>n, nbatch, nt, <double *>work,
                    ipiv)
        if nt > 1:
            blas_restore(&_hooks, old_threads)
    free(work)
    free(ipiv)
    return lu, piv


OVERRIDES = ("matmul", "linalg_solve", "linalg_lu_factor")
