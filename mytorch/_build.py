"""What the build compiles, and what is compiled and loaded: the guard behind mytorch.compiled().

NOTE: setup.py reads COMPILED and KERNELS from this file's text (it cannot import the package
before it is built), so both stay plain literals: the one list of compiled modules.
"""

import importlib

# Modules compiled from their plain-Python source (augmented by a .pxd where present): the per-op
# hot path (tensor, apply, engine, the declaration machinery) and the op families that small graphs
# and training steps run through. NOTE: the other families (math, special, torch.linalg, losses,
# conv, ...) stay plain Python in both builds: their ops' generated functions are compiled closures
# of _declare all the same, and each compiled module would add 0.1-0.4 MB to a wheel (the wheel
# check's limit is 5 MB installed; 48 modules made 11.4 MB, and 20 made 5.15 MB, so composite and
# nn_linear, whose functions spend their time in the ops they call, are not compiled either; nor,
# since the nn and training-stack Python grew the wheel past 5 MB again, indexing; nor, when the
# MLP's kernels did, linalg (matmul's dispatch; 71 KB compiled, 8 KB of source) and fused (the
# activations' backward ops; 31 KB, 2 KB): timed either way, a 4 x 4 matmul took 1.4-1.9 us and
# its forward and backward 11.5-12.4 us, a relu's forward and backward 7.0-7.7 us).
COMPILED = (
    "mytorch._grad_mode",
    "mytorch._registry",
    "mytorch._core",
    "mytorch._engine",
    "mytorch._autograd",
    "mytorch._tensor",
    "mytorch._tensor_ops",
    "mytorch._promotion",
    "mytorch._applyn",
    "mytorch._views",
    "mytorch._ops._declare",
    "mytorch._ops.pointwise",
    "mytorch._ops.reduction",
    "mytorch._ops.shape",
)
# Compiled modules off the per-op hot path (the slow path of promotion and views, and the families
# whose functions spend their time in array work or in the hot path's ops): compiled for size
# (-Os), about 25% smaller, which keeps the wheel within 5 MB installed. The hot path proper
# (_core, _tensor, _engine, _applyn, _declare) keeps full optimisation: -Os there costs 30-50%
# on small graphs. (pointwise's functions are closures made by _declare: its own code is the
# declarations and a few hand-written ops.) _registry's and _grad_mode's part in it is C data
# that the hot path reads in its own code (Op's fields, the grad-mode flag); their functions
# register ops and switch grad mode. _autograd is the argument handling of backward() and
# autograd.grad() around the engine's pass, once per call (backward()'s fixed cost measured
# 1.15-1.26 us with it at -O3 or -Os alike, run to run).
FOR_SIZE = (
    "mytorch._registry",
    "mytorch._grad_mode",
    "mytorch._autograd",
    "mytorch._promotion",
    "mytorch._views",
    "mytorch._tensor_ops",
    "mytorch._ops.reduction",
    "mytorch._ops.pointwise",
    "mytorch._ops.shape",
    # a kernel module whose C is calls into Python and NumPy's C API (expand's view,
    # all_reduce's checks), no loops: 41 KB at -O3
    "mytorch._ext._shape",
)
# Hand-written kernels in csrc/, built under explicit package names.
KERNELS = {
    "mytorch._ext._alloc": "csrc/_alloc.pyx",
    "mytorch._ext._elementwise": "csrc/_elementwise.pyx",
    "mytorch._ext._blas": "csrc/_blas.pyx",
    "mytorch._ext._reduce": "csrc/_reduce.pyx",
    "mytorch._ext._shape": "csrc/_shape.pyx",
    "mytorch._ext._rnn": "csrc/_rnn.pyx",
    "mytorch._ext._optim": "csrc/_optim.pyx",
    "mytorch._ext._im2col": "csrc/_im2col.pyx",
}


# NOTE: bound when the package is imported, so that a process holding two builds (the
# benchmarks) asks each about its own modules.
_MODULES = tuple(importlib.import_module(name) for name in COMPILED)
_CPU = importlib.import_module("mytorch._backends").CPU


def _is_compiled(mod):
    return not (mod.__file__ or "").endswith(".py")


def build_info():
    """{module: True if compiled} for every module the build compiles."""
    return {mod.__name__: _is_compiled(mod) for mod in _MODULES}


def kernel_modules():
    """The compiled kernel modules (mytorch._ext.*) this process loaded; empty in the pure build."""
    return sorted(getattr(_CPU, "loaded", ()))


def compiled():
    """True when the per-op hot path (Tensor, apply, Node, engine) runs compiled code."""
    return all(build_info().values())
