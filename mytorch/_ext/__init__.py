"""Compiled kernels built from csrc/*.pyx (mytorch._ext.<name>); absent in the pure-Python build."""
