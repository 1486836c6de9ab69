"""Build: Cython compiles the hot path (COMPILED in mytorch/_build.py) and the csrc/ kernels.

Switches (environment variables, each with one meaning):
  MYTORCH_PURE_BUILD=1      build the pure-Python package: compile nothing
  MYTORCH_REQUIRE_COMPILE=1 fail instead of falling back to pure Python (wheels use it)
The runtime switch MYTORCH_NO_EXT=1 makes an installed compiled build ignore its csrc kernels.
"""

import ast
import os
import sys

from setuptools import Extension, setup

PURE = os.environ.get("MYTORCH_PURE_BUILD", "") == "1"
REQUIRE = os.environ.get("MYTORCH_REQUIRE_COMPILE", "") == "1"
if PURE and REQUIRE:
    sys.exit("MYTORCH_PURE_BUILD and MYTORCH_REQUIRE_COMPILE contradict each other")


def _build_lists():
    """COMPILED and KERNELS from mytorch/_build.py, the one place that lists compiled modules.

    NOTE: read as text (ast), since the package cannot be imported before it is built.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "mytorch", "_build.py")) as f:
        tree = ast.parse(f.read())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("COMPILED", "KERNELS"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found["COMPILED"], found["KERNELS"]


CORE, KERNELS = _build_lists()


def kernel_flags():
    """Compile and link flags for the csrc/ kernels: -O3, and OpenMP where the compiler has it."""
    import tempfile

    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    omp = ["/openmp"] if cc.compiler_type == "msvc" else ["-fopenmp"]
    opt = ["/O2"] if cc.compiler_type == "msvc" else ["-O3"]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp.c")
        with open(src, "w") as f:
            f.write(
                "#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n"
            )
        try:
            objs = cc.compile([src], output_dir=tmp, extra_postargs=omp)
            cc.link_executable(objs, os.path.join(tmp, "omp"), extra_postargs=omp)
        except Exception:  # noqa: BLE001 (any compiler or linker failure means no OpenMP)
            # NOTE: without OpenMP, Cython's prange compiles to a plain loop: one thread.
            print("mytorch: no OpenMP, csrc kernels run on one thread", file=sys.stderr)
            omp = []
    link = [] if cc.compiler_type == "msvc" else omp
    return opt + omp, link


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
    import numpy

    # NOTE: _core.pxd reads two ndarray fields through numpy/ndarraytypes.h (no C-API table).
    exts = [
        Extension(name, [name.replace(".", "/") + ".py"], include_dirs=[numpy.get_include()])
        for name in CORE
    ]
    if KERNELS:
        cflags, lflags = kernel_flags()
    for name, source in KERNELS.items():
        exts.append(
            Extension(
                name,
                [source],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                extra_compile_args=cflags,
                extra_link_args=lflags,
            )
        )
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "embedsignature": True},
        include_path=["csrc"],  # csrc/*.pxd, shared by the kernel modules
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
