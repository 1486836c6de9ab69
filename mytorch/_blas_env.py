"""OpenBLAS's idle threads told to sleep at once: NumPy's and SciPy's OpenBLAS loaded with
OPENBLAS_THREAD_TIMEOUT set (mytorch imports this module first).

OpenBLAS reads the variable once, when it is loaded. By default a thread that has done its share
of a product spins for about 2^28 cycles (0.1 s) waiting for more; on a machine whose cores
mytorch's OpenMP kernels share, the spinning threads took the cores from them. In the transformer
encoder layer's training step the layer norms, the softmax and the batched attention products
after each large product ran 2-5x slower than alone, the whole step 20% slower (99.9 against
80.9 ms with the variable at 4, on 2 cores). 2^4 cycles lets them sleep at once; waking them costs
microseconds, against the milliseconds of the large products that use them (smaller ones run on
mytorch's own threads: csrc/_blas.pyx).

The variable is set only while the two libraries load, and not at all where the user has set it.
A library loaded before mytorch (``import numpy`` first) keeps its spinning threads: mytorch's
compiled matmul runs on SciPy's, which is usually loaded here first.
"""

import importlib
import os

_VAR = "OPENBLAS_THREAD_TIMEOUT"
_TIMEOUT = "4"  # 2^4 cycles, OpenBLAS's least
# NOTE: SciPy's BLAS through the module the compiled kernels cimport it from.
_LIBRARIES = ("numpy", "scipy.linalg.cython_blas")


def _load_blas_libraries():
    """Import NumPy and SciPy's BLAS module with the variable set (unless the user set it)."""
    set_here = _VAR not in os.environ
    if set_here:
        os.environ[_VAR] = _TIMEOUT
    try:
        for name in _LIBRARIES:
            try:
                importlib.import_module(name)
            except ImportError:  # SciPy missing: the pure build still imports
                if name == "numpy":
                    raise
    finally:
        if set_here:
            del os.environ[_VAR]


_load_blas_libraries()
