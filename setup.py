"""Build: compiles the hot path (mytorch/_core.py, _ops.py, _tensor.py) and csrc/ kernels with Cython.

Switches (environment variables, each with one meaning):
  MYTORCH_PURE_BUILD=1      build the pure-Python package: compile nothing
  MYTORCH_REQUIRE_COMPILE=1 fail instead of falling back to pure Python (wheels use it)
The runtime switch MYTORCH_NO_EXT=1 makes an installed compiled build ignore its csrc kernels.
"""

import os
import sys

from setuptools import Extension, setup

PURE = os.environ.get("MYTORCH_PURE_BUILD", "") == "1"
REQUIRE = os.environ.get("MYTORCH_REQUIRE_COMPILE", "") == "1"
if PURE and REQUIRE:
    sys.exit("MYTORCH_PURE_BUILD and MYTORCH_REQUIRE_COMPILE contradict each other")

# Hot-path modules compiled from their plain-Python source (augmented by a .pxd where present).
CORE = ["mytorch._core", "mytorch._ops", "mytorch._tensor"]
# Hand-written kernels in csrc/, built under explicit package names.
KERNELS = {}


def extensions():
    if PURE:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE:
            raise
        print("mytorch: Cython not found, building the pure-Python package", file=sys.stderr)
        return []
    exts = [Extension(name, [name.replace(".", "/") + ".py"]) for name in CORE]
    for name, source in KERNELS.items():
        exts.append(Extension(name, [source]))
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "embedsignature": True},
        quiet=True,
    )


try:
    ext_modules = extensions()
except Exception:
    if REQUIRE:
        raise
    print("mytorch: compiling failed, building the pure-Python package", file=sys.stderr)
    ext_modules = []

setup(ext_modules=ext_modules)
