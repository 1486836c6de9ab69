"""Ordinary PyTorch programs (tests/scripts/*.py, each literally ``import torch``) print the
same numbers when ``torch`` is bound to mytorch (through tests/torch_shim.py) as with torch.

Each script runs in its own interpreter twice: once as it is (the oracle) and once under the
shim, which never imports torch. The printed text must match once the numbers are taken out,
and the numbers must agree to float32 precision (a script may widen the tolerance with a line
``# tolerance: rtol=..., atol=...`` when it trains for several epochs).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mytorch

pytestmark = [pytest.mark.torch, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(p for p in (HERE / "scripts").glob("*.py") if not p.name.startswith("_"))
ROOT = Path(mytorch.__file__).resolve().parent.parent
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")  # "<AddBackward0 object at 0x7f...>"
TOLERANCE = re.compile(r"#\s*tolerance:\s*rtol=([\d.eE-]+),\s*atol=([\d.eE-]+)")

# Scripts that do not run the same yet: name -> reason (checked strictly: they must fail).
XFAIL = {}


def start(args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONHASHSEED"] = "0"
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=HERE,
    )


def finish(proc, args):
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{out}\n{err}")
    return out


def numbers(text):
    return np.array([float(m) for m in NUMBER.findall(text)], dtype=np.float64)


def test_shim_refuses_when_torch_is_loaded():
    import torch_shim

    if "torch" not in sys.modules:
        pytest.skip("torch not imported in this interpreter")
    with pytest.raises(RuntimeError):
        torch_shim.install()


def test_scripts_found():
    assert len(SCRIPTS) >= 12


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script(script, request):
    if script.stem in XFAIL:
        request.applymarker(pytest.mark.xfail(reason=XFAIL[script.stem], strict=True))
    source = script.read_text()
    assert re.search(r"^import torch$", source, re.M), "a script imports torch literally"
    assert "mytorch" not in source
    match = TOLERANCE.search(source)
    rtol, atol = (float(match[1]), float(match[2])) if match else (1e-4, 1e-5)
    # Both interpreters at once: the oracle as the script is, and the script under the shim.
    runs = [[str(script)], ["torch_shim.py", str(script)]]
    procs = [start(args) for args in runs]
    expected, got = (ADDRESS.sub("0x", finish(proc, args)) for proc, args in zip(procs, runs))
    assert NUMBER.sub("#", got) == NUMBER.sub("#", expected), f"text differs:\n{got}\n{expected}"
    want, have = numbers(expected), numbers(got)
    assert want.size > 0
    np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, err_msg=f"\n{got}\n{expected}")
