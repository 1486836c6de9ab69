# C types for mytorch/_core.py (Cython pure-Python mode): the .py stays importable as it is.

cdef class Op:
    cdef public object name, kernel, vjp, node_name
    cdef public int save, kind

cdef class Node:
    cdef public Op op
    cdef public tuple next
    cdef public object saved, out_data, params, shapes, dtypes, retained, variable, hooks
    cdef public bint freed
    cdef object __weakref__

cdef class TensorBase:
    cdef public object _data
    cdef public bint _requires_grad
    cdef public object _grad
    cdef public Node _grad_fn
    cdef public Node _acc
    cdef public bint _retains_grad
    cdef object __weakref__
