# C types for mytorch/_registry.py (Cython pure-Python mode): Op's fields, read by apply in C.

cdef class Op:
    cdef public object name, kname, kernel, vjp, node_name
    cdef public int save, kind
    cdef public bint elementwise
    cdef public int view
    cdef public object xp

cdef class HotOps:
    cdef public Op add, sub, rsub, mul, div, neg, lt, le, gt, ge, eq, ne

cdef class CoreHooks:
    cdef public object promote2, broadcast_error, refresh_view, apply_view, raise_freed
    cdef public object raise_modified, backward, saved_pack
