"""``python -m mytorch``: the environment report to paste into a bug report (torch's collect_env).

It prints the versions, the build (compiled or pure) and each compiled module, the kernel modules
loaded, the threads with the BLAS and OpenMP runtimes (found by threadpoolctl), the caching
allocator's state, and CuPy and CUDA when present. ``--json`` prints the same as one JSON object.
"""

import argparse
import ctypes
import ctypes.util
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys

import numpy

import mytorch
from mytorch import _backends, _build, _threads

DIST = "mytorch-autograd"
# Environment variables that change what mytorch builds or runs (the report shows those set).
ENV_VARS = (
    "MYTORCH_NO_EXT",
    "MYTORCH_NUM_THREADS",
    "MYTORCH_CACHING_ALLOCATOR",
    "MYTORCH_ALLOC_CACHE_MB",
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
)


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _python():
    libc, libc_version = platform.libc_ver()
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libc": f"{libc} {libc_version}" if libc else None,
    }


def _versions():
    out = {DIST: _version(DIST), "numpy": numpy.__version__}
    for name in ("scipy", "threadpoolctl"):
        out[name] = _version(name)
    return out


def _kernels():
    cpu = _backends.CPU
    loaded = getattr(cpu, "loaded", {}) or {}
    return {
        "backend": getattr(cpu, "name", type(cpu).__name__),
        "loaded": _build.kernel_modules(),
        "files": {name: getattr(mod, "__file__", None) for name, mod in sorted(loaded.items())},
        "ignored (MYTORCH_NO_EXT=1)": os.environ.get("MYTORCH_NO_EXT", "") == "1",
    }


def _usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def _threads_report():
    try:
        runtimes = _threads.runtimes()
    except Exception as e:  # noqa: BLE001 (a report never fails on one section)
        runtimes = [{"error": f"{type(e).__name__}: {e}"}]
    return {
        "mytorch.get_num_threads()": mytorch.get_num_threads(),
        "cpus": os.cpu_count(),
        "usable cpus": _usable_cpus(),
        "blas": [r for r in runtimes if r.get("user_api") == "blas"],
        "openmp": [r for r in runtimes if r.get("user_api") == "openmp"],
        "errors": [r["error"] for r in runtimes if "error" in r],
    }


def _numpy_handler():
    """The name of the allocator NumPy uses for new arrays in this context (NumPy >= 1.22)."""
    for mod in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(mod).get_handler_name()
        except (ImportError, AttributeError):
            continue
    return None


def _allocator():
    mod = (getattr(_backends.CPU, "loaded", {}) or {}).get("_alloc")
    if mod is None:
        return {"loaded": False}
    handler = _numpy_handler()
    return {
        "loaded": True,
        "installed": handler == "mytorch_caching_allocator",
        "numpy handler": handler,
        **mod.stats(),
    }


def _cuda_driver():
    """The CUDA driver's version (e.g. 12040), read from libcuda without CuPy, or None."""
    names = ["nvcuda.dll"] if sys.platform == "win32" else ["libcuda.so.1", "libcuda.so"]
    found = ctypes.util.find_library("cuda")
    if found:
        names.append(found)
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        v = ctypes.c_int(0)
        if lib.cuDriverGetVersion(ctypes.byref(v)) == 0:
            return v.value
    return None


def _cuda():
    out = {"cupy": None, "driver": _cuda_driver(), "available": False, "devices": []}
    if importlib.util.find_spec("cupy") is None:
        return out
    try:
        import cupy

        out["cupy"] = cupy.__version__
        rt = cupy.cuda.runtime
        out["runtime"] = rt.runtimeGetVersion()
        out["driver"] = rt.driverGetVersion()
        for i in range(rt.getDeviceCount()):
            p = rt.getDeviceProperties(i)
            name = p["name"]
            out["devices"].append(
                {
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "compute capability": f"{p['major']}.{p['minor']}",
                    "memory": p["totalGlobalMem"],
                }
            )
        out["available"] = mytorch.cuda.is_available()
    except Exception as e:  # noqa: BLE001 (CuPy without a GPU or driver raises many kinds)
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def collect():
    """Everything the report prints, as a dict of plain values (what ``--json`` prints)."""
    return {
        "mytorch": {
            "version": mytorch.__version__,
            "path": os.path.dirname(mytorch.__file__),
            "build": "compiled" if mytorch.compiled() else "pure",
            "modules": mytorch.build_info(),
        },
        "python": _python(),
        "versions": _versions(),
        "kernels": _kernels(),
        "threads": _threads_report(),
        "allocator": _allocator(),
        "cuda": _cuda(),
        "environment": {k: os.environ[k] for k in ENV_VARS if k in os.environ},
    }


def _mib(n):
    return f"{n / (1 << 20):.1f} MiB"


def _runtime_line(r):
    name = r.get("prefix") if r.get("user_api") == "openmp" else r.get("internal_api")
    bits = [name, r.get("version")]
    bits += [r.get("threading_layer"), r.get("architecture")]
    desc = " ".join(str(b) for b in bits if b)
    owner = r.get("owner") or "other"
    managed = ", set by mytorch.set_num_threads" if r.get("managed") else ""
    return f"  {desc}: {r.get('num_threads')} threads ({owner}{managed})\n    {r.get('filepath')}"


def format_report(info):
    """The report as text, one section per paragraph."""
    m, py, v = info["mytorch"], info["python"], info["versions"]
    compiled = sum(m["modules"].values())
    lines = [
        f"mytorch {m['version']} ({DIST}), {m['build']} build",
        f"  path: {m['path']}",
        f"  hot path: {compiled} of {len(m['modules'])} modules compiled",
        f"Python {py['version']} ({py['implementation']}) on {py['platform']}",
        f"  executable: {py['executable']}",
        "versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if k != DIST and val),
    ]
    if v[DIST] not in (None, m["version"]):
        # NOTE: the import and the installed metadata disagree: a stale or shadowing install.
        lines.append(f"  note: the installed metadata says {DIST} {v[DIST]}")
    lines.append("")
    k = info["kernels"]
    lines.append(
        f"kernels: backend {k['backend']}, modules loaded: "
        + (", ".join(f"mytorch._ext.{name}" for name in k["loaded"]) or "none")
        + (" (MYTORCH_NO_EXT=1)" if k["ignored (MYTORCH_NO_EXT=1)"] else "")
    )
    t = info["threads"]
    lines += [
        "",
        f"threads: mytorch.get_num_threads() = {t['mytorch.get_num_threads()']}"
        f" ({t['usable cpus']} usable of {t['cpus']} CPUs)",
        # NOTE: the compiled matmul calls SciPy's BLAS; the reference kernels NumPy's.
        "BLAS:" if t["blas"] else "BLAS: none found by threadpoolctl",
    ]
    lines += [_runtime_line(r) for r in t["blas"]]
    lines.append("OpenMP:" if t["openmp"] else "OpenMP: no runtime loaded")
    lines += [_runtime_line(r) for r in t["openmp"]]
    lines += [f"  threadpoolctl: {e}" for e in t["errors"]]
    a = info["allocator"]
    lines.append("")
    if not a["loaded"]:
        lines.append("caching allocator: not loaded (no compiled kernels)")
    else:
        state = (
            "installed" if a["installed"] else f"not installed (NumPy uses {a['numpy handler']})"
        )
        lines.append(
            f"caching allocator: {state}; cached {_mib(a['cached'])} of {_mib(a['limit'])},"
            f" {a['hits']} hits, {a['misses']} misses"
        )
    c = info["cuda"]
    lines.append("")
    driver = f", CUDA driver {c['driver']}" if c["driver"] else ""
    if c["cupy"] is None:
        lines.append(f"CUDA: CuPy not installed{driver}; the cuda device is unavailable")
    else:
        rt = f", CUDA runtime {c['runtime']}" if c.get("runtime") else ""
        lines.append(
            f"CUDA: CuPy {c['cupy']}{rt}{driver}; mytorch.cuda.is_available() = {c['available']}"
        )
        for i, d in enumerate(c["devices"]):
            lines.append(
                f"  cuda:{i} {d['name']} (compute capability {d['compute capability']},"
                f" {_mib(d['memory'])})"
            )
        if "error" in c:
            lines.append(f"  {c['error']}")
    env = info["environment"]
    lines += ["", "environment: " + (" ".join(f"{k}={val}" for k, val in env.items()) or "none")]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m mytorch", description="Print mytorch's environment report."
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=False, default=str))
    else:
        print(format_report(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
