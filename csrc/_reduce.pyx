# cython: boundscheck=False, wraparound=False, cdivision=True
"""Reductions (sum, mean, amax and the engine's unbroadcast sum_to) without temporaries.

Fast path: a C-contiguous float32/float64 array whose reduced dims form one block, so that it
reads as x[outer, nred, inner] reduced over nred into out[outer, inner]. Rows (inner == 1) are
reduced with NumPy's own pairwise inner loop, split across threads for long rows; blocks of
rows (inner > 1) are summed row by row into the output (NumPy's order, so the same result),
blocks split across threads. No intermediate arrays, and none of np.sum's Python-level argument
handling (which costs more than the work on small arrays). Everything else goes to the NumPy reference.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.string cimport memcpy

from _ufunc_loops cimport Loop, find_loop, intp

import numpy as np

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()


cdef enum:
    ADD, MAX, N_OPS
    MAX_THREADS = 64

cdef Loop _loops[N_OPS][2]
cdef int _nthreads = 1
# At or above this many input elements the work is split across threads.
cdef intp _par_size = 1 << 21  # as for the elementwise loops (see there)


def _set_num_threads(int n):
    """Threads the kernels may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = min(max(n, 1), MAX_THREADS)


def _set_par_size(intp n):
    """Input elements from which reductions use threads; returns the previous setting."""
    global _par_size
    prev = _par_size
    _par_size = n
    return prev


cdef void _find_loops(int op, cnp.ufunc uf):
    """Take the float32 and float64 loops of ``uf`` (all operands of one dtype)."""
    _loops[op][0] = find_loop(uf, cnp.NPY_FLOAT)
    _loops[op][1] = find_loop(uf, cnp.NPY_DOUBLE)


cdef inline void _call(Loop lp, char *a, intp sa, char *b, intp sb, char *o, intp so, intp n) noexcept nogil:
    cdef char *args[3]
    cdef intp steps[3]
    args[0] = a
    args[1] = b
    args[2] = o
    steps[0] = sa
    steps[1] = sb
    steps[2] = so
    lp.fn(args, &n, steps, lp.data)


cdef inline void _reduce_row(Loop lp, char *x, intp n, char *out, intp isz) noexcept nogil:
    """out = reduce(x[0:n]), n >= 1: NumPy's reduce form of the loop (out op= x[1:n])."""
    memcpy(out, x, isz)
    if n > 1:
        _call(lp, out, 0, x + isz, isz, out, 0, n - 1)


cdef void _rows(Loop lp, char *x, intp outer, intp nred, char *out, intp isz, int nt) noexcept nogil:
    """out[o] = reduce(x[o, :]) for outer rows of nred elements."""
    cdef intp o, t, chunk
    cdef double partials[MAX_THREADS]  # room for one float32/float64 partial per thread
    cdef char *part = <char *>partials
    if outer == 1 and nt > 1:
        # One long row: each thread reduces a chunk, then the partial results are reduced.
        chunk = (nred + nt - 1) // nt
        for t in prange(nt, num_threads=nt, schedule="static"):
            if t * chunk < nred:
                _reduce_row(lp, x + t * chunk * isz, min(chunk, nred - t * chunk), part + t * isz, isz)
        _reduce_row(lp, part, (nred + chunk - 1) // chunk, out, isz)
    elif nt > 1:
        for o in prange(outer, num_threads=nt, schedule="static"):
            _reduce_row(lp, x + o * nred * isz, nred, out + o * isz, isz)
    else:
        for o in range(outer):
            _reduce_row(lp, x + o * nred * isz, nred, out + o * isz, isz)


cdef inline void _block(Loop lp, char *x, intp nred, intp inner, intp i0, intp n,
                        char *out, intp isz) noexcept nogil:
    """out[i0:i0+n] = reduce over r of x[r, i0:i0+n] (x is nred x inner, C-contiguous)."""
    cdef intp r
    memcpy(out + i0 * isz, x + i0 * isz, n * isz)
    for r in range(1, nred):
        _call(lp, out + i0 * isz, isz, x + (r * inner + i0) * isz, isz, out + i0 * isz, isz, n)


cdef void _blocks(Loop lp, char *x, intp outer, intp nred, intp inner, char *out, intp isz,
                  int nt) noexcept nogil:
    """out[o, :] = reduce over r of x[o, r, :].

    NOTE: threads split the outer blocks only. Splitting one block's columns across threads was
    measured 2-5x slower than one thread here (512 x 1024 and 4096 x 1024 float32).
    """
    cdef intp o
    if nt > 1 and outer >= nt:
        for o in prange(outer, num_threads=nt, schedule="static"):
            _block(lp, x + o * nred * inner * isz, nred, inner, 0, inner, out + o * inner * isz, isz)
    else:
        for o in range(outer):
            _block(lp, x + o * nred * inner * isz, nred, inner, 0, inner, out + o * inner * isz, isz)


ctypedef fused real:
    float
    double


cdef int _slot(cnp.ndarray a) noexcept:
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT:
        return 0
    if t == cnp.NPY_DOUBLE:
        return 1
    return -1


cdef bint _fast(object x) noexcept:
    if type(x) is not cnp.ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    return _slot(a) >= 0 and cnp.PyArray_NDIM(a) > 0 and cnp.PyArray_SIZE(a) > 0 and \
        cnp.PyArray_ISCARRAY_RO(a)


cdef object _reduce(int op, cnp.ndarray a, object reduced, object shape):
    """Reduce ``a`` over the dims flagged in ``reduced`` into a new array of ``shape``.

    Returns None when the reduced dims are not one block (the caller takes the reference).
    """
    cdef int nd = cnp.PyArray_NDIM(a), d, first = -1, last = -1
    cdef intp outer = 1, nred = 1, inner = 1, size
    for d in range(nd):
        if reduced[d] and cnp.PyArray_DIM(a, d) != 1:
            if first < 0:
                first = d
            last = d
    for d in range(nd):
        size = cnp.PyArray_DIM(a, d)
        if size == 1:
            continue
        if first <= d <= last and first >= 0:
            if not reduced[d]:
                return None
            nred *= size
        elif d < first or first < 0:
            outer *= size
        else:
            inner *= size
    cdef cnp.ndarray out = np.empty(shape, dtype=a.dtype)
    cdef intp isz = cnp.PyArray_ITEMSIZE(a)
    cdef Loop lp = _loops[op][_slot(a)]
    cdef char *x = cnp.PyArray_BYTES(a)
    cdef char *o = cnp.PyArray_BYTES(out)
    cdef int nt = _nthreads if outer * nred * inner >= _par_size else 1
    with nogil:
        if inner == 1:
            _rows(lp, x, outer, nred, o, isz, nt)
        else:
            _blocks(lp, x, outer, nred, inner, o, isz, nt)
    return out


cdef tuple _reduced_flags(int nd, dim):
    if dim is None:
        return (True,) * nd
    return tuple(d in dim for d in range(nd))


cdef object _out_shape(cnp.ndarray a, tuple flags, bint keepdim):
    cdef int d
    if keepdim:
        return tuple(1 if flags[d] else cnp.PyArray_DIM(a, d) for d in range(len(flags)))
    return tuple(cnp.PyArray_DIM(a, d) for d in range(len(flags)) if not flags[d])


cdef object _dim_reduce(int op, x, dim, bint keepdim):
    if not _fast(x):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    flags = _reduced_flags(cnp.PyArray_NDIM(a), dim)
    out = _reduce(op, a, flags, _out_shape(a, flags, keepdim))
    if out is not None and (<cnp.ndarray>out).ndim == 0:
        return out[()]  # NOTE: NumPy returns a NumPy scalar for a 0-d result
    return out


def sum(x, dim, keepdim):
    """out = x summed over ``dim`` (None: all); float32/float64 C-contiguous, one block of dims."""
    out = _dim_reduce(ADD, x, dim, keepdim)
    return _ref.sum(x, dim, keepdim) if out is None else out


cdef void _divide(real *out, intp n, double count) noexcept nogil:
    # NOTE: in double, then rounded: NumPy's mean divides a float32 sum by an intp count.
    cdef intp i
    for i in range(n):
        out[i] = <real>(out[i] / count)


def mean(x, dim, keepdim):
    """out = x averaged over ``dim`` (None: all); float32/float64 C-contiguous, one block of dims."""
    if not _fast(x):
        return _ref.mean(x, dim, keepdim)
    cdef cnp.ndarray a = <cnp.ndarray>x
    flags = _reduced_flags(cnp.PyArray_NDIM(a), dim)
    out = _reduce(ADD, a, flags, _out_shape(a, flags, keepdim))
    if out is None:
        return _ref.mean(x, dim, keepdim)
    cdef cnp.ndarray o = <cnp.ndarray>out
    cdef intp n = cnp.PyArray_SIZE(o)
    cdef double count = cnp.PyArray_SIZE(a) // n
    if cnp.PyArray_TYPE(o) == cnp.NPY_FLOAT:
        _divide(<float *>cnp.PyArray_BYTES(o), n, count)
    else:
        _divide(<double *>cnp.PyArray_BYTES(o), n, count)
    return o[()] if cnp.PyArray_NDIM(o) == 0 else o


def amax(x, dim, keepdim):
    """out = max of x over ``dim`` (None: all), NaN propagating; float32/float64 C-contiguous."""
    out = _dim_reduce(MAX, x, dim, keepdim)
    return _ref.amax(x, dim, keepdim) if out is None else out


def sum_to(x, shape):
    """Sum a broadcast array x down to ``shape``; float32/float64 C-contiguous, one block of dims."""
    if not _fast(x):
        return _ref.sum_to(x, shape)
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int nd = cnp.PyArray_NDIM(a), lead = nd - len(shape), d
    if lead < 0:
        return _ref.sum_to(x, shape)
    flags = tuple(d < lead or (shape[d - lead] == 1 and cnp.PyArray_DIM(a, d) != 1) for d in range(nd))
    if not any(flags):
        return x
    out = _reduce(ADD, a, flags, tuple(shape))
    return _ref.sum_to(x, shape) if out is None else out


_find_loops(ADD, np.add)
_find_loops(MAX, np.maximum)

OVERRIDES = ("sum", "mean", "amax", "sum_to")
