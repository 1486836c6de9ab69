"""The compiled CPU backend: the NumPy reference with kernels overridden from mytorch._ext.

Each override has the reference's contract and falls back to it for inputs outside its fast
path. Set MYTORCH_NO_EXT=1 to ignore the compiled kernels at run time.

Loading the kernels also installs the caching allocator for NumPy buffers (mytorch._ext._alloc)
unless MYTORCH_CACHING_ALLOCATOR=0; MYTORCH_ALLOC_CACHE_MB bounds what it keeps (default 1024).
"""

import importlib
import os

from mytorch import _threads
from mytorch._backends.reference import NumpyBackend

# Kernel modules under mytorch._ext whose OVERRIDES replace the reference kernels of that name.
EXT_MODULES = ("_alloc", "_elementwise", "_blas", "_reduce", "_shape")


def _import_ext(mod_name):
    """Import one kernel module, its OpenMP runtime set to put idle threads to sleep.

    NOTE: libgomp reads OMP_WAIT_POLICY once, when it is loaded (by the first kernel module).
    Its default spins idle threads for a while after each parallel loop; on a machine whose
    cores are shared (with other processes, or BLAS threads) that spinning made the
    elementwise_large step 5x slower than one thread. Passive waiting costs a wake-up (a few
    microseconds) per loop, which the size thresholds absorb. The variable is set only while
    importing, so later imports (torch's own libgomp) see the user's environment.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return importlib.import_module("mytorch._ext." + mod_name)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        return importlib.import_module("mytorch._ext." + mod_name)
    finally:
        del os.environ["OMP_WAIT_POLICY"]


class CompiledBackend(NumpyBackend):
    """NumPy arrays, with the kernels that the csrc/ modules compile replacing the reference's."""

    def __init__(self):
        super().__init__()
        self.name = "cython"
        self.loaded = {}  # kernel module name -> module
        if os.environ.get("MYTORCH_NO_EXT", "") == "1":
            return
        for mod_name in EXT_MODULES:
            try:
                mod = _import_ext(mod_name)
            except ImportError:
                continue
            self.loaded[mod_name] = mod
            if hasattr(mod, "_set_num_threads"):
                _threads._register(mod._set_num_threads)
            if mod_name == "_alloc":
                _install_allocator(mod)
            if mod_name == "_blas":
                _threads._sync_blas()
            for name in getattr(mod, "OVERRIDES", ()):
                setattr(self, name, getattr(mod, name))


def _install_allocator(mod):
    if os.environ.get("MYTORCH_CACHING_ALLOCATOR", "1") == "0":
        return
    mb = os.environ.get("MYTORCH_ALLOC_CACHE_MB", "")
    mod.install(int(mb) << 20 if mb.isdigit() else None)
