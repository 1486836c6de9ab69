# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The recurrent cells' time steps in one pass over the memory: the reference kernels
(mytorch/_backends/_rnn.py) make a temporary array per sigmoid, tanh, product and sum; these
loops read each gate once and write h and c' (LSTM) or h' (GRU) directly, a block of a row at
a time, with exp and tanh computed by NumPy's own (SIMD) inner loops on the block held in L1
(sigmoid(x) = 1 / (1 + exp(-x)): no overflow trouble, exp(-x) = inf gives 0).

Fast path: C-contiguous float32/float64 arrays of one dtype whose shapes fit (gates (..., 4H)
or (..., 3H), states (..., H)). Everything else goes to the NumPy reference. Rows of the batch
are split across threads from PAR_SIZE elements.

lstm_layer and lstm_layer_backward run a whole layer's time loop: each step's recurrent GEMM
through the matmul kernel (as the reference's: NumPy's BLAS for these sizes threads far better
than a direct SciPy sgemm, see csrc/_blas.pyx), then one pass adding the input part and the
cell, which leaves the gates activated, writing h and c' straight into the layer's arrays; the
backward's cell reads the activated gates (no exp, one tanh), and d w_hh is two GEMMs over the
saved outputs.
"""

cimport numpy as cnp
from cython.parallel cimport prange

from _ufunc_loops cimport Loop, find_loop, intp

import numpy as np

from mytorch._backends.reference import NUMPY as _ref

try:  # the compiled matmul (SciPy's BLAS below a size, NumPy's above), as the reference's GEMMs
    from mytorch._ext._blas import matmul as _mm
except ImportError:
    _mm = np.matmul

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


cdef void _fwd_step(real *gates, const real *gi, const real *prod, const real *c, real *h,
                    real *c2, intp rows, intp k, int nt) noexcept nogil:
    """One forward step: gates = gi + prod (the reference's add), then the cell, which leaves
    the gates activated and writes h and c'."""
    cdef intp j
    for j in range(rows * 4 * k):
        gates[j] = gi[j] + prod[j]
    _lstm_act(gates, c, h, c2, rows, k, nt)


cdef void _back_step(const real *dh, const real *gout, real *tmp, real *dc, const real *act,
                     const real *c_prev, const real *c2, real *dg, intp rows, intp k,
                     int nt) noexcept nogil:
    """One backward step from the activated gates: dh (+ gout) and dc (updated in place) to
    the gates' gradient dg."""
    cdef intp j
    cdef const real *dht = dh
    if gout != NULL:
        for j in range(rows * k):
            tmp[j] = dh[j] + gout[j]
        dht = tmp
    _lstm_act_back(dht, dc, act, c_prev, c2, dg, dc, rows, k, nt)


cdef bint _shaped(x, int t, tuple shape):
    return _typenum(x) == t and x.shape == shape


def lstm_layer(gi, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer (mytorch._backends._rnn) with each step's add and cell fused
    (the recurrent GEMM is the matmul kernel's, as the reference's)."""
    cdef int t = _typenum(gi)
    if t < 0 or gi.ndim != 3 or h0.ndim != 2:
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    cdef intp steps = gi.shape[0], rows = gi.shape[1], k = h0.shape[1]
    if (gi.shape[2] != 4 * k or not _shaped(w_hh, t, (4 * k, k))
            or not _shaped(h0, t, (rows, k)) or not _shaped(c0, t, (rows, k)) or steps < 1):
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    wt = np.ascontiguousarray(w_hh.T)
    cdef cnp.ndarray gates = np.empty_like(gi)
    cdef cnp.ndarray out = np.empty((steps, rows, k), dtype=gi.dtype)
    cdef cnp.ndarray cs = np.empty_like(out)
    cdef cnp.ndarray prod
    cdef char *gp = cnp.PyArray_BYTES(<cnp.ndarray>gi)
    cdef char *ap = cnp.PyArray_BYTES(gates)
    cdef char *op = cnp.PyArray_BYTES(out)
    cdef char *cp = cnp.PyArray_BYTES(cs)
    cdef char *c = cnp.PyArray_BYTES(<cnp.ndarray>c0)
    cdef intp isz = cnp.PyArray_ITEMSIZE(gates), step = rows * k * isz, s, ti
    cdef int nt = _threads(rows * k)
    h = h0
    for s in range(steps):
        ti = steps - 1 - s if reverse else s
        prod = np.ascontiguousarray(_mm(h, wt))
        with nogil:
            if t == cnp.NPY_FLOAT:
                _fwd_step(<float *>(ap + 4 * ti * step), <float *>(gp + 4 * ti * step),
                          <float *>cnp.PyArray_DATA(prod), <float *>c,
                          <float *>(op + ti * step), <float *>(cp + ti * step), rows, k, nt)
            else:
                _fwd_step(<double *>(ap + 4 * ti * step), <double *>(gp + 4 * ti * step),
                          <double *>cnp.PyArray_DATA(prod), <double *>c,
                          <double *>(op + ti * step), <double *>(cp + ti * step), rows, k, nt)
        h = out[ti]
        c = cp + ti * step
    # NOTE: "act", not the reference's "gates": the activated gates, which only this module's
    # lstm_layer_backward reads.
    saved["act"], saved["cs"], saved["hs"] = gates, cs, out.copy()
    last = 0 if reverse else steps - 1
    return out, out[last].copy(), cs[last].copy()


def lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer_backward (mytorch._backends._rnn) from what this module's
    lstm_layer saved (the reference's saved state goes to the reference): each step's cell
    backward from the activated gates (no exp), the GEMMs the matmul kernel's."""
    if "act" not in saved:
        return _ref.lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved)
    cdef cnp.ndarray act = saved["act"], cs = saved["cs"]
    hs = saved["hs"]
    cdef int t = cnp.PyArray_TYPE(act)
    cdef intp steps = act.shape[0], rows = act.shape[1], k = act.shape[2] // 4
    state = (rows, k)
    # the forward's fast path ran on these shapes; gradients of another dtype are cast
    dt = act.dtype
    cdef cnp.ndarray dh = np.array(gh, dtype=dt) if gh is not None else np.zeros(state, dt)
    cdef cnp.ndarray dc = np.array(gc, dtype=dt) if gc is not None else np.zeros(state, dt)
    cdef cnp.ndarray go = np.ascontiguousarray(gout, dt) if gout is not None else None
    w = np.asarray(w_hh, dt)
    cdef cnp.ndarray tmp = np.empty(state, dt)
    cdef cnp.ndarray dgates = np.empty_like(act)
    cdef cnp.ndarray c0a = np.ascontiguousarray(c0, dt)
    cdef char *gop = cnp.PyArray_BYTES(go) if go is not None else NULL
    cdef char *ap = cnp.PyArray_BYTES(act)
    cdef char *cp = cnp.PyArray_BYTES(cs)
    cdef char *dgp = cnp.PyArray_BYTES(dgates)
    cdef char *c_prev
    cdef char *g_t
    cdef intp isz = cnp.PyArray_ITEMSIZE(act), step = rows * k * isz, s, ti
    cdef int nt = _threads(rows * k)
    for s in range(steps):
        ti = s if reverse else steps - 1 - s
        if reverse:
            c_prev = cp + (ti + 1) * step if ti + 1 < steps else cnp.PyArray_BYTES(c0a)
        else:
            c_prev = cp + (ti - 1) * step if ti > 0 else cnp.PyArray_BYTES(c0a)
        g_t = gop + ti * step if gop != NULL else NULL
        dh = np.ascontiguousarray(dh, dt)
        with nogil:
            if t == cnp.NPY_FLOAT:
                _back_step(<float *>cnp.PyArray_DATA(dh), <float *>g_t,
                           <float *>cnp.PyArray_DATA(tmp), <float *>cnp.PyArray_DATA(dc),
                           <float *>(ap + 4 * ti * step), <float *>c_prev,
                           <float *>(cp + ti * step), <float *>(dgp + 4 * ti * step), rows, k,
                           nt)
            else:
                _back_step(<double *>cnp.PyArray_DATA(dh), <double *>g_t,
                           <double *>cnp.PyArray_DATA(tmp), <double *>cnp.PyArray_DATA(dc),
                           <double *>(ap + 4 * ti * step), <double *>c_prev,
                           <double *>(cp + ti * step), <double *>(dgp + 4 * ti * step), rows, k,
                           nt)
        dh = _mm(dgates[ti], w)
    # dw = sum_t dgates[t]^T h_prev[t]: the steps whose h_prev is an output in one GEMM (they
    # are contiguous in hs), the step whose h_prev is h0 in another
    first = steps - 1 if reverse else 0
    dw = _mm(dgates[first].T, np.asarray(h0, dt))
    if steps > 1:
        rest = dgates[: steps - 1] if reverse else dgates[1:]
        h_rest = hs[1:] if reverse else hs[: steps - 1]
        dw = _mm(rest.reshape(-1, 4 * k).T, h_rest.reshape(-1, k)) + dw
    return dgates, dw, np.ascontiguousarray(dh, dt), dc


OVERRIDES = (
    "lstm_cell_gates", "lstm_cell_gates_backward", "gru_cell_gates", "lstm_layer",
    "lstm_layer_backward",
)
