"""``python -m mytorch``, the environment report, run as a user runs it (a subprocess); the
version kept in one place; the thread pools that mytorch.set_num_threads reaches (threadpoolctl)."""

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap

import pytest

import mytorch
from mytorch import _threads

EXPECT = os.environ.get("MYTORCH_EXPECT_BUILD")
KERNELS = ["_alloc", "_blas", "_elementwise", "_im2col", "_optim", "_reduce", "_rnn", "_shape"]


def run_report(*args, env=None, cwd=None):
    """``python -m mytorch ARGS`` in a clean directory (so the installed package is imported)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run(
        [sys.executable, "-m", "mytorch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


@pytest.fixture
def report_json(tmp_path):
    return json.loads(run_report("--json", cwd=tmp_path))


def test_text_report_names_every_section(tmp_path):
    out = run_report(cwd=tmp_path)
    build = "compiled" if mytorch.compiled() else "pure"
    assert out.startswith(f"mytorch {mytorch.__version__} (mytorch-autograd), {build} build\n")
    for head in ("Python ", "versions: numpy ", "kernels: ", "threads: ", "BLAS", "OpenMP"):
        assert f"\n{head}" in out, head
    for head in ("caching allocator: ", "CUDA: ", "environment: "):
        assert f"\n{head}" in out, head
    assert f"mytorch.get_num_threads() = {mytorch.get_num_threads()}" in out


def test_json_report_matches_the_process(report_json):
    m = report_json["mytorch"]
    assert m["version"] == mytorch.__version__
    assert m["build"] == ("compiled" if mytorch.compiled() else "pure")
    assert m["modules"] == mytorch.build_info()
    assert report_json["kernels"]["loaded"] == mytorch._build.kernel_modules()
    assert report_json["threads"]["mytorch.get_num_threads()"] == mytorch.get_num_threads()
    assert report_json["python"]["version"] == ".".join(map(str, sys.version_info[:3]))


@pytest.mark.skipif(EXPECT is None, reason="MYTORCH_EXPECT_BUILD not set (tests/run.sh sets it)")
def test_report_states_the_build_under_test(tmp_path):
    out = run_report(cwd=tmp_path)
    assert out.splitlines()[0].endswith(f", {EXPECT} build")
    if EXPECT == "compiled" and os.environ.get("MYTORCH_NO_EXT") != "1":
        line = next(s for s in out.splitlines() if s.startswith("kernels: "))
        assert line.endswith(", ".join(f"mytorch._ext.{k}" for k in KERNELS)), line


def test_threads_follow_the_environment(tmp_path):
    info = json.loads(run_report("--json", env={"MYTORCH_NUM_THREADS": "1"}, cwd=tmp_path))
    t = info["threads"]
    assert t["mytorch.get_num_threads()"] == 1
    assert not t["errors"]
    if "_blas" in mytorch._build.kernel_modules():
        # The matmul kernel's load gives SciPy's BLAS the count. NOTE: none is found where SciPy
        # runs on Apple's Accelerate, which threadpoolctl cannot see or set.
        scipy_blas = [r for r in t["blas"] if r["owner"] == "scipy"]
        assert all(r["num_threads"] == 1 and r["managed"] for r in scipy_blas), scipy_blas


def test_allocator_state(tmp_path):
    a = json.loads(run_report("--json", cwd=tmp_path))["allocator"]
    if "_alloc" not in mytorch._build.kernel_modules():
        assert a == {"loaded": False}
        return
    assert a["loaded"] and a["installed"] and a["numpy handler"] == "mytorch_caching_allocator"
    assert a["limit"] == int(os.environ.get("MYTORCH_ALLOC_CACHE_MB", "1024")) << 20
    assert {"cached", "hits", "misses"} <= set(a)
    off_env = {"MYTORCH_CACHING_ALLOCATOR": "0"}
    off = json.loads(run_report("--json", env=off_env, cwd=tmp_path))["allocator"]
    assert off["loaded"] and not off["installed"]
    assert "caching allocator: not installed" in run_report(env=off_env, cwd=tmp_path)


FAKE_CUPY = """
__version__ = "99.1.0"


class _Runtime:
    @staticmethod
    def runtimeGetVersion():
        return 12040

    @staticmethod
    def driverGetVersion():
        return 12050

    @staticmethod
    def getDeviceCount():
        return 1

    @staticmethod
    def getDeviceProperties(i):
        return {"name": b"Fake GPU", "major": 9, "minor": 0, "totalGlobalMem": 1 << 34}


class cuda:
    runtime = _Runtime
"""


def test_cupy_and_cuda_are_reported_when_present(tmp_path):
    # A stand-in CuPy (no GPU is needed to test the report's CUDA section).
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(textwrap.dedent(FAKE_CUPY))
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = run_report(env={"PYTHONPATH": path}, cwd=tmp_path)
    assert "CUDA: CuPy 99.1.0, CUDA runtime 12040, CUDA driver 12050;" in out
    assert "mytorch.cuda.is_available() = True" in out
    assert "  cuda:0 Fake GPU (compute capability 9.0, 16384.0 MiB)" in out


def test_without_cupy_the_report_says_so(tmp_path, report_json):
    import importlib.util

    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed")
    assert report_json["cuda"]["cupy"] is None
    assert "CUDA: CuPy not installed" in run_report(cwd=tmp_path)


def test_version_is_kept_in_one_place():
    from mytorch import _version

    assert mytorch.__version__ == _version.__version__
    try:
        installed = importlib.metadata.version("mytorch-autograd")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mytorch-autograd is not installed (a source-tree run)")
    assert installed == mytorch.__version__


def test_set_num_threads_reaches_scipys_blas():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import scipy.linalg  # noqa: F401 (loads SciPy's BLAS)

    if not any(r["user_api"] == "blas" for r in _threads.runtimes()):
        pytest.skip("threadpoolctl finds no BLAS (Apple's Accelerate is invisible to it)")
    before = mytorch.get_num_threads()
    try:
        for n in (1, 2):
            mytorch.set_num_threads(n)
            managed = [r for r in _threads.runtimes() if r["managed"]]
            assert any(r["user_api"] == "blas" for r in managed), _threads.runtimes()
            assert all(r["num_threads"] == n for r in managed), managed
    finally:
        mytorch.set_num_threads(before)
    info = threadpoolctl.threadpool_info()
    assert {r["filepath"] for r in info} >= {r["filepath"] for r in _threads.runtimes()}


def test_managed_pools_are_mytorchs_numpys_and_scipys():
    for r in _threads.runtimes():
        if r["managed"] and r["user_api"] == "openmp":
            assert r["owner"] == "mytorch", r  # a shared (system) OpenMP runtime is left alone
        if r["owner"] == "mytorch":
            assert r["managed"], r
