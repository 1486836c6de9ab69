cimport cython

# C types for mytorch/_core.py (Cython pure-Python mode): the .py stays importable as it is.

cdef bint _COMPILED

from mytorch._grad_mode cimport _grad_on, _set_grad_enabled
from mytorch._registry cimport CoreHooks, HotOps, Op

@cython.freelist(64)
cdef class VersionCounter:
    cdef public long version

# The count of live Nodes (mytorch.autograd.graph.live_nodes), kept by Node's __cinit__ and
# __dealloc__ (NOTE: each module that cimports this file gets its own copy: only _core's counts).
cdef extern from *:
    """
    static Py_ssize_t _mt_live_count = 0;
    static inline void _mt_live_add(Py_ssize_t n) { _mt_live_count += n; }
    static inline Py_ssize_t _mt_live_nodes(void) { return _mt_live_count; }
    """
    void _mt_live_add(Py_ssize_t n)
    Py_ssize_t _mt_live_nodes()

@cython.freelist(256)
cdef class Node:
    cdef public Op op
    cdef public tuple next
    cdef public object saved, out_data, params, shapes, dtypes, retained, variable, hooks
    cdef public bint freed
    cdef public object wanted, versions, out_vc
    cdef public long out_version
    cdef public object next_nr
    cdef public int n_outputs
    cdef public object node_hooks, trace  # trace: where anomaly mode saw it made
    cdef object __weakref__
    cpdef bint _wants(self, Py_ssize_t i)
    @cython.locals(tb=TensorBase, vc=VersionCounter)
    cpdef object _saved(self, Py_ssize_t i)

from mytorch._tensor cimport TensorMethods

@cython.freelist(256)
cdef class TensorBase(TensorMethods):
    cdef public object _data
    cdef public bint _requires_grad
    cdef public object _grad
    cdef public Node _grad_fn
    cdef public Node _acc
    cdef public bint _retains_grad
    cdef public object _vc, _base, _view
    cdef public int _output_nr
    cdef object __weakref__

@cython.freelist(256)
cdef class Tensor(TensorBase):
    pass

cdef HotOps _HOT
cdef CoreHooks _CORE
cdef int _K_BINARY, _K_DIV, _K_COMPARE, _K_FLOAT, _S_XY, _S_OUT

@cython.locals(t=TensorBase)
cpdef object _wrap(object data, bint requires_grad=*)
cpdef Node _edge(TensorBase t)
cdef Node _new_node(Op op, tuple params)
@cython.locals(node=Node)
cpdef _record1(Op op, object out, TensorBase t, tuple params)
cpdef _ensure_vc(TensorBase t)
@cython.locals(fn=Node)
cpdef object _shared_data(TensorBase t)
@cython.locals(out=TensorBase)
cdef TensorBase _wrap_result(object out_data, Node node)
@cython.locals(at=TensorBase, bt=TensorBase, node=Node)
cdef TensorBase _record2(Op op, object out_data, object a, object b, bint ra, bint rb, tuple params, bint fit)
cdef inline bint _is_cpu(object x)
cdef inline object _kernel(Op op, object x)

@cython.locals(ra=bint, rb=bint, same=bint, ew=bint, k=int, node=Node, at=TensorBase, bt=TensorBase)
cpdef apply2(Op op, object a, object b, tuple params=*)

@cython.locals(node=Node, t=TensorBase)
cpdef apply1(Op op, object a, tuple params=*)

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

# Two reads of an ndarray's C fields (numpy/ndarraytypes.h: struct access only, no C-API table).
cdef extern from *:
    """
    #include <numpy/ndarraytypes.h>
    static inline int _mt_array_ftype(PyObject *o) {
        PyArrayObject *a = (PyArrayObject *)o;
        int t = PyArray_DESCR(a)->type_num;
        if (!PyArray_ISNBO(PyArray_DESCR(a)->byteorder)) return 0;
        return t == NPY_FLOAT ? 1 : (t == NPY_DOUBLE ? 2 : 0);
    }
    static inline int _mt_same_shape(PyObject *x, PyObject *y) {
        PyArrayObject *a = (PyArrayObject *)x, *b = (PyArrayObject *)y;
        int n = PyArray_NDIM(a);
        if (n != PyArray_NDIM(b)) return 0;
        npy_intp *da = PyArray_DIMS(a), *db = PyArray_DIMS(b);
        for (int i = 0; i < n; i++) {
            if (da[i] != db[i]) return 0;
        }
        return 1;
    }
    """
    int _mt_array_ftype(object o)
    bint _mt_same_shape(object x, object y)

cdef int _ftype(object x)
cdef bint _same_shape(object x, object y)
