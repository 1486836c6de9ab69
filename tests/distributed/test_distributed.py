"""mytorch.distributed and DistributedDataParallel across processes: jobs of 2 and 4 processes
started with mpiexec run the worker scripts in workers/ (each checks itself against NumPy or a
one-process run and prints OK per rank). Skips where mpi4py or mpiexec is missing."""

import datetime
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest

import mytorch
import mytorch.distributed as dist

pytest.importorskip("mpi4py")
torch = pytest.importorskip("torch")
import torch.distributed as tdist  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MPIEXEC = shutil.which("mpiexec", path=str(pathlib.Path(sys.executable).parent)) or shutil.which(
    "mpiexec"
)
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec")


def _env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "PMI_RANK", "PMI_SIZE"):
        env.pop(k, None)
    env.update(extra)
    return env


def launch(n, script, *args, timeout=120):
    cmd = [MPIEXEC, "-n", str(n), sys.executable, str(HERE / "workers" / script), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env())


def _ok(r, n):
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert sorted(int(k) for k in re.findall(r"OK (\d+)", r.stdout)) == list(range(n)), out


@needs_mpiexec
@pytest.mark.parametrize("n", [2, 4])
def test_collectives_match_numpy(n):
    _ok(launch(n, "collectives.py"), n)


@needs_mpiexec
def test_collectives_mpi_backend_name():
    _ok(launch(2, "collectives.py", "mpi"), 2)


@needs_mpiexec
def test_collectives_nccl_engine_on_the_standin_device():
    """The NCCL engine's logic (its calls, device addresses and offsets, grouped point-to-point,
    events) with tensors on the stand-in device, one per rank, and workers/fake_nccl.py in place
    of cupy.cuda.nccl. A real GPU job runs the same worker with CuPy's NCCL."""
    _ok(launch(2, "collectives.py", "nccl"), 2)


@pytest.mark.gpu
@needs_mpiexec
def test_nccl_world_of_one_on_a_gpu():
    """On a machine with a GPU and CuPy's NCCL: a job of one process on cuda:0."""
    if not (mytorch.cuda.is_available() and dist.is_nccl_available()):
        pytest.skip("needs a CUDA GPU and CuPy with NCCL")
    code = (
        "import mytorch as torch, mytorch.distributed as dist\n"
        "dist.init_process_group('nccl')\n"
        "t = torch.arange(4.0, device='cuda'); dist.all_reduce(t, op=dist.ReduceOp.AVG)\n"
        "dist.broadcast(t, 0); dist.barrier(); print('OK', dist.get_rank(), t.tolist())\n"
    )
    r = subprocess.run([MPIEXEC, "-n", "1", sys.executable, "-c", code], capture_output=True,
                       text=True, timeout=120, env=_env())  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "OK 0 [0.0, 1.0, 2.0, 3.0]" in r.stdout


@needs_mpiexec
@pytest.mark.parametrize(
    "n, opts",
    [
        (2, ""),
        (2, "bucket=0.0001,view"),  # a bucket per parameter; gradients are bucket views
        (2, "unused,buffers"),
        (4, "bucket=0.0002"),
        # on the stand-in device through the NCCL engine (workers/fake_nccl.py)
        (2, "nccl,unused,buffers,view"),
        (2, "nccl,nosync=2,bucket=0.0001"),
    ],
)
def test_ddp_matches_one_process(n, opts):
    _ok(launch(n, "ddp.py", opts), n)


@needs_mpiexec
@pytest.mark.parametrize("n", [2, 4])
def test_no_sync_accumulation_is_one_large_step(n):
    _ok(launch(n, "ddp.py", "nosync=3"), n)


@needs_mpiexec
@pytest.mark.parametrize(
    "how, message",
    [
        ("raise", "boom on rank 1"),
        ("exit", ""),
        ("late", "all_reduce timed out after 3 s on rank 0"),
    ],
)
def test_a_failing_rank_ends_the_job(how, message):
    start = time.monotonic()
    r = launch(2, "fail.py", how, timeout=100)
    took = time.monotonic() - start
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "must not" not in out
    assert message in out, out[-3000:]
    assert took < 45, f"the job took {took:.0f} s to fail"


@pytest.mark.parametrize("how", ["env", "args"])
def test_a_job_of_one_without_mpiexec(how):
    env = _env(RANK="0", WORLD_SIZE="1") if how == "env" else _env()
    cmd = [sys.executable, str(HERE / "workers" / "single.py"), how]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines()
    assert lines[0] == "twice: trying to initialize the default process group twice!"
    backend = "gloo" if how == "env" else "mpi"
    assert lines[1] == f"0 1 {backend} [0.0, 1.0, 2.0] [[3.0, 3.0]]"


def test_init_without_launcher_raises_as_torch(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(ValueError) as ours:
        dist.init_process_group("gloo")
    with pytest.raises(ValueError) as theirs:
        tdist.init_process_group("gloo")
    assert str(ours.value) == str(theirs.value)
    assert not dist.is_initialized()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backend": "foo", "rank": 0, "world_size": 1},
        {"backend": "gloo", "rank": 0, "world_size": 1, "timeout": 5},
    ],
)
def test_init_argument_errors_as_torch(kwargs):
    with pytest.raises(Exception) as theirs:
        tdist.init_process_group(init_method="tcp://127.0.0.1:29578", **kwargs)
    with pytest.raises(Exception) as ours:
        dist.init_process_group(**kwargs)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)
    assert not dist.is_initialized()


CALLS = {
    "get_rank": lambda d, T: d.get_rank(),
    "get_world_size": lambda d, T: d.get_world_size(),
    "get_backend": lambda d, T: d.get_backend(),
    "barrier": lambda d, T: d.barrier(),
    "all_reduce": lambda d, T: d.all_reduce(T.ones(2)),
    "broadcast": lambda d, T: d.broadcast(T.ones(2), 0),
    "new_group": lambda d, T: d.new_group([0]),
    "all_gather_object": lambda d, T: d.all_gather_object([None], 1),
    "destroy_process_group": lambda d, T: d.destroy_process_group(),
    "ddp": lambda d, T: T.nn.parallel.DistributedDataParallel(T.nn.Linear(2, 2)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_calls_before_init_raise_as_torch(name):
    assert not tdist.is_initialized()
    with pytest.raises(Exception) as theirs:
        CALLS[name](tdist, torch)
    with pytest.raises(Exception) as ours:
        CALLS[name](dist, mytorch)
    assert type(ours.value) is type(theirs.value)
    if type(ours.value) is ValueError:
        assert str(ours.value) == str(theirs.value)


def test_api_surface():
    assert dist.is_available() is True
    assert not dist.is_initialized()
    assert [o.name for o in dist.ReduceOp.RedOpType][:5] == [
        o for o in ("SUM", "AVG", "PRODUCT", "MIN", "MAX")
    ]
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        ours, theirs = getattr(dist.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert repr(ours) == repr(theirs)
    assert dist.Backend("GLOO") == "gloo" == tdist.Backend("GLOO")
    assert dist.Backend.NCCL == tdist.Backend.NCCL and dist.Backend.MPI == tdist.Backend.MPI
    assert isinstance(dist.group.WORLD, type(None))
    assert datetime.timedelta(minutes=30) == dist.distributed_c10d.default_pg_timeout


def test_import_mytorch_does_not_import_mpi4py():
    code = (
        "import sys, mytorch, mytorch.distributed as d; d.is_available(); "
        "print(sorted(m for m in sys.modules if m.startswith('mpi4py')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env=_env())  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]"
