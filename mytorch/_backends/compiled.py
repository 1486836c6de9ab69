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
EXT_MODULES = ("_alloc", "_elementwise", "_blas", "_reduce", "_shape", "_rnn", "_optim", "_im2col")


def _import_ext(mod_name):
    """Import one kernel module, its OpenMP runtime set to spin only briefly when idle.

    NOTE: libgomp reads its wait settings once, when it is loaded (by the first kernel
    module). By default it spins idle threads for a long while (about 300000 spins) after each
    parallel loop; on a machine whose cores are shared (with other processes, or BLAS threads)
    that spinning made the elementwise_large step 5x slower than one thread. Sleeping at once
    (OMP_WAIT_POLICY=PASSIVE) costs a futex wake-up on every loop instead: 4M-element
    multiplies ran 25% slower than with a short spin. GOMP_SPINCOUNT=20000 (tens of
    microseconds) keeps a thread awake from one kernel to the next of the same step and lets
    it sleep soon after; at 2000 the products that matmul splits across threads (one every
    layer of a small MLP) often found the other thread asleep: the MLP and LSTM training
    steps ran 15% slower. The variable is set only while importing, so later imports (torch's
    own libgomp) see the user's environment, and a user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT
    wins.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return importlib.import_module("mytorch._ext." + mod_name)
    os.environ["GOMP_SPINCOUNT"] = "20000"
    try:
        return importlib.import_module("mytorch._ext." + mod_name)
    finally:
        del os.environ["GOMP_SPINCOUNT"]


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
            if hasattr(mod, "_set_blas_hooks"):  # its loops call BLAS from their threads
                mod._set_blas_hooks(*_threads._scipy_blas_hooks())
            for name in getattr(mod, "OVERRIDES", ()):
                setattr(self, name, getattr(mod, name))


def _install_allocator(mod):
    if os.environ.get("MYTORCH_CACHING_ALLOCATOR", "1") == "0":
        return
    mb = os.environ.get("MYTORCH_ALLOC_CACHE_MB", "")
    mod.install(int(mb) << 20 if mb.isdigit() else None)
