"""Kernel backends: the NumPy reference, Cython overrides from mytorch._ext, CuPy for cuda tensors."""
