"""The launcher (python -m mytorch.distributed.run): torchrun's flags and variables, and the
DDP example run through it."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

from mytorch.distributed import run

pytest.importorskip("mpi4py")
HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
needs_mpiexec = pytest.mark.skipif(run.find_mpiexec() is None, reason="no mpiexec")

SHOW = """
import os, sys
keys = ["RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR",
        "MASTER_PORT"]
# one write per line: the processes share the pipe
sys.stdout.write(" ".join(["ENV"] + [os.environ.get(k, "-") for k in keys] + sys.argv[1:]) + "\\n")
"""


def _launch(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(k, None)
    cmd = [sys.executable, "-m", "mytorch.distributed.run", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=cwd)


@needs_mpiexec
@pytest.mark.parametrize("spelling", ["--nproc-per-node", "--nproc_per_node"])
def test_sets_torchrun_variables(tmp_path, spelling):
    script = tmp_path / "show.py"
    script.write_text(SHOW)
    r = _launch(spelling, "2", "--master-port", "29123", str(script), "--lr", "3")
    assert r.returncode == 0, r.stderr[-3000:]
    lines = sorted(re.findall(r"ENV [^\n]*?--lr 3", r.stdout))
    assert lines == [f"ENV {k} 2 {k} 2 0 127.0.0.1 29123 --lr 3" for k in range(2)], r.stdout


@needs_mpiexec
def test_module_and_failure_status(tmp_path):
    (tmp_path / "showmod.py").write_text(SHOW + "\nsys.exit(int(os.environ['RANK']) + 3)\n")
    r = _launch("--nproc-per-node", "2", "-m", "showmod", cwd=tmp_path)
    assert r.returncode != 0
    assert "mytorch-run: the job failed" in r.stderr


def test_flags_are_torchruns():
    a = run.parse_args(["--nnodes", "1:2", "--nproc_per_node", "4", "--node-rank", "0",
                        "--rdzv-backend", "c10d", "--standalone", "x.py", "--y", "1"])  # fmt: skip
    assert (a.nnodes, a.nproc_per_node, a.node_rank, a.standalone) == ("1:2", "4", 0, True)
    assert (a.training_script, a.training_script_args) == ("x.py", ["--y", "1"])
    with pytest.raises(SystemExit):
        run.run(run.parse_args(["--nnodes", "2", "x.py"]))  # several nodes need a host file


@needs_mpiexec
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_ddp_example_two_processes():
    r = _launch("--nproc-per-node", "2", str(ROOT / "examples" / "ddp_digits.py"), "--epochs", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    acc = float(re.search(r"accuracy ([\d.]+)%", r.stdout).group(1))
    assert acc > 70, r.stdout
    assert "2 process(es)" in r.stdout


@needs_mpiexec
def test_several_nodes_from_a_host_file(tmp_path):
    """--nnodes/--hostfile go to mpiexec (-ppn, -f); here both "nodes" are this machine."""
    script = tmp_path / "show.py"
    script.write_text(SHOW)
    hosts = tmp_path / "hosts"
    hosts.write_text("localhost:4\n")
    r = _launch("--nnodes", "2", "--nproc-per-node", "2", "--hostfile", str(hosts), str(script))
    assert r.returncode == 0, r.stderr[-3000:]
    got = sorted(line.split()[1:6] for line in r.stdout.splitlines() if line.startswith("ENV"))
    # RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE GROUP_RANK (MPI's local rank: one host here)
    assert got == [[str(k), "4", str(k), "2", str(k // 2)] for k in range(4)], r.stdout
    r = _launch("--nnodes", "2", "--node-rank", "1", "--hostfile", str(hosts), str(script))
    assert r.returncode == 0 and "nothing to do here" in r.stderr and "ENV" not in r.stdout
