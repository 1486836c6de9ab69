# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Fused optimizer steps: SGD (with momentum) and Adam/AdamW in one pass over the parameter, its
gradient and its state, instead of the reference's several whole-array passes and temporaries.

Fast path: every array a C-contiguous, aligned, writable (the gradient: readable) ndarray of one
dtype, float32 or float64, all of one size. Everything else goes to the NumPy reference
(mytorch._backends._optim), whose contract (and order of operations) these loops keep: each
element goes through the same float operations in the same order, in the array's precision.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf
from libc.stdlib cimport malloc, free

from _cpu cimport mt_cpu_level

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()

ctypedef cnp.npy_intp intp

ctypedef fused real:
    float
    double

cdef int _nthreads = 1
cdef enum:
    # At or above this many elements a step is split across threads.
    PAR_SIZE = 65536
    # Below this many elements the loop runs holding the GIL.
    NOGIL_MIN = 8192

OVERRIDES = ("sgd_step", "adam_step", "adam_steps")


def _set_num_threads(int n):
    """Threads the kernels may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = n if n > 0 else 1


cdef int _FLAGS = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED
cdef int _WFLAGS = _FLAGS | cnp.NPY_ARRAY_WRITEABLE


cdef inline bint _fits(object x, int typenum, intp n, int flags) noexcept:
    """x is an ndarray of dtype typenum and size n with the flags (None fits nothing)."""
    if type(x) is not cnp.ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    return (cnp.PyArray_FLAGS(a) & flags) == flags and cnp.PyArray_TYPE(a) == typenum and \
        cnp.PyArray_SIZE(a) == n


cdef inline int _typenum(object param) noexcept:
    if type(param) is not cnp.ndarray:
        return -1
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray>param)
    return t if t == cnp.NPY_FLOAT or t == cnp.NPY_DOUBLE else -1


cdef inline void _chunks(intp n, intp *chunk, int *nt) noexcept nogil:
    cdef int t = _nthreads if n >= PAR_SIZE else 1
    nt[0] = t
    chunk[0] = ((n + t - 1) // t + 63) // 64 * 64


# ---------------------------------------------------------------------------------------------
# SGD: d = -g if maximize; d += wd * p; buf = d (first) or buf * momentum + (1 - dampening) * d;
# d = d + momentum * buf (nesterov) or buf; p -= lr * d.
# ---------------------------------------------------------------------------------------------

cdef void _sgd_range(real *p, const real *g, real *buf, intp lo, intp hi, real lr, real wd,
                     real mom, real damp1, bint use_wd, bint use_mom, bint nesterov,
                     bint maximize, bint first) noexcept nogil:
    """NOTE: maximize is an exact multiplication by -1 (or 1), and the loop with momentum is
    apart from the one without: GCC unswitches the branches left (use_wd, first, nesterov)
    and vectorises every copy (see _adam_range)."""
    cdef intp i
    cdef real d, b, sgn = -1 if maximize else 1
    if not use_mom:
        for i in range(lo, hi):
            d = g[i] * sgn
            if use_wd:
                d = d + p[i] * wd
            p[i] = p[i] - d * lr
        return
    for i in range(lo, hi):
        d = g[i] * sgn
        if use_wd:
            d = d + p[i] * wd
        if first:
            b = d
        else:
            b = buf[i] * mom
            b = b + d * damp1
        buf[i] = b
        if nesterov:
            d = d + b * mom
        else:
            d = b
        p[i] = p[i] - d * lr


cdef void _sgd(real *p, const real *g, real *buf, intp n, real lr, real wd, real mom,
               real damp1, bint use_wd, bint use_mom, bint nesterov, bint maximize,
               bint first) noexcept nogil:
    cdef intp chunk, t
    cdef int nt
    _chunks(n, &chunk, &nt)
    if nt <= 1:
        _sgd_range(p, g, buf, 0, n, lr, wd, mom, damp1, use_wd, use_mom, nesterov, maximize,
                   first)
        return
    for t in prange(nt, num_threads=nt, schedule="static"):
        if t * chunk < n:
            _sgd_range(p, g, buf, t * chunk, min(n, (t + 1) * chunk), lr, wd, mom, damp1,
                       use_wd, use_mom, nesterov, maximize, first)


def sgd_step(param, grad, buf, double lr, double weight_decay, double momentum,
             double dampening, bint nesterov, bint maximize, bint first):
    """mytorch._backends._optim.OptimKernels.sgd_step, fused."""
    cdef int tn = _typenum(param)
    cdef intp n = cnp.PyArray_SIZE(<cnp.ndarray>param) if tn >= 0 else 0
    cdef bint use_mom = momentum != 0
    if tn < 0 or not _fits(param, tn, n, _WFLAGS) or not _fits(grad, tn, n, _FLAGS) or (
            use_mom and not _fits(buf, tn, n, _WFLAGS)):
        return _ref.sgd_step(param, grad, buf, lr, weight_decay, momentum, dampening, nesterov,
                             maximize, first)
    cdef char *pp = cnp.PyArray_BYTES(<cnp.ndarray>param)
    cdef char *gp = cnp.PyArray_BYTES(<cnp.ndarray>grad)
    cdef char *bp = cnp.PyArray_BYTES(<cnp.ndarray>buf) if use_mom else NULL
    cdef bint use_wd = weight_decay != 0
    if n >= NOGIL_MIN:
        with nogil:
            _sgd_typed(tn, pp, gp, bp, n, lr, weight_decay, momentum, dampening, use_wd,
                       use_mom, nesterov, maximize, first)
    else:
        _sgd_typed(tn, pp, gp, bp, n, lr, weight_decay, momentum, dampening, use_wd, use_mom,
                   nesterov, maximize, first)


cdef void _sgd_typed(int tn, char *pp, char *gp, char *bp, intp n, double lr, double wd,
                     double mom, double damp, bint use_wd, bint use_mom, bint nesterov,
                     bint maximize, bint first) noexcept nogil:
    if tn == cnp.NPY_FLOAT:
        _sgd(<float *>pp, <const float *>gp, <float *>bp, n, <float>lr, <float>wd, <float>mom,
             <float>(1 - damp), use_wd, use_mom, nesterov, maximize, first)
    else:
        _sgd(<double *>pp, <const double *>gp, <double *>bp, n, lr, wd, mom, 1 - damp, use_wd,
             use_mom, nesterov, maximize, first)


# ---------------------------------------------------------------------------------------------
# Adam / AdamW, torch's single-tensor order: decay (AdamW) or g += wd * p; m = lerp(m, g, 1 - b1);
# v = v * b2 + ((1 - b2) * g) * g; vmax = max(vmax, v); d = sqrt(v) / bc2_sqrt + eps;
# p += (m / d) * -step_size.
# ---------------------------------------------------------------------------------------------

cdef struct AdamArgs:
    double sign, decay, wd, w, one_minus_w, omb2, b2, eps, bc2s, neg_step
    bint use_wd, small_w


cdef inline real _sqrt(real x) noexcept nogil:
    # NOTE: sqrtf for float32: sqrt of a float would run in double, and the division after it
    # too (one rounding where torch has two); sqrtf also keeps the loop in float lanes.
    if real is float:
        return sqrtf(x)
    else:
        return sqrt(x)


# NOTE: Adam's loop (no amsgrad) is C of its own, its float32 one built for three instruction
# sets, one picked at run time (csrc/_cpu.pxd: AVX-512, AVX2, the baseline): its square root and two
# divisions per element keep it compute-bound on SSE2 (10M float32 on one core: 12.3 ms against
# torch's 10.9), while wider lanes leave it to the memory's pace. The operations and their
# order are the loop's in every version (FMA contraction is off for them), so all give the
# same bits.
cdef extern from *:
    """
    #include <math.h>
    #include <stddef.h>
    #if defined(__clang__)
    #define MT_NO_FMA _Pragma("clang fp contract(off)")
    #define MT_NO_FMA_ATTR
    #elif defined(__GNUC__)
    #define MT_NO_FMA
    #define MT_NO_FMA_ATTR __attribute__((optimize("fp-contract=off")))
    #else
    #define MT_NO_FMA
    #define MT_NO_FMA_ATTR
    #endif
    #define MT_ADAM_ARGS(T) T *p, const T *g, T *m, T *v, ptrdiff_t lo, ptrdiff_t hi, T sgn, \\
        T decay, T wd, T w, T omw, T omb2, T b2, T eps, T bc2s, T neg_step, int use_wd, \\
        int small_w
    /* maximize and AdamW's decay are exact multiplications (by -1 or 1, by the decay or 1)
       rather than branches; the two flags left are loop-invariant (GCC unswitches them, four
       vectorised copies of the loop). */
    #define MT_ADAM(NAME, T, SQRT, ISA) \\
    static ISA MT_NO_FMA_ATTR void NAME(MT_ADAM_ARGS(T)) { \\
        MT_NO_FMA \\
        for (ptrdiff_t i = lo; i < hi; i++) { \\
            T pi = p[i] * decay, gi = g[i] * sgn, mi, vi, di; \\
            if (use_wd) gi = gi + pi * wd; \\
            mi = m[i]; \\
            if (small_w) mi = mi + (gi - mi) * w; else mi = gi - (gi - mi) * omw; \\
            m[i] = mi; \\
            vi = v[i] * b2; \\
            vi = vi + (gi * omb2) * gi; \\
            v[i] = vi; \\
            di = SQRT(vi) / bc2s; \\
            di = di + eps; \\
            p[i] = pi + (mi / di) * neg_step; \\
        } \\
    }
    #define MT_ADAM_CALL(NAME) NAME(p, g, m, v, lo, hi, sgn, decay, wd, w, omw, omb2, b2, eps, \\
                                    bc2s, neg_step, use_wd, small_w)
    MT_ADAM(mt_adam_f32_base, float, sqrtf, )
    MT_ADAM(mt_adam_f32_avx2, float, sqrtf, MT_TARGET("avx2"))
    MT_ADAM(mt_adam_f32_avx512, float, sqrtf, MT_TARGET("avx512f"))
    static void mt_adam_f32(MT_ADAM_ARGS(float)) {
        int level = MT_X86 ? mt_cpu_level() : 0;
        if (level >= 2) MT_ADAM_CALL(mt_adam_f32_avx512);
        else if (level == 1) MT_ADAM_CALL(mt_adam_f32_avx2);
        else MT_ADAM_CALL(mt_adam_f32_base);
    }
    /* float64 parameters are rare in training: one build (the wheel's size) */
    MT_ADAM(mt_adam_f64, double, sqrt, )
    """
    void mt_adam_f32(float *p, const float *g, float *m, float *v, intp lo, intp hi, float sgn,
                     float decay, float wd, float w, float omw, float omb2, float b2, float eps,
                     float bc2s, float neg_step, int use_wd, int small_w) noexcept nogil
    void mt_adam_f64(double *p, const double *g, double *m, double *v, intp lo, intp hi,
                     double sgn, double decay, double wd, double w, double omw, double omb2,
                     double b2, double eps, double bc2s, double neg_step, int use_wd,
                     int small_w) noexcept nogil


cdef void _adam_range(real *p, const real *g, real *m, real *v, intp lo, intp hi,
                      AdamArgs *a) noexcept nogil:
    """Adam without amsgrad: one pass over p, g, m and v (mt_adam_f32/f64), vectorised; the
    constants rounded to the dtype."""
    if real is float:
        mt_adam_f32(p, g, m, v, lo, hi, <float>a.sign, <float>a.decay, <float>a.wd,
                    <float>a.w, <float>a.one_minus_w, <float>a.omb2, <float>a.b2, <float>a.eps,
                    <float>a.bc2s, <float>a.neg_step, a.use_wd, a.small_w)
    else:
        mt_adam_f64(p, g, m, v, lo, hi, a.sign, a.decay, a.wd, a.w, a.one_minus_w, a.omb2,
                    a.b2, a.eps, a.bc2s, a.neg_step, a.use_wd, a.small_w)


cdef void _adam_ams_range(real *p, const real *g, real *m, real *v, real *vmax, intp lo,
                          intp hi, AdamArgs *a) noexcept nogil:
    """Adam with amsgrad: _adam_range's pass, the denominator from max(vmax, v)."""
    cdef intp i
    cdef real gi, pi, mi, vi, di, mx
    cdef real sgn = <real>a.sign, decay = <real>a.decay, wd = <real>a.wd, w = <real>a.w
    cdef real omw = <real>a.one_minus_w, omb2 = <real>a.omb2, b2 = <real>a.b2
    cdef real eps = <real>a.eps, bc2s = <real>a.bc2s, neg_step = <real>a.neg_step
    cdef bint use_wd = a.use_wd, small_w = a.small_w
    for i in range(lo, hi):
        pi = p[i] * decay
        gi = g[i] * sgn
        if use_wd:
            gi = gi + pi * wd
        mi = m[i]
        if small_w:
            mi = mi + (gi - mi) * w
        else:
            mi = gi - (gi - mi) * omw
        m[i] = mi
        vi = v[i] * b2
        vi = vi + (gi * omb2) * gi
        v[i] = vi
        # torch.maximum: NaN wins (| rather than ``or``, which would be a branch).
        mx = vmax[i]
        if (vi > mx) | (vi != vi):
            mx = vi
        vmax[i] = mx
        di = _sqrt(mx) / bc2s
        di = di + eps
        p[i] = pi + (mi / di) * neg_step


cdef void _adam_args(AdamArgs *a, int tn, double lr, double beta1, double beta2, double eps,
                     double weight_decay, bint decoupled, bint maximize, double step_size,
                     double bias_correction2_sqrt) noexcept:
    """The loop's constants for arrays of dtype tn."""
    cdef double w = 1 - beta1, w32
    a.use_wd = not decoupled and weight_decay != 0
    # x * 1 and x * -1 are exact: no decay, no maximize
    a.decay = 1 - lr * weight_decay if decoupled and weight_decay != 0 else 1
    a.sign = -1 if maximize else 1
    a.wd = weight_decay
    a.omb2 = 1 - beta2
    a.b2 = beta2
    a.eps = eps
    a.bc2s = bias_correction2_sqrt
    a.neg_step = -step_size
    # torch's lerp rounds its weight to the dtype, then picks its formula by |weight| < 0.5.
    w32 = <float>w if tn == cnp.NPY_FLOAT else w
    a.w = w32
    a.small_w = (w32 if w32 >= 0 else -w32) < 0.5
    a.one_minus_w = <float>(<float>1 - <float>w32) if tn == cnp.NPY_FLOAT else 1 - w32


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, double lr, double beta1,
              double beta2, double eps, double weight_decay, bint decoupled, bint maximize,
              double step_size, double bias_correction2_sqrt):
    """mytorch._backends._optim.OptimKernels.adam_step, fused (adam_steps over one tensor)."""
    adam_steps((param,), (grad,), (exp_avg,), (exp_avg_sq,),
               None if max_exp_avg_sq is None else (max_exp_avg_sq,), (step_size,),
               (bias_correction2_sqrt,), lr, beta1, beta2, eps, weight_decay, decoupled, maximize)


# ---------------------------------------------------------------------------------------------
# Adam over many tensors at once (the optimizer's step over a parameter group): one parallel
# region for all of them, the threads splitting their elements end to end, instead of a region
# (a fork and a join) per tensor.
# ---------------------------------------------------------------------------------------------

cdef struct AdamItem:
    char *p
    char *g
    char *m
    char *v
    char *x
    intp n, start
    int tn
    double neg_step, bc2s


cdef void _adam_item(AdamItem *it, intp lo, intp hi, AdamArgs *a32, AdamArgs *a64) noexcept nogil:
    """Elements [lo, hi) of one tensor."""
    cdef AdamArgs a = a32[0] if it.tn == cnp.NPY_FLOAT else a64[0]
    a.neg_step = it.neg_step
    a.bc2s = it.bc2s
    if it.tn == cnp.NPY_FLOAT:
        if it.x == NULL:
            _adam_range(<float *>it.p, <const float *>it.g, <float *>it.m, <float *>it.v, lo,
                        hi, &a)
        else:
            _adam_ams_range(<float *>it.p, <const float *>it.g, <float *>it.m, <float *>it.v,
                            <float *>it.x, lo, hi, &a)
    else:
        if it.x == NULL:
            _adam_range(<double *>it.p, <const double *>it.g, <double *>it.m, <double *>it.v,
                        lo, hi, &a)
        else:
            _adam_ams_range(<double *>it.p, <const double *>it.g, <double *>it.m,
                            <double *>it.v, <double *>it.x, lo, hi, &a)


cdef void _adam_slice(AdamItem *items, intp count, intp lo, intp hi, AdamArgs *a32,
                      AdamArgs *a64) noexcept nogil:
    """Elements [lo, hi) of the tensors laid end to end."""
    cdef intp k, s, e
    for k in range(count):
        s = items[k].start
        e = s + items[k].n
        if e > lo and s < hi:
            _adam_item(&items[k], max(lo, s) - s, min(hi, e) - s, a32, a64)


cdef void _adam_items(AdamItem *items, intp count, intp total, AdamArgs *a32,
                      AdamArgs *a64) noexcept nogil:
    cdef intp chunk, t
    cdef int nt
    _chunks(total, &chunk, &nt)
    if nt <= 1:
        _adam_slice(items, count, 0, total, a32, a64)
        return
    for t in prange(nt, num_threads=nt, schedule="static"):
        if t * chunk < total:
            _adam_slice(items, count, t * chunk, min(total, (t + 1) * chunk), a32, a64)


def adam_steps(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step_sizes,
               bias_correction2_sqrts, double lr, double beta1, double beta2, double eps,
               double weight_decay, bint decoupled, bint maximize):
    """mytorch._backends._optim.OptimKernels.adam_steps, fused: the tensors outside the fast
    path go to the reference one by one, the others through one pass."""
    cdef Py_ssize_t k, count = len(params), used = 0
    cdef intp n, total = 0
    cdef int tn
    cdef bint amsgrad = max_exp_avg_sqs is not None
    cdef AdamArgs a32, a64
    cdef AdamItem *items = <AdamItem *>malloc(max(count, 1) * sizeof(AdamItem))
    if items == NULL:
        raise MemoryError()
    try:
        for k in range(count):
            param, grad, m, v = params[k], grads[k], exp_avgs[k], exp_avg_sqs[k]
            x = max_exp_avg_sqs[k] if amsgrad else None
            tn = _typenum(param)
            n = cnp.PyArray_SIZE(<cnp.ndarray>param) if tn >= 0 else 0
            if tn < 0 or not _fits(param, tn, n, _WFLAGS) or not _fits(grad, tn, n, _FLAGS) or \
                    not _fits(m, tn, n, _WFLAGS) or not _fits(v, tn, n, _WFLAGS) or (
                    amsgrad and not _fits(x, tn, n, _WFLAGS)):
                _ref.adam_step(param, grad, m, v, x, lr, beta1, beta2, eps, weight_decay,
                               decoupled, maximize, step_sizes[k], bias_correction2_sqrts[k])
                continue
            items[used].p = cnp.PyArray_BYTES(<cnp.ndarray>param)
            items[used].g = cnp.PyArray_BYTES(<cnp.ndarray>grad)
            items[used].m = cnp.PyArray_BYTES(<cnp.ndarray>m)
            items[used].v = cnp.PyArray_BYTES(<cnp.ndarray>v)
            items[used].x = cnp.PyArray_BYTES(<cnp.ndarray>x) if amsgrad else NULL
            items[used].n = n
            items[used].start = total
            items[used].tn = tn
            items[used].neg_step = -<double>step_sizes[k]
            items[used].bc2s = bias_correction2_sqrts[k]
            total += n
            used += 1
        _adam_args(&a32, cnp.NPY_FLOAT, lr, beta1, beta2, eps, weight_decay, decoupled,
                   maximize, 0, 1)
        _adam_args(&a64, cnp.NPY_DOUBLE, lr, beta1, beta2, eps, weight_decay, decoupled,
                   maximize, 0, 1)
        if total >= NOGIL_MIN:
            with nogil:
                _adam_items(items, used, total, &a32, &a64)
        else:
            _adam_items(items, used, total, &a32, &a64)
    finally:
        free(items)
