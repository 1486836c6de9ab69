"""Build: Cython compiles the hot path (COMPILED in mytorch/_build.py) and the csrc/ kernels.

Switches (environment variables, each with one meaning):
  MYTORCH_PURE_BUILD=1        build the pure-Python package: compile nothing
  MYTORCH_REQUIRE_COMPILE=1   fail instead of falling back to pure Python (wheels use it)
  MYTORCH_REQUIRE_OPENMP=1    fail instead of building single-threaded kernels (wheels use it)
  MYTORCH_OPENMP_CFLAGS=...   OpenMP compile flags, replacing the compiler's own (-fopenmp, /openmp)
  MYTORCH_OPENMP_LDFLAGS=...  OpenMP link flags, replacing the compiler's own; tools/build_wheels.sh
                              and the macOS wheels use these two to pick the OpenMP runtime
  MYTORCH_DEBUG_SYMBOLS=1     keep debug symbols (by default the extensions are built without them)
The runtime switch MYTORCH_NO_EXT=1 makes an installed compiled build ignore its csrc kernels.
"""

import ast
import os
import shlex
import sys

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

PURE = os.environ.get("MYTORCH_PURE_BUILD", "") == "1"
REQUIRE = os.environ.get("MYTORCH_REQUIRE_COMPILE", "") == "1"
REQUIRE_OPENMP = os.environ.get("MYTORCH_REQUIRE_OPENMP", "") == "1"
DEBUG = os.environ.get("MYTORCH_DEBUG_SYMBOLS", "") == "1"
if PURE and (REQUIRE or REQUIRE_OPENMP):
    sys.exit("MYTORCH_PURE_BUILD and MYTORCH_REQUIRE_COMPILE/OPENMP contradict each other")

# Commands that only describe the package: they need no compiled extension (and so no Cython run).
METADATA_COMMANDS = {"sdist", "egg_info", "dist_info", "check", "--version", "--name"}
BUILD_COMMANDS = {
    "build",
    "build_ext",
    "bdist_wheel",
    "bdist",
    "install",
    "develop",
    "editable_wheel",
}


def _metadata_only():
    args = set(sys.argv[1:])
    return bool(args & METADATA_COMMANDS) and not args & BUILD_COMMANDS


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
            if node.targets[0].id in ("COMPILED", "KERNELS", "FOR_SIZE"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found["COMPILED"], found["KERNELS"], found["FOR_SIZE"]


CORE, KERNELS, FOR_SIZE = _build_lists()
# The module holding the Cython utility code that every extension shares.
SHARED_UTILITY = "mytorch._cyutility"


def _compiler():
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    return cc


def _openmp_candidates(cc):
    """(compile flags, link flags) to try in turn: the environment's, else the compiler's own."""
    env_c = os.environ.get("MYTORCH_OPENMP_CFLAGS")
    env_l = os.environ.get("MYTORCH_OPENMP_LDFLAGS")
    if env_c is not None or env_l is not None:
        return [(shlex.split(env_c or ""), shlex.split(env_l or ""))]
    if cc.compiler_type == "msvc":
        # NOTE: MSVC links vcomp140.dll by itself; the Windows wheels bundle it (delvewheel).
        return [(["/openmp"], [])]
    found = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":
        # Apple's clang has no -fopenmp driver flag: the preprocessor flag and LLVM's libomp.
        found.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    return found


def _probe(cc, cflags, lflags):
    """True when a shared object calling the OpenMP runtime compiles and links with these flags."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp.c")
        with open(src, "w") as f:
            f.write(
                "#include <omp.h>\n"
                "int mytorch_probe(void) { int n = 0;\n"
                "#pragma omp parallel reduction(+:n)\n"
                "  n += omp_get_num_threads() > 0;\n"
                "  return n; }\n"
            )
        # NOTE: a shared object may keep undefined symbols on Linux; -z defs makes the probe
        # fail when the runtime is missing (on macOS undefined symbols fail the link anyway).
        strict = ["-Wl,-z,defs"] if sys.platform.startswith("linux") else []
        try:
            objs = cc.compile([src], output_dir=tmp, extra_postargs=cflags)
            cc.link_shared_object(
                objs,
                os.path.join(tmp, "omp" + (cc.shared_lib_extension or ".so")),
                extra_postargs=lflags + (strict if cc.compiler_type == "unix" else []),
            )
        except Exception:  # noqa: BLE001 (any compiler or linker failure means not these flags)
            return False
    return True


def kernel_flags(cc):
    """Compile and link flags for the csrc/ kernels: optimisation, and OpenMP where it links."""
    # NOTE: -fno-math-errno lets sqrt and friends inline and vectorise (no kernel reads errno);
    # results are unchanged (IEEE sqrt either way).
    opt = ["/O2"] if cc.compiler_type == "msvc" else ["-O3", "-fno-math-errno"]
    candidates = _openmp_candidates(cc)
    if cc.compiler_type == "msvc" and candidates == [(["/openmp"], [])]:
        return opt + ["/openmp"], []  # every MSVC since 2005 has it: no probe to go wrong
    for cflags, lflags in candidates:
        if _probe(cc, cflags, lflags):
            return opt + cflags, lflags
    if REQUIRE_OPENMP:
        sys.exit("mytorch: MYTORCH_REQUIRE_OPENMP=1 but no OpenMP flags compile and link")
    # NOTE: without OpenMP, Cython's prange compiles to a plain loop: one thread.
    print("mytorch: no OpenMP, csrc kernels run on one thread", file=sys.stderr)
    return opt, []


def size_flags(cc):
    """No debug symbols (Python's own CFLAGS often carry -g): 20 MB of .so files become 4 MB. On
    Linux, no unwind tables either (.eh_frame, about 5% of each module): C called from Python
    never unwinds through its frames (no C++ exceptions, no thread cancellation)."""
    if DEBUG or cc.compiler_type == "msvc":
        return [], []
    if sys.platform.startswith("linux"):
        return ["-g0", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"], ["-s"]
    return ["-g0"], []


def extensions():
    if PURE or _metadata_only():
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE:
            raise
        print("mytorch: Cython not found, building the pure-Python package", file=sys.stderr)
        return []
    import numpy

    cc = _compiler()
    scflags, slflags = size_flags(cc)
    # NOTE: the modules of FOR_SIZE are optimised for size (after Python's own -O flags, so it wins)
    size_opt = [] if cc.compiler_type == "msvc" else ["-Os"]
    # NOTE: the oldest NumPy the package runs on (pyproject.toml: numpy>=1.23). NumPy 2's headers
    # hide the C API added after their default target (1.19 in NumPy 2.0), and Cython then calls
    # such a function (PyDataMem_SetHandler, NumPy 1.22) as a plain symbol that no library has.
    npy = [("NPY_TARGET_VERSION", "NPY_1_23_API_VERSION")]
    # NOTE: _core.pxd reads two ndarray fields through numpy/ndarraytypes.h (no C-API table).
    exts = [
        Extension(
            name,
            [name.replace(".", "/") + ".py"],
            include_dirs=[numpy.get_include()],
            define_macros=npy,
            extra_compile_args=scflags + (size_opt if name in FOR_SIZE else []),
            extra_link_args=slflags,
        )
        for name in CORE
    ]
    if KERNELS:
        cflags, lflags = kernel_flags(cc)
    for name, source in KERNELS.items():
        exts.append(
            Extension(
                name,
                [source],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")] + npy,
                extra_compile_args=cflags + scflags + (size_opt if name in FOR_SIZE else []),
                extra_link_args=lflags + slflags,
            )
        )
    # NOTE: Cython's utility code (its function and generator types, argument parsing, ...) goes
    # into one shared module instead of into each extension: 0.1-0.2 MB less per module.
    exts.append(
        Extension(
            SHARED_UTILITY,
            [],
            extra_compile_args=scflags,
            extra_link_args=slflags,
        )
    )
    return cythonize(
        exts,
        compiler_directives={"language_level": 3, "embedsignature": True},
        include_path=["csrc"],  # csrc/*.pxd, shared by the kernel modules
        shared_utility_qualified_name=SHARED_UTILITY,
        quiet=True,
    )


try:
    ext_modules = extensions()
except SystemExit:
    raise
except Exception:
    if REQUIRE:
        raise
    print("mytorch: compiling failed, building the pure-Python package", file=sys.stderr)
    ext_modules = []


class BuildPy(build_py):
    """A compiled build ships each module of COMPILED once, as its extension: the .py it was
    compiled from would never be imported (the extension comes first on import), and the wheel's
    5 MB budget goes to code that runs. The pure build ships every .py."""

    def find_package_modules(self, package, package_dir):
        found = super().find_package_modules(package, package_dir)
        if not ext_modules:
            return found
        return [(pkg, mod, path) for pkg, mod, path in found if f"{pkg}.{mod}" not in CORE]


# NOTE: compile the extensions on every core (build_ext's own option; -j on the command line).
setup(
    ext_modules=ext_modules,
    cmdclass={"build_py": BuildPy},
    options={"build_ext": {"parallel": os.cpu_count() or 1}},
)
