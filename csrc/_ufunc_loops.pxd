# NumPy ufunc inner loops, taken from a ufunc's loop table and called directly (without the
# GIL): shared by the elementwise and reduction kernels.

cimport numpy as cnp

ctypedef cnp.npy_intp intp
# NumPy's inner-loop signature (PyUFuncGenericFunction).
ctypedef void (*loop_fn)(char **args, intp *n, intp *steps, void *data) noexcept nogil

# NOTE: NumPy 2.5's numpy/__init__.pxd no longer declares ufunc.types; read the C field (through
# the accessor newer headers provide, else directly).
cdef extern from *:
    """
    #include <numpy/ufuncobject.h>
    #ifdef _PyUFuncObject_GET_ITEM_DATA
    #define _mt_ufunc_types(u) (_PyUFuncObject_GET_ITEM_DATA(u)->types)
    #else
    #define _mt_ufunc_types(u) (((PyUFuncObject *)(u))->types)
    #endif
    """
    const char *_mt_ufunc_types(object uf)


cdef struct Loop:
    loop_fn fn
    void *data


cdef inline Loop find_loop_out(cnp.ufunc uf, int typenum, int out_typenum) noexcept:
    """The loop of ``uf`` whose inputs have type ``typenum`` and outputs ``out_typenum`` (such
    as a comparison's float -> bool loop; ``fn`` NULL if none)."""
    cdef Loop lp
    cdef int i, j
    cdef bint ok
    cdef const char *types = _mt_ufunc_types(uf)
    lp.fn = NULL
    lp.data = NULL
    for i in range(uf.ntypes):
        ok = uf.functions[i] != NULL
        for j in range(uf.nargs):
            if types[i * uf.nargs + j] != (typenum if j < uf.nin else out_typenum):
                ok = False
        if ok:
            # NOTE: Cython warns that this cast skips GIL checks: NumPy's float loops take no GIL.
            lp.fn = <loop_fn>uf.functions[i]
            lp.data = uf.data[i]
            break
    return lp


cdef inline Loop find_loop(cnp.ufunc uf, int typenum) noexcept:
    """The loop of ``uf`` whose operands all have type ``typenum`` (``fn`` NULL if none)."""
    return find_loop_out(uf, typenum, typenum)
