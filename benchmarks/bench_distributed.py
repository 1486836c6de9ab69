"""mytorch.distributed on MPI (issue 20's benchmark), three tables:

- all-reduce bandwidth: ``dist.all_reduce`` (SUM) of a float32 tensor of 4 KB .. 256 MB between
  2 processes, against mpi4py's own ``Allreduce`` (in place) on a NumPy array of the same size,
  in the same job, taking turns; the figure is the algorithm bandwidth (bytes / time per call,
  median over repeats of up to 100 calls);
- the digits CNN (examples/mnist_digits.py's Net, 8x8 inputs, batch 32 per process, Adadelta)
  trained with DistributedDataParallel on 1, 2 and 4 processes: samples per second over all
  processes;
- overlap: the same step on 2 processes with DDP (bucketed all-reduces started from the gradient
  hooks during backward), with the model alone (no communication at all), and with one
  all-reduce of all gradients after backward (no overlap).

Run from the repository root (the source tree's mytorch, the pure build unless compiled in
place; the communication does not depend on the build):

    python benchmarks/bench_distributed.py              # all three tables
    python benchmarks/bench_distributed.py --max-mb 16 --steps 20   # a shorter run

It starts its jobs itself with mpiexec (found beside this Python or on PATH).
"""

import argparse
import importlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


# --- the workers (run inside mpiexec) -------------------------------------------------------
def _timed_pair(f, g, barrier, min_time=0.3, max_reps=200):
    """Median seconds of ``f`` and of ``g``, taking turns (the same load for both), over
    repeats that fill ``min_time`` (the same count on every rank: rank 0's choice)."""
    from mpi4py import MPI

    f()
    g()
    barrier()
    t0 = time.perf_counter()
    f()
    one = time.perf_counter() - t0
    reps = MPI.COMM_WORLD.bcast(max(5, min(max_reps, int(min_time / 2 / max(one, 1e-6)))), 0)
    tf, tg = [], []
    for _ in range(reps):
        for fn, out in ((f, tf), (g, tg)):
            barrier()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(tf), statistics.median(tg)


def worker_allreduce(args):
    import numpy as np
    from mpi4py import MPI

    import mytorch as torch
    import mytorch.distributed as dist

    dist.init_process_group("gloo")
    comm = MPI.COMM_WORLD
    rows = []
    size = 4096
    while size <= args.max_mb * 1024 * 1024:
        a = np.ones(size // 4, dtype=np.float32)
        t = torch.ones(size // 4)
        inner = max(1, min(100, (1 << 20) // size))  # calls per sample (small sizes)

        def f():
            for _ in range(inner):
                dist.all_reduce(t)

        def g():
            for _ in range(inner):
                comm.Allreduce(MPI.IN_PLACE, a)

        ours, theirs = (x / inner for x in _timed_pair(f, g, comm.Barrier))
        rows.append((size, ours, theirs))
        size *= 4
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(rows))
    dist.destroy_process_group()


def _digits_step(mode):
    """One training step of the digits CNN, in ``mode``: a zero-argument function."""
    sys.path.insert(0, str(ROOT / "examples"))
    from mnist_digits import Net

    import mytorch as torch
    import mytorch.distributed as dist

    torch.manual_seed(0)
    net = Net()
    model = torch.nn.parallel.DistributedDataParallel(net) if mode == "ddp" else net
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    x = torch.randn(32, 1, 8, 8)
    y = torch.randint(0, 10, (32,))
    params = list(net.parameters())

    def step():
        opt.zero_grad()
        torch.nn.functional.nll_loss(model(x), y).backward()
        if mode == "after":  # one all-reduce of every gradient, once backward is over
            flat = torch.cat([p.grad.reshape(-1) for p in params])
            dist.all_reduce(flat, dist.ReduceOp.AVG)
            with torch.no_grad():
                start = 0
                for p in params:
                    p.grad.copy_(flat[start : start + p.numel()].view(p.shape))
                    start += p.numel()
        opt.step()

    return step


def worker_digits(args):
    """Median step time per mode; the modes take turns, step by step, so that they see the
    same load on a shared machine."""
    from mpi4py import MPI

    import mytorch.distributed as dist

    dist.init_process_group("gloo")
    modes = args.modes.split(",")
    steps = {m: _digits_step(m) for m in modes}
    times = {m: [] for m in modes}
    for m in modes:
        steps[m]()  # warm up
    for _ in range(args.steps):
        for m in modes:
            MPI.COMM_WORLD.Barrier()
            t0 = time.perf_counter()
            steps[m]()
            times[m].append(time.perf_counter() - t0)
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps({m: statistics.median(t) for m, t in times.items()}))
    dist.destroy_process_group()


# --- the driver -----------------------------------------------------------------------------
def _launch(n, *worker_args):
    exe = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MYTORCH_NUM_THREADS="1")
    cmd = [exe, "-n", str(n), sys.executable, __file__, "--worker", *worker_args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3000)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"job failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")


def _size(b):
    return f"{b // 1024} KB" if b < 1024 * 1024 else f"{b // (1024 * 1024)} MB"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=["allreduce", "digits"])
    p.add_argument("--max-mb", type=int, default=256)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--modes", default="ddp")
    p.add_argument("--skip", default="", help="tables to skip: bandwidth,digits,overlap")
    args = p.parse_args()
    if args.worker == "allreduce":
        return worker_allreduce(args)
    if args.worker == "digits":
        return worker_digits(args)
    sys.path.insert(0, str(ROOT))  # the workers' mytorch (PYTHONPATH=ROOT), not an installed one
    mytorch = importlib.import_module("mytorch")

    print(f"mytorch {mytorch.__version__} ({'compiled' if mytorch.compiled() else 'pure'} build), "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    skip = args.skip.split(",")
    if "bandwidth" not in skip:
        rows = _launch(2, "allreduce", "--max-mb", str(args.max_mb))
        print("all_reduce, 2 processes | mytorch | mpi4py Allreduce | mytorch / mpi4py")
        print("---|---|---|---")
        for size, ours, theirs in rows:
            print(f"{_size(size)} | {size / ours / 1e6:.0f} MB/s ({ours * 1e6:.0f} us) | "
                  f"{size / theirs / 1e6:.0f} MB/s ({theirs * 1e6:.0f} us) | "
                  f"{100 * theirs / ours:.0f}%")  # fmt: skip
        print()
    if "digits" not in skip:
        print("digits CNN, DDP, batch 32 per process | step | samples/s")
        print("---|---|---")
        for n in (1, 2, 4):
            t = _launch(n, "digits", "--steps", str(args.steps))["ddp"]
            print(f"{n} process(es) | {t * 1e3:.1f} ms | {32 * n / t:.0f}")
        print()
    if "overlap" not in skip:
        t = _launch(2, "digits", "--steps", str(args.steps), "--modes", "none,ddp,after")
        print("digits CNN step, 2 processes | time | vs no communication")
        print("---|---|---")
        names = {"none": "no communication", "ddp": "DDP (overlapped buckets)",
                 "after": "one all-reduce after backward"}  # fmt: skip
        for m in ("none", "ddp", "after"):
            print(f"{names[m]} | {t[m] * 1e3:.2f} ms | {t[m] / t['none']:.2f}x")


if __name__ == "__main__":
    main()
