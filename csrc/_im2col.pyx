# cython: boundscheck=False, wraparound=False, cdivision=True
"""im2col and col2im (the convolutions' two primitives) for C-contiguous float32/float64 arrays
with 1 to 3 spatial dims, in one pass each and with the zero padding written as it goes.

The reference pads x into a zero array, makes the strided windows and copies them into the
columns' layout (for the (C, *kernel, N, *out) layout NumPy's copy runs along rows of out[-1]
elements, with a stride when the convolution's is not 1); col2im adds the kernel offsets one
strided array pass at a time. Here each block of L = prod(out) columns (one (n, c, kernel
offset)) is filled from its input plane row by row: the valid part of a row copied (memcpy
for stride 1), the padding zeroed, blocks split across threads. col2im gives each thread whole
(n, c) planes of the result, so no two threads add into one place, and adds the kernel offsets
in the reference's order: the same sums, bit for bit.

Fewer than 3 spatial dims are the same loops with leading dims of size 1.

The convolutions' three contractions (conv_forward, conv_input_grad, conv_weight_grad) are here
too, on the same blocks: one image per thread, its columns in the thread's own buffer and one
single-threaded GEMM per group (SciPy's BLAS) straight into the image's place in the result; the
weight gradient summed per thread, the threads' sums added in thread order.

Layer norm's two kernels (mytorch._backends._norm) are here too (after max pooling): one
row per step (its sums in double), rows split across threads; the weight's and bias's
gradients summed per thread (in double) as the rows go.

Max pooling's two kernels (mytorch._backends._nnfused) are here too, over the same geometry:
max_pool scans each window in order (torch's rule: a larger value or a NaN takes the place),
max_pool_backward adds each output's gradient at its index, whole planes per thread.
"""

cimport numpy as cnp
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport dgemm, sgemm

from _blas_hooks cimport BlasHooks, blas_restore, blas_single, hooks_from
from _ufunc_loops cimport intp

import numpy as np

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()

cdef enum:
    MAX_INT = 2147483647  # BLAS dims are C ints
    MAX_THREADS = 64

cdef int _nthreads = 1
# From this many column entries (im2col's output, col2im's input) the loops use threads: a few
# hundred microseconds of copying, well above a thread's wake-up (15-50 us on this machine).
cdef intp _par_size = 1 << 18

ctypedef fused real:
    float
    double


def _set_num_threads(int n):
    """Threads the kernels may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = min(max(n, 1), MAX_THREADS)


def _set_par_size(intp n):
    """Column entries from which the loops use threads; returns the previous setting."""
    global _par_size
    prev = _par_size
    _par_size = n
    return prev


cdef struct Geom:
    intp nb, c, kk  # batch, channels, kernel entries (prod of kernel)
    intp sp[3]  # input (im2col) or result (col2im) spatial sizes
    intp k[3]
    intp d[3]
    intp s[3]
    intp lo[3]
    intp out[3]
    intp plane, length  # prod(sp), prod(out)
    bint inner  # the (C, *kernel, N, *out) layout


cdef inline void _block_of(const Geom *g, intp b, intp *n, intp *c, intp *kk) noexcept nogil:
    """The (n, c, kernel entry) of column block b (blocks are contiguous in both layouts)."""
    if g.inner:  # b = (c * kk + k) * nb + n
        n[0] = b % g.nb
        kk[0] = (b // g.nb) % g.kk
        c[0] = b // (g.nb * g.kk)
    else:  # b = (n * c + c) * kk + k
        kk[0] = b % g.kk
        c[0] = (b // g.kk) % g.c
        n[0] = b // (g.kk * g.c)


cdef inline intp _first(intp base, intp s) noexcept nogil:
    """The first o >= 0 with 0 <= o * s + base (positions below 0 are padding)."""
    if base >= 0:
        return 0
    return (-base + s - 1) // s


cdef inline intp _stop(intp base, intp s, intp size, intp out) noexcept nogil:
    """One past the last o < out with o * s + base < size (at least _first's bound)."""
    cdef intp m
    if base >= size:
        return 0
    m = (size - 1 - base) // s + 1
    return m if m < out else out


cdef void _im2col_block(const real *x, real *y, const Geom *g, intp b) noexcept nogil:
    cdef intp n, c, kk, k0, k1, k2, o0, o1, i0, i1, a, z, o
    cdef intp base0, base1, base2
    cdef const real *plane
    cdef const real *row
    cdef real *dst
    _block_of(g, b, &n, &c, &kk)
    k2 = kk % g.k[2]
    k1 = (kk // g.k[2]) % g.k[1]
    k0 = kk // (g.k[2] * g.k[1])
    plane = x + (n * g.c + c) * g.plane
    dst = y + b * g.length
    base0 = k0 * g.d[0] - g.lo[0]
    base1 = k1 * g.d[1] - g.lo[1]
    base2 = k2 * g.d[2] - g.lo[2]
    a = _first(base2, g.s[2])
    z = _stop(base2, g.s[2], g.sp[2], g.out[2])
    if z < a:
        z = a
    for o0 in range(g.out[0]):
        i0 = o0 * g.s[0] + base0
        if i0 < 0 or i0 >= g.sp[0]:
            memset(dst, 0, g.out[1] * g.out[2] * sizeof(real))
            dst += g.out[1] * g.out[2]
            continue
        for o1 in range(g.out[1]):
            i1 = o1 * g.s[1] + base1
            if i1 < 0 or i1 >= g.sp[1] or a >= z:
                memset(dst, 0, g.out[2] * sizeof(real))
                dst += g.out[2]
                continue
            row = plane + (i0 * g.sp[1] + i1) * g.sp[2]
            if a > 0:
                memset(dst, 0, a * sizeof(real))
            if g.s[2] == 1:
                memcpy(dst + a, row + a + base2, (z - a) * sizeof(real))
            else:
                for o in range(a, z):
                    dst[o] = row[o * g.s[2] + base2]
            if z < g.out[2]:
                memset(dst + z, 0, (g.out[2] - z) * sizeof(real))
            dst += g.out[2]


cdef void _col2im_plane(const real *cols, real *y, const Geom *g, intp p) noexcept nogil:
    """Plane p = n * C + c of the result: zeroed, then every kernel offset's block added."""
    cdef intp n = p // g.c, c = p % g.c
    cdef intp kk, b, k0, k1, k2, o0, o1, i0, i1, a, z, o
    cdef intp base0, base1, base2
    cdef const real *src
    cdef real *row
    cdef real *plane = y + p * g.plane
    memset(plane, 0, g.plane * sizeof(real))
    for kk in range(g.kk):
        if g.inner:
            b = (c * g.kk + kk) * g.nb + n
        else:
            b = p * g.kk + kk
        src = cols + b * g.length
        k2 = kk % g.k[2]
        k1 = (kk // g.k[2]) % g.k[1]
        k0 = kk // (g.k[2] * g.k[1])
        base0 = k0 * g.d[0] - g.lo[0]
        base1 = k1 * g.d[1] - g.lo[1]
        base2 = k2 * g.d[2] - g.lo[2]
        a = _first(base2, g.s[2])
        z = _stop(base2, g.s[2], g.sp[2], g.out[2])
        for o0 in range(g.out[0]):
            i0 = o0 * g.s[0] + base0
            if i0 < 0 or i0 >= g.sp[0]:
                src += g.out[1] * g.out[2]
                continue
            for o1 in range(g.out[1]):
                i1 = o1 * g.s[1] + base1
                if i1 >= 0 and i1 < g.sp[1]:
                    row = plane + (i0 * g.sp[1] + i1) * g.sp[2]
                    if g.s[2] == 1:
                        row += base2
                        for o in range(a, z):
                            row[o] += src[o]
                    else:
                        for o in range(a, z):
                            row[o * g.s[2] + base2] += src[o]
                src += g.out[2]


cdef void _im2col_all(const real *x, real *y, const Geom *g, int nt) noexcept nogil:
    cdef intp b, nblocks = g.nb * g.c * g.kk
    if nt > 1:
        for b in prange(nblocks, num_threads=nt, schedule="static"):
            _im2col_block(x, y, g, b)
    else:
        for b in range(nblocks):
            _im2col_block(x, y, g, b)


cdef void _col2im_all(const real *cols, real *y, const Geom *g, int nt) noexcept nogil:
    cdef intp p, planes = g.nb * g.c
    if nt > 1:
        for p in prange(planes, num_threads=nt, schedule="static"):
            _col2im_plane(cols, y, g, p)
    else:
        for p in range(planes):
            _col2im_plane(cols, y, g, p)


cdef bint _fits(object a, int ndim):
    """A C-contiguous float32/float64 ndarray of ndim dims."""
    if type(a) is not cnp.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef int t = cnp.PyArray_TYPE(arr)
    return (
        (t == cnp.NPY_FLOAT or t == cnp.NPY_DOUBLE)
        and cnp.PyArray_IS_C_CONTIGUOUS(arr)
        and cnp.PyArray_NDIM(arr) == ndim
    )


cdef bint _all_len(int n, tuple seqs):
    """1 <= n <= 3 and every sequence in seqs has n entries."""
    if n < 1 or n > 3:
        return False
    for seq in seqs:
        if len(seq) != n:
            return False
    return True


cdef bint _geometry(Geom *g, object kernel, object dilation, object stride, object lo,
                    object out, object spatial):
    """Fill g's per-dim fields, the leading (3 - n) dims of size 1; False on a bad value."""
    cdef int n = len(kernel), lead = 3 - n, i
    for i in range(3):
        if i < lead:
            g.k[i] = g.d[i] = g.s[i] = g.out[i] = g.sp[i] = 1
            g.lo[i] = 0
        else:
            g.k[i] = kernel[i - lead]
            g.d[i] = dilation[i - lead]
            g.s[i] = stride[i - lead]
            g.lo[i] = lo[i - lead]
            g.out[i] = out[i - lead]
            g.sp[i] = spatial[i - lead]
            if g.k[i] < 0 or g.d[i] < 1 or g.s[i] < 1 or g.lo[i] < 0 or g.out[i] < 0:
                return False
    g.kk = g.k[0] * g.k[1] * g.k[2]
    g.plane = g.sp[0] * g.sp[1] * g.sp[2]
    g.length = g.out[0] * g.out[1] * g.out[2]
    return True


cdef int _threads_for(intp n) noexcept nogil:
    return _nthreads if n >= _par_size else 1


def im2col(x, kernel, dilation, stride, lo, out, batch_inner):
    """The reference's im2col (mytorch._backends._conv) in one threaded pass."""
    cdef Geom g
    cdef int n = len(kernel)
    if not _all_len(n, (dilation, stride, lo, out)) or not _fits(x, n + 2):
        return _ref.im2col(x, kernel, dilation, stride, lo, out, batch_inner)
    shape = x.shape
    g.nb, g.c, g.inner = shape[0], shape[1], bool(batch_inner)
    if not _geometry(&g, kernel, dilation, stride, lo, out, shape[2:]):
        return _ref.im2col(x, kernel, dilation, stride, lo, out, batch_inner)
    if g.inner:
        res_shape = (g.c,) + tuple(kernel) + (g.nb,) + tuple(out)
    else:
        res_shape = (g.nb, g.c) + tuple(kernel) + tuple(out)
    cdef cnp.ndarray arr = <cnp.ndarray>x
    cdef cnp.ndarray res = np.empty(res_shape, dtype=arr.dtype)
    cdef int nt = _threads_for(cnp.PyArray_SIZE(res))
    with nogil:
        if cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT:
            _im2col_all(<const float *>cnp.PyArray_DATA(arr), <float *>cnp.PyArray_DATA(res),
                        &g, nt)
        else:
            _im2col_all(<const double *>cnp.PyArray_DATA(arr), <double *>cnp.PyArray_DATA(res),
                        &g, nt)
    return res


def col2im(cols, dilation, stride, lo, spatial, batch_inner):
    """The reference's col2im (mytorch._backends._conv): whole result planes per thread."""
    cdef Geom g
    cdef int n = len(dilation)
    if not _all_len(n, (stride, lo, spatial)) or not _fits(cols, 2 * n + 2):
        return _ref.col2im(cols, dilation, stride, lo, spatial, batch_inner)
    shape = cols.shape
    inner = bool(batch_inner)
    if inner:
        c, kernel, nb, out = shape[0], shape[1 : 1 + n], shape[1 + n], shape[2 + n :]
    else:
        nb, c, kernel, out = shape[0], shape[1], shape[2 : 2 + n], shape[2 + n :]
    g.nb, g.c, g.inner = nb, c, inner
    if not _geometry(&g, kernel, dilation, stride, lo, out, spatial) or any(s < 0 for s in spatial):
        return _ref.col2im(cols, dilation, stride, lo, spatial, batch_inner)
    cdef cnp.ndarray arr = <cnp.ndarray>cols
    cdef cnp.ndarray res = np.empty((nb, c) + tuple(spatial), dtype=arr.dtype)
    cdef int nt = _threads_for(cnp.PyArray_SIZE(arr))
    with nogil:
        if cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT:
            _col2im_all(<const float *>cnp.PyArray_DATA(arr), <float *>cnp.PyArray_DATA(res),
                        &g, nt)
        else:
            _col2im_all(<const double *>cnp.PyArray_DATA(arr), <double *>cnp.PyArray_DATA(res),
                        &g, nt)
    return res



# --- the convolutions' three contractions, one image per thread ------------------------------
# Each image's columns are made in a buffer of the thread's own (they stay in its cache) and
# multiplied there by one single-threaded GEMM per group, written straight into the image's
# place in the result: the batch split across threads as torch's convolutions split it. A
# chunk of the batch at a time with OpenBLAS's own threads in each GEMM (the reference's way)
# took 2.2x this time here (digits conv2: 64 x 32 x 26 x 26, 3 x 3 to 64 channels, forward
# and both gradients: 36 ms against 17 ms, 2 threads).
cdef BlasHooks _hooks = BlasHooks(NULL, NULL)


def _set_blas_hooks(size_t set_addr, size_t get_addr):
    """SciPy's OpenBLAS thread-count functions (see mytorch._ext._blas), (0, 0) if unknown."""
    hooks_from(&_hooks, set_addr, get_addr)


cdef inline void _gemm(char ta, char tb, int m, int n, int k, const real *a, int lda,
                       const real *b, int ldb, bint add, real *c, int ldc) noexcept nogil:
    """Column-major c[m, n] = op(a) @ op(b), added to c if ``add`` (BLAS's conventions)."""
    cdef real one = 1, beta = 1 if add else 0
    if real is float:
        sgemm(&ta, &tb, &m, &n, &k, &one, <float *>a, &lda, <float *>b, &ldb, &beta, c, &ldc)
    else:
        dgemm(&ta, &tb, &m, &n, &k, &one, <double *>a, &lda, <double *>b, &ldb, &beta, c, &ldc)


cdef struct Conv:
    Geom g  # one image's geometry (nb 1): sp the input's spatial sizes, out the output's
    intp cout, groups, coutg, ck  # ck = (C / groups) * prod(kernel): one group's column rows


cdef void _conv_cols(const real *x, real *cols, const Conv *cv, intp n) noexcept nogil:
    """Image n's columns (C * prod(kernel), L) into cols."""
    cdef intp b
    cdef const real *xn = x + n * cv.g.c * cv.g.plane
    for b in range(cv.g.c * cv.g.kk):
        _im2col_block(xn, cols, &cv.g, b)


cdef void _conv_fwd_image(const real *x, const real *w, real *y, real *cols, const Conv *cv,
                          intp n) noexcept nogil:
    """y[n] (Cout, L) = w (Cout, ck) @ columns, per group."""
    cdef intp grp, L = cv.g.length
    _conv_cols(x, cols, cv, n)
    for grp in range(cv.groups):
        # NOTE: row-major as BLAS's column-major transposes: y[n]^T = cols^T @ w^T
        _gemm(c"N", c"N", <int>L, <int>cv.coutg, <int>cv.ck, cols + grp * cv.ck * L, <int>L,
              w + grp * cv.coutg * cv.ck, <int>cv.ck, 0,
              y + (n * cv.cout + grp * cv.coutg) * L, <int>L)


cdef void _conv_igrad_image(const real *gr, const real *w, real *dx, real *cols, const Conv *cv,
                            intp n) noexcept nogil:
    """dx[n]: the columns w^T @ gr[n], per group, then col2im of them."""
    cdef intp grp, p, L = cv.g.length
    for grp in range(cv.groups):
        _gemm(c"N", c"T", <int>L, <int>cv.ck, <int>cv.coutg,
              gr + (n * cv.cout + grp * cv.coutg) * L, <int>L, w + grp * cv.coutg * cv.ck,
              <int>cv.ck, 0, cols + grp * cv.ck * L, <int>L)
    for p in range(cv.g.c):
        _col2im_plane(cols, dx + n * cv.g.c * cv.g.plane, &cv.g, p)


cdef void _conv_wgrad_image(const real *x, const real *gr, real *acc, real *cols, const Conv *cv,
                            intp n) noexcept nogil:
    """acc (Cout, ck) += gr[n] @ columns^T, per group."""
    cdef intp grp, L = cv.g.length
    _conv_cols(x, cols, cv, n)
    for grp in range(cv.groups):
        _gemm(c"T", c"N", <int>cv.ck, <int>cv.coutg, <int>L, cols + grp * cv.ck * L, <int>L,
              gr + (n * cv.cout + grp * cv.coutg) * L, <int>L, 1,
              acc + grp * cv.coutg * cv.ck, <int>cv.ck)


cdef void _conv_run(int which, const real *a, const real *b, real *res, real *buf, real *accs,
                    intp nb, const Conv *cv, int nt) noexcept nogil:
    """Every image of the batch through one of the three (0: forward, 1: input gradient, 2:
    weight gradient, into the thread's accumulator in accs), images split across nt threads,
    each with its own columns in buf."""
    cdef intp n, t, cols = cv.g.c * cv.g.kk * cv.g.length, acc = cv.cout * cv.ck
    if nt > 1:
        for n in prange(nb, num_threads=nt, schedule="static"):
            t = threadid()
            if which == 0:
                _conv_fwd_image(a, b, res, buf + t * cols, cv, n)
            elif which == 1:
                _conv_igrad_image(a, b, res, buf + t * cols, cv, n)
            else:
                _conv_wgrad_image(a, b, accs + t * acc, buf + t * cols, cv, n)
    else:
        for n in range(nb):
            if which == 0:
                _conv_fwd_image(a, b, res, buf, cv, n)
            elif which == 1:
                _conv_igrad_image(a, b, res, buf, cv, n)
            else:
                _conv_wgrad_image(a, b, accs, buf, cv, n)


cdef object _conv(int which, cnp.ndarray a, cnp.ndarray b, cnp.ndarray res, Conv *cv, intp nb):
    """Run _conv_run on a and b (C-contiguous, one float dtype) into res (for 2: per-thread
    accumulators, then summed into res in thread order)."""
    cdef int nt = <int>min(<intp>_nthreads, nb) if _hooks.set != NULL else 1
    cdef intp isz = cnp.PyArray_ITEMSIZE(a)
    cdef int t, old
    cdef cnp.ndarray accs = np.zeros(nt * cv.cout * cv.ck if which == 2 else 0, dtype=a.dtype)
    cdef char *buf = <char *>malloc(nt * cv.g.c * cv.g.kk * cv.g.length * isz)
    if buf == NULL:
        raise MemoryError()
    cdef bint single = cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT
    cdef void *pa = cnp.PyArray_DATA(a)
    cdef void *pb = cnp.PyArray_DATA(b)
    cdef void *pr = cnp.PyArray_DATA(res)
    cdef void *pacc = cnp.PyArray_DATA(accs)
    with nogil:
        old = blas_single(&_hooks) if nt > 1 else 1
        if single:
            _conv_run(which, <float *>pa, <float *>pb, <float *>pr, <float *>buf, <float *>pacc,
                      nb, cv, nt)
        else:
            _conv_run(which, <double *>pa, <double *>pb, <double *>pr, <double *>buf,
                      <double *>pacc, nb, cv, nt)
        if nt > 1:
            blas_restore(&_hooks, old)
    free(buf)
    if which == 2:
        parts = accs.reshape(nt, -1)
        flat = res.reshape(-1)
        flat[...] = parts[0]
        for t in range(1, nt):
            flat += parts[t]
    return res


cdef bint _conv_setup(Conv *cv, cnp.ndarray x, cnp.ndarray w, object kernel, object stride,
                      object dilation, object lo, object out, object spatial, intp cout,
                      intp groups):
    """Fill cv for one image of x's channels; False where the fast path does not take them."""
    cdef int n = len(kernel)
    if not _all_len(n, (stride, dilation, lo, out, spatial)) or groups < 1:
        return False
    cv.g.nb, cv.g.c, cv.g.inner = 1, x.shape[1], False
    if not _geometry(&cv.g, kernel, dilation, stride, lo, out, spatial):
        return False
    cv.cout, cv.groups = cout, groups
    cv.coutg, cv.ck = cout // groups, (cv.g.c // groups) * cv.g.kk
    return (cv.g.length > 0 and cv.ck > 0 and cv.coutg > 0 and cv.g.length <= MAX_INT
            and cv.ck <= MAX_INT and cv.coutg <= MAX_INT and cv.g.c % groups == 0
            and cout % groups == 0)


cdef bint _same_float(tuple arrays):
    """float32/float64 ndarrays of one dtype and at least 3 dims, the same number each."""
    cdef cnp.ndarray first
    if type(arrays[0]) is not cnp.ndarray:
        return False
    first = <cnp.ndarray>arrays[0]
    if cnp.PyArray_TYPE(first) != cnp.NPY_FLOAT and cnp.PyArray_TYPE(first) != cnp.NPY_DOUBLE:
        return False
    for a in arrays:
        if (type(a) is not cnp.ndarray or cnp.PyArray_TYPE(<cnp.ndarray>a) != cnp.PyArray_TYPE(first)
                or cnp.PyArray_NDIM(<cnp.ndarray>a) != cnp.PyArray_NDIM(first)):
            return False
    return cnp.PyArray_NDIM(first) >= 3


def conv_forward(x, w, stride, dilation, lo, out, groups):
    """The reference's conv_forward (mytorch._backends._conv), one image per thread."""
    cdef Conv cv
    if (not _same_float((x, w)) or x.shape[0] == 0
            or not _conv_setup(&cv, x, w, w.shape[2:], stride, dilation, lo, out, x.shape[2:],
                               w.shape[0], groups)):
        return _ref.conv_forward(x, w, stride, dilation, lo, out, groups)
    res = np.empty((x.shape[0], w.shape[0]) + tuple(out), dtype=x.dtype)
    return _conv(0, np.ascontiguousarray(x), np.ascontiguousarray(w), res, &cv, x.shape[0])


def conv_input_grad(g, w, stride, dilation, lo, spatial, groups):
    """The reference's conv_input_grad, one image per thread."""
    cdef Conv cv
    if not _same_float((g, w)) or g.shape[0] == 0:
        return _ref.conv_input_grad(g, w, stride, dilation, lo, spatial, groups)
    res = np.empty((g.shape[0], w.shape[1] * groups) + tuple(spatial), dtype=g.dtype)
    if not _conv_setup(&cv, res, w, w.shape[2:], stride, dilation, lo, g.shape[2:], spatial,
                       w.shape[0], groups) or res.size == 0:
        return _ref.conv_input_grad(g, w, stride, dilation, lo, spatial, groups)
    return _conv(1, np.ascontiguousarray(g), np.ascontiguousarray(w), res, &cv, g.shape[0])


def conv_weight_grad(x, g, kernel, stride, dilation, lo, groups):
    """The reference's conv_weight_grad, one image per thread, their sums added in thread
    order."""
    cdef Conv cv
    if (not _same_float((x, g)) or x.shape[0] == 0
            or not _conv_setup(&cv, x, x, kernel, stride, dilation, lo, g.shape[2:],
                               x.shape[2:], g.shape[1], groups)):
        return _ref.conv_weight_grad(x, g, kernel, stride, dilation, lo, groups)
    res = np.empty((g.shape[1], x.shape[1] // groups) + tuple(kernel), dtype=x.dtype)
    return _conv(2, np.ascontiguousarray(x), np.ascontiguousarray(g), res, &cv, x.shape[0])




# --- max pooling -----------------------------------------------------------------------------
cdef void _max_pool_plane(const real *x, real *y, int64_t *ind, const Geom *g,
                          intp p) noexcept nogil:
    """Plane p: every window's largest entry (the first in scan order; the last NaN) and its
    flat index; a window with no entry inside the plane gets -inf and its first position."""
    cdef const real *plane = x + p * g.plane
    cdef real *dst = y + p * g.length
    cdef int64_t *idst = ind + p * g.length
    cdef intp o0, o1, o2, a0, a1, a2, e0, e1, e2, i0, i1, i2, best, at
    # NOTE: the geometry in locals: read through g, every store to dst made the compiler load
    # it again (the 3 x 3 stride 1 case ran 2x slower).
    cdef intp d0 = g.d[0], d1 = g.d[1], d2 = g.d[2], sp0 = g.sp[0], sp1 = g.sp[1]
    cdef intp sp2 = g.sp[2], n0 = g.out[0], n1 = g.out[1], n2 = g.out[2]
    cdef intp s0 = g.s[0], s1 = g.s[1], s2 = g.s[2], lo0 = g.lo[0], lo1 = g.lo[1]
    cdef intp lo2 = g.lo[2], w0 = (g.k[0] - 1) * d0 + 1, w1 = (g.k[1] - 1) * d1 + 1
    cdef intp w2 = (g.k[2] - 1) * d2 + 1
    cdef real v, top
    cdef bint take, nan
    for o0 in range(n0):
        a0 = o0 * s0 - lo0
        e0 = a0 + w0
        if e0 > sp0:
            e0 = sp0
        while a0 < 0:
            a0 = a0 + d0
        for o1 in range(n1):
            a1 = o1 * s1 - lo1
            e1 = a1 + w1
            if e1 > sp1:
                e1 = sp1
            while a1 < 0:
                a1 = a1 + d1
            for o2 in range(n2):
                a2 = o2 * s2 - lo2
                e2 = a2 + w2
                if e2 > sp2:
                    e2 = sp2
                while a2 < 0:
                    a2 = a2 + d2
                best = (a0 * sp1 + a1) * sp2 + a2
                top = -INFINITY
                nan = False
                i0 = a0
                while i0 < e0:
                    i1 = a1
                    while i1 < e1:
                        at = (i0 * sp1 + i1) * sp2
                        i2 = a2
                        while i2 < e2:
                            # NOTE: selects without a branch on the (unpredictable) comparison;
                            # a window holding a NaN is scanned again by torch's rule.
                            v = plane[at + i2]
                            take = v > top
                            best = at + i2 if take else best
                            top = v if take else top
                            nan = nan | (v != v)
                            i2 = i2 + d2
                        i1 = i1 + d1
                    i0 = i0 + d0
                if nan:
                    i0 = a0
                    while i0 < e0:
                        i1 = a1
                        while i1 < e1:
                            at = (i0 * sp1 + i1) * sp2
                            i2 = a2
                            while i2 < e2:
                                v = plane[at + i2]
                                if v != v:
                                    top = v
                                    best = at + i2
                                i2 = i2 + d2
                            i1 = i1 + d1
                        i0 = i0 + d0
                dst[o2] = top
                idst[o2] = best
            dst += n2
            idst += n2


cdef void _max_pool_back_plane(const real *gr, const int64_t *ind, real *y, const Geom *g,
                               intp p) noexcept nogil:
    """Plane p of the gradient: zeroed, then each output's gradient added at its index (in
    output order, as torch's CPU kernel; indices outside the plane are skipped)."""
    cdef real *plane = y + p * g.plane
    cdef const real *src = gr + p * g.length
    cdef const int64_t *isrc = ind + p * g.length
    cdef intp o, i
    memset(plane, 0, g.plane * sizeof(real))
    for o in range(g.length):
        i = isrc[o]
        if i >= 0 and i < g.plane:
            plane[i] += src[o]


cdef void _max_pool_all(const real *x, real *y, int64_t *ind, const Geom *g,
                        int nt) noexcept nogil:
    cdef intp p
    if nt > 1:
        for p in prange(g.nb, num_threads=nt, schedule="static"):
            _max_pool_plane(x, y, ind, g, p)
    else:
        for p in range(g.nb):
            _max_pool_plane(x, y, ind, g, p)


cdef void _max_pool_back_all(const real *gr, const int64_t *ind, real *y, const Geom *g,
                             int nt) noexcept nogil:
    cdef intp p
    if nt > 1:
        for p in prange(g.nb, num_threads=nt, schedule="static"):
            _max_pool_back_plane(gr, ind, y, g, p)
    else:
        for p in range(g.nb):
            _max_pool_back_plane(gr, ind, y, g, p)


cdef bint _float_array(object a):
    if type(a) is not cnp.ndarray:
        return False
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>a)
    return t == cnp.NPY_FLOAT or t == cnp.NPY_DOUBLE


def max_pool(x, kernel, stride, dilation, lo, out):
    """The reference's max_pool (mytorch._backends._nnfused) in one threaded pass over the
    planes (float32/float64; other dtypes go to the reference)."""
    cdef Geom g
    cdef int n = len(kernel)
    if not _all_len(n, (stride, dilation, lo, out)) or not _float_array(x) or x.ndim < n:
        return _ref.max_pool(x, kernel, stride, dilation, lo, out)
    spatial = x.shape[x.ndim - n :]
    lead = x.shape[: x.ndim - n]
    if not _geometry(&g, kernel, dilation, stride, lo, out, spatial) or g.kk == 0:
        return _ref.max_pool(x, kernel, stride, dilation, lo, out)
    cdef cnp.ndarray arr = np.ascontiguousarray(x)
    g.nb = cnp.PyArray_SIZE(arr) // g.plane if g.plane else 0
    g.c, g.inner = 1, False
    cdef cnp.ndarray res = np.empty(lead + tuple(out), dtype=arr.dtype)
    cdef cnp.ndarray ind = np.empty(lead + tuple(out), dtype=np.int64)
    if g.plane == 0:
        return _ref.max_pool(x, kernel, stride, dilation, lo, out)
    cdef int nt = _threads_for(cnp.PyArray_SIZE(arr))
    with nogil:
        if cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT:
            _max_pool_all(<const float *>cnp.PyArray_DATA(arr), <float *>cnp.PyArray_DATA(res),
                          <int64_t *>cnp.PyArray_DATA(ind), &g, nt)
        else:
            _max_pool_all(<const double *>cnp.PyArray_DATA(arr), <double *>cnp.PyArray_DATA(res),
                          <int64_t *>cnp.PyArray_DATA(ind), &g, nt)
    return res, ind


def max_pool_backward(grad, indices, spatial):
    """The reference's max_pool_backward (mytorch._backends._nnfused): whole planes per
    thread, each output's gradient added in output order."""
    cdef Geom g
    cdef int n = len(spatial)
    if (not _float_array(grad) or type(indices) is not cnp.ndarray or indices.dtype != np.int64
            or indices.shape != grad.shape or n < 1 or n > 3 or grad.ndim < n):
        return _ref.max_pool_backward(grad, indices, spatial)
    out = grad.shape[grad.ndim - n :]
    lead = grad.shape[: grad.ndim - n]
    ones = (1,) * n
    if not _geometry(&g, ones, ones, ones, (0,) * n, out, spatial) or any(s < 0 for s in spatial):
        return _ref.max_pool_backward(grad, indices, spatial)
    cdef cnp.ndarray gr = np.ascontiguousarray(grad)
    cdef cnp.ndarray ind = np.ascontiguousarray(indices)
    cdef cnp.ndarray res = np.empty(lead + tuple(spatial), dtype=gr.dtype)
    g.nb = 1
    for s in lead:
        g.nb *= s
    g.c, g.inner = 1, False
    if g.plane == 0 or g.nb == 0:
        res[...] = 0
        return res
    cdef int nt = _threads_for(cnp.PyArray_SIZE(res))
    with nogil:
        if cnp.PyArray_TYPE(gr) == cnp.NPY_FLOAT:
            _max_pool_back_all(<const float *>cnp.PyArray_DATA(gr),
                               <const int64_t *>cnp.PyArray_DATA(ind),
                               <float *>cnp.PyArray_DATA(res), &g, nt)
        else:
            _max_pool_back_all(<const double *>cnp.PyArray_DATA(gr),
                               <const int64_t *>cnp.PyArray_DATA(ind),
                               <double *>cnp.PyArray_DATA(res), &g, nt)
    return res


# --- layer norm ---------------------------------------------------------------------------------
cdef inline double _row_sum(const real *x, intp n, double shift) noexcept nogil:
    """sum(x - shift) (shift 0: sum(x)) or, with ``square``, in four running sums."""
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef intp j = 0
    while j + 4 <= n:
        s0 = s0 + (x[j] - shift)
        s1 = s1 + (x[j + 1] - shift)
        s2 = s2 + (x[j + 2] - shift)
        s3 = s3 + (x[j + 3] - shift)
        j = j + 4
    while j < n:
        s0 = s0 + (x[j] - shift)
        j = j + 1
    return (s0 + s1) + (s2 + s3)


cdef inline double _row_sq(const real *x, intp n, double mu) noexcept nogil:
    """sum((x - mu)^2) in four running sums."""
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0, d0, d1, d2, d3
    cdef intp j = 0
    while j + 4 <= n:
        d0 = x[j] - mu
        d1 = x[j + 1] - mu
        d2 = x[j + 2] - mu
        d3 = x[j + 3] - mu
        s0 = s0 + d0 * d0
        s1 = s1 + d1 * d1
        s2 = s2 + d2 * d2
        s3 = s3 + d3 * d3
        j = j + 4
    while j < n:
        d0 = x[j] - mu
        s0 = s0 + d0 * d0
        j = j + 1
    return (s0 + s1) + (s2 + s3)


cdef inline void _ln_row(const real *x, const real *w, const real *b, real *y, real *mean,
                         real *rstd, intp n, double eps) noexcept nogil:
    cdef intp j
    cdef double mu = _row_sum(x, n, 0.0) / n
    cdef double r = 1.0 / sqrt(_row_sq(x, n, mu) / n + eps)
    cdef real muf = <real>mu, rf = <real>r
    if w != NULL and b != NULL:
        for j in range(n):
            y[j] = (x[j] - muf) * rf * w[j] + b[j]
    elif w != NULL:
        for j in range(n):
            y[j] = (x[j] - muf) * rf * w[j]
    elif b != NULL:
        for j in range(n):
            y[j] = (x[j] - muf) * rf + b[j]
    else:
        for j in range(n):
            y[j] = (x[j] - muf) * rf
    mean[0] = muf
    rstd[0] = rf


cdef void _ln_fwd(const real *x, const real *w, const real *b, real *y, real *mean, real *rstd,
                  intp m, intp n, double eps, int nt) noexcept nogil:
    cdef intp i
    for i in prange(m, num_threads=nt, schedule="static"):
        _ln_row(x + i * n, w, b, y + i * n, mean + i, rstd + i, n, eps)


cdef inline void _ln_back_row(const real *g, const real *x, const real *w, real mu, real r,
                              real *dx, intp n, double *sw, double *sb) noexcept nogil:
    """One row's input gradient; its weight and bias gradient terms added into sw and sb."""
    cdef intp j, q
    cdef double c1[4]
    cdef double c2[4]
    cdef real a, xh
    for q in range(4):
        c1[q] = 0
        c2[q] = 0
    j = 0
    while j + 4 <= n:  # four running sums each: the adds' latency overlapped
        for q in range(4):
            a = g[j + q] * w[j + q] if w != NULL else g[j + q]
            c1[q] += a
            c2[q] += a * ((x[j + q] - mu) * r)
        j = j + 4
    while j < n:
        a = g[j] * w[j] if w != NULL else g[j]
        c1[0] += a
        c2[0] += a * ((x[j] - mu) * r)
        j = j + 1
    cdef double t1 = (c1[0] + c1[1]) + (c1[2] + c1[3])
    cdef double t2 = (c2[0] + c2[1]) + (c2[2] + c2[3])
    cdef real k1 = <real>(t1 / n), k2 = <real>(t2 / n), gj
    # NOTE: one pass for dx and the weight's and bias's terms (x - mu) * r made once; its most
    # common case (a weight, both gradients wanted) has a loop of its own, which the compiler
    # vectorises (the weight and bias terms in their own pass cost half the backward).
    if w != NULL and sw != NULL and sb != NULL:
        for j in range(n):
            xh = (x[j] - mu) * r
            gj = g[j]
            dx[j] = (gj * w[j] - k1 - xh * k2) * r
            sw[j] += gj * xh
        for j in range(n):
            sb[j] += g[j]
        return
    for j in range(n):
        xh = (x[j] - mu) * r
        gj = g[j]
        dx[j] = ((gj * w[j] if w != NULL else gj) - k1 - xh * k2) * r
        if sw != NULL:
            sw[j] += gj * xh
        if sb != NULL:
            sb[j] += gj


cdef void _ln_bwd(const real *g, const real *x, const real *w, const real *mean,
                  const real *rstd, real *dx, real *dw, real *db, intp m, intp n,
                  int nt) noexcept nogil:
    """Rows split across threads; each thread sums its rows' weight and bias gradient terms
    in a buffer of its own (double), added up at the end."""
    cdef intp i, j
    cdef int t
    # NOTE: the bias sums start 64 bytes past a multiple of 4 KB from the weight sums, and each
    # thread's 128 bytes past the last: at the 2 KB distance of 256 doubles (a transformer's rows)
    # their stores and the rows' loads stalled on each other (4K aliasing), and a backward that
    # wanted both gradients took twice as long as one that wanted either.
    cdef intp ws = n + 8, per = 2 * n + 24
    cdef double *acc = <double *>calloc(<size_t>(nt * per), sizeof(double))
    for i in prange(m, num_threads=nt, schedule="static"):
        t = threadid()
        _ln_back_row(g + i * n, x + i * n, w, mean[i], rstd[i], dx + i * n, n,
                     acc + t * per if dw != NULL else NULL,
                     acc + t * per + ws if db != NULL else NULL)
    for j in range(n):
        if dw != NULL:
            dw[j] = <real>_col(acc, j, per, nt)
        if db != NULL:
            db[j] = <real>_col(acc, ws + j, per, nt)
    free(acc)


cdef inline double _col(const double *acc, intp j, intp per, int nt) noexcept nogil:
    """The sum over the threads' buffers (per entries apart) of their entry j."""
    cdef double s = 0
    cdef int t
    for t in range(nt):
        s = s + acc[t * per + j]
    return s


cdef bint _ln_fits(object x, intp n, tuple vectors):
    """x C-contiguous float32/float64 with rows of n > 0 entries; the vectors None or of x's
    dtype, C-contiguous, n entries."""
    if type(x) is not cnp.ndarray or n <= 0 or not _fits(x, (<cnp.ndarray>x).ndim):
        return False
    for v in vectors:
        if v is not None and (type(v) is not cnp.ndarray or v.dtype != x.dtype or v.size != n
                              or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>v)):
            return False
    return True


cdef intp _trailing_size(shape, int k):
    cdef intp n = 1
    for s in shape[len(shape) - k :]:
        n *= s
    return n


cdef void *_data_or_null(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


def layer_norm(x, w, b, k, eps, saved):
    """The reference's layer_norm (mytorch._backends._norm), rows split across threads."""
    cdef intp n = _trailing_size(x.shape, k) if type(x) is cnp.ndarray else 0
    if not _ln_fits(x, n, (w, b)) or x.size == 0:
        return _ref.layer_norm(x, w, b, k, eps, saved)
    cdef intp m = x.size // n
    cdef cnp.ndarray arr = <cnp.ndarray>x
    cdef cnp.ndarray y = np.empty_like(x)
    cdef cnp.ndarray mean = np.empty((m, 1), dtype=x.dtype)
    cdef cnp.ndarray rstd = np.empty((m, 1), dtype=x.dtype)
    cdef void *wp = _data_or_null(w)
    cdef void *bp = _data_or_null(b)
    cdef double e = eps
    cdef int nt = _threads_for(x.size)
    with nogil:
        if cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT:
            _ln_fwd(<const float *>cnp.PyArray_DATA(arr), <const float *>wp, <const float *>bp,
                    <float *>cnp.PyArray_DATA(y), <float *>cnp.PyArray_DATA(mean),
                    <float *>cnp.PyArray_DATA(rstd), m, n, e, nt)
        else:
            _ln_fwd(<const double *>cnp.PyArray_DATA(arr), <const double *>wp,
                    <const double *>bp, <double *>cnp.PyArray_DATA(y),
                    <double *>cnp.PyArray_DATA(mean), <double *>cnp.PyArray_DATA(rstd), m, n, e,
                    nt)
    saved["mean"] = mean
    saved["rstd"] = rstd
    return y


def layer_norm_backward(g, x, w, k, eps, stats, mask):
    """The reference's layer_norm_backward (given the forward's stats) in one pass over the
    rows, split across threads."""
    cdef intp n = _trailing_size(x.shape, k) if type(x) is cnp.ndarray else 0
    if type(g) is cnp.ndarray and type(x) is cnp.ndarray and g.shape == x.shape:
        g = np.ascontiguousarray(g)  # NOTE: a mean's gradient arrives as a broadcast view
    if (stats is None or not _ln_fits(x, n, (w,)) or x.size == 0 or not _ln_fits(g, n, ())
            or g.shape != x.shape or g.dtype != x.dtype):
        return _ref.layer_norm_backward(g, x, w, k, eps, stats, mask)
    has_w, need_w, need_b = mask
    cdef intp m = x.size // n
    if not _ln_fits(stats[0], 1, ()) or not _ln_fits(stats[1], 1, ()) or stats[0].dtype != x.dtype:
        return _ref.layer_norm_backward(g, x, w, k, eps, stats, mask)
    cdef cnp.ndarray arr = <cnp.ndarray>x
    cdef cnp.ndarray ga = <cnp.ndarray>g
    cdef cnp.ndarray mean = <cnp.ndarray>stats[0]
    cdef cnp.ndarray rstd = <cnp.ndarray>stats[1]
    if mean.size != m or rstd.size != m:
        return _ref.layer_norm_backward(g, x, w, k, eps, stats, mask)
    cdef cnp.ndarray dx = np.empty_like(x)
    dw = np.empty(w.shape, x.dtype) if need_w else np.zeros(w.shape, w.dtype)
    db = np.empty(w.shape, x.dtype) if need_b else np.zeros(w.shape, w.dtype)
    cdef void *wp = _data_or_null(w) if has_w else NULL
    cdef void *dwp = _data_or_null(dw) if need_w else NULL
    cdef void *dbp = _data_or_null(db) if need_b else NULL
    cdef int nt = _threads_for(x.size)
    with nogil:
        if cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT:
            _ln_bwd(<const float *>cnp.PyArray_DATA(ga), <const float *>cnp.PyArray_DATA(arr),
                    <const float *>wp, <const float *>cnp.PyArray_DATA(mean),
                    <const float *>cnp.PyArray_DATA(rstd), <float *>cnp.PyArray_DATA(dx),
                    <float *>dwp, <float *>dbp, m, n, nt)
        else:
            _ln_bwd(<const double *>cnp.PyArray_DATA(ga), <const double *>cnp.PyArray_DATA(arr),
                    <const double *>wp, <const double *>cnp.PyArray_DATA(mean),
                    <const double *>cnp.PyArray_DATA(rstd), <double *>cnp.PyArray_DATA(dx),
                    <double *>dwp, <double *>dbp, m, n, nt)
    return dx, dw, db


OVERRIDES = ("im2col", "col2im", "conv_forward", "conv_input_grad", "conv_weight_grad",
             "max_pool", "max_pool_backward", "layer_norm", "layer_norm_backward")
