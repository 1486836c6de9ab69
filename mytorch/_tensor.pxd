# C types for mytorch/_tensor.py: a C base class, so Tensor stays a static (fast) type.

from mytorch._tensor_ops cimport OpMethods

cdef class TensorMethods(OpMethods):
    pass
