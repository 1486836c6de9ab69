"""nn.SyncBatchNorm across processes: jobs of 2 and 4 processes (mpiexec) run
workers/syncbn.py, which checks outputs, input gradients, weight and bias gradients (summed
over the ranks, as torch leaves them per rank), running statistics and eval mode against one
BatchNorm over the whole batch in float64, and DistributedDataParallel with a converted model
against one process. Skips where mpi4py or mpiexec is missing."""

import subprocess
import sys

import pytest

pytest.importorskip("mpi4py")

from test_distributed import _env, _ok, launch, needs_mpiexec  # noqa: E402


@needs_mpiexec
@pytest.mark.parametrize(
    "n, opts",
    [
        (2, ""),
        (2, "uneven"),  # 1 and 3 samples
        (2, "empty"),  # rank 0 holds no samples
        (4, "uneven"),
        (4, "pairs"),  # two process groups of 2, each its own statistics
        (2, "nccl,uneven"),  # on the stand-in device through the NCCL engine
    ],
)
def test_syncbn_matches_one_batchnorm(n, opts):
    _ok(launch(n, "syncbn.py", opts), n)


@needs_mpiexec
@pytest.mark.parametrize("n, opts", [(2, "ddp"), (4, "ddp"), (2, "nccl,ddp")])
def test_ddp_with_syncbn_matches_one_process(n, opts):
    _ok(launch(n, "syncbn.py", opts), n)


def test_a_job_of_one_is_batchnorm():
    """An initialised group of one process: no synchronisation (BatchNorm's own graph)."""
    code = (
        "import mytorch as torch, mytorch.distributed as dist\n"
        "dist.init_process_group('gloo', rank=0, world_size=1)\n"
        "torch.manual_seed(0); x = torch.randn(4, 3, requires_grad=True)\n"
        "s, b = torch.nn.SyncBatchNorm(3), torch.nn.BatchNorm1d(3)\n"
        "ys, yb = s(x), b(x)\n"
        "print(torch.equal(ys, yb), type(ys.grad_fn).__name__ == type(yb.grad_fn).__name__,\n"
        "      torch.equal(s.running_var, b.running_var))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env=_env())  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["True", "True", "True"]
