# NumPy ufunc inner loops, taken from a ufunc's loop table and called directly (without the
# GIL): shared by the elementwise and reduction kernels.

cimport numpy as cnp

ctypedef cnp.npy_intp intp
# NumPy's inner-loop signature (PyUFuncGenericFunction).
ctypedef void (*loop_fn)(char **args, intp *n, intp *steps, void *data) noexcept nogil


cdef struct Loop:
    loop_fn fn
    void *data


cdef inline Loop find_loop(cnp.ufunc uf, int typenum) noexcept:
    """The loop of ``uf`` whose operands all have type ``typenum`` (``fn`` NULL if none)."""
    cdef Loop lp
    cdef int i, j
    cdef bint ok
    lp.fn = NULL
    lp.data = NULL
    for i in range(uf.ntypes):
        ok = uf.functions[i] != NULL
        for j in range(uf.nargs):
            if uf.types[i * uf.nargs + j] != typenum:
                ok = False
        if ok:
            # NOTE: Cython warns that this cast skips GIL checks: NumPy's float loops take no GIL.
            lp.fn = <loop_fn>uf.functions[i]
            lp.data = uf.data[i]
            break
    return lp
