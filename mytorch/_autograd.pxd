cimport cython

# C types for mytorch/_autograd.py (Cython pure-Python mode).

from mytorch._core cimport TensorBase

@cython.locals(t=TensorBase)
cdef tuple _as_tuple(object x)

cdef int _CG_DEFAULT
cdef object _AFTER_BACKWARD
