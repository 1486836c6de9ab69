"""The package stands on NumPy alone: torch is the tests' oracle, never a dependency, and CuPy
is imported only when a CUDA device is first used."""

import subprocess
import sys

CHECK = """
import sys
import mytorch
x = mytorch.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
print(repr(x.grad))
print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))
"""

CHECK_CUPY = """
import sys
import mytorch
x = mytorch.tensor([1.0, 2.0], requires_grad=True)
(x * x).sum().backward()
print(repr(x.grad))
print(sorted(m for m in sys.modules if m == "cupy" or m.startswith("cupy.")))
print(mytorch.cuda.is_available())
"""


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_mytorch_never_imports_torch():
    r = _run(CHECK)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["tensor([2., 4.])", "[]"]


def test_mytorch_never_imports_cupy():
    r = _run(CHECK_CUPY)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["tensor([2., 4.])", "[]", "False"]
