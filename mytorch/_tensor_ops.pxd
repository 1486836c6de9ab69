# C types for mytorch/_tensor_ops.py: a C base class, so Tensor stays a static (fast) type.

cdef class OpMethods:
    pass
