# C types for mytorch/_tensor.py (Cython pure-Python mode).

from mytorch._core cimport TensorBase, apply1, apply2

cdef class Tensor(TensorBase):
    pass
