"""The intra-op thread count shared by the compiled kernels (OpenMP loops and SciPy's BLAS).

Matches torch.set_num_threads / torch.get_num_threads. The default is the number of CPUs this
process may run on, or MYTORCH_NUM_THREADS (then OMP_NUM_THREADS) when set.
"""

import ctypes
import glob
import os
import threading

_lock = threading.Lock()
# Setters of the loaded kernel modules, each called with the new count (see
# mytorch._backends.compiled).
_listeners = []
_blas_setter = None


def _default():
    for var in ("MYTORCH_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_num_threads = _default()


def get_num_threads():
    """Matches torch.get_num_threads."""
    return _num_threads


def set_num_threads(num_threads):
    """Matches torch.set_num_threads: the compiled kernels and matmul use this many threads."""
    global _num_threads
    if isinstance(num_threads, bool) or not isinstance(num_threads, int):
        raise TypeError(
            f"set_num_threads(): argument 'int' must be int, not {type(num_threads).__name__}"
        )
    if num_threads <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    with _lock:
        _num_threads = num_threads
        for setter in _listeners:
            setter(num_threads)
        _set_blas_threads(num_threads)


def _register(setter):
    """Called by mytorch._backends.compiled for each loaded kernel module that runs threads."""
    with _lock:
        _listeners.append(setter)
        setter(_num_threads)


def _find_blas_setter():
    """openblas_set_num_threads of the OpenBLAS that scipy.linalg.cython_blas runs on, if found.

    NOTE: SciPy's wheels bundle their own OpenBLAS (symbols prefixed ``scipy_``), loaded
    privately, so it is opened again by path; other BLAS builds are left to their defaults.
    """
    try:
        import scipy
    except ImportError:
        return None
    libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), "scipy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                fn.restype = None
                return fn
    return None


def _set_blas_threads(n):
    global _blas_setter
    if _blas_setter is None:
        _blas_setter = _find_blas_setter() or False
    if _blas_setter:
        _blas_setter(n)


def _sync_blas():
    """Give SciPy's BLAS the current count (called once when the matmul kernel loads)."""
    with _lock:
        _set_blas_threads(_num_threads)
