"""What is compiled and loaded: the guard behind mytorch.compiled() and the build tests."""

from mytorch import _autograd, _core, _ops, _tensor
from mytorch._backends import kernels

# The modules the build compiles with Cython (pure-Python mode: the same .py source), bound at
# import time so that a process holding two builds asks each about its own modules.
_CORE = (_core, _ops, _tensor, _autograd)
CORE_MODULES = tuple(mod.__name__ for mod in _CORE)


def _is_compiled(mod):
    return not (mod.__file__ or "").endswith(".py")


def build_info():
    """{module: True if compiled} for every module the build compiles."""
    return {mod.__name__: _is_compiled(mod) for mod in _CORE}


def kernel_modules():
    """The compiled kernel modules (mytorch._ext.*) this process loaded; empty in the pure build."""
    return sorted(kernels.loaded)


def compiled():
    """True when the per-op hot path (Tensor, apply, Node, engine) runs compiled code."""
    return all(build_info().values())
