# cython: boundscheck=False, wraparound=False, cdivision=True
"""Reductions (sum, mean, amax, var and the engine's unbroadcast sum_to) without temporaries.

Fast path: a C-contiguous float32/float64 array whose reduced dims form one block, so that it
reads as x[outer, nred, inner] reduced over nred into out[outer, inner]. Rows (inner == 1) are
reduced with NumPy's own pairwise inner loop, split across threads for long rows; blocks of
rows (inner > 1) are summed row by row into the output (NumPy's order, so the same result) a
column tile at a time, tiles split across threads. No intermediate arrays, and none of np.sum's
Python-level argument handling (which costs more than the work on small arrays). Reduced dims in
several blocks go one block at a time (sum, mean, amax); everything else goes to the NumPy
reference.
"""

cimport numpy as cnp
from cython.parallel cimport prange, threadid
from libc.math cimport NAN, log, logf
from libc.stdint cimport int64_t
from libc.string cimport memcpy

from _ufunc_loops cimport Loop, find_loop, intp

import numpy as np

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()


cdef enum:
    ADD, MAX, EXP, N_OPS
    MAX_THREADS = 64
    TILE_BYTES = 16384  # a tile's slice of the output: fits L1 (32-48 KiB) with room to spare
    ALIGN = 16  # tile widths when blocks are split: whole 64-byte cache lines of float32
    BALANCE = 8  # from this many blocks per thread, whole blocks balance the threads well
    BUF = 1024  # squared deviations per buffer in var's rows

cdef Loop _loops[N_OPS][2]
cdef int _nthreads = 1
# At or above this many input elements the work is split across threads.
# NOTE: 2 Mi, as for the elementwise loops. Measured here on one thread (2048 x 2048 float32):
# sum(dim=0) 0.19 ms (about 45 us per Mi elements), sum(dim=1) 0.6 ms, var(dim=0) 0.64 ms,
# var(dim=1) 1.5 ms; the second thread's wake-up added 10 us to a 32 x 2048 sum(dim=0) (4 ->
# 14 us) and costs 15-50 us on this machine, so halving a leading-axis sum repays it from
# about 1-2 Mi elements (rows and var, with more work per element, sooner). Two threads could
# not be timed on free cores: other jobs kept the second core busy (load 2-5) throughout, and
# then two threads were slower than one at every size (0.2-0.7x at 32 x 2048 to 4096 x 2048;
# torch's own threads too): a parallel loop waits for its slowest thread.
cdef intp _par_size = 1 << 21


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


# A sum of a contiguous row: 16 float lanes the compiler vectorizes, each summing a stretch of at
# most 64 elements of every block of SUM_BLOCK, the blocks' totals added in double. NumPy's
# pairwise loop runs about 3x slower here (it is memory-bound from L2 outward, this is not); the
# result differs from NumPy's in the last bits only (lane stretches are short, blocks add exactly
# enough in double).
cdef enum:
    LANES = 16
    SUM_BLOCK = 1024

ctypedef fused real:
    float
    double


cdef double _sum(const real *x, intp n) noexcept nogil:
    cdef real acc[LANES]
    cdef double total = 0
    cdef intp i = 0, k, blk, j
    while n - i >= LANES:
        blk = min(n - i, <intp>SUM_BLOCK) // LANES * LANES
        for j in range(LANES):
            acc[j] = 0
        k = i
        while k < i + blk:
            for j in range(LANES):
                acc[j] += x[k + j]
            k += LANES
        for j in range(LANES):
            total += acc[j]
        i += blk
    while i < n:
        total += x[i]
        i += 1
    return total


cdef inline double _sum_any(char *x, intp n, intp isz) noexcept nogil:
    if isz == 4:
        return _sum(<const float *>x, n)
    return _sum(<const double *>x, n)


cdef inline void _store(char *out, double v, intp isz) noexcept nogil:
    if isz == 4:
        (<float *>out)[0] = <float>v
    else:
        (<double *>out)[0] = v


cdef inline void _row(int op, Loop lp, char *x, intp n, char *out, intp isz) noexcept nogil:
    """out = reduce(x[0:n]), n >= 1."""
    if op == ADD:
        _store(out, _sum_any(x, n, isz), isz)
    else:
        _reduce_row(lp, x, n, out, isz)


cdef void _rows(int op, Loop lp, char *x, intp outer, intp nred, char *out, intp isz,
                int nt) noexcept nogil:
    """out[o] = reduce(x[o, :]) for outer rows of nred elements."""
    cdef intp o, t, chunk
    cdef double partials[MAX_THREADS]  # room for one float32/float64 partial per thread
    cdef char *part = <char *>partials
    cdef double sums[MAX_THREADS]  # or one double per thread, for a sum
    if outer == 1 and nt > 1:
        # One long row: each thread reduces a chunk, then the partial results are reduced.
        chunk = (nred + nt - 1) // nt
        chunk = (chunk + SUM_BLOCK - 1) // SUM_BLOCK * SUM_BLOCK
        for t in prange(nt, num_threads=nt, schedule="static"):
            sums[t] = 0
            if t * chunk < nred:
                if op == ADD:
                    sums[t] = _sum_any(x + t * chunk * isz, min(chunk, nred - t * chunk), isz)
                else:
                    _reduce_row(lp, x + t * chunk * isz, min(chunk, nred - t * chunk),
                                part + t * isz, isz)
        if op == ADD:
            _store(out, _sum(<const double *>sums, nt), isz)
        else:
            _reduce_row(lp, part, (nred + chunk - 1) // chunk, out, isz)
    elif nt > 1:
        for o in prange(outer, num_threads=nt, schedule="static"):
            _row(op, lp, x + o * nred * isz, nred, out + o * isz, isz)
    else:
        for o in range(outer):
            _row(op, lp, x + o * nred * isz, nred, out + o * isz, isz)


cdef inline void _block(Loop lp, char *x, intp nred, intp inner, intp i0, intp n,
                        char *out, intp isz) noexcept nogil:
    """out[i0:i0+n] = reduce over r of x[r, i0:i0+n] (x is nred x inner, C-contiguous)."""
    cdef intp r
    memcpy(out + i0 * isz, x + i0 * isz, n * isz)
    for r in range(1, nred):
        _call(lp, out + i0 * isz, isz, x + (r * inner + i0) * isz, isz, out + i0 * isz, isz, n)


cdef intp _tile_width(intp outer, intp inner, intp isz, int nt) noexcept nogil:
    """Columns per tile of a block reduction (see _blocks)."""
    cdef intp w = min(inner, TILE_BYTES // isz), ntiles = (inner + w - 1) // w
    if nt > 1 and (outer * ntiles) % nt != 0 and outer < BALANCE * nt:
        # Few blocks: as many tiles per block as makes every thread's share equal.
        ntiles = (ntiles + nt - 1) // nt * nt
        w = ((inner + ntiles - 1) // ntiles + ALIGN - 1) // ALIGN * ALIGN
    return min(w, inner)


cdef void _blocks(Loop lp, char *x, intp outer, intp nred, intp inner, char *out, intp isz,
                  int nt) noexcept nogil:
    """out[o, :] = reduce over r of x[o, r, :], one column tile at a time.

    A tile is a run of at most TILE_BYTES of a block's columns: its slice of the output stays in
    L1 while the tile's rows are read in order, each row a contiguous run (the same sum order as
    a whole row at a time, so the same result). Threads take whole tiles, so they split a block
    that is alone (a leading-axis reduction) as well as many blocks.

    NOTE: this replaces "threads split the outer blocks only": splitting one block's columns
    across threads had been measured 2-5x slower than one thread (512 x 1024 and 4096 x 1024
    float32), with code that was not kept. Here one parallel loop gives each thread whole tiles,
    each walked over all its rows; one thread gains from the tiles too (sum(dim=0) of 2048 x
    2048 float32: 0.24 -> 0.19 ms). See _par_size for what two threads gave.
    """
    cdef intp w = _tile_width(outer, inner, isz, nt), ntiles = (inner + w - 1) // w, i, o, j
    if nt > 1 and outer * ntiles > 1:
        for i in prange(outer * ntiles, num_threads=nt, schedule="static"):
            o = i // ntiles
            j = i % ntiles
            _block(lp, x + o * nred * inner * isz, nred, inner, j * w, min(w, inner - j * w),
                   out + o * inner * isz, isz)
    else:
        for i in range(outer * ntiles):
            o = i // ntiles
            j = i % ntiles
            _block(lp, x + o * nred * inner * isz, nred, inner, j * w, min(w, inner - j * w),
                   out + o * inner * isz, isz)



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


cdef bint _layout(cnp.ndarray a, object reduced, intp *outer, intp *nred, intp *inner):
    """View ``a`` as [outer, nred, inner] reduced over nred; False when the dims flagged in
    ``reduced`` are not one block (dims of size 1 never split one)."""
    cdef int nd = cnp.PyArray_NDIM(a), d, first = -1, last = -1
    cdef intp size
    outer[0] = nred[0] = inner[0] = 1
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
                return False
            nred[0] *= size
        elif d < first or first < 0:
            outer[0] *= size
        else:
            inner[0] *= size
    return True


cdef inline int _threads_for(intp n) noexcept nogil:
    return _nthreads if n >= _par_size else 1


cdef void _reduce_into(int op, cnp.ndarray a, intp outer, intp nred, intp inner, cnp.ndarray out):
    cdef intp isz = cnp.PyArray_ITEMSIZE(a)
    cdef Loop lp = _loops[op][_slot(a)]
    cdef char *x = cnp.PyArray_BYTES(a)
    cdef char *o = cnp.PyArray_BYTES(out)
    cdef int nt = _threads_for(outer * nred * inner)
    with nogil:
        if inner == 1:
            _rows(op, lp, x, outer, nred, o, isz, nt)
        else:
            _blocks(lp, x, outer, nred, inner, o, isz, nt)


cdef object _reduce(int op, cnp.ndarray a, object reduced, object shape):
    """Reduce ``a`` over the dims flagged in ``reduced`` into a new array of ``shape``.

    Reduced dims in several blocks (dims 0 and 2 of three) are reduced a block at a time, the
    last first, through an intermediate array smaller than ``a``.
    """
    cdef intp outer, nred, inner
    cdef int d
    if not _layout(a, reduced, &outer, &nred, &inner):
        shape_a = a.shape
        d = len(reduced) - 1
        while not (reduced[d] and shape_a[d] != 1):
            d -= 1
        while d >= 0 and (reduced[d] or shape_a[d] == 1):
            d -= 1
        last = tuple(reduced[i] and i > d for i in range(len(reduced)))
        part = _reduce(op, a, last, tuple(1 if last[i] else shape_a[i] for i in range(len(last))))
        rest = tuple(reduced[i] and not last[i] for i in range(len(last)))
        return _reduce(op, part, rest, shape)
    cdef cnp.ndarray out = np.empty(shape, dtype=a.dtype)
    _reduce_into(op, a, outer, nred, inner, out)
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


cdef double _sq_dev_sum(Loop lp, real *x, intp n, real m) noexcept nogil:
    """The sum of (x[i] - m)**2 over n >= 1 elements, the squares in x's type.

    The squares go BUF at a time into a buffer on the stack, which NumPy's pairwise add loop
    reduces (np.var sums an array of the squares: pairwise along a row); the buffers' sums are
    added in double.
    """
    cdef double mem[BUF]
    cdef real *buf = <real *>mem
    cdef real d, s
    cdef double total = 0
    cdef intp i = 0, j, k
    while i < n:
        k = min(<intp>BUF, n - i)
        for j in range(k):
            d = x[i + j] - m
            buf[j] = d * d
        _reduce_row(lp, <char *>buf, k, <char *>&s, sizeof(real))
        total += s
        i += k
    return total


cdef void _var_rows(Loop lp, real *x, intp outer, intp nred, real *out, double dof,
                    int nt) noexcept nogil:
    """out[o] = sum over r of (x[o, r] - out[o])**2 / dof: out holds the rows' means."""
    cdef intp o, t, chunk
    cdef double partials[MAX_THREADS]
    cdef double total = 0
    if outer == 1 and nt > 1:
        chunk = (nred + nt - 1) // nt
        for t in prange(nt, num_threads=nt, schedule="static"):
            partials[t] = 0
            if t * chunk < nred:
                partials[t] = _sq_dev_sum(lp, x + t * chunk, min(chunk, nred - t * chunk), out[0])
        for t in range(nt):
            total += partials[t]
        out[0] = <real>(total / dof)
    elif nt > 1:
        for o in prange(outer, num_threads=nt, schedule="static"):
            out[o] = <real>(_sq_dev_sum(lp, x + o * nred, nred, out[o]) / dof)
    else:
        for o in range(outer):
            out[o] = <real>(_sq_dev_sum(lp, x + o * nred, nred, out[o]) / dof)


cdef void _var_block(real *x, intp nred, intp inner, intp i0, intp n, real *mean,
                     real *out) noexcept nogil:
    """out[i] = sum over r of (x[r, i] - mean[i])**2 for i in [i0, i0+n), row by row (np.var's
    order: its sum of the squares over a leading dim)."""
    cdef intp r, i
    cdef real d
    cdef real *row
    for i in range(i0, i0 + n):
        d = x[i] - mean[i]
        out[i] = d * d
    for r in range(1, nred):
        row = x + r * inner
        for i in range(i0, i0 + n):
            d = row[i] - mean[i]
            out[i] = out[i] + d * d


cdef void _var_blocks(real *x, intp outer, intp nred, intp inner, real *mean, real *out,
                      int nt) noexcept nogil:
    """out[o, :] = sum over r of (x[o, r, :] - mean[o, :])**2, in column tiles as _blocks."""
    cdef intp w = _tile_width(outer, inner, sizeof(real), nt), ntiles = (inner + w - 1) // w
    cdef intp i, o, j
    if nt > 1 and outer * ntiles > 1:
        for i in prange(outer * ntiles, num_threads=nt, schedule="static"):
            o = i // ntiles
            j = i % ntiles
            _var_block(x + o * nred * inner, nred, inner, j * w, min(w, inner - j * w),
                       mean + o * inner, out + o * inner)
    else:
        for i in range(outer * ntiles):
            o = i // ntiles
            j = i % ntiles
            _var_block(x + o * nred * inner, nred, inner, j * w, min(w, inner - j * w),
                       mean + o * inner, out + o * inner)


cdef void _var(Loop lp, real *x, intp outer, intp nred, intp inner, real *mean, real *out,
               double dof, int nt) noexcept nogil:
    """out = the variance from the sums in ``mean`` (``out`` itself for rows)."""
    _divide(mean, outer * inner, <double>nred)
    if inner == 1:
        _var_rows(lp, x, outer, nred, out, dof, nt)
    else:
        _var_blocks(x, outer, nred, inner, mean, out, nt)
        _divide(out, outer * inner, dof)


def var(x, dim, correction, keepdim):
    """out = sum of (x - mean)**2 over ``dim`` (None: all) / max(N - correction, 0), N the count
    reduced: np.var's two passes with ddof=correction; float32/float64 C-contiguous, one block
    of dims, no temporary beyond one array of the output's size."""
    if not _fast(x):
        return _ref.var(x, dim, correction, keepdim)
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef intp outer, nred, inner
    flags = _reduced_flags(cnp.PyArray_NDIM(a), dim)
    if not _layout(a, flags, &outer, &nred, &inner):
        return _ref.var(x, dim, correction, keepdim)
    cdef double dof = max(nred - correction, 0)
    cdef cnp.ndarray out = np.empty(_out_shape(a, flags, keepdim), dtype=a.dtype)
    # NOTE: rows keep their mean in ``out`` (each row's is read before its variance is written)
    cdef cnp.ndarray mean = out if inner == 1 else np.empty(outer * inner, dtype=a.dtype)
    _reduce_into(ADD, a, outer, nred, inner, mean)
    cdef int nt = _threads_for(outer * nred * inner)
    cdef Loop lp = _loops[ADD][_slot(a)]
    cdef char *px = cnp.PyArray_BYTES(a)
    cdef char *pm = cnp.PyArray_BYTES(mean)
    cdef char *po = cnp.PyArray_BYTES(out)
    cdef bint single = _slot(a) == 0
    with nogil:
        if single:
            _var(lp, <float *>px, outer, nred, inner, <float *>pm, <float *>po, dof, nt)
        else:
            _var(lp, <double *>px, outer, nred, inner, <double *>pm, <double *>po, dof, nt)
    return out[()] if cnp.PyArray_NDIM(out) == 0 else out


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


# --- softmax and log_softmax along the last dim, and their VJPs ---------------------------------
# Row by row (mytorch._backends._activation's contracts): the max by NumPy's maximum loop (a NaN
# wins, as there), exp by NumPy's own SIMD loop on the row in place, the sums as above; one pass
# for what the reference does in four or five whole-array passes (8192 rows of 128 float32:
# 2.4 ms there). Other dims, layouts and dtypes go to the reference.
cdef intp _sm_par_size = 1 << 16  # elements from which rows are split across threads
cdef enum:
    # Rows of at most this many take their max from a loop here (128 x 10 float32 log_softmax:
    # 11.5 -> 4 us), longer ones from NumPy's SIMD loop.
    SHORT_ROW = 32


cdef inline void _exp_row(const real *x, real *out, intp n) noexcept nogil:
    cdef Loop lp = _loops[EXP][0] if real is float else _loops[EXP][1]
    cdef char *args[2]
    cdef intp steps[2]
    args[0] = <char *>x
    args[1] = <char *>out
    steps[0] = sizeof(real)
    steps[1] = sizeof(real)
    lp.fn(args, &n, steps, lp.data)


cdef void _sm_row(int kind, const real *x, const real *g, real *out, real *tmp,
                  intp n) noexcept nogil:
    """One row of n >= 1. kind 0: softmax(x) = exp(x - max) / sum; 1: log_softmax(x) = x - max
    - log(sum(exp(x - max))); 2: softmax's VJP y * (g - sum(g * y)) (x = y); 3: log_softmax's
    VJP g - exp(y) * sum(g) (x = y). tmp: room for n (kinds 1 and 2)."""
    cdef Loop mx = _loops[MAX][0] if real is float else _loops[MAX][1]
    cdef real m, s
    cdef intp j
    if kind <= 1:
        if n <= SHORT_ROW:
            # NOTE: NumPy's loop costs about 80 ns a call: a short row's max in C (a NaN wins)
            m = x[0]
            for j in range(1, n):
                if x[j] > m or x[j] != x[j]:
                    m = x[j]
        else:
            _reduce_row(mx, <char *>x, n, <char *>&m, sizeof(real))
        for j in range(n):
            out[j] = x[j] - m
        if kind == 0:
            _exp_row(out, out, n)
            s = <real>_sum(out, n)
            for j in range(n):
                out[j] = out[j] / s
        else:
            _exp_row(out, tmp, n)
            s = <real>_sum(tmp, n)
            s = logf(s) if real is float else log(s)
            for j in range(n):
                out[j] = out[j] - s
    elif kind == 2:
        for j in range(n):
            tmp[j] = g[j] * x[j]
        s = <real>_sum(tmp, n)
        for j in range(n):
            out[j] = x[j] * (g[j] - s)
    else:
        s = <real>_sum(g, n)
        _exp_row(x, out, n)
        for j in range(n):
            out[j] = g[j] - out[j] * s


cdef void _sm_rows(int kind, const real *x, const real *g, real *out, real *tmp, intp rows,
                   intp n, int nt) noexcept nogil:
    cdef intp r
    if nt > 1:
        for r in prange(rows, num_threads=nt, schedule="static"):
            _sm_row(kind, x + r * n, g + r * n if g != NULL else NULL, out + r * n,
                    tmp + threadid() * n, n)
    else:
        for r in range(rows):
            _sm_row(kind, x + r * n, g + r * n if g != NULL else NULL, out + r * n, tmp, n)


cdef object _softmax_like(int kind, x, g, dim):
    """_sm_rows over x's (and g's) last dim, or None where the fast path does not take them."""
    if not _fast(x) or (g is not None and (not _fast(g) or g.dtype != x.dtype
                                           or g.shape != x.shape)):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int nd = cnp.PyArray_NDIM(a)
    if dim != nd - 1 and dim != -1:
        return None
    cdef intp n = cnp.PyArray_DIM(a, nd - 1), size = cnp.PyArray_SIZE(a)
    cdef intp rows = size // n
    cdef int nt = _nthreads if size >= _sm_par_size and rows > 1 else 1
    cdef cnp.ndarray out = np.empty_like(a)
    cdef cnp.ndarray tmp = np.empty(nt * n if kind == 1 or kind == 2 else 0, dtype=a.dtype)
    cdef void *px = cnp.PyArray_DATA(a)
    cdef void *pg = cnp.PyArray_DATA(<cnp.ndarray>g) if g is not None else NULL
    cdef void *po = cnp.PyArray_DATA(out)
    cdef void *pt = cnp.PyArray_DATA(tmp)
    cdef bint single = _slot(a) == 0
    with nogil:
        if single:
            _sm_rows(kind, <const float *>px, <const float *>pg, <float *>po, <float *>pt, rows,
                     n, nt)
        else:
            _sm_rows(kind, <const double *>px, <const double *>pg, <double *>po, <double *>pt,
                     rows, n, nt)
    return out


def softmax(x, dim):
    """The reference's softmax (mytorch._backends._activation), a row at a time."""
    out = _softmax_like(0, x, None, dim)
    return _ref.softmax(x, dim) if out is None else out


def log_softmax(x, dim):
    """The reference's log_softmax, a row at a time."""
    out = _softmax_like(1, x, None, dim)
    return _ref.log_softmax(x, dim) if out is None else out


def softmax_backward(y, g, dim):
    """The reference's softmax_backward, a row at a time."""
    out = _softmax_like(2, y, g, dim)
    return _ref.softmax_backward(y, g, dim) if out is None else out


def log_softmax_backward(y, g, dim):
    """The reference's log_softmax_backward, a row at a time."""
    out = _softmax_like(3, y, g, dim)
    return _ref.log_softmax_backward(y, g, dim) if out is None else out


_find_loops(ADD, np.add)
_find_loops(MAX, np.maximum)
_find_loops(EXP, np.exp)

# --- nll_loss of rows (N, C) with int64 targets and no class weights ---------------------------
# The reference's contracts (mytorch._backends._activation) in one pass over the targets: the
# reference takes a dozen NumPy calls (128 x 10 float32, mean: 15 us there).
_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


cdef bint _nll_ok(object x, object target, object ignore_index, int nd) noexcept:
    """Whether x (an nd-d C-contiguous float32/float64 array, or for nd 0 a NumPy float32/float64
    scalar) and target (1-d C-contiguous int64 of x's rows) take _nll_loop."""
    if nd == 0:
        if type(x) is not np.float32 and type(x) is not np.float64:
            return False
    elif not _fast(x) or cnp.PyArray_NDIM(<cnp.ndarray>x) != nd:
        return False
    if type(target) is not cnp.ndarray or type(ignore_index) is not int:
        return False
    if not _INT64_MIN <= ignore_index <= _INT64_MAX:
        return False
    cdef cnp.ndarray t = <cnp.ndarray>target
    return (cnp.PyArray_TYPE(t) == cnp.NPY_INT64 and cnp.PyArray_NDIM(t) == 1
            and cnp.PyArray_ISCARRAY_RO(t)
            and (nd == 0 or cnp.PyArray_DIM(<cnp.ndarray>x, 0) == cnp.PyArray_DIM(t, 0)))


cdef int64_t _nll_loop(bint forward, bint single, const int64_t *t, intp n, intp c,
                       int64_t ignore, char *x, char *g, double coef, char *out, double *total,
                       intp *kept) noexcept nogil:
    """forward: out[i] = -x[i, t[i]] (x the rows), 0 where ignored, summed into total and kept
    counted; else out[i, t[i]] = -g[i] (g per row) or coef (g NULL), out zeros. Returns the
    first target out of [0, c) with kept set to -1 (then out is partly written)."""
    cdef intp i, at
    cdef int64_t ti
    cdef double v
    for i in range(n):
        ti = t[i]
        if ti == ignore:
            if forward:
                if single:
                    (<float *>out)[i] = 0
                else:
                    (<double *>out)[i] = 0
            continue
        if ti < 0 or ti >= c:
            kept[0] = -1
            return ti
        kept[0] += 1
        at = i * c + ti
        if forward:
            v = -(<float *>x)[at] if single else -(<double *>x)[at]
            total[0] += v
            at = i
        else:
            v = coef if g == NULL else (-(<float *>g)[i] if single else -(<double *>g)[i])
        if single:
            (<float *>out)[at] = <float>v
        else:
            (<double *>out)[at] = v
    return 0


def nll_rows(logp, target, ignore_index, reduction):
    """The reference's nll_rows for C-contiguous float32/float64 rows and int64 targets (the
    sum in double)."""
    if not _nll_ok(logp, target, ignore_index, 2):
        return _ref.nll_rows(logp, target, ignore_index, reduction)
    cdef cnp.ndarray a = <cnp.ndarray>logp
    cdef intp n = cnp.PyArray_DIM(a, 0), kept = 0
    cdef cnp.ndarray loss = cnp.PyArray_EMPTY(1, &n, cnp.PyArray_TYPE(a), 0)
    cdef double total = 0
    cdef int64_t bad = _nll_loop(True, _slot(a) == 0, <const int64_t *>cnp.PyArray_DATA(target),
                                 n, cnp.PyArray_DIM(a, 1), ignore_index, cnp.PyArray_BYTES(a),
                                 NULL, 0, cnp.PyArray_BYTES(loss), &total, &kept)
    if kept < 0:
        raise IndexError("Target %d is out of bounds." % bad)
    if reduction == "none":
        return loss
    if reduction == "mean":
        total = total / kept if kept else NAN
    return loss.dtype.type(total)


def nll_rows_backward(g, target, c, ignore_index, reduction):
    """The reference's nll_rows_backward for int64 targets and a float32/float64 g: a NumPy
    scalar, or C-contiguous per row for 'none'."""
    cdef bint rows = reduction == "none"
    if type(c) is not int or not _nll_ok(g, target, ignore_index, 1 if rows else 0):
        return _ref.nll_rows_backward(g, target, c, ignore_index, reduction)
    cdef cnp.ndarray t = <cnp.ndarray>target
    cdef intp dims[2]
    dims[0], dims[1] = cnp.PyArray_DIM(t, 0), c
    cdef int typenum = cnp.PyArray_TYPE(<cnp.ndarray>g) if rows else (
        cnp.NPY_FLOAT if type(g) is np.float32 else cnp.NPY_DOUBLE)
    cdef cnp.ndarray out = cnp.PyArray_ZEROS(2, dims, typenum, 0)
    cdef double coef = 0, total = 0
    cdef intp i, kept = 0
    cdef const int64_t *tp = <const int64_t *>cnp.PyArray_DATA(t)
    cdef int64_t ignore = ignore_index
    if not rows:
        coef = -<double>g
        if reduction == "mean":
            for i in range(dims[0]):
                kept += tp[i] != ignore
            if not kept:
                return out
            coef /= kept
    # (the forward checked the targets)
    _nll_loop(False, typenum == cnp.NPY_FLOAT, tp, dims[0], c, ignore, NULL,
              cnp.PyArray_BYTES(<cnp.ndarray>g) if rows else NULL, coef,
              cnp.PyArray_BYTES(out), &total, &kept)
    return out


OVERRIDES = ("sum", "mean", "amax", "sum_to", "var", "softmax", "log_softmax", "softmax_backward",
             "log_softmax_backward", "nll_rows", "nll_rows_backward")
