"""The package stands on NumPy alone: torch is the tests' oracle, never a dependency."""

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


def test_mytorch_never_imports_torch():
    r = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["tensor([2., 4.])", "[]"]
