# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Elementwise kernels: NumPy's own SIMD loops split across threads, and fused backward loops.

Fast path of the unary ops: a C-contiguous float32/float64 array. Fast path of the binary ops
(arithmetic, comparisons, fused backward loops, pow by a scalar) and of where: operands of one
float dtype (where's condition: bool) that broadcast together, each a C-contiguous array, a
broadcast view of one (dims of stride 0, as np.broadcast_to and expand make), a 0-d array, a
NumPy scalar of the dtype or a Python number. The output is a new C-contiguous array of the
broadcast shape. Everything else (other layouts and dtypes, 0-d results) goes to the NumPy
reference.

NOTE: the forward ops call the inner loop of the very ufunc the reference calls (found in the
ufunc's loop table), row by row of the broadcast shape with a step of 0 for broadcast operands
as NumPy's iterator does, so results are bitwise those of the reference; only the work is split.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.string cimport memcpy

from _ufunc_loops cimport Loop, find_loop, find_loop_out, intp, loop_fn

import numpy as np
from scipy.special import expit as _expit

from mytorch._backends.reference import NUMPY as _ref

cnp.import_array()


# Op ids; each has a float32 and a float64 loop.
cdef enum:
    ADD, SUB, MUL, DIV, EXP, TANH, SIGMOID, SQRT, NEG,
    SIGMOID_BWD, TANH_BWD, RELU_BWD, RELU, COPY, POW, LT, LE, GT, GE, EQ, NE, WHERE,
    POW_SQUARE, POW_SQRT, POW_RECIPROCAL, N_OPS

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
    # Operands that broadcast (one shorter than the result, not a scalar) thread from at least
    # this many elements, whatever the op's threshold: (512, 1024) + (1024,) then mean(dim=0)
    # backward took 335 us on one thread, 384 split (the reduction then read half of the sum
    # from the other core's cache).
    BROADCAST_PAR = 1 << 21
    # Operands of one loop (the output last), and dims of a broadcast; more take the reference.
    MAX_ARGS = 4
    MAX_DIMS = 32


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


cdef void _find_compare_loops(int op, cnp.ufunc uf):
    """Take the float32 and float64 loops of comparison ``uf`` (bool output)."""
    _loops[op][0] = find_loop_out(uf, cnp.NPY_FLOAT, cnp.NPY_BOOL)
    _loops[op][1] = find_loop_out(uf, cnp.NPY_DOUBLE, cnp.NPY_BOOL)


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


cdef inline void _where(unsigned char *c, intp cs, real *x, intp xs, real *y, intp ys, real *o,
                        intp n) noexcept nogil:
    # NOTE: a select copies the chosen operand's bits (NaN payloads too), as np.where does; any
    # nonzero condition byte is true. Both values are loaded before the select so that the
    # compiler makes it a branch-free blend (a branch per element, mispredicted on a random
    # condition, made np.where and a first version of this loop 15x slower).
    cdef real xv, yv
    cdef intp i
    if cs == 1 and xs == 1 and ys == 1:
        for i in range(n):
            xv = x[i]
            yv = y[i]
            o[i] = xv if c[i] else yv
    elif cs == 1 and xs == 1 and ys == 0:
        yv = y[0]
        for i in range(n):
            xv = x[i]
            o[i] = xv if c[i] else yv
    elif cs == 1 and xs == 0 and ys == 1:
        xv = x[0]
        for i in range(n):
            yv = y[i]
            o[i] = xv if c[i] else yv
    else:
        for i in range(n):
            xv = x[i * xs]
            yv = y[i * ys]
            o[i] = xv if c[i * cs] else yv


cdef void _where_f(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _where(<unsigned char *>a[0], s[0], <float *>a[1], s[1] // 4, <float *>a[2], s[2] // 4,
           <float *>a[3], n[0])


cdef void _where_d(char **a, intp *n, intp *s, void *d) noexcept nogil:
    _where(<unsigned char *>a[0], s[0], <double *>a[1], s[1] // 8, <double *>a[2], s[2] // 8,
           <double *>a[3], n[0])


# x ** 2, x ** 0.5 and x ** -1 run the unary loops that ndarray's ** operator picks for them
# (square, sqrt, reciprocal: 3-4x faster than the power loop, and bitwise equal to it).
cdef Loop _pow_unary[3][2]


cdef void _drop_exponent(char **a, intp *n, intp *s, void *d) noexcept nogil:
    """A binary (x, exponent -> out) loop that runs the unary loop at ``d`` on x."""
    cdef Loop *lp = <Loop *>d
    cdef char *args[2]
    cdef intp steps[2]
    args[0] = a[0]
    args[1] = a[2]
    steps[0] = s[0]
    steps[1] = s[2]
    lp.fn(args, n, steps, lp.data)


cdef void _set_pow_unary(int op, cnp.ufunc uf):
    cdef int k = op - POW_SQUARE, slot
    _pow_unary[k][0] = find_loop(uf, cnp.NPY_FLOAT)
    _pow_unary[k][1] = find_loop(uf, cnp.NPY_DOUBLE)
    for slot in range(2):
        _loops[op][slot].fn = NULL
        if _pow_unary[k][slot].fn != NULL:
            _loops[op][slot].fn = _drop_exponent
        _loops[op][slot].data = &_pow_unary[k][slot]


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


# ---------------------------------------------------------------------------------------------
# Broadcasting: each operand described over the output's dims (step 0 where it repeats), dims
# that all operands step through as one merged, and the loop called once per row of the
# innermost merged dim, as NumPy's iterator calls it.
# ---------------------------------------------------------------------------------------------

cdef struct Operand:
    int ndim  # 0 for a scalar
    intp *dims
    intp *strides  # bytes
    char *data
    intp itemsize
    bint contiguous  # C-contiguous: element k (in C order) at data + k * itemsize


cdef struct Iter:
    int nargs  # operands, the output last
    int ndim  # merged dims, at least 1
    intp size  # elements of the output
    intp shape[MAX_DIMS]
    intp strides[MAX_ARGS][MAX_DIMS]  # bytes per merged dim, 0 where the operand repeats
    char *data[MAX_ARGS]


cdef void _run_range(const Iter *it, Loop lp, intp start, intp stop) noexcept nogil:
    """Run the loop over output elements [start, stop) in C order: a call per (part of a) row."""
    cdef int nd = it.ndim, na = it.nargs, j, k
    cdef intp inner = it.shape[nd - 1]
    cdef intp r, c, pos = start, count = stop - start
    cdef intp idx[MAX_DIMS]
    cdef intp steps[MAX_ARGS]
    cdef char *row[MAX_ARGS]
    cdef char *args[MAX_ARGS]
    if start >= stop:
        return
    for j in range(na):
        steps[j] = it.strides[j][nd - 1]
    if nd == 1:  # one row: same-shape and scalar operands
        for j in range(na):
            args[j] = it.data[j] + start * steps[j]
        lp.fn(args, &count, steps, lp.data)
        return
    r = start // inner
    c = start - r * inner
    for j in range(na):
        row[j] = it.data[j]
    for k in range(nd - 2, -1, -1):
        idx[k] = r % it.shape[k]
        r = r // it.shape[k]
        for j in range(na):
            row[j] += idx[k] * it.strides[j][k]
    while True:
        count = min(inner - c, stop - pos)
        for j in range(na):
            args[j] = row[j] + c * steps[j]
        lp.fn(args, &count, steps, lp.data)
        pos += count
        if pos >= stop:
            return
        c = 0
        # The next row: an odometer over the outer dims.
        k = nd - 2
        while k >= 0:
            idx[k] += 1
            for j in range(na):
                row[j] += it.strides[j][k]
            if idx[k] < it.shape[k]:
                break
            idx[k] = 0
            for j in range(na):
                row[j] -= it.strides[j][k] * it.shape[k]
            k -= 1


cdef inline intp _split(const Iter *it, int t, int nt) noexcept nogil:
    """Where thread t of nt starts: t/nt of the way, moved on to a multiple of CHUNK_ALIGN within
    its row (or the next row), so that each call's SIMD blocks fall where a whole row's would."""
    cdef intp inner = it.shape[it.ndim - 1]
    cdef intp b = <intp>(<double>it.size * t / nt)
    cdef intp r = b // inner
    cdef intp c = (b - r * inner + CHUNK_ALIGN - 1) // CHUNK_ALIGN * CHUNK_ALIGN
    if t >= nt:
        return it.size
    if c >= inner:
        return (r + 1) * inner
    return r * inner + c


cdef void _run_iter(const Iter *it, Loop lp, intp par_size) noexcept nogil:
    cdef int nt = _nthreads
    cdef int t
    if it.size < par_size or nt <= 1:
        _run_range(it, lp, 0, it.size)
        return
    for t in prange(nt, num_threads=nt, schedule="static"):
        _run_range(it, lp, _split(it, t, nt), _split(it, t + 1, nt))


cdef inline int _same_shape(Operand *ops, int nin) noexcept:
    """The first array among ops[:nin] when all arrays are C-contiguous of one shape and the
    others scalars (the common case, which needs no broadcasting); else -1."""
    cdef int first = -1, j, d
    for j in range(nin):
        if ops[j].ndim == 0:
            continue
        if not ops[j].contiguous:
            return -1
        if first < 0:
            first = j
        elif ops[j].ndim != ops[first].ndim:
            return -1
        else:
            for d in range(ops[j].ndim):
                if ops[j].dims[d] != ops[first].dims[d]:
                    return -1
    return first


cdef int _broadcast(Operand *ops, int nin, intp *shape) noexcept:
    """The broadcast shape of ops[:nin] into ``shape``; its ndim, or -1 if they do not broadcast."""
    cdef int nd = 0, j, i, off
    cdef intp s
    for j in range(nin):
        nd = max(nd, ops[j].ndim)
    for i in range(nd):
        shape[i] = 1
    for j in range(nin):
        off = nd - ops[j].ndim
        for i in range(ops[j].ndim):
            s = ops[j].dims[i]
            if s != 1:
                if shape[i + off] == 1:
                    shape[i + off] = s
                elif shape[i + off] != s:
                    return -1
    return nd


cdef void _collapse(Iter *it, Operand *ops, int nargs, intp *shape, int nd) noexcept:
    """Describe ops[:nargs] over the broadcast ``shape``: size-1 dims left out, and each dim
    merged into the one before it where every operand steps through the two as through one."""
    cdef intp st[MAX_ARGS]
    cdef intp size
    cdef int d, i, j, k
    cdef bint merge
    it.nargs = nargs
    it.ndim = 0
    for j in range(nargs):
        it.data[j] = ops[j].data
    for d in range(nd):
        size = shape[d]
        if size == 1:
            continue
        for j in range(nargs):
            i = d - (nd - ops[j].ndim)
            st[j] = 0 if i < 0 or ops[j].dims[i] == 1 else ops[j].strides[i]
        k = it.ndim - 1
        merge = k >= 0
        for j in range(nargs):
            if merge and it.strides[j][k] != st[j] * size:
                merge = False
        if merge:
            it.shape[k] *= size
        else:
            k = it.ndim
            it.ndim += 1
            it.shape[k] = size
        for j in range(nargs):
            it.strides[j][k] = st[j]
    if it.ndim == 0:  # one element
        it.ndim = 1
        it.shape[0] = 1
        for j in range(nargs):
            it.strides[j][0] = 0


cdef object _launch(int op, int typenum, Operand *ops, int nin, int out_type):
    """A new C-contiguous array of ``out_type``: op's loop over ops[:nin] broadcast together.

    None when the reference is to run instead: no loop, a 0-d or too small result, or shapes
    that do not broadcast (the reference raises NumPy's error).
    """
    cdef intp n
    cdef int j, first = _same_shape(ops, nin)
    cdef char *args[MAX_ARGS]
    cdef intp steps[MAX_ARGS]
    cdef Loop lp = _loops[op][_dtype_slot(typenum)]
    cdef cnp.ndarray out
    if first < 0 or lp.fn == NULL:
        return _launch_broadcast(op, lp, ops, nin, out_type, max(_par_size[op], BROADCAST_PAR))
    # NOTE: operands of one shape (or scalars), the common case, set up here: on small arrays
    # the general setup costs as much as the loop.
    n = 1
    for j in range(ops[first].ndim):
        n *= ops[first].dims[j]
    if n < _min_size[op]:
        return None
    if n >= NOGIL_MIN or (n >= _par_size[op] and _nthreads > 1):
        return _launch_broadcast(op, lp, ops, nin, out_type, _par_size[op])
    out = cnp.PyArray_EMPTY(ops[first].ndim, ops[first].dims, out_type, 0)
    for j in range(nin):
        args[j] = ops[j].data
        steps[j] = ops[j].itemsize if ops[j].ndim else 0
    args[nin] = cnp.PyArray_BYTES(out)
    steps[nin] = cnp.PyArray_ITEMSIZE(out)
    if n:
        lp.fn(args, &n, steps, lp.data)
    return out


cdef object _launch_broadcast(int op, Loop lp, Operand *ops, int nin, int out_type,
                              intp par_size):
    """_launch for any operands: broadcast, dims merged, split across threads from par_size
    elements."""
    cdef Iter it
    cdef intp shape[MAX_DIMS]
    cdef intp n = 1
    cdef int d, nd
    cdef cnp.ndarray out
    if lp.fn == NULL:
        return None
    nd = _broadcast(ops, nin, shape)
    if nd <= 0:
        return None
    for d in range(nd):
        n *= shape[d]
    if n < _min_size[op]:
        return None
    out = cnp.PyArray_EMPTY(nd, shape, out_type, 0)
    if n == 0:
        return out
    ops[nin].ndim = nd
    ops[nin].dims = cnp.PyArray_DIMS(out)
    ops[nin].strides = cnp.PyArray_STRIDES(out)
    ops[nin].data = cnp.PyArray_BYTES(out)
    ops[nin].itemsize = cnp.PyArray_ITEMSIZE(out)
    _collapse(&it, ops, nin + 1, shape, nd)
    it.size = n
    if n < NOGIL_MIN:
        _run_iter(&it, lp, par_size)
    else:
        with nogil:
            _run_iter(&it, lp, par_size)
    return out


# ---------------------------------------------------------------------------------------------
# Operands: which dtype the op computes in, and whether each operand is on the fast path.
# ---------------------------------------------------------------------------------------------

cdef enum:
    WEAK = -1  # a Python float or int: cast to the other operand's dtype (NEP 50)
    OTHER = -2  # anything else: the reference handles it

cdef object _float32 = np.float32
cdef object _float64 = np.float64


cdef inline int _value_type(object v) noexcept:
    """The type number ``v`` brings to promotion (an array's or NumPy scalar's), WEAK or OTHER."""
    if type(v) is cnp.ndarray:
        return cnp.PyArray_TYPE(<cnp.ndarray>v)
    # NOTE: `type(True) is int` is False: bools (which promote differently) are OTHER.
    if type(v) is float or type(v) is int:
        return WEAK
    if type(v) is _float32:
        return cnp.NPY_FLOAT
    if type(v) is _float64:
        return cnp.NPY_DOUBLE
    return OTHER


cdef inline int _common_type(int a, int b) noexcept:
    """The float32/float64 type number two operands compute in, or -1 (then the reference)."""
    if a == WEAK:
        a = b
    elif b != WEAK and b != a:
        return -1
    return a if a == cnp.NPY_FLOAT or a == cnp.NPY_DOUBLE else -1


cdef inline bint _array_operand(Operand *o, cnp.ndarray a, int typenum) noexcept:
    """Describe ``a`` if it has type ``typenum`` and a fast layout: aligned, native byte order,
    and C-contiguous once its stride-0 (repeated) and size-1 dims are left out.

    NOTE: other layouts (transposed, strided, reversed) take the reference, whose result follows
    their memory order; this kernel's is always C-contiguous.
    """
    cdef int i, nd = cnp.PyArray_NDIM(a)
    cdef intp expected
    cdef intp *dims = cnp.PyArray_DIMS(a)
    cdef intp *strides = cnp.PyArray_STRIDES(a)
    cdef int flags = cnp.PyArray_FLAGS(a)
    if cnp.PyArray_TYPE(a) != typenum or nd > MAX_DIMS:
        return False
    if not (flags & cnp.NPY_ARRAY_ALIGNED) or not cnp.PyArray_ISNOTSWAPPED(a):
        return False
    o.itemsize = cnp.PyArray_ITEMSIZE(a)
    o.contiguous = (flags & cnp.NPY_ARRAY_C_CONTIGUOUS) != 0
    if not o.contiguous:
        expected = o.itemsize
        for i in range(nd - 1, -1, -1):
            if dims[i] != 1 and strides[i] != 0:
                if strides[i] != expected:
                    return False
                expected *= dims[i]
    o.ndim = nd
    o.dims = dims
    o.strides = strides
    o.data = cnp.PyArray_BYTES(a)
    return True


cdef inline int _operand(Operand *o, object v, int typenum, char *buf) except -1:
    """Describe ``v``, whose _value_type is ``typenum`` or WEAK, as an operand of that dtype; 0
    when it is outside the fast path. A scalar is written into ``buf`` (8 bytes)."""
    cdef double d
    if type(v) is cnp.ndarray:
        return _array_operand(o, <cnp.ndarray>v, typenum)
    if type(v) is int and not -(1 << 53) < v < (1 << 53):
        return 0  # NOTE: not exact in a double: NumPy's own conversion decides
    d = v  # a Python float or int, or a NumPy scalar of this dtype (exact in a double)
    if typenum == cnp.NPY_FLOAT:
        (<float *>buf)[0] = <float>d
    else:
        (<double *>buf)[0] = d
    o.ndim = 0
    o.dims = NULL
    o.strides = NULL
    o.data = buf
    o.itemsize = 0
    o.contiguous = True
    return 1


cdef int _pow_op(Operand *e, int typenum) noexcept:
    """The op that raises to exponent ``e``: POW, one of its unary forms, or -1 (the reference).

    NOTE: a scalar exponent only (one value in memory). The reference's ** runs square, sqrt or
    reciprocal for 2, 0.5 and -1, and NumPy's power loop special-cases those (and 0, 1) for a
    scalar exponent (the tests check the results are bitwise equal for many exponents).
    """
    cdef int i
    cdef double v
    for i in range(e.ndim):
        if e.dims[i] == 0 or (e.dims[i] != 1 and e.strides[i] != 0):
            return -1
    v = (<float *>e.data)[0] if typenum == cnp.NPY_FLOAT else (<double *>e.data)[0]
    if v == 2:
        return POW_SQUARE
    if v == 0.5:
        return POW_SQRT
    if v == -1:
        return POW_RECIPROCAL
    return POW


cdef object _binary(int op, object x, object y, object ref):
    cdef Operand ops[3]
    cdef double bufs[2]  # scalar operands, in the dtype computed in
    cdef int t
    if type(x) is not cnp.ndarray and type(y) is not cnp.ndarray:
        return ref(x, y)  # NOTE: scalars (0-d tensors): a NumPy scalar result, kept cheap
    t = _common_type(_value_type(x), _value_type(y))
    if t < 0 or not _operand(&ops[0], x, t, <char *>&bufs[0]) or not _operand(
            &ops[1], y, t, <char *>&bufs[1]):
        return ref(x, y)
    if op == POW:
        op = _pow_op(&ops[1], t)
        if op < 0:
            return ref(x, y)
    out = _launch(op, t, ops, 2, cnp.NPY_BOOL if LT <= op <= NE else t)
    if out is None:
        return ref(x, y)
    return out


# ---------------------------------------------------------------------------------------------
# Kernels (the reference's contract; see mytorch/_backends/reference.py)
# ---------------------------------------------------------------------------------------------

def add(x, y):
    """out = x + y, broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(ADD, x, y, _ref_add)


def sub(x, y):
    """out = x - y, broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(SUB, x, y, _ref_sub)


def mul(x, y):
    """out = x * y, broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(MUL, x, y, _ref_mul)


def div(x, y):
    """out = x / y, broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(DIV, x, y, _ref_div)


def pow(x, y):
    """out = x ** y for a scalar y; threaded NumPy power loop for float32/float64 x."""
    return _binary(POW, x, y, _ref_pow)


def lt(x, y):
    """out = x < y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(LT, x, y, _ref_lt)


def le(x, y):
    """out = x <= y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(LE, x, y, _ref_le)


def gt(x, y):
    """out = x > y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(GT, x, y, _ref_gt)


def ge(x, y):
    """out = x >= y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(GE, x, y, _ref_ge)


def eq(x, y):
    """out = x == y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(EQ, x, y, _ref_eq)


def ne(x, y):
    """out = x != y (bool), broadcast; threaded NumPy loop for float32/float64 operands."""
    return _binary(NE, x, y, _ref_ne)


def where(cond, x, y):
    """out = x where cond else y, broadcast; threaded select (bool cond, float32/float64 values)."""
    cdef Operand ops[4]
    cdef double bufs[2]
    cdef int t = _common_type(_value_type(x), _value_type(y))
    if t < 0 or type(cond) is not cnp.ndarray or not _array_operand(
            &ops[0], <cnp.ndarray>cond, cnp.NPY_BOOL):
        return _ref_where(cond, x, y)
    if not _operand(&ops[1], x, t, <char *>&bufs[0]) or not _operand(
            &ops[2], y, t, <char *>&bufs[1]):
        return _ref_where(cond, x, y)
    out = _launch(WHERE, t, ops, 3, t)
    if out is None:
        return _ref_where(cond, x, y)
    return out


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


def binary_into(name, x, y):
    """The reference's binary_into (x op= y by NumPy's ufunc ``name``, written into x): split
    across threads from the op's threshold for a C-contiguous float32/float64 x and a Python
    number or an array of x's dtype and shape that is x itself or apart from it. (An SGD step's
    ``p -= lr * p.grad`` over 200k float32 took 20 us on one core; on two, each core's cache
    holds half of the three arrays.)"""
    cdef int op = _INTO_OPS.get(name, -1)
    cdef Operand o
    cdef double buf
    cdef char *base[3]
    cdef intp steps[3]
    cdef intp n, nb
    cdef cnp.ndarray a, b
    cdef int t
    cdef char *xs
    cdef char *ys
    cdef Loop lp
    if op < 0 or _nthreads < 2 or not _fast_array(x) or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>x):
        return _ref.binary_into(name, x, y)
    a = <cnp.ndarray>x
    n = cnp.PyArray_SIZE(a)
    t = cnp.PyArray_TYPE(a)
    if n < _par_size[op] or _common_type(t, _value_type(y)) != t:
        return _ref.binary_into(name, x, y)
    if type(y) is cnp.ndarray:
        b = <cnp.ndarray>y
        nb = cnp.PyArray_NBYTES(a)
        xs, ys = cnp.PyArray_BYTES(a), cnp.PyArray_BYTES(b)
        if (not _fast_array(y) or not cnp.PyArray_SAMESHAPE(a, b)
                or (ys != xs and ys < xs + nb and xs < ys + nb)):
            return _ref.binary_into(name, x, y)
        base[1] = ys
        steps[1] = cnp.PyArray_ITEMSIZE(a)
    else:
        if not _operand(&o, y, t, <char *>&buf):
            return _ref.binary_into(name, x, y)
        base[1] = o.data
        steps[1] = 0
    base[0] = base[2] = cnp.PyArray_BYTES(a)
    steps[0] = steps[2] = cnp.PyArray_ITEMSIZE(a)
    lp = _loops[op][_dtype_slot(t)]
    if lp.fn == NULL:
        return _ref.binary_into(name, x, y)
    with nogil:
        _run(lp, 3, base, steps, n, _par_size[op])
    return x


_INTO_OPS = {"add": ADD, "subtract": SUB, "multiply": MUL, "divide": DIV}


def sigmoid_backward(grad, y):
    """out = grad * y * (1 - y) in one pass, broadcast; float32/float64 operands."""
    return _binary(SIGMOID_BWD, grad, y, _ref_sigmoid_backward)


def tanh_backward(grad, y):
    """out = grad * (1 - y * y) in one pass, broadcast; float32/float64 operands."""
    return _binary(TANH_BWD, grad, y, _ref_tanh_backward)


def relu_backward(grad, y):
    """out = grad * (y > 0) in one pass, broadcast; float32/float64 operands."""
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
_find_loops(POW, np.power)
_set_pow_unary(POW_SQUARE, np.square)
_set_pow_unary(POW_SQRT, np.sqrt)
_set_pow_unary(POW_RECIPROCAL, np.reciprocal)
_find_compare_loops(LT, np.less)
_find_compare_loops(LE, np.less_equal)
_find_compare_loops(GT, np.greater)
_find_compare_loops(GE, np.greater_equal)
_find_compare_loops(EQ, np.equal)
_find_compare_loops(NE, np.not_equal)
_set_loop(WHERE, _where_f, _where_d)


# The reference kernels, bound once (a module attribute lookup per call showed in profiles).
_ref_add = _ref.add
_ref_clone = _ref.clone
_ref_div = _ref.div
_ref_eq = _ref.eq
_ref_exp = np.exp  # declared ops' reference kernels are their array module's functions
_ref_ge = _ref.ge
_ref_gt = _ref.gt
_ref_le = _ref.le
_ref_lt = _ref.lt
_ref_mul = _ref.mul
_ref_ne = _ref.ne
_ref_neg = _ref.neg
_ref_pow = _ref.pow
_ref_relu = _ref.relu
_ref_relu_backward = _ref.relu_backward
_ref_sigmoid = _ref.sigmoid
_ref_sigmoid_backward = _ref.sigmoid_backward
_ref_sqrt = np.sqrt
_ref_sub = _ref.sub
_ref_tanh = np.tanh
_ref_tanh_backward = _ref.tanh_backward
_ref_where = _ref.where


def _set_sizes(op_name, min_size, par_size):
    """Tune one op's thresholds (elements): below min_size the reference runs; threads from par_size."""
    cdef int op = _LOOP_IDS[op_name]
    _min_size[op] = min_size
    _par_size[op] = par_size


def _sizes():
    """{op name: (min_size, par_size)}: the thresholds in use."""
    return {name: (_min_size[op], _par_size[op]) for name, op in _LOOP_IDS.items()}


_OP_IDS = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "relu": RELU, "exp": EXP, "tanh": TANH,
    "sigmoid": SIGMOID, "sqrt": SQRT, "neg": NEG, "sigmoid_backward": SIGMOID_BWD,
    "tanh_backward": TANH_BWD, "relu_backward": RELU_BWD, "clone": COPY, "pow": POW, "lt": LT,
    "le": LE, "gt": GT, "ge": GE, "eq": EQ, "ne": NE, "where": WHERE,
}
# The kernels' ops and pow's unary forms, whose thresholds are set apart.
_LOOP_IDS = dict(
    _OP_IDS, pow_square=POW_SQUARE, pow_sqrt=POW_SQRT, pow_reciprocal=POW_RECIPROCAL,
)
# NOTE: measured here (a 2-vCPU VM shared with other jobs, OpenMP threads waiting passively):
# waking the second thread costs 15-50 us, so two threads beat one only from about 2 Mi
# elements (1.0-1.4x at 4 Mi for mul, exp, tanh_backward, copy; 0.2-0.9x from 128 Ki to 1 Mi).
# Smaller arrays run on one thread, still faster than the reference's ufunc call.
# Broadcast operands, comparisons and where (float32, rows of 1024; min of 9, 1 vs 2 threads;
# the second core was often busy with other jobs): 0.15x at 32 Ki, 0.4-0.6x at 128 Ki,
# 0.65-0.9x at 512 Ki-1 Mi, 0.9-2.5x at 2 Mi, 1.0-2.7x at 4 Mi; so from 2 Mi as above. pow by
# a general exponent is compute-bound (about 1 ns an element): 0.92x at 128 Ki, 1.7x from
# 512 Ki when the second core was free, so from 256 Ki.
# NOTE: the four arithmetic ops thread from 128 Ki elements (512 KB of float32): in a training
# step the other thread has just run a kernel and is still spinning, and two cores' caches hold
# twice what one holds. An SGD update (``p -= lr * p.grad``) of a 784-256-256-10 MLP took 120 us
# on one thread (torch 79 on two); with this, the MLP's training step ran 50-90 us faster.
# Operands that broadcast keep 2 Mi (BROADCAST_PAR).
for _name in _LOOP_IDS:
    _set_sizes(_name, 0, 1 << 17 if _name in ("add", "sub", "mul", "div") else 1 << 21)
_set_sizes("pow", 0, 1 << 18)

OVERRIDES = tuple(_OP_IDS) + ("binary_into",)
