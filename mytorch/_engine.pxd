cimport cython

# C types for mytorch/_engine.py (Cython pure-Python mode).

from mytorch._core cimport Node, TensorBase, _edge, _wrap, apply2
from mytorch._grad_mode cimport _set_grad_enabled

cdef bint _COMPILED

@cython.final
cdef class _Slot:
    cdef public Node node
    cdef public Py_ssize_t count
    cdef public object grad
    cdef public list more
    cdef public bint visited, target, needed, feeds
    cdef public Py_ssize_t pos

cdef _Slot _new_slot(Node node)
cdef bint _large(object d)
@cython.locals(more=list, prev=TensorBase)
cdef _add_grad(_Slot s, Py_ssize_t k, TensorBase g)
@cython.locals(slots=list)
cdef object _take(_Slot s)

@cython.locals(node=Node, nxt=Node, var=TensorBase, s=_Slot, ns=_Slot, i=Py_ssize_t, nh=object,
               c=Py_ssize_t, run_vjp=bint, multi=bint, slots=dict, roots=list, ready=list,
               prev_mode=bint)
cpdef run_backward(outputs, grad_outputs, bint retain_graph, bint create_graph, inputs, bint accumulate)

@cython.locals(t=TensorBase, node=Node, s=_Slot, slots=dict, roots=list, i=Py_ssize_t,
               prev=bint)
cdef tuple _seed(outputs, grad_outputs, bint create_graph)

@cython.locals(node=Node, nxt=Node, s=_Slot, ns=_Slot, ps=_Slot, i=Py_ssize_t, stack=list)
cdef object _graph_order(dict slots, list roots, dict targets)

cdef _multi_hooks(list hooks, list slots)
cdef _retain_multi(object retained, list slots, bint create_graph)
cdef bint _retains(Node fn, object t)
cdef object _target_grad(dict targets, TensorBase t)
cdef object _fit(TensorBase g, object shape, object npdt)
@cython.locals(bt=TensorBase, base_refs=Py_ssize_t)
cdef bint _sole(TensorBase g, Py_ssize_t refs)
@cython.locals(old=TensorBase, prev=bint)
cpdef _accumulate_leaf(TensorBase var, TensorBase g, bint create_graph)

from cpython.object cimport PyObject
cdef extern from *:
    Py_ssize_t _mt_refcnt "Py_REFCNT" (object o)
