"""What is compiled and loaded: the guard behind mytorch.compiled() and the build tests."""

import importlib

# The modules the build compiles with Cython (pure-Python mode: the same .py source).
CORE_MODULES = ("mytorch._core", "mytorch._ops", "mytorch._tensor", "mytorch._autograd")


def _is_compiled(name):
    mod = importlib.import_module(name)
    return not (mod.__file__ or "").endswith(".py")


def build_info():
    """{module: True if compiled} for every module the build compiles."""
    return {name: _is_compiled(name) for name in CORE_MODULES}


def compiled():
    """True when the per-op hot path (Tensor, apply, Node, engine) runs compiled code."""
    return all(build_info().values())
