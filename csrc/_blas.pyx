# cython: boundscheck=False, wraparound=False, cdivision=True
"""Matmul through SciPy's BLAS (scipy.linalg.cython_blas), called without the GIL.

np.matmul's contract (1-D operands, 2-D, batched with broadcast batch dims) for float32/float64
operands of one dtype; other dtypes go to the NumPy reference. Transposed operands are passed as
BLAS transpose flags rather than copied; only operands with no unit stride in either matrix dim
(or negative strides) are copied first.

NOTE: every float matmul runs on SciPy's OpenBLAS: NumPy bundles another OpenBLAS with its own
thread pool, and alternating between the two pools cost over half the SGEMM throughput here.
"""

cimport numpy as cnp
from libc.stdlib cimport free, malloc
from libc.string cimport memset
from scipy.linalg.cython_blas cimport dgemm, dgemv, sgemm, sgemv

import numpy as np

# The reference kernel of matmul is NumPy's own function (its declaration names it).
_np_matmul = np.matmul
# Products of at least this many multiply-adds go to NumPy (see matmul).
NUMPY_FROM = 1 << 19

cnp.import_array()

ctypedef cnp.npy_intp intp

cdef enum:
    MAX_INT = 2147483647  # BLAS dims and strides are C ints


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


cdef void _product(int typenum, Operand *A, Operand *B, char *c, int m, int n, int k) noexcept nogil:
    """c[m, n] (C-contiguous) = A[m, k] @ B[k, n]."""
    cdef int inc
    cdef char flip
    # NOTE: row-major via C.T = B.T @ A.T: BLAS sees C column-major as C.T (n x m).
    if n == 1 and B.rs > 0 and B.rs <= MAX_INT:
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
    else:
        _gemm(typenum, &B.trans, &A.trans, &n, &m, &k, B.base, &B.ld, A.base, &A.ld, c, &n)


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
    # NOTE: from about 2^19 multiply-adds per product NumPy's matmul (NumPy's own OpenBLAS build)
    # is as fast on one thread and much faster on several: SciPy's OpenBLAS threads badly on
    # skinny products (32 x 128 x 512 on 2 threads: 71 us, against 41 us on one and 30 us in
    # NumPy's), which an LSTM step or an MLP layer is made of. Below it, this loop is faster.
    if m * n * k >= NUMPY_FROM:
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
    cdef intp nbatch = 1
    for i in range(nb):
        nbatch *= <intp>batch[i]
    # Byte offsets of each batch's matrices (an odometer over the broadcast batch dims).
    cdef intp *offs = <intp *>malloc(2 * nbatch * sizeof(intp))
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
    cdef char *abase = A.base
    cdef char *bbase = B.base
    cdef char *c = cnp.PyArray_BYTES(out)
    cdef intp cstep = m * n * isz
    cdef int mi = <int>m, ni = <int>n, ki = <int>k
    with nogil:
        for t in range(nbatch):
            A.base = abase + offs[2 * t]
            B.base = bbase + offs[2 * t + 1]
            _product(typenum, &A, &B, c + t * cstep, mi, ni, ki)
    free(offs)
    free(idx)
    return out[()] if out.ndim == 0 else out


OVERRIDES = ("matmul",)
