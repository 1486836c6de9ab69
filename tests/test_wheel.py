"""A repaired wheel installs and runs where no C compiler is reachable.

It runs when MYTORCH_WHEEL names a wheel for this Python: `MYTORCH_TEST_WHEEL=1 bash
tests/run.sh` builds one first (tools/build_wheels.sh, a few minutes) and sets it; .ci/run does
so on every run. The wheel passes tools/check_wheel.py (libraries and symbols). A fresh venv
gets the wheel and its dependencies from the package index with CC and PATH pointing at no
compiler; there the package must be compiled, its OpenMP kernels must run on more than one
thread, and the demo and the seed programs must print torch's numbers (torch, in this test's
own environment, computes them).
"""

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEEL = os.environ.get("MYTORCH_WHEEL", "")
COMPILERS = ("cc", "gcc", "c++", "g++", "clang", "x86_64-linux-gnu-gcc", "zig", "icx", "cl")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not WHEEL,
        reason="no wheel to test: MYTORCH_TEST_WHEEL=1 bash tests/run.sh builds one"
        " (tools/build_wheels.sh) and sets MYTORCH_WHEEL",
    ),
    pytest.mark.skipif(
        os.environ.get("MYTORCH_EXPECT_BUILD") == "pure",
        reason="the wheel is tested once, with the compiled suite",
    ),
]


def _run(cmd, env, cwd, timeout=900):
    r = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    """(python, env, cwd): a fresh venv with the wheel installed, and no compiler reachable."""
    wheel = Path(WHEEL).resolve()
    assert wheel.is_file(), f"MYTORCH_WHEEL={WHEEL} is not a file"
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    if f"-{tag}-" not in wheel.name:
        pytest.fail(f"{wheel.name} is not a wheel for this Python ({tag})")
    base = tmp_path_factory.mktemp("wheel")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    empty = base / "no-compiler"
    empty.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MYTORCH_", "PYTHON", "VIRTUAL_ENV"))
        and k not in ("CFLAGS", "LDFLAGS", "CPPFLAGS")
    }
    nocc = str(empty / "no-such-compiler")
    env.update(PATH=f"{bindir}{os.pathsep}{empty}", CC=nocc, CXX=nocc, LDSHARED=nocc, CPP=nocc)
    for name in COMPILERS:
        assert shutil.which(name, path=env["PATH"]) is None, f"{name} is reachable"
    out = _run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", str(wheel)],
        env,
        base,
    )
    assert "Building wheel" not in out, out  # nothing was compiled: every package came as a wheel
    return str(python), env, str(base)


def _venv_python(wheel_venv, *args):
    python, env, cwd = wheel_venv
    return _run([python, *args], env, cwd, timeout=300)


def test_wheel_links_only_what_manylinux2014_allows():
    # tools/check_wheel.py, as tools/build_wheels.sh runs it: every compiled module, the libraries
    # linked (the C library, the bundled libgomp, the loader for __tls_get_addr alone), glibc 2.17.
    pytest.importorskip("elftools", reason="pyelftools is in the test extra")
    spec = importlib.util.spec_from_file_location("check_wheel", ROOT / "tools" / "check_wheel.py")
    check_wheel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_wheel)
    problems, facts = check_wheel.check(WHEEL)
    assert problems == [], facts


def test_installed_without_a_compiler_is_compiled_and_threaded(wheel_venv):
    spec = importlib.util.spec_from_file_location("wheel_smoke", ROOT / "tools" / "wheel_smoke.py")
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    info = json.loads(_venv_python(wheel_venv, str(ROOT / "tools" / "wheel_smoke.py")))
    assert info["file"].startswith(str(Path(wheel_venv[2]) / "venv")), info["file"]
    # compiled, every kernel module loaded, the bundled OpenMP runtime at 2 threads, OS threads up
    smoke.check(info)
    assert info["tasks"]["after_2_threads"] is not None or sys.platform != "linux"


def test_report_runs_from_the_wheel(wheel_venv):
    out = _venv_python(wheel_venv, "-m", "mytorch")
    assert ", compiled build" in out.splitlines()[0]
    assert "mytorch_autograd.libs" in out  # the OpenMP runtime bundled by auditwheel


NUMBER = re.compile(r"(?<![\w.])-?\d+\.?\d*(?:e[-+]?\d+)?")  # not the 0 of AddBackward0


def assert_same_printout(got, want, text=True, rtol=1e-4, atol=1e-4):
    """The printed numbers equal to float32 precision, and (``text``) the text around them."""
    if text:
        assert NUMBER.sub("#", got) == NUMBER.sub("#", want), f"got:\n{got}\nwant:\n{want}"
    assert len(NUMBER.findall(got)) == len(NUMBER.findall(want)), (got, want)
    for g, w in zip(NUMBER.findall(got), NUMBER.findall(want)):
        assert abs(float(g) - float(w)) <= atol + rtol * abs(float(w)), (g, w, got)


def _torch_printout(source):
    torch = pytest.importorskip("torch")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(textwrap.dedent(source), {"torch": torch})  # noqa: S102 (the oracle's run)
    return out.getvalue()


def _for_torch(demo):
    """The demo as torch runs it: mytorch's one deliberate difference spelled out.

    autograd.grad's create_graph=None builds the graph (and retains it) in mytorch; torch needs
    create_graph=True for that. The version line names mytorch's build: dropped.
    """
    src = demo.replace("import mytorch as torch", "import torch")
    src = "\n".join(ln for ln in src.splitlines() if "torch.compiled()" not in ln)

    def spell_out(m):
        if "create_graph" in m.group(1):
            return m.group(0)
        return f"torch.autograd.grad({m.group(1)}, create_graph=True)"

    return re.sub(r"torch\.autograd\.grad\(([^()]*)\)", spell_out, src)


def test_demo_gives_torchs_numbers(wheel_venv):
    demo = ROOT / "examples" / "demo.py"
    got = _venv_python(wheel_venv, str(demo)).splitlines()
    assert got[0].startswith("mytorch ") and got[0].endswith("compiled hot path: True"), got[0]
    want = _torch_printout(_for_torch(demo.read_text()))
    assert_same_printout("\n".join(got[1:]) + "\n", want)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_seed_programs_give_torchs_numbers(wheel_venv):
    from test_seed_programs import SEED_HEAD, SEED_NO_CREATE_GRAPH, SEED_PYTORCH_WAYS, SEED_TAIL

    # mytorch's own way (no create_graph) prints what torch prints with create_graph=True,
    # retain_graph=True; each PyTorch way prints torch's numbers (as in test_seed_programs, the
    # text differs where mytorch's default create_graph=None keeps a grad_fn torch drops).
    full = SEED_PYTORCH_WAYS["create_and_retain_graph"]
    ways = [(SEED_NO_CREATE_GRAPH, full, True)]
    ways += [(body, body, body == full) for body in SEED_PYTORCH_WAYS.values()]
    for body, torch_body, same_text in ways:
        want = _torch_printout(SEED_HEAD + torch_body + SEED_TAIL)
        src = "import mytorch as torch\n" + textwrap.dedent(SEED_HEAD + body + SEED_TAIL)
        assert_same_printout(_venv_python(wheel_venv, "-c", src), want, text=same_text)
