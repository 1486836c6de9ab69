"""The suite's own guards (tests/conftest.py): a run without torch fails instead of skipping the
oracle tests, and the kernel-against-reference comparisons skip only where the kernels are the
reference."""

import os
import subprocess
import sys
from pathlib import Path

import conftest
import pytest
from helpers import assert_same_exception, raises

import mytorch

HERE = Path(__file__).resolve().parent
EXPECT = os.environ.get("MYTORCH_EXPECT_BUILD")


def _pytest_without_torch(tmp_path, *args, allow=False):
    """Run pytest on ``args`` in a subprocess where ``import torch`` fails."""
    fake = tmp_path / "no_torch"
    fake.mkdir()
    (fake / "torch.py").write_text("raise ImportError('torch is hidden by the test')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(fake), env.get("PYTHONPATH")]))
    env.pop("MYTORCH_ALLOW_NO_TORCH", None)
    if allow:
        env["MYTORCH_ALLOW_NO_TORCH"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=env,
        timeout=300,
        check=False,
    )


def test_missing_torch_fails_the_run(tmp_path):
    r = _pytest_without_torch(tmp_path, "ops/test_errors.py")
    assert r.returncode not in (0, 5), r.stdout[-2000:]
    assert "torch (the oracle" in r.stdout + r.stderr
    assert "MYTORCH_ALLOW_NO_TORCH=1" in r.stdout + r.stderr


def test_missing_torch_skips_only_when_allowed(tmp_path):
    r = _pytest_without_torch(tmp_path, "ops/test_errors.py", allow=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert " skipped" in r.stdout.splitlines()[-1]


def test_reference_flag_matches_the_build():
    loaded = mytorch._build.kernel_modules()
    assert conftest.KERNELS_ARE_REFERENCE == (not loaded)
    if EXPECT == "pure" or os.environ.get("MYTORCH_NO_EXT") == "1":
        assert conftest.KERNELS_ARE_REFERENCE
    elif EXPECT == "compiled":
        assert not conftest.KERNELS_ARE_REFERENCE


def test_kernel_comparisons_skip_only_against_themselves(request):
    marked = [i for i in request.session.items if "kernels_vs_reference" in i.keywords]
    if not marked:
        pytest.skip("no kernel test collected in this run")
    skipped = [i for i in marked if i.get_closest_marker("skip") is not None]
    assert len(skipped) == (len(marked) if conftest.KERNELS_ARE_REFERENCE else 0)


def test_exception_checks_require_the_exact_class():
    """NotImplementedError is a RuntimeError: an exception check must not take one for the
    other (pytest.raises does)."""
    with pytest.raises(AssertionError, match="not RuntimeError"):
        with raises(RuntimeError):
            raise NotImplementedError("a subclass")
    with pytest.raises(AssertionError, match="NotImplementedError"):
        assert_same_exception(NotImplementedError("mytorch"), RuntimeError("torch"))
    with raises(RuntimeError, match="the class"):
        raise RuntimeError("the class itself")
    assert_same_exception(RuntimeError("mytorch"), RuntimeError("torch"))
