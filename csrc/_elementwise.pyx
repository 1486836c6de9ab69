# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Elementwise kernels: NumPy's own SIMD loops split across threads, and fused backward loops.

Fast path: float32/float64 arrays that are C-contiguous and of one shape, or one such array with
a scalar operand (a Python number, a NumPy scalar or 0-d array of its dtype, or a broadcast view
of one element). Everything else, and arrays too small to gain, goes to the NumPy reference.

NOTE: the forward ops call the inner loop of the very ufunc the reference calls (found in the
ufunc's loop table), so results are bitwise those of the reference; only the work is split.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.string cimport memcpy

from _ufunc_loops cimport Loop, find_loop, intp, loop_fn

import numpy as np
from scipy.special import expit as _expit

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()


# Op ids; each has a float32 and a float64 loop.
cdef enum:
    ADD, SUB, MUL, DIV, EXP, TANH, SIGMOID, SQRT, NEG,
    SIGMOID_BWD, TANH_BWD, RELU_BWD, RELU, COPY, N_OPS

cdef Loop _loops[N_OPS][2]
# Below this many elements the reference is called: NumPy's own call is as cheap.
cdef intp _min_size[N_OPS]
# At or above this many elements the work is split across threads.
cdef intp _par_size[N_OPS]
cdef int _nthreads = 1
# Thread chunks are a multiple of this many elements (whole cache lines, whole SIMD vectors).
cdef enum:
    CHUNK_ALIGN = 64
    # Below this many elements a loop runs holding the GIL: releasing and taking it back cost
    # more than the loop itself.
    NOGIL_MIN = 8192


def _set_num_threads(int n):
    """Threads the kernels may use (mytorch.set_num_threads calls this)."""
    global _nthreads
    _nthreads = n if n > 0 else 1


cdef int _dtype_slot(int typenum) noexcept:
    if typenum == cnp.NPY_FLOAT:
        return 0
    if typenum == cnp.NPY_DOUBLE:
        return 1
    return -1


cdef void _find_loops(int op, cnp.ufunc uf):
    """Take the float32 and float64 loops of ``uf`` (all operands of one dtype)."""
    _loops[op][0] = find_loop(uf, cnp.NPY_FLOAT)
    _loops[op][1] = find_loop(uf, cnp.NPY_DOUBLE)


# ---------------------------------------------------------------------------------------------
# Fused backward loops, in NumPy's inner-loop form so that one dispatcher runs them all.
# Contiguous operands get a loop the compiler vectorizes; any step (0 for a scalar) works.
# ---------------------------------------------------------------------------------------------

ctypedef fused real:
    float
    double


cdef inline void _sigmoid_bwd(real *g, intp gs, real *y, intp ys, real *o, intp n) noexcept nogil:
    # NOTE: `one` keeps the arithmetic in float32 for float32 (a literal 1 would be a C double).
    cdef real one = 1
    cdef intp i
    if gs == 1 and ys == 1:
        for i in range(n):
            o[i] = g[i] * y[i] * (one - y[i])
    else:
        for i in range(n):
            o[i] = g[i * gs] * y[i * ys] * (one - y[i * ys])


cdef inline void _tanh_bwd(real *g, intp gs, real *y, intp ys, real *o, intp n) noexcept nogil:
    cdef real one = 1
    cdef intp i
    if gs == 1 and ys == 1:
        for i in range(n):
            o[i] = g[i] * (one - y[i] * y[i])
    else:
        for i in range(n):
            o[i] = g[i * gs] * (one - y[i * ys] * y[i * ys])


cdef inline void _relu_bwd(real *g, intp gs, real *y, intp ys, real *o, intp n) noexcept nogil:
    # NOTE: g * (y > 0), so a NaN or infinite gradient gives NaN where y <= 0, as in the
    # reference. The mask is a select of constants, which the compiler vectorizes (the
    # float conversion of a comparison compiled to a branch per element: 6x slower).
    cdef real one = 1, zero = 0
    cdef intp i
    if gs == 1 and ys == 1:
        for i in range(n):
            o[i] = g[i] * (one if y[i] > 0 else zero)
    else:
        for i in range(n):
            o[i] = g[i * gs] * (one if y[i * ys] > 0 else zero)


cdef inline void _relu(real *x, intp xs, real *o, intp n) noexcept nogil:
    # NOTE: x where x is not below 0 (so NaN stays NaN, as np.maximum(x, 0) keeps it), else 0;
    # a select the compiler vectorizes, 3x faster than np.maximum's loop here.
    cdef real zero = 0
    cdef intp i
    if xs == 1:
        for i in range(n):
            o[i] = zero if x[i] < 0 else x[i]
    else:
        for i in range(n):
            o[i] = zero if x[i * xs] < 0 else x[i * xs]


cdef void _relu_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _relu(<float *>a[0], s[0] // 4, <float *>a[1], n[0])


cdef void _relu_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _relu(<double *>a[0], s[0] // 8, <double *>a[1], n[0])


cdef void _copy_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    memcpy(a[1], a[0], n[0] * 4)


cdef void _copy_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    memcpy(a[1], a[0], n[0] * 8)


cdef void _sigmoid_bwd_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _sigmoid_bwd(<float *>a[0], s[0] // 4, <float *>a[1], s[1] // 4, <float *>a[2], n[0])


cdef void _sigmoid_bwd_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _sigmoid_bwd(<double *>a[0], s[0] // 8, <double *>a[1], s[1] // 8, <double *>a[2], n[0])


cdef void _tanh_bwd_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _tanh_bwd(<float *>a[0], s[0] // 4, <float *>a[1], s[1] // 4, <float *>a[2], n[0])


cdef void _tanh_bwd_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _tanh_bwd(<double *>a[0], s[0] // 8, <double *>a[1], s[1] // 8, <double *>a[2], n[0])


cdef void _relu_bwd_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _relu_bwd(<float *>a[0], s[0] // 4, <float *>a[1], s[1] // 4, <float *>a[2], n[0])


cdef void _relu_bwd_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _relu_bwd(<double *>a[0], s[0] // 8, <double *>a[1], s[1] // 8, <double *>a[2], n[0])


cdef void _set_loop(int op, loop_fn f32, loop_fn f64):
    _loops[op][0].fn = f32
    _loops[op][0].data = NULL
    _loops[op][1].fn = f64
    _loops[op][1].data = NULL


# ---------------------------------------------------------------------------------------------
# Running a loop over n elements, split into one contiguous chunk per thread.
# ---------------------------------------------------------------------------------------------

cdef inline void _run_chunk(Loop lp, int nargs, char **base, intp *steps,
                            intp start, intp count) noexcept nogil:
    cdef char *args[3]
    cdef int j
    for j in range(nargs):
        args[j] = base[j] + start * steps[j]
    lp.fn(args, &count, steps, lp.data)


cdef void _run(Loop lp, int nargs, char **base, intp *steps, intp n, intp par_size) noexcept nogil:
    cdef int nt = _nthreads
    cdef intp chunk, t
    if n < par_size or nt <= 1:
        _run_chunk(lp, nargs, base, steps, 0, n)
        return
    chunk = (n + nt - 1) // nt
    chunk = (chunk + CHUNK_ALIGN - 1) // CHUNK_ALIGN * CHUNK_ALIGN
    for t in prange(nt, num_threads=nt, schedule="static"):
        if t * chunk < n:
            _run_chunk(lp, nargs, base, steps, t * chunk, min(chunk, n - t * chunk))


cdef inline void _run_gil(Loop lp, int nargs, char **base, intp *steps, intp n,
                          intp par_size) noexcept:
    """_run, called with the GIL: released only for loops long enough to repay it."""
    if n < NOGIL_MIN:
        _run(lp, nargs, base, steps, n, par_size)
    else:
        with nogil:
            _run(lp, nargs, base, steps, n, par_size)


# ---------------------------------------------------------------------------------------------
# Dispatch: the fast path's checks, then the reference for everything else.
# ---------------------------------------------------------------------------------------------

cdef int _FAST_FLAGS = cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED


cdef inline bint _fast_array(object x) noexcept:
    """x is a C-contiguous, aligned float32/float64 ndarray of at least one dim.

    NOTE: 0-d arrays take the reference, which returns NumPy scalars for them (the contract).
    """
    if type(x) is not cnp.ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    return (cnp.PyArray_FLAGS(a) & _FAST_FLAGS) == _FAST_FLAGS and _dtype_slot(
        cnp.PyArray_TYPE(a)) >= 0 and cnp.PyArray_NDIM(a) > 0


cdef object _unary(int op, object x, object ref):
    if not _fast_array(x):
        return ref(x)
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef intp n = cnp.PyArray_SIZE(a)
    cdef int slot = _dtype_slot(cnp.PyArray_TYPE(a))
    cdef Loop lp = _loops[op][slot]
    if n < _min_size[op] or lp.fn == NULL:
        return ref(x)
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a),
                                             cnp.PyArray_TYPE(a), 0)
    cdef char *base[2]
    cdef intp steps[2]
    base[0] = cnp.PyArray_BYTES(a)
    base[1] = cnp.PyArray_BYTES(out)
    steps[0] = steps[1] = cnp.PyArray_ITEMSIZE(a)
    _run_gil(lp, 2, base, steps, n, _par_size[op])
    return out


cdef bint _scalar_into(object v, cnp.ndarray like, char *buf):
    """Write ``v`` in ``like``'s dtype into ``buf`` if ``v`` acts as a scalar against ``like``.

    Scalars: Python float/int (NumPy casts them to the array's dtype), NumPy scalars and 0-d
    arrays of the same dtype, and arrays of one element in memory (all strides 0, such as
    expand's views of a reduced gradient) whose shape broadcasts to ``like``'s.
    """
    cdef int typenum = cnp.PyArray_TYPE(like)
    cdef double d
    cdef cnp.ndarray b
    cdef int i, off
    t = type(v)
    if t is float or (t is int and -(1 << 53) < v < (1 << 53)):
        d = v
    elif t is np.float32 or t is np.float64:
        if (t is np.float32) != (typenum == cnp.NPY_FLOAT):
            return False
        d = v
    elif t is cnp.ndarray:
        b = <cnp.ndarray>v
        if cnp.PyArray_TYPE(b) != typenum or cnp.PyArray_SIZE(b) == 0:
            return False
        if not (cnp.PyArray_FLAGS(b) & cnp.NPY_ARRAY_ALIGNED):
            return False
        off = cnp.PyArray_NDIM(like) - cnp.PyArray_NDIM(b)
        if off < 0:
            return False
        for i in range(cnp.PyArray_NDIM(b)):
            if cnp.PyArray_DIM(b, i) != 1 and (
                    cnp.PyArray_STRIDE(b, i) != 0 or cnp.PyArray_DIM(b, i) != cnp.PyArray_DIM(like, i + off)):
                return False
        memcpy(buf, cnp.PyArray_BYTES(b), cnp.PyArray_ITEMSIZE(b))
        return True
    else:
        return False
    if typenum == cnp.NPY_FLOAT:
        (<float *>buf)[0] = <float>d
    else:
        (<double *>buf)[0] = d
    return True


cdef object _binary(int op, object x, object y, object ref):
    cdef cnp.ndarray a, b, out, full
    cdef double sbuf  # a scalar operand, in the array's dtype
    cdef char *base[3]
    cdef intp steps[3]
    cdef intp n, isz
    cdef int slot, k
    cdef Loop lp
    if _fast_array(x):
        a = <cnp.ndarray>x
        if _fast_array(y) and cnp.PyArray_TYPE(<cnp.ndarray>y) == cnp.PyArray_TYPE(a) and \
                cnp.PyArray_SAMESHAPE(a, <cnp.ndarray>y):
            b = <cnp.ndarray>y
            full = a
            base[0] = cnp.PyArray_BYTES(a)
            base[1] = cnp.PyArray_BYTES(b)
            k = -1
        elif _scalar_into(y, a, <char *>&sbuf):
            full = a
            base[0] = cnp.PyArray_BYTES(a)
            base[1] = <char *>&sbuf
            k = 1
        else:
            return ref(x, y)
    elif _fast_array(y) and _scalar_into(x, <cnp.ndarray>y, <char *>&sbuf):
        full = <cnp.ndarray>y
        base[0] = <char *>&sbuf
        base[1] = cnp.PyArray_BYTES(full)
        k = 0
    else:
        return ref(x, y)
    n = cnp.PyArray_SIZE(full)
    slot = _dtype_slot(cnp.PyArray_TYPE(full))
    lp = _loops[op][slot]
    if n < _min_size[op] or lp.fn == NULL:
        return ref(x, y)
    out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(full), cnp.PyArray_DIMS(full),
                            cnp.PyArray_TYPE(full), 0)
    isz = cnp.PyArray_ITEMSIZE(full)
    steps[0] = steps[1] = steps[2] = isz
    if k >= 0:
        steps[k] = 0
    base[2] = cnp.PyArray_BYTES(out)
    _run_gil(lp, 3, base, steps, n, _par_size[op])
    return out


# ---------------------------------------------------------------------------------------------
# Kernels (the reference's contract; see mytorch/_backends/reference.py)
# ---------------------------------------------------------------------------------------------

def add(x, y):
    """out = x + y; threaded NumPy loop for float32/float64 C-contiguous same-shape or scalar operands."""
    return _binary(ADD, x, y, _ref_add)


def sub(x, y):
    """out = x - y; threaded NumPy loop for float32/float64 C-contiguous same-shape or scalar operands."""
    return _binary(SUB, x, y, _ref_sub)


def mul(x, y):
    """out = x * y; threaded NumPy loop for float32/float64 C-contiguous same-shape or scalar operands."""
    return _binary(MUL, x, y, _ref_mul)


def div(x, y):
    """out = x / y; threaded NumPy loop for float32/float64 C-contiguous same-shape or scalar operands."""
    return _binary(DIV, x, y, _ref_div)


def neg(x):
    """out = -x; threaded NumPy loop for C-contiguous float32/float64."""
    return _unary(NEG, x, _ref_neg)


def exp(x):
    """out = exp(x); threaded NumPy (SIMD) loop for C-contiguous float32/float64."""
    return _unary(EXP, x, _ref_exp)


def tanh(x):
    """out = tanh(x); threaded NumPy loop for C-contiguous float32/float64."""
    return _unary(TANH, x, _ref_tanh)


def sqrt(x):
    """out = sqrt(x); threaded NumPy loop for C-contiguous float32/float64."""
    return _unary(SQRT, x, _ref_sqrt)


def sigmoid(x):
    """out = 1 / (1 + exp(-x)); threaded scipy.special.expit loop for C-contiguous float32/float64."""
    return _unary(SIGMOID, x, _ref_sigmoid)


def relu(x):
    """out = max(x, 0), NaN kept; one vectorized pass for C-contiguous float32/float64."""
    return _unary(RELU, x, _ref_relu)


def clone(x):
    """out = a copy of x; memcpy split across threads for large C-contiguous float32/float64."""
    return _unary(COPY, x, _ref_clone)


def sigmoid_backward(grad, y):
    """out = grad * y * (1 - y) in one pass; float32/float64 C-contiguous or scalar grad."""
    return _binary(SIGMOID_BWD, grad, y, _ref_sigmoid_backward)


def tanh_backward(grad, y):
    """out = grad * (1 - y * y) in one pass; float32/float64 C-contiguous or scalar grad."""
    return _binary(TANH_BWD, grad, y, _ref_tanh_backward)


def relu_backward(grad, y):
    """out = grad * (y > 0) in one pass; float32/float64 C-contiguous or scalar grad."""
    if type(grad) is int or type(grad) is float:
        # NOTE: a Python number times a bool array is int64/float64 in the reference
        return _ref.relu_backward(grad, y)
    return _binary(RELU_BWD, grad, y, _ref_relu_backward)


_find_loops(ADD, np.add)
_find_loops(SUB, np.subtract)
_find_loops(MUL, np.multiply)
_find_loops(DIV, np.true_divide)
_find_loops(EXP, np.exp)
_find_loops(TANH, np.tanh)
_find_loops(SIGMOID, _expit)
_find_loops(SQRT, np.sqrt)
_find_loops(NEG, np.negative)
_set_loop(SIGMOID_BWD, _sigmoid_bwd_f, _sigmoid_bwd_d)
_set_loop(TANH_BWD, _tanh_bwd_f, _tanh_bwd_d)
_set_loop(RELU_BWD, _relu_bwd_f, _relu_bwd_d)
_set_loop(RELU, _relu_f, _relu_d)
_set_loop(COPY, _copy_f, _copy_d)


# The reference kernels, bound once (a module attribute lookup per call showed in profiles).
_ref_add = _ref.add
_ref_clone = _ref.clone
_ref_div = _ref.div
_ref_exp = _ref.exp
_ref_mul = _ref.mul
_ref_neg = _ref.neg
_ref_relu = _ref.relu
_ref_relu_backward = _ref.relu_backward
_ref_sigmoid = _ref.sigmoid
_ref_sigmoid_backward = _ref.sigmoid_backward
_ref_sqrt = _ref.sqrt
_ref_sub = _ref.sub
_ref_tanh = _ref.tanh
_ref_tanh_backward = _ref.tanh_backward


def _set_sizes(op_name, min_size, par_size):
    """Tune one op's thresholds (elements): below min_size the reference runs; threads from par_size."""
    cdef int op = _OP_IDS[op_name]
    _min_size[op] = min_size
    _par_size[op] = par_size


def _sizes():
    """{op name: (min_size, par_size)}: the thresholds in use."""
    return {name: (_min_size[op], _par_size[op]) for name, op in _OP_IDS.items()}


_OP_IDS = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "relu": RELU, "exp": EXP, "tanh": TANH,
    "sigmoid": SIGMOID, "sqrt": SQRT, "neg": NEG, "sigmoid_backward": SIGMOID_BWD,
    "tanh_backward": TANH_BWD, "relu_backward": RELU_BWD, "clone": COPY,
}
# NOTE: measured here (a 2-vCPU VM shared with other jobs, OpenMP threads waiting passively):
# waking the second thread costs 15-50 us, so two threads beat one only from about 2 Mi
# elements (1.0-1.4x at 4 Mi for mul, exp, tanh_backward, copy; 0.2-0.9x from 128 Ki to 1 Mi).
# Smaller arrays run on one thread, still faster than the reference's ufunc call.
for _name in _OP_IDS:
    _set_sizes(_name, 0, 1 << 21)

OVERRIDES = tuple(_OP_IDS)
