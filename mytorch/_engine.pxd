cimport cython

# C types for mytorch/_engine.py (Cython pure-Python mode).

from mytorch._core cimport Node, TensorBase, _edge, _wrap, apply2

cdef bint _COMPILED

@cython.locals(node=Node, nxt=Node, var=TensorBase, i=Py_ssize_t, c=Py_ssize_t, run_vjp=bint,
               multi=bint)
cpdef run_backward(outputs, grad_outputs, bint retain_graph, bint create_graph, inputs, bint accumulate)

@cython.locals(node=Node, nxt=Node, i=Py_ssize_t, c=object)
cpdef tuple _graph_order(list roots, dict targets)

cdef _accumulate(dict grads, object key, object g)
@cython.locals(slots=list, k=Py_ssize_t, found=bint)
cdef object _gather(dict grads, Node node, object g0)
cdef _multi_hooks(list hooks, list slots)
cdef _retain_multi(object retained, list slots, bint create_graph)
cdef bint _retains(Node fn, object t)
cdef object _target_grad(dict targets, TensorBase t)
cdef object _fit(TensorBase g, object shape, object npdt)
cdef bint _feeds(Node node, set needed)
cdef bint _sole(TensorBase g)

from cpython.object cimport PyObject
cdef extern from *:
    Py_ssize_t _mt_refcnt "Py_REFCNT" (object o)
