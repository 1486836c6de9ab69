# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The recurrent cells' time steps in one pass over the memory: the reference kernels
(mytorch/_backends/_rnn.py) make a temporary array per sigmoid, tanh, product and sum; these
loops read each gate once and write h and c' (LSTM) or h' (GRU) directly, a block of a row at
a time, with exp and tanh computed by NumPy's own (SIMD) inner loops on the block held in L1
(sigmoid(x) = 1 / (1 + exp(-x)): no overflow trouble, exp(-x) = inf gives 0).

Fast path: C-contiguous float32/float64 arrays of one dtype whose shapes fit (gates (..., 4H)
or (..., 3H), states (..., H)). Everything else goes to the NumPy reference. Rows of the batch
are split across threads from PAR_SIZE elements.

lstm_layer and lstm_layer_backward run a whole layer's time loop without the GIL: each step's
recurrent GEMM through SciPy's BLAS (the input part of the gates copied in first and the
product added by the GEMM, beta = 1), the cell loops above writing h and c' (the backward: the
gates' gradient) straight into the layer's arrays; d w_hh is two GEMMs over the saved outputs.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm, sgemm

from _ufunc_loops cimport Loop, find_loop, intp

import numpy as np

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()

ctypedef fused real:
    float
    double

cdef enum:
    # Elements (batch rows x H) from which the rows are split across threads.
    PAR_SIZE = 1 << 17
    # Below this many elements the loop keeps the GIL (releasing it costs more).
    NOGIL_MIN = 8192
    # Columns of a row handled at once (the temporaries of a block stay in L1).
    BLOCK = 256

cdef int _nthreads = 1


def _set_num_threads(int n):
    """Threads the kernels may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = n if n > 0 else 1


# NumPy's own (SIMD) exp and tanh loops, slot 0 float32, slot 1 float64.
cdef Loop _exp_loops[2]
cdef Loop _tanh_loops[2]


cdef inline void _run(Loop *loops, real *x, real *out, intp n) noexcept nogil:
    """out[:n] = loop(x[:n]) through the dtype's NumPy inner loop (x may be out)."""
    cdef char *args[2]
    cdef intp steps[2]
    cdef Loop lp = loops[0] if real is float else loops[1]
    args[0] = <char *>x
    args[1] = <char *>out
    steps[0] = sizeof(real)
    steps[1] = sizeof(real)
    lp.fn(args, &n, steps, lp.data)


cdef void _lstm_row(const real *g, const real *c, real *h, real *c2, intp k) noexcept nogil:
    """One batch row, in blocks of BLOCK columns held in L1: e = exp(-x) of the i, f, o gates
    (one loop call), tanh of g, then c' = f * c + i * g and h = o * tanh(c')."""
    cdef double store[4 * BLOCK]  # NOTE: room for 4 * BLOCK of either dtype
    cdef real *e = <real *>store
    cdef real *t = e + 3 * BLOCK
    cdef real one = 1, i, f
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        for j in range(n):
            e[j] = -g[j0 + j]
            e[n + j] = -g[k + j0 + j]
            e[2 * n + j] = -g[3 * k + j0 + j]
        _run(_exp_loops, e, e, 3 * n)
        _run(_tanh_loops, <real *>(g + 2 * k + j0), t, n)
        for j in range(n):
            i = one / (one + e[j])
            f = one / (one + e[n + j])
            c2[j0 + j] = f * c[j0 + j] + i * t[j]
            e[2 * n + j] = one / (one + e[2 * n + j])
        _run(_tanh_loops, c2 + j0, t, n)
        for j in range(n):
            h[j0 + j] = e[2 * n + j] * t[j]
        j0 += n


cdef void _lstm_back_row(const real *dh, const real *dcn, const real *g, const real *c,
                         real *dg, real *dc0, intp k) noexcept nogil:
    """The backward of _lstm_row for one batch row, in blocks: recompute i, f, o (one exp loop
    call), tanh(g) and tanh(c'), then d c' = dcn + dh * o * (1 - tanh(c')^2), the four gates'
    gradients and d c = d c' * f."""
    cdef double store[5 * BLOCK]  # NOTE: room for 5 * BLOCK of either dtype
    cdef real *e = <real *>store
    cdef real *t = e + 3 * BLOCK
    cdef real *u = e + 4 * BLOCK
    cdef real one = 1, i, f, o, d
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        for j in range(n):
            e[j] = -g[j0 + j]
            e[n + j] = -g[k + j0 + j]
            e[2 * n + j] = -g[3 * k + j0 + j]
        _run(_exp_loops, e, e, 3 * n)
        _run(_tanh_loops, <real *>(g + 2 * k + j0), t, n)
        for j in range(n):
            e[j] = one / (one + e[j])
            e[n + j] = one / (one + e[n + j])
            e[2 * n + j] = one / (one + e[2 * n + j])
            u[j] = e[n + j] * c[j0 + j] + e[j] * t[j]
        _run(_tanh_loops, u, u, n)
        for j in range(n):
            i = e[j]
            f = e[n + j]
            o = e[2 * n + j]
            d = dcn[j0 + j] + dh[j0 + j] * o * (one - u[j] * u[j])
            dg[j0 + j] = d * t[j] * i * (one - i)
            dg[k + j0 + j] = d * c[j0 + j] * f * (one - f)
            dg[2 * k + j0 + j] = d * i * (one - t[j] * t[j])
            dg[3 * k + j0 + j] = dh[j0 + j] * u[j] * o * (one - o)
            dc0[j0 + j] = d * f
        j0 += n


cdef void _gru_row(const real *gi, const real *gh, const real *h, real *out,
                   intp k) noexcept nogil:
    """One batch row in blocks: e = exp(-(gi + gh)) of r and z (one loop call), then
    n = tanh(gi_n + r * gh_n) and h' = (1 - z) * n + z * h."""
    cdef double store[3 * BLOCK]
    cdef real *e = <real *>store
    cdef real *t = e + 2 * BLOCK
    cdef real one = 1, z
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        for j in range(n):
            e[j] = -(gi[j0 + j] + gh[j0 + j])
            e[n + j] = -(gi[k + j0 + j] + gh[k + j0 + j])
        _run(_exp_loops, e, e, 2 * n)
        for j in range(n):
            t[j] = gi[2 * k + j0 + j] + gh[2 * k + j0 + j] / (one + e[j])
        _run(_tanh_loops, t, t, n)
        for j in range(n):
            z = one / (one + e[n + j])
            out[j0 + j] = (one - z) * t[j] + z * h[j0 + j]
        j0 += n


cdef void _lstm(const real *g, const real *c, real *h, real *c2, intp rows, intp k,
                int threads) noexcept nogil:
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_row(g + r * 4 * k, c + r * k, h + r * k, c2 + r * k, k)
    else:
        for r in range(rows):
            _lstm_row(g + r * 4 * k, c + r * k, h + r * k, c2 + r * k, k)


cdef void _lstm_back(const real *dh, const real *dcn, const real *g, const real *c, real *dg,
                     real *dc0, intp rows, intp k, int threads) noexcept nogil:
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_back_row(dh + r * k, dcn + r * k, g + r * 4 * k, c + r * k, dg + r * 4 * k,
                           dc0 + r * k, k)
    else:
        for r in range(rows):
            _lstm_back_row(dh + r * k, dcn + r * k, g + r * 4 * k, c + r * k, dg + r * 4 * k,
                           dc0 + r * k, k)


cdef void _gru(const real *gi, const real *gh, const real *h, real *out, intp rows, intp k,
               int threads) noexcept nogil:
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _gru_row(gi + r * 3 * k, gh + r * 3 * k, h + r * k, out + r * k, k)
    else:
        for r in range(rows):
            _gru_row(gi + r * 3 * k, gh + r * 3 * k, h + r * k, out + r * k, k)


cdef int _typenum(x) noexcept:
    """The dtype slot of a C-contiguous float32/float64 ndarray (-1: not the fast path)."""
    if type(x) is not cnp.ndarray:
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        return -1
    cdef int t = cnp.PyArray_TYPE(a)
    return t if t == cnp.NPY_FLOAT or t == cnp.NPY_DOUBLE else -1


cdef bint _fits(cnp.ndarray gates, cnp.ndarray state, intp n) noexcept:
    """gates has state's shape but n times its last dim."""
    cdef int nd = cnp.PyArray_NDIM(state), i
    if nd < 1 or cnp.PyArray_NDIM(gates) != nd:
        return False
    for i in range(nd - 1):
        if cnp.PyArray_DIM(gates, i) != cnp.PyArray_DIM(state, i):
            return False
    return cnp.PyArray_DIM(gates, nd - 1) == n * cnp.PyArray_DIM(state, nd - 1)


cdef int _threads(intp size) noexcept:
    return _nthreads if size >= PAR_SIZE else 1


def lstm_cell_gates(gates, c):
    """(h, c') of one LSTM step in one pass (the reference's contract)."""
    cdef int t = _typenum(gates)
    if t < 0 or _typenum(c) != t or not _fits(<cnp.ndarray>gates, <cnp.ndarray>c, 4):
        return _ref.lstm_cell_gates(gates, c)
    cdef cnp.ndarray g = <cnp.ndarray>gates, cc = <cnp.ndarray>c
    cdef intp size = cnp.PyArray_SIZE(cc)
    cdef intp k = cnp.PyArray_DIM(cc, cnp.PyArray_NDIM(cc) - 1)
    cdef intp rows = size // k if k else 0
    cdef int nt = _threads(size)
    cdef cnp.ndarray h = np.empty_like(c), c2 = np.empty_like(c)
    if t == cnp.NPY_FLOAT:
        if size >= NOGIL_MIN:
            with nogil:
                _lstm(<float *>cnp.PyArray_DATA(g), <float *>cnp.PyArray_DATA(cc),
                      <float *>cnp.PyArray_DATA(h), <float *>cnp.PyArray_DATA(c2), rows, k, nt)
        else:
            _lstm(<float *>cnp.PyArray_DATA(g), <float *>cnp.PyArray_DATA(cc),
                  <float *>cnp.PyArray_DATA(h), <float *>cnp.PyArray_DATA(c2), rows, k, 1)
    else:
        if size >= NOGIL_MIN:
            with nogil:
                _lstm(<double *>cnp.PyArray_DATA(g), <double *>cnp.PyArray_DATA(cc),
                      <double *>cnp.PyArray_DATA(h), <double *>cnp.PyArray_DATA(c2), rows, k, nt)
        else:
            _lstm(<double *>cnp.PyArray_DATA(g), <double *>cnp.PyArray_DATA(cc),
                  <double *>cnp.PyArray_DATA(h), <double *>cnp.PyArray_DATA(c2), rows, k, 1)
    return h, c2


def lstm_cell_gates_backward(gh, gc, gates, c):
    """(d gates, d c) of one LSTM step in one pass (the reference's contract)."""
    cdef int t = _typenum(gates)
    if t < 0 or _typenum(c) != t or not _fits(<cnp.ndarray>gates, <cnp.ndarray>c, 4):
        return _ref.lstm_cell_gates_backward(gh, gc, gates, c)
    if (type(gh) is not cnp.ndarray or type(gc) is not cnp.ndarray
            or gh.dtype != c.dtype or gc.dtype != c.dtype
            or gh.shape != c.shape or gc.shape != c.shape):
        return _ref.lstm_cell_gates_backward(gh, gc, gates, c)
    cdef cnp.ndarray dh = np.ascontiguousarray(gh), dcn = np.ascontiguousarray(gc)
    cdef cnp.ndarray g = <cnp.ndarray>gates, cc = <cnp.ndarray>c
    cdef intp size = cnp.PyArray_SIZE(cc)
    cdef intp k = cnp.PyArray_DIM(cc, cnp.PyArray_NDIM(cc) - 1)
    cdef intp rows = size // k if k else 0
    cdef int nt = _threads(size) if size >= NOGIL_MIN else 1
    cdef cnp.ndarray dg = np.empty_like(gates), dc0 = np.empty_like(c)
    if t == cnp.NPY_FLOAT:
        with nogil:
            _lstm_back(<float *>cnp.PyArray_DATA(dh), <float *>cnp.PyArray_DATA(dcn),
                       <float *>cnp.PyArray_DATA(g), <float *>cnp.PyArray_DATA(cc),
                       <float *>cnp.PyArray_DATA(dg), <float *>cnp.PyArray_DATA(dc0), rows, k,
                       nt)
    else:
        with nogil:
            _lstm_back(<double *>cnp.PyArray_DATA(dh), <double *>cnp.PyArray_DATA(dcn),
                       <double *>cnp.PyArray_DATA(g), <double *>cnp.PyArray_DATA(cc),
                       <double *>cnp.PyArray_DATA(dg), <double *>cnp.PyArray_DATA(dc0), rows, k,
                       nt)
    return dg, dc0


def gru_cell_gates(gi, gh, h):
    """h' of one GRU step in one pass (the reference's contract)."""
    cdef int t = _typenum(h)
    if (t < 0 or _typenum(gi) != t or _typenum(gh) != t
            or not _fits(<cnp.ndarray>gi, <cnp.ndarray>h, 3)
            or not _fits(<cnp.ndarray>gh, <cnp.ndarray>h, 3)):
        return _ref.gru_cell_gates(gi, gh, h)
    cdef cnp.ndarray a = <cnp.ndarray>gi, b = <cnp.ndarray>gh, hh = <cnp.ndarray>h
    cdef intp size = cnp.PyArray_SIZE(hh)
    cdef intp k = cnp.PyArray_DIM(hh, cnp.PyArray_NDIM(hh) - 1)
    cdef intp rows = size // k if k else 0
    cdef int nt = _threads(size)
    cdef cnp.ndarray out = np.empty_like(h)
    if t == cnp.NPY_FLOAT:
        if size >= NOGIL_MIN:
            with nogil:
                _gru(<float *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(b),
                     <float *>cnp.PyArray_DATA(hh), <float *>cnp.PyArray_DATA(out), rows, k, nt)
        else:
            _gru(<float *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(b),
                 <float *>cnp.PyArray_DATA(hh), <float *>cnp.PyArray_DATA(out), rows, k, 1)
    else:
        if size >= NOGIL_MIN:
            with nogil:
                _gru(<double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(b),
                     <double *>cnp.PyArray_DATA(hh), <double *>cnp.PyArray_DATA(out), rows, k, nt)
        else:
            _gru(<double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(b),
                 <double *>cnp.PyArray_DATA(hh), <double *>cnp.PyArray_DATA(out), rows, k, 1)
    return out


_exp_loops[0] = find_loop(np.exp, cnp.NPY_FLOAT)
_exp_loops[1] = find_loop(np.exp, cnp.NPY_DOUBLE)
_tanh_loops[0] = find_loop(np.tanh, cnp.NPY_FLOAT)
_tanh_loops[1] = find_loop(np.tanh, cnp.NPY_DOUBLE)



# --- whole layers ----------------------------------------------------------------------------
cdef void _lstm_act_row(real *g, const real *c, real *h, real *c2, intp k) noexcept nogil:
    """_lstm_row that leaves the activated gates (sigmoid i, f, o, tanh g) in g, in place, for
    the layer's backward (which then computes no exp and one tanh)."""
    cdef double store[4 * BLOCK]  # NOTE: room for 4 * BLOCK of either dtype
    cdef real *e = <real *>store
    cdef real *t = e + 3 * BLOCK
    cdef real one = 1, i, f
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        for j in range(n):
            e[j] = -g[j0 + j]
            e[n + j] = -g[k + j0 + j]
            e[2 * n + j] = -g[3 * k + j0 + j]
        _run(_exp_loops, e, e, 3 * n)
        _run(_tanh_loops, g + 2 * k + j0, g + 2 * k + j0, n)
        for j in range(n):
            i = one / (one + e[j])
            f = one / (one + e[n + j])
            g[j0 + j] = i
            g[k + j0 + j] = f
            c2[j0 + j] = f * c[j0 + j] + i * g[2 * k + j0 + j]
            g[3 * k + j0 + j] = one / (one + e[2 * n + j])
        _run(_tanh_loops, c2 + j0, t, n)
        for j in range(n):
            h[j0 + j] = g[3 * k + j0 + j] * t[j]
        j0 += n


cdef void _lstm_act_back_row(const real *dh, const real *dcn, const real *a, const real *c,
                             const real *c2, real *dg, real *dc0, intp k) noexcept nogil:
    """_lstm_back_row from the activated gates a and the step's cell state c2 (dcn may be
    dc0: each entry is read before it is written)."""
    cdef double store[BLOCK]
    cdef real *u = <real *>store
    cdef real one = 1, i, f, o, gt, d
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        _run(_tanh_loops, <real *>(c2 + j0), u, n)
        for j in range(n):
            i = a[j0 + j]
            f = a[k + j0 + j]
            gt = a[2 * k + j0 + j]
            o = a[3 * k + j0 + j]
            d = dcn[j0 + j] + dh[j0 + j] * o * (one - u[j] * u[j])
            dg[j0 + j] = d * gt * i * (one - i)
            dg[k + j0 + j] = d * c[j0 + j] * f * (one - f)
            dg[2 * k + j0 + j] = d * i * (one - gt * gt)
            dg[3 * k + j0 + j] = dh[j0 + j] * u[j] * o * (one - o)
            dc0[j0 + j] = d * f
        j0 += n


cdef void _lstm_act(real *g, const real *c, real *h, real *c2, intp rows, intp k,
                    int threads) noexcept nogil:
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_act_row(g + r * 4 * k, c + r * k, h + r * k, c2 + r * k, k)
    else:
        for r in range(rows):
            _lstm_act_row(g + r * 4 * k, c + r * k, h + r * k, c2 + r * k, k)


cdef void _lstm_act_back(const real *dh, const real *dcn, const real *a, const real *c,
                         const real *c2, real *dg, real *dc0, intp rows, intp k,
                         int threads) noexcept nogil:
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_act_back_row(dh + r * k, dcn + r * k, a + r * 4 * k, c + r * k, c2 + r * k,
                               dg + r * 4 * k, dc0 + r * k, k)
    else:
        for r in range(rows):
            _lstm_act_back_row(dh + r * k, dcn + r * k, a + r * 4 * k, c + r * k, c2 + r * k,
                               dg + r * 4 * k, dc0 + r * k, k)


cdef inline void _gemm(char *ta, char *tb, int m, int n, int k, real *a, int lda, real *b,
                       int ldb, real beta, real *c, int ldc) noexcept nogil:
    """C = op(A) op(B) + beta C, column-major (BLAS's own convention)."""
    cdef real one = 1
    if real is float:
        sgemm(ta, tb, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc)
    else:
        dgemm(ta, tb, &m, &n, &k, &one, a, &lda, b, &ldb, &beta, c, &ldc)


cdef void _layer(const real *gi, real *wt, const real *h0, const real *c0, real *gates,
                 real *out, real *cs, intp steps, intp rows, intp k, bint reverse,
                 int nt) noexcept nogil:
    """The forward time loop: gates[t] = gi[t] + h_prev wt (wt = w^T, contiguous), then the
    cell into out[t], cs[t] (gates[t] left activated)."""
    cdef intp s, t, step = rows * k
    cdef const real *h = h0
    cdef const real *c = c0
    cdef real one = 1
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        memcpy(gates + t * 4 * step, gi + t * 4 * step, 4 * step * sizeof(real))
        # row-major G (rows, 4k) += h (rows, k) wt: column-major G^T = wt^T h^T, both as
        # stored (NOTE: w itself with a transpose flag ran 40% slower at 32 x 128 x 512)
        _gemm(b"N", b"N", <int>(4 * k), <int>rows, <int>k, wt, <int>(4 * k), <real *>h, <int>k,
              one, gates + t * 4 * step, <int>(4 * k))
        _lstm_act(gates + t * 4 * step, c, out + t * step, cs + t * step, rows, k, nt)
        h = out + t * step
        c = cs + t * step


cdef void _layer_back(const real *gout, real *w, const real *c0, const real *gates,
                      const real *cs, real *dgates, real *dh, real *dc, real *tmp,
                      intp steps, intp rows, intp k, bint reverse, int nt) noexcept nogil:
    """The backward time loop from the activated gates: per step (last first) the cell's
    backward into dgates[t] and dc (in place), then dh = dgates[t] w."""
    cdef intp s, t, j, step = rows * k
    cdef const real *c_prev
    cdef const real *dht
    cdef real zero = 0
    for s in range(steps):
        t = s if reverse else steps - 1 - s
        if reverse:
            c_prev = cs + (t + 1) * step if t + 1 < steps else c0
        else:
            c_prev = cs + (t - 1) * step if t > 0 else c0
        dht = dh
        if gout != NULL:
            for j in range(step):
                tmp[j] = dh[j] + gout[t * step + j]
            dht = tmp
        _lstm_act_back(dht, dc, gates + t * 4 * step, c_prev, cs + t * step,
                       dgates + t * 4 * step, dc, rows, k, nt)
        # row-major dh (rows, k) = dg (rows, 4k) w (4k, k): column-major dh^T = w^T dg^T
        _gemm(b"N", b"N", <int>k, <int>rows, <int>(4 * k), w, <int>k,
              dgates + t * 4 * step, <int>(4 * k), zero, dh, <int>k)


cdef void _layer_dw(const real *dgates, const real *hs, const real *h0, real *dw, intp steps,
                    intp rows, intp k, bint reverse) noexcept nogil:
    """dw (4k, k) = sum_t dgates[t]^T h_prev[t]: the steps whose h_prev is an output in one
    GEMM (they are contiguous in hs), the step whose h_prev is h0 in another."""
    cdef intp step = rows * k
    cdef real zero = 0, one = 1
    cdef const real *dg_first
    cdef const real *dg_rest
    cdef const real *h_rest
    if reverse:  # h_prev[t] = hs[t + 1] (t < T - 1), h0 for t = T - 1
        dg_first = dgates + (steps - 1) * 4 * step
        dg_rest, h_rest = dgates, hs + step
    else:  # h_prev[t] = hs[t - 1] (t > 0), h0 for t = 0
        dg_first = dgates
        dg_rest, h_rest = dgates + 4 * step, hs
    # row-major dw (4k, k) = dg^T (4k, M) h (M, k): column-major dw^T = h^T dg
    _gemm(b"N", b"T", <int>k, <int>(4 * k), <int>rows, <real *>h0, <int>k, <real *>dg_first,
          <int>(4 * k), zero, dw, <int>k)
    if steps > 1:
        _gemm(b"N", b"T", <int>k, <int>(4 * k), <int>((steps - 1) * rows), <real *>h_rest,
              <int>k, <real *>dg_rest, <int>(4 * k), one, dw, <int>k)


cdef bint _shaped(x, int t, tuple shape):
    return _typenum(x) == t and x.shape == shape


def lstm_layer(gi, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer (mytorch._backends._rnn), its time loop without the GIL."""
    cdef int t = _typenum(gi)
    if t < 0 or gi.ndim != 3 or h0.ndim != 2:
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    cdef intp steps = gi.shape[0], rows = gi.shape[1], k = h0.shape[1]
    if (gi.shape[2] != 4 * k or not _shaped(w_hh, t, (4 * k, k))
            or not _shaped(h0, t, (rows, k)) or not _shaped(c0, t, (rows, k))
            or steps < 1 or rows * k < 1 or 4 * k * max(rows, k) > 2147483647):
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    cdef cnp.ndarray g = <cnp.ndarray>gi, w = np.ascontiguousarray(w_hh.T)
    cdef cnp.ndarray a = <cnp.ndarray>h0, b = <cnp.ndarray>c0
    cdef cnp.ndarray gates = np.empty_like(gi)
    cdef cnp.ndarray out = np.empty((steps, rows, k), dtype=gi.dtype)
    cdef cnp.ndarray cs = np.empty_like(out)
    cdef int nt = _threads(rows * k)
    cdef bint rev = bool(reverse)
    with nogil:
        if t == cnp.NPY_FLOAT:
            _layer(<float *>cnp.PyArray_DATA(g), <float *>cnp.PyArray_DATA(w),
                   <float *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(b),
                   <float *>cnp.PyArray_DATA(gates), <float *>cnp.PyArray_DATA(out),
                   <float *>cnp.PyArray_DATA(cs), steps, rows, k, rev, nt)
        else:
            _layer(<double *>cnp.PyArray_DATA(g), <double *>cnp.PyArray_DATA(w),
                   <double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(b),
                   <double *>cnp.PyArray_DATA(gates), <double *>cnp.PyArray_DATA(out),
                   <double *>cnp.PyArray_DATA(cs), steps, rows, k, rev, nt)
    # NOTE: "act", not the reference's "gates": the activated gates, which only this module's
    # lstm_layer_backward reads.
    saved["act"], saved["cs"], saved["hs"] = gates, cs, out.copy()
    last = 0 if rev else steps - 1
    return out, out[last].copy(), cs[last].copy()


def lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer_backward (mytorch._backends._rnn) without the GIL, from what
    this module's lstm_layer saved (the reference's saved state goes to the reference)."""
    if "act" not in saved:
        return _ref.lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved)
    gates, cs, hs = saved["act"], saved["cs"], saved["hs"]
    cdef int t = _typenum(gates)
    cdef intp steps = gates.shape[0], rows = gates.shape[1], k = h0.shape[1]
    state = (rows, k)
    # the forward's fast path ran on these shapes; gradients of another dtype are cast
    dt = gates.dtype
    cdef cnp.ndarray dh = np.array(gh, dtype=dt) if gh is not None else np.zeros(state, dt)
    cdef cnp.ndarray dc = np.array(gc, dtype=dt) if gc is not None else np.zeros(state, dt)
    cdef cnp.ndarray go = np.ascontiguousarray(gout, dt) if gout is not None else None
    cdef cnp.ndarray w = np.ascontiguousarray(w_hh, dt), a = np.ascontiguousarray(h0, dt)
    cdef cnp.ndarray b = np.ascontiguousarray(c0, dt)
    cdef cnp.ndarray tmp = np.empty(state, dt)
    cdef cnp.ndarray dgates = np.empty_like(gates), dw = np.empty((4 * k, k), dt)
    cdef cnp.ndarray g = <cnp.ndarray>gates, cc = <cnp.ndarray>cs, hh = <cnp.ndarray>hs
    cdef void *gop = cnp.PyArray_DATA(go) if go is not None else NULL
    cdef int nt = _threads(rows * k)
    cdef bint rev = bool(reverse)
    with nogil:
        if t == cnp.NPY_FLOAT:
            _layer_back(<float *>gop, <float *>cnp.PyArray_DATA(w), <float *>cnp.PyArray_DATA(b),
                        <float *>cnp.PyArray_DATA(g), <float *>cnp.PyArray_DATA(cc),
                        <float *>cnp.PyArray_DATA(dgates), <float *>cnp.PyArray_DATA(dh),
                        <float *>cnp.PyArray_DATA(dc), <float *>cnp.PyArray_DATA(tmp),
                        steps, rows, k, rev, nt)
            _layer_dw(<float *>cnp.PyArray_DATA(dgates), <float *>cnp.PyArray_DATA(hh),
                      <float *>cnp.PyArray_DATA(a), <float *>cnp.PyArray_DATA(dw), steps, rows,
                      k, rev)
        else:
            _layer_back(<double *>gop, <double *>cnp.PyArray_DATA(w),
                        <double *>cnp.PyArray_DATA(b), <double *>cnp.PyArray_DATA(g),
                        <double *>cnp.PyArray_DATA(cc), <double *>cnp.PyArray_DATA(dgates),
                        <double *>cnp.PyArray_DATA(dh), <double *>cnp.PyArray_DATA(dc),
                        <double *>cnp.PyArray_DATA(tmp), steps, rows, k, rev, nt)
            _layer_dw(<double *>cnp.PyArray_DATA(dgates), <double *>cnp.PyArray_DATA(hh),
                      <double *>cnp.PyArray_DATA(a), <double *>cnp.PyArray_DATA(dw), steps,
                      rows, k, rev)
    return dgates, dw, dh, dc


OVERRIDES = (
    "lstm_cell_gates", "lstm_cell_gates_backward", "gru_cell_gates", "lstm_layer",
    "lstm_layer_backward",
)
