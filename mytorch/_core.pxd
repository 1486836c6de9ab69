cimport cython

cpdef bint _set_grad_enabled(object mode)

# C types for mytorch/_core.py (Cython pure-Python mode): the .py stays importable as it is.

cdef class Op:
    cdef public object name, kernel, vjp, node_name
    cdef public int save, kind
    cdef public bint elementwise

@cython.freelist(256)
cdef class Node:
    cdef public Op op
    cdef public tuple next
    cdef public object saved, out_data, params, shapes, dtypes, retained, variable, hooks
    cdef public bint freed
    cdef public object wanted
    cdef object __weakref__
    cpdef bint _wants(self, Py_ssize_t i)

@cython.freelist(256)
cdef class TensorBase:
    cdef public object _data
    cdef public bint _requires_grad
    cdef public object _grad
    cdef public Node _grad_fn
    cdef public Node _acc
    cdef public bint _retains_grad
    cdef object __weakref__


@cython.locals(node=Node, nxt=Node, var=TensorBase, i=Py_ssize_t, c=Py_ssize_t, run_vjp=bint)
cpdef run_backward(outputs, grad_outputs, bint retain_graph, bint create_graph, inputs, bint accumulate)

@cython.locals(node=Node, nxt=Node, i=Py_ssize_t, c=object)
cpdef tuple _graph_order(list roots, dict targets)

@cython.locals(t=TensorBase)
cpdef object _wrap(object data, bint requires_grad=*)
cpdef Node _edge(TensorBase t)
cdef Node _new_node(Op op, tuple params)
cdef TensorBase _wrap_result(object out_data, Node node)
cdef TensorBase _record2(Op op, object out_data, object a, object b, bint ra, bint rb, tuple params, bint fit)

@cython.locals(ra=bint, rb=bint, same=bint, node=Node)
cpdef apply2(Op op, object a, object b, tuple params=*)

@cython.locals(node=Node, t=TensorBase)
cpdef apply1(Op op, object a, tuple params=*)

cdef _accumulate(dict grads, Node node, object g)
cdef object _fit(TensorBase g, object shape, object npdt)
cdef bint _feeds(Node node, set needed)

cdef Op _ADD

# The compiled _wrap makes its Tensor with the class's own tp_new (what Tensor.__new__(Tensor)
# compiles to when the class is known), not through a lookup of __new__.
from cpython.object cimport PyTypeObject, PyObject
cdef extern from *:
    """
    static inline PyObject *_mt_tp_new(PyObject *cls, PyObject *args) {
        return ((PyTypeObject *)cls)->tp_new((PyTypeObject *)cls, args, NULL);
    }
    """
    object _mt_tp_new(object cls, object args)
    Py_ssize_t _mt_refcnt "Py_REFCNT" (object o)

cdef bint _sole(TensorBase g)
