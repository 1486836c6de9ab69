"""The intra-op thread count shared by the compiled kernels (OpenMP loops and SciPy's BLAS).

Matches torch.set_num_threads / torch.get_num_threads. The default is the number of CPUs this
process may run on, or MYTORCH_NUM_THREADS (then OMP_NUM_THREADS) when set.

The native thread pools are found through threadpoolctl (as scikit-learn does): the BLAS that
SciPy and NumPy run on, and the OpenMP runtime a wheel of mytorch bundles. set_num_threads sets
those; the kernels themselves take the count with each parallel loop (see _register), so an
OpenMP runtime shared with other libraries (a source build's system libgomp) is left alone.
"""

import ctypes
import importlib.util
import os
import threading

_lock = threading.Lock()
# Setters of the loaded kernel modules, each called with the new count (see
# mytorch._backends.compiled).
_listeners = []

# The distributions whose thread pools mytorch sets, by import name, with the folder that
# auditwheel and delvewheel give their bundled libraries (macOS's delocate uses pkg/.dylibs).
_OWNERS = {"mytorch": "mytorch_autograd.libs", "numpy": "numpy.libs", "scipy": "scipy.libs"}


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
        _set_pools(num_threads)


def _register(setter):
    """Called by mytorch._backends.compiled for each loaded kernel module that runs threads."""
    with _lock:
        _listeners.append(setter)
        setter(_num_threads)


def _sync_blas():
    """Give SciPy's BLAS the current count (called once when the matmul kernel loads)."""
    with _lock:
        _set_pools(_num_threads)


def _scipy_blas_hooks():
    """(address of openblas_set_num_threads, of openblas_get_num_threads) in the OpenBLAS that
    SciPy's cython_blas calls, or (0, 0) where SciPy runs on another BLAS or it is not found.

    The compiled batched loops (mytorch._ext._blas) set it to one thread around their OpenMP
    loops: a pthreads OpenBLAS would start its own threads from each of them.
    """
    for lc, owner in _controllers():
        if owner != "scipy" or lc.user_api != "blas" or lc.internal_api != "openblas":
            continue
        try:
            lib = ctypes.CDLL(lc.filepath)  # NOTE: loaded already: this only opens a handle
        except OSError:
            return 0, 0
        for prefix in ("scipy_", ""):
            for suffix in ("", "64_", "_64"):
                names = [f"{prefix}openblas_{op}_num_threads{suffix}" for op in ("set", "get")]
                if all(hasattr(lib, name) for name in names):
                    fns = [getattr(lib, name) for name in names]
                    return tuple(ctypes.cast(f, ctypes.c_void_p).value for f in fns)
    return 0, 0


# --- the native thread pools, through threadpoolctl ----------------------------------------


def _norm(path):
    return os.path.normcase(os.path.realpath(path))


def _owner_dirs():
    """{import name: folders whose libraries belong to it} for mytorch, NumPy and SciPy."""
    dirs = {}
    for name, libs in _OWNERS.items():
        spec = importlib.util.find_spec(name)  # NOTE: finds the package without importing it
        if spec is None or not spec.submodule_search_locations:
            continue
        pkg = _norm(list(spec.submodule_search_locations)[0])
        dirs[name] = (pkg + os.sep, _norm(os.path.join(os.path.dirname(pkg), libs)) + os.sep)
    return dirs


def _owner(filepath, dirs):
    """The import name (mytorch, numpy, scipy) whose install holds ``filepath``, or None."""
    path = _norm(filepath)
    for name, prefixes in dirs.items():
        if any(path.startswith(p) for p in prefixes):
            return name
    return None


def _controllers():
    """[(threadpoolctl library controller, owner)] for every BLAS and OpenMP runtime loaded.

    Empty when threadpoolctl is missing (a pure build installed without its dependencies).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    dirs = _owner_dirs()
    return [(lc, _owner(lc.filepath, dirs)) for lc in ThreadpoolController().lib_controllers]


def _managed(controllers):
    """The controllers set_num_threads sets: SciPy's and NumPy's BLAS (every BLAS when SciPy
    runs on a shared one, as in conda or a distribution's packages) and mytorch's own OpenMP."""
    blas = [(lc, o) for lc, o in controllers if lc.user_api == "blas"]
    own_blas = [lc for lc, o in blas if o in ("numpy", "scipy")]
    omp = [lc for lc, o in controllers if lc.user_api == "openmp" and o == "mytorch"]
    return (own_blas or [lc for lc, _ in blas]) + omp


def _set_pools(n):
    for lc in _managed(_controllers()):
        lc.set_num_threads(n)


def runtimes():
    """The BLAS and OpenMP runtimes loaded in this process, for the environment report.

    A list of threadpoolctl's info dicts (user_api, internal_api, prefix, filepath, version,
    num_threads, ...), each with ``owner`` (mytorch, numpy, scipy or None) and ``managed``
    (whether mytorch.set_num_threads sets it).
    """
    controllers = _controllers()
    managed = {id(lc) for lc in _managed(controllers)}
    out = []
    for lc, owner in controllers:
        info = lc.info()
        info["owner"] = owner
        info["managed"] = id(lc) in managed
        out.append(info)
    return out
