# C types for mytorch/_tensor_ops.py: a C base class, so Tensor stays a static (fast) type.

cdef class OpMethods:
    pass

cdef bint _COMPILED

# Adding a declared op's method to the static type OpMethods (see add_method).
cdef extern from *:
    """
    static int _mt_type_set(PyObject *cls, PyObject *name, PyObject *value) {
        PyTypeObject *tp = (PyTypeObject *)cls;
        if (PyDict_SetItem(tp->tp_dict, name, value) < 0) return -1;
        PyType_Modified(tp);
        return 0;
    }
    static int _mt_type_del(PyObject *cls, PyObject *name) {
        PyTypeObject *tp = (PyTypeObject *)cls;
        if (PyDict_DelItem(tp->tp_dict, name) < 0) return -1;
        PyType_Modified(tp);
        return 0;
    }
    """
    int _mt_type_set(object cls, object name, object value) except -1
    int _mt_type_del(object cls, object name) except -1
