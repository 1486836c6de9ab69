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
from scipy.linalg.cython_blas cimport dgemm, sgemm

from _blas_hooks cimport BlasHooks, blas_restore, blas_single, hooks_from
from _cpu cimport mt_cpu_level
from _small_gemm cimport (SMALL_B, mt_has_avx512, mt_rows_gemm_avx512, mt_rows_gemm_par,
                          mt_transpose, small_gemm_switch)
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
    MAX_INT = 2147483647  # BLAS dims are C ints
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


cdef inline void _gates_block(const real *g, real *e, real *t, intp k, intp n) noexcept nogil:
    """n columns of a row's raw gates (g at the block's first column; gates k apart) activated:
    e[:n], e[n:2n], e[2n:3n] = sigmoid of i, f, o (one exp loop call), t[:n] = tanh of g."""
    cdef real one = 1
    cdef intp j
    for j in range(n):
        e[j] = -g[j]
        e[n + j] = -g[k + j]
        e[2 * n + j] = -g[3 * k + j]
    _run(_exp_loops, e, e, 3 * n)
    _run(_tanh_loops, <real *>(g + 2 * k), t, n)
    for j in range(3 * n):
        e[j] = one / (one + e[j])


cdef void _lstm_row(const real *g, real *act, const real *c, real *h, real *c2,
                    intp k) noexcept nogil:
    """One batch row, in blocks of BLOCK columns held in L1: e = exp(-x) of the i, f, o gates
    (one loop call), tanh of g, then c' = f * c + i * g and h = o * tanh(c'). ``act`` (NULL, or
    the row's 4k gates: g itself for a layer) receives the activated gates (sigmoid i, f, o,
    tanh g), from which the layer's backward then computes no exp and one tanh."""
    cdef double store[4 * BLOCK]  # NOTE: room for 4 * BLOCK of either dtype
    cdef real *e = <real *>store
    cdef real *t = e + 3 * BLOCK
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        _gates_block(g + j0, e, t, k, n)
        for j in range(n):
            c2[j0 + j] = e[n + j] * c[j0 + j] + e[j] * t[j]
        if act != NULL:
            for j in range(n):
                act[j0 + j] = e[j]
                act[k + j0 + j] = e[n + j]
                act[2 * k + j0 + j] = t[j]
                act[3 * k + j0 + j] = e[2 * n + j]
        _run(_tanh_loops, c2 + j0, t, n)
        for j in range(n):
            h[j0 + j] = e[2 * n + j] * t[j]
        j0 += n


cdef inline void _lstm_back_block(const real *dh, const real *dcn, const real *ia,
                                  const real *fa, const real *ga, const real *oa, const real *u,
                                  const real *c, real *dg, real *dc0, intp k,
                                  intp n) noexcept nogil:
    """n columns of a row's backward from the activated gates (i, f, tanh g, o) and u =
    tanh(c'): d c' = dcn + dh * o * (1 - u^2), the four gates' gradients and d c = d c' * f
    (dcn may be dc0: each entry is read before it is written)."""
    cdef real one = 1, i, f, gt, o, d
    cdef intp j
    for j in range(n):
        i = ia[j]
        f = fa[j]
        gt = ga[j]
        o = oa[j]
        d = dcn[j] + dh[j] * o * (one - u[j] * u[j])
        dg[j] = d * gt * i * (one - i)
        dg[k + j] = d * c[j] * f * (one - f)
        dg[2 * k + j] = d * i * (one - gt * gt)
        dg[3 * k + j] = dh[j] * u[j] * o * (one - o)
        dc0[j] = d * f


cdef void _lstm_back_row(const real *dh, const real *dcn, const real *g, const real *act,
                         const real *c, const real *c2, real *dg, real *dc0,
                         intp k) noexcept nogil:
    """The backward of _lstm_row for one batch row, in blocks: from the activated gates ``act``
    and the step's c' (c2: a layer's), or (act NULL) from the raw gates g, recomputing i, f, o
    (one exp loop call), tanh(g) and tanh(c')."""
    cdef double store[5 * BLOCK]  # NOTE: room for 5 * BLOCK of either dtype
    cdef real *e = <real *>store
    cdef real *t = e + 3 * BLOCK
    cdef real *u = e + 4 * BLOCK
    cdef intp j0 = 0, j, n
    while j0 < k:
        n = k - j0 if k - j0 < BLOCK else BLOCK
        if act != NULL:
            _run(_tanh_loops, <real *>(c2 + j0), u, n)
            _lstm_back_block(dh + j0, dcn + j0, act + j0, act + k + j0, act + 2 * k + j0,
                             act + 3 * k + j0, u, c + j0, dg + j0, dc0 + j0, k, n)
        else:
            _gates_block(g + j0, e, t, k, n)
            for j in range(n):
                u[j] = e[n + j] * c[j0 + j] + e[j] * t[j]
            _run(_tanh_loops, u, u, n)
            _lstm_back_block(dh + j0, dcn + j0, e, e + n, t, e + 2 * n, u, c + j0, dg + j0,
                             dc0 + j0, k, n)
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


cdef void _lstm(const real *g, real *act, const real *c, real *h, real *c2, intp rows, intp k,
                int threads) noexcept nogil:
    """_lstm_row over the rows (act: NULL, or the activated gates' rows)."""
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_row(g + r * 4 * k, act + r * 4 * k if act != NULL else NULL, c + r * k,
                      h + r * k, c2 + r * k, k)
    else:
        for r in range(rows):
            _lstm_row(g + r * 4 * k, act + r * 4 * k if act != NULL else NULL, c + r * k,
                      h + r * k, c2 + r * k, k)


cdef void _lstm_back(const real *dh, const real *dcn, const real *g, const real *act,
                     const real *c, const real *c2, real *dg, real *dc0, intp rows, intp k,
                     int threads) noexcept nogil:
    """_lstm_back_row over the rows (from g, or from act and c2 where act is not NULL)."""
    cdef intp r
    if threads > 1:
        for r in prange(rows, num_threads=threads, schedule="static"):
            _lstm_back_row(dh + r * k, dcn + r * k, g + r * 4 * k if g != NULL else NULL,
                           act + r * 4 * k if act != NULL else NULL, c + r * k,
                           c2 + r * k if c2 != NULL else NULL, dg + r * 4 * k, dc0 + r * k, k)
    else:
        for r in range(rows):
            _lstm_back_row(dh + r * k, dcn + r * k, g + r * 4 * k if g != NULL else NULL,
                           act + r * 4 * k if act != NULL else NULL, c + r * k,
                           c2 + r * k if c2 != NULL else NULL, dg + r * 4 * k, dc0 + r * k, k)


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
                _lstm(<float *>cnp.PyArray_DATA(g), NULL, <float *>cnp.PyArray_DATA(cc),
                      <float *>cnp.PyArray_DATA(h), <float *>cnp.PyArray_DATA(c2), rows, k, nt)
        else:
            _lstm(<float *>cnp.PyArray_DATA(g), NULL, <float *>cnp.PyArray_DATA(cc),
                  <float *>cnp.PyArray_DATA(h), <float *>cnp.PyArray_DATA(c2), rows, k, 1)
    else:
        if size >= NOGIL_MIN:
            with nogil:
                _lstm(<double *>cnp.PyArray_DATA(g), NULL, <double *>cnp.PyArray_DATA(cc),
                      <double *>cnp.PyArray_DATA(h), <double *>cnp.PyArray_DATA(c2), rows, k, nt)
        else:
            _lstm(<double *>cnp.PyArray_DATA(g), NULL, <double *>cnp.PyArray_DATA(cc),
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
                       <float *>cnp.PyArray_DATA(g), NULL, <float *>cnp.PyArray_DATA(cc), NULL,
                       <float *>cnp.PyArray_DATA(dg), <float *>cnp.PyArray_DATA(dc0), rows, k,
                       nt)
    else:
        with nogil:
            _lstm_back(<double *>cnp.PyArray_DATA(dh), <double *>cnp.PyArray_DATA(dcn),
                       <double *>cnp.PyArray_DATA(g), NULL, <double *>cnp.PyArray_DATA(cc),
                       NULL, <double *>cnp.PyArray_DATA(dg), <double *>cnp.PyArray_DATA(dc0), rows, k,
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
cdef void _fwd_step(real *gates, const real *gi, const real *prod, const real *c, real *h,
                    real *c2, intp rows, intp k, int nt) noexcept nogil:
    """One forward step: gates = gi + prod (the reference's add), then the cell, which leaves
    the gates activated and writes h and c'."""
    cdef intp j
    for j in range(rows * 4 * k):
        gates[j] = gi[j] + prod[j]
    _lstm(gates, gates, c, h, c2, rows, k, nt)


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
    _lstm_back(dht, dc, NULL, act, c_prev, c2, dg, dc, rows, k, nt)


# A layer's rows (its batch) never mix: row r's step t reads only row r's state of step t - 1,
# and so does its backward. The batch's rows are therefore split across threads once per layer,
# each thread running every step of its rows (the recurrent GEMM of its rows by one
# single-threaded BLAS call, then the cell), with no join between steps. Per step, a fork and a
# join around a GEMM split across threads, plus the Python loop, had cost as much as the work
# (32 x 128 hidden: 63 us a step against 19 here).
#
# The steps' float32 products go to csrc/_small_gemm.pxd's kernel where the CPU has AVX-512: a
# BLAS call packs the whole weight again on every step, which cost as much as the product itself
# on a thread's 16 rows.
cdef bint _small_gemm = mt_has_avx512() != 0


def _set_small_gemm(bint on):
    """Whether the steps' float32 products may use the AVX-512 kernel; returns the previous
    setting."""
    return small_gemm_switch(&_small_gemm, on)


cdef BlasHooks _hooks = BlasHooks(NULL, NULL)


def _set_blas_hooks(size_t set_addr, size_t get_addr):
    """SciPy's OpenBLAS thread-count functions (see mytorch._ext._blas), (0, 0) if unknown."""
    hooks_from(&_hooks, set_addr, get_addr)


cdef inline void _gemm(char ta, int m, int n, int kk, const real *a, int lda, const real *b,
                       int ldb, real *c, int ldc) noexcept nogil:
    """Column-major c[m, n] = op(a) @ b (BLAS's conventions)."""
    cdef real one = 1, zero = 0
    cdef char tb = c"N"
    if real is float:
        sgemm(&ta, &tb, &m, &n, &kk, &one, <float *>a, &lda, <float *>b, &ldb, &zero, c, &ldc)
    else:
        dgemm(&ta, &tb, &m, &n, &kk, &one, <double *>a, &lda, <double *>b, &ldb, &zero, c, &ldc)


cdef inline void _rows_product(int m, int n, int kk, const real *a, const real *b,
                               real *c) noexcept nogil:
    """c[m, n] = a[m, kk] @ b[kk, n], all row-major and contiguous."""
    if real is float:
        if _small_gemm and n % 64 == 0:
            mt_rows_gemm_avx512(m, n, kk, a, kk, b, n, c, n, NULL)
            return
    # NOTE: row-major as BLAS's column-major transposes: c^T = b^T @ a^T
    _gemm(c"N", n, m, kk, b, n, a, kk, c, n)


cdef struct Layer:
    intp steps, rows, k
    bint reverse


cdef inline intp _row0(const Layer *L, int part, int parts) noexcept nogil:
    return part * L.rows // parts


cdef void _fwd_rows(const Layer *L, const real *gi, const real *wt, const real *h0,
                    const real *c0, real *gates, real *out, real *cs, real *prod, intp r0,
                    intp r1) noexcept nogil:
    """Rows [r0, r1) through every step: prod = h_prev @ wt (w_hh^T), then _fwd_step."""
    cdef intp s, ti, k = L.k, rows = L.rows, m = r1 - r0, at
    cdef const real *hp = h0 + r0 * k
    cdef const real *cp = c0 + r0 * k
    for s in range(L.steps):
        ti = L.steps - 1 - s if L.reverse else s
        at = ti * rows + r0
        _rows_product(<int>m, <int>(4 * k), <int>k, hp, wt, prod)
        _fwd_step(gates + at * 4 * k, gi + at * 4 * k, prod, cp, out + at * k, cs + at * k, m,
                  k, 1)
        hp = out + at * k
        cp = cs + at * k


cdef void _back_rows(const Layer *L, const real *gout, const real *act, const real *cs,
                     const real *c0, const real *w, real *dh, real *dc, real *tmp,
                     real *dgates, intp r0, intp r1) noexcept nogil:
    """Rows [r0, r1) back through every step: _back_step, then dh = dgates_t @ w_hh."""
    cdef intp s, ti, k = L.k, rows = L.rows, m = r1 - r0, at, prev
    cdef const real *c_prev
    for s in range(L.steps):
        ti = s if L.reverse else L.steps - 1 - s
        at = ti * rows + r0
        prev = ti + 1 if L.reverse else ti - 1
        c_prev = cs + (prev * rows + r0) * k if 0 <= prev < L.steps else c0 + r0 * k
        _back_step(dh + r0 * k, gout + at * k if gout != NULL else NULL, tmp + r0 * k,
                   dc + r0 * k, act + at * 4 * k, c_prev, cs + at * k, dgates + at * 4 * k, m,
                   k, 1)
        _rows_product(<int>m, <int>k, <int>(4 * k), dgates + at * 4 * k, w, dh + r0 * k)


cdef void _layer_fwd(const Layer *L, const real *gi, const real *wt, const real *h0,
                     const real *c0, real *gates, real *out, real *cs, real *prod,
                     int parts) noexcept nogil:
    cdef int p
    cdef intp room = (L.rows // parts + 1) * 4 * L.k
    if parts > 1:
        for p in prange(parts, num_threads=parts, schedule="static"):
            _fwd_rows(L, gi, wt, h0, c0, gates, out, cs, prod + p * room, _row0(L, p, parts),
                      _row0(L, p + 1, parts))
    else:
        _fwd_rows(L, gi, wt, h0, c0, gates, out, cs, prod, 0, L.rows)


cdef void _layer_back(const Layer *L, const real *gout, const real *act, const real *cs,
                      const real *c0, const real *w, real *dh, real *dc, real *tmp,
                      real *dgates, int parts) noexcept nogil:
    cdef int p
    if parts > 1:
        for p in prange(parts, num_threads=parts, schedule="static"):
            _back_rows(L, gout, act, cs, c0, w, dh, dc, tmp, dgates, _row0(L, p, parts),
                       _row0(L, p + 1, parts))
    else:
        _back_rows(L, gout, act, cs, c0, w, dh, dc, tmp, dgates, 0, L.rows)


cdef int _parts(const Layer *L) noexcept:
    """Threads for a layer: from 4 rows each and 2^20 multiply-adds in all, with the hooks
    (which keep each thread's BLAS call on its thread)."""
    if _hooks.set == NULL or L.steps * L.rows * 4 * L.k * L.k < (1 << 20):
        return 1
    return <int>max(1, min(<intp>_nthreads, L.rows // 4))


cdef bint _shaped(x, int t, tuple shape):
    return _typenum(x) == t and x.shape == shape and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x)


def lstm_layer(gi, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer (mytorch._backends._rnn): the batch's rows split across
    threads for the whole layer, each step's add and cell fused."""
    cdef int t = _typenum(gi)
    cdef Layer L
    if t < 0 or gi.ndim != 3 or getattr(h0, "ndim", 0) != 2:
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    L.steps, L.rows, L.k, L.reverse = gi.shape[0], gi.shape[1], h0.shape[1], bool(reverse)
    if (gi.shape[2] != 4 * L.k or not _shaped(w_hh, t, (4 * L.k, L.k))
            or not _shaped(h0, t, (L.rows, L.k)) or not _shaped(c0, t, (L.rows, L.k))
            or L.steps < 1 or L.rows < 1 or L.k < 1 or 4 * L.k * L.k > MAX_INT):
        return _ref.lstm_layer(gi, w_hh, h0, c0, reverse, saved)
    cdef cnp.ndarray g_in = np.ascontiguousarray(gi)
    cdef cnp.ndarray w = np.ascontiguousarray(w_hh.T)  # (H, 4H): each step's product is h @ w
    cdef cnp.ndarray gates = np.empty_like(g_in)
    cdef cnp.ndarray out = np.empty((L.steps, L.rows, L.k), dtype=gi.dtype)
    cdef cnp.ndarray cs = np.empty_like(out)
    cdef int parts = _parts(&L), old
    cdef cnp.ndarray prod = np.empty(parts * (L.rows // parts + 1) * 4 * L.k, dtype=gi.dtype)
    cdef void *pg = cnp.PyArray_DATA(g_in)
    cdef void *pw = cnp.PyArray_DATA(w)
    cdef void *ph = cnp.PyArray_DATA(<cnp.ndarray>h0)
    cdef void *pc = cnp.PyArray_DATA(<cnp.ndarray>c0)
    cdef void *pa = cnp.PyArray_DATA(gates)
    cdef void *po = cnp.PyArray_DATA(out)
    cdef void *ps = cnp.PyArray_DATA(cs)
    cdef void *pp = cnp.PyArray_DATA(prod)
    with nogil:
        old = blas_single(&_hooks) if parts > 1 else 1
        if t == cnp.NPY_FLOAT:
            _layer_fwd(&L, <float *>pg, <float *>pw, <float *>ph, <float *>pc, <float *>pa,
                       <float *>po, <float *>ps, <float *>pp, parts)
        else:
            _layer_fwd(&L, <double *>pg, <double *>pw, <double *>ph, <double *>pc,
                       <double *>pa, <double *>po, <double *>ps, <double *>pp, parts)
        if parts > 1:
            blas_restore(&_hooks, old)
    # NOTE: "act", not the reference's "gates": the activated gates, which only this module's
    # lstm_layer_backward reads.
    saved["act"], saved["cs"], saved["hs"] = gates, cs, out.copy()
    last = 0 if reverse else L.steps - 1
    return out, out[last].copy(), cs[last].copy()


def lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved):
    """The reference's lstm_layer_backward (mytorch._backends._rnn) from what this module's
    lstm_layer saved (the reference's saved state goes to the reference): the batch's rows split
    across threads for the whole layer, each step's cell backward from the activated gates (no
    exp); d w_hh is two GEMMs over the saved outputs."""
    if "act" not in saved:
        return _ref.lstm_layer_backward(gout, gh, gc, w_hh, h0, c0, reverse, saved)
    cdef cnp.ndarray act = saved["act"], cs = saved["cs"]
    hs = saved["hs"]
    cdef int t = cnp.PyArray_TYPE(act)
    cdef Layer L
    L.steps, L.rows, L.k, L.reverse = act.shape[0], act.shape[1], act.shape[2] // 4, bool(reverse)
    state = (L.rows, L.k)
    # the forward's fast path ran on these shapes; gradients of another dtype are cast
    dt = act.dtype
    cdef cnp.ndarray dh = np.array(gh, dtype=dt) if gh is not None else np.zeros(state, dt)
    cdef cnp.ndarray dc = np.array(gc, dtype=dt) if gc is not None else np.zeros(state, dt)
    cdef cnp.ndarray go = np.ascontiguousarray(gout, dt) if gout is not None else None
    cdef cnp.ndarray w = np.ascontiguousarray(w_hh, dt)
    cdef cnp.ndarray tmp = np.empty(state, dt)
    cdef cnp.ndarray dgates = np.empty_like(act)
    cdef cnp.ndarray c0a = np.ascontiguousarray(c0, dt)
    cdef void *pgo = cnp.PyArray_DATA(go) if go is not None else NULL
    cdef void *pa = cnp.PyArray_DATA(act)
    cdef void *ps = cnp.PyArray_DATA(cs)
    cdef void *pc = cnp.PyArray_DATA(c0a)
    cdef void *pw = cnp.PyArray_DATA(w)
    cdef void *pdh = cnp.PyArray_DATA(dh)
    cdef void *pdc = cnp.PyArray_DATA(dc)
    cdef void *pt = cnp.PyArray_DATA(tmp)
    cdef void *pdg = cnp.PyArray_DATA(dgates)
    cdef int parts = _parts(&L), old
    with nogil:
        old = blas_single(&_hooks) if parts > 1 else 1
        if t == cnp.NPY_FLOAT:
            _layer_back(&L, <float *>pgo, <float *>pa, <float *>ps, <float *>pc, <float *>pw,
                        <float *>pdh, <float *>pdc, <float *>pt, <float *>pdg, parts)
        else:
            _layer_back(&L, <double *>pgo, <double *>pa, <double *>ps, <double *>pc,
                        <double *>pw, <double *>pdh, <double *>pdc, <double *>pt,
                        <double *>pdg, parts)
        if parts > 1:
            blas_restore(&_hooks, old)
    # dw = sum_t dgates[t]^T h_prev[t]: the steps whose h_prev is an output in one GEMM (they
    # are contiguous in hs), the step whose h_prev is h0 in another
    steps, k = L.steps, L.k
    first = steps - 1 if reverse else 0
    dw = _mm(dgates[first].T, np.asarray(h0, dt))
    if steps > 1:
        rest = dgates[: steps - 1] if reverse else dgates[1:]
        h_rest = hs[1:] if reverse else hs[: steps - 1]
        dw = _mm(rest.reshape(-1, 4 * k).T, h_rest.reshape(-1, k)) + dw
    return dgates, dw, dh, dc


def lstm_input(x, w, b):
    """The reference's lstm_input (x @ w.T + b) for float32 on CPUs with AVX-512, where w is
    small (its 4H rows a multiple of 64, 4H x I at most 2^17 entries, SMALL_B: the transposed copy
    stays in the core's cache): w transposed once, then csrc/_small_gemm.pxd's kernel on x's rows,
    its sums started from b, on threads from 2^20 multiply-adds. One pass writes the result:
    BLAS's product of x with w.T and then the bias added over the (N, 4H) result took 473 + 189
    us in an LSTM step of 32 x 32 x 64 -> 128, this 390."""
    cdef cnp.ndarray a, v, c, wt, out
    cdef intp m, k, n
    if (_small_gemm and _typenum(x) == cnp.NPY_FLOAT and _typenum(w) == cnp.NPY_FLOAT
            and _typenum(b) == cnp.NPY_FLOAT):
        a, v, c = <cnp.ndarray>x, <cnp.ndarray>w, <cnp.ndarray>b
        if cnp.PyArray_NDIM(a) == 2 and cnp.PyArray_NDIM(v) == 2 and cnp.PyArray_NDIM(c) == 1:
            m, k, n = cnp.PyArray_DIM(a, 0), cnp.PyArray_DIM(a, 1), cnp.PyArray_DIM(v, 0)
            if (cnp.PyArray_DIM(v, 1) == k and cnp.PyArray_DIM(c, 0) == n and n % 64 == 0
                    and 1 <= m <= MAX_INT and 1 <= k and k * n <= SMALL_B):
                wt = np.empty((k, n), dtype=np.float32)
                out = np.empty((m, n), dtype=np.float32)
                with nogil:
                    mt_transpose(<float *>cnp.PyArray_DATA(v), <int>n, <int>k,
                                 <float *>cnp.PyArray_DATA(wt))
                    mt_rows_gemm_par(<int>m, <int>n, <int>k, <float *>cnp.PyArray_DATA(a), <int>k,
                                     <float *>cnp.PyArray_DATA(wt), <int>n,
                                     <float *>cnp.PyArray_DATA(out), <int>n,
                                     <float *>cnp.PyArray_DATA(c),
                                     _nthreads if m * n * k >= (1 << 20) else 1)
                return out
    return _ref.lstm_input(x, w, b)


OVERRIDES = (
    "lstm_cell_gates", "lstm_cell_gates_backward", "gru_cell_gates", "lstm_input", "lstm_layer",
    "lstm_layer_backward",
)
