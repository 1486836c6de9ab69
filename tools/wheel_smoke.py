"""Run with the Python of a venv where a mytorch wheel is installed (not from the source tree):
prints, as JSON, what the wheel runs: compiled or not, the kernel modules, and evidence that the
OpenMP kernels run on more than one thread. ``--check`` also asserts it all and says so in a line.

The thread evidence needs no timing: the OpenMP runtime that threadpoolctl finds inside the wheel
(mytorch_autograd.libs/) reports the count mytorch.set_num_threads gave it, and an elementwise
kernel over 4 Mi elements (above the kernels' threading threshold, 2 Mi) adds no OS thread to
the process with one thread set, and adds OpenMP's worker threads with two (Linux: /proc).
"""

import json
import os
import sys


def _tasks():
    """The number of OS threads of this process (None where /proc is missing)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def collect():
    import numpy as np

    import mytorch
    from mytorch import _backends, _threads

    out = {
        "version": mytorch.__version__,
        "file": mytorch.__file__,
        "compiled": mytorch.compiled(),
        "kernel_modules": mytorch._build.kernel_modules(),
        "kernels_built": sorted(m.rsplit(".", 1)[1] for m in mytorch._build.KERNELS),
        "numpy": np.__version__,
    }
    ew = _backends.CPU.loaded.get("_elementwise")
    x = np.linspace(-1.0, 1.0, 1 << 22, dtype=np.float32)
    before = mytorch.get_num_threads()
    try:
        mytorch.set_num_threads(1)
        tasks0 = _tasks()
        one = ew.mul(x, x) if ew else None
        tasks1 = _tasks()
        mytorch.set_num_threads(2)
        two = ew.mul(x, x) if ew else None
        tasks2 = _tasks()
        openmp = [r for r in _threads.runtimes() if r["user_api"] == "openmp"]
        via_tensor = (mytorch.from_numpy(x) * mytorch.from_numpy(x)).numpy()
    finally:
        mytorch.set_num_threads(before)
    out["tasks"] = {"start": tasks0, "after_1_thread": tasks1, "after_2_threads": tasks2}
    out["openmp"] = [
        {k: r.get(k) for k in ("prefix", "filepath", "num_threads", "owner", "managed")}
        for r in openmp
    ]
    want = x * x
    out["results_match"] = bool(
        ew is not None
        and np.array_equal(one, want)
        and np.array_equal(two, want)
        and np.array_equal(via_tensor, want)
    )
    return out


def check(info):
    assert info["compiled"], "mytorch.compiled() is False"
    # every kernel module the package declares (mytorch/_build.py's KERNELS) is loaded, the
    # elementwise one (the thread test's) among them
    want = info["kernels_built"]
    assert "_elementwise" in want and info["kernel_modules"] == want, (info["kernel_modules"], want)
    assert "site-packages" in info["file"], info["file"]
    ours = [r for r in info["openmp"] if r["owner"] == "mytorch"]
    assert ours, f"no OpenMP runtime bundled in the wheel was loaded: {info['openmp']}"
    assert all(r["num_threads"] == 2 and r["managed"] for r in ours), ours
    t = info["tasks"]
    if t["start"] is not None:
        assert t["after_1_thread"] == t["start"], t
        assert t["after_2_threads"] > t["after_1_thread"], t
    assert info["results_match"], "threaded results differ from NumPy's"


def main(argv):
    info = collect()
    print(json.dumps(info))
    if "--check" in argv:
        check(info)
        t = info["tasks"]
        print(
            f"smoke: mytorch {info['version']} compiled, kernels {info['kernel_modules']},"
            f" OpenMP {[r['filepath'].rsplit('/', 1)[-1] for r in info['openmp']]},"
            f" OS threads {t['start']} -> {t['after_1_thread']} (1 thread) ->"
            f" {t['after_2_threads']} (2 threads): ok"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
