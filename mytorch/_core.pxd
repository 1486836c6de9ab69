cimport cython

# C types for mytorch/_core.py (Cython pure-Python mode): the .py stays importable as it is.

cdef class Op:
    cdef public object name, kernel, vjp, node_name
    cdef public int save, kind

cdef class Node:
    cdef public Op op
    cdef public tuple next
    cdef public object saved, out_data, params, shapes, dtypes, retained, variable, hooks
    cdef public bint freed
    cdef public object wanted
    cdef object __weakref__
    cpdef bint _wants(self, Py_ssize_t i)

cdef class TensorBase:
    cdef public object _data
    cdef public bint _requires_grad
    cdef public object _grad
    cdef public Node _grad_fn
    cdef public Node _acc
    cdef public bint _retains_grad
    cdef object __weakref__


@cython.locals(node=Node, nxt=Node, i=Py_ssize_t, c=Py_ssize_t, run_vjp=bint)
cpdef run_backward(outputs, grad_outputs, bint retain_graph, bint create_graph, inputs, bint accumulate)

@cython.locals(node=Node, nxt=Node, i=Py_ssize_t, c=object)
cpdef tuple _graph_order(list roots, dict targets)

cpdef object _wrap(object data, bint requires_grad=*)
cpdef Node _edge(TensorBase t)
cdef Node _new_node(Op op, tuple params)
cdef TensorBase _wrap_result(object out_data, Node node)
cdef TensorBase _record2(Op op, object out_data, object a, object b, bint ra, bint rb, tuple params)

@cython.locals(ra=bint, rb=bint, node=Node)
cpdef apply2(Op op, object a, object b, tuple params=*)

@cython.locals(node=Node, t=TensorBase)
cpdef apply1(Op op, object a, tuple params=*)

cdef _accumulate(dict grads, Node node, object g)
cdef object _fit(TensorBase g, object shape, object npdt)
cdef bint _feeds(Node node, set needed)
