"""mytorch.distributed on MPI (issue 20's benchmark), three tables:

- all-reduce bandwidth: ``dist.all_reduce`` (SUM) of a float32 tensor of 4 KB .. 256 MB between
  2 processes, against mpi4py's own ``Allreduce`` (in place) on a NumPy array of the same size,
  in the same job; the figure is the algorithm bandwidth (bytes / time, median over repeats);
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
def _timed(fn, barrier, min_time=0.2, max_reps=200):
    """Median seconds of ``fn`` over repeats that fill ``min_time`` (the same count on every
    rank: rank 0's choice is broadcast)."""
    from mpi4py import MPI

    fn()
    barrier()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    reps = MPI.COMM_WORLD.bcast(max(3, min(max_reps, int(min_time / max(one, 1e-6)))), root=0)
    times = []
    for _ in range(reps):
        barrier()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
        ours = _timed(lambda: dist.all_reduce(t), comm.Barrier)
        theirs = _timed(lambda: comm.Allreduce(MPI.IN_PLACE, a), comm.Barrier)
        rows.append((size, ours, theirs))
        size *= 4
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(rows))
    dist.destroy_process_group()


def _digits_step(mode, steps):
    """Seconds per training step of the digits CNN (median)."""
    from mpi4py import MPI

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

    return _timed(step, MPI.COMM_WORLD.Barrier, min_time=0.0, max_reps=steps)


def worker_digits(args):
    import mytorch.distributed as dist

    dist.init_process_group("gloo")
    result = {m: _digits_step(m, args.steps) for m in args.modes.split(",")}
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(result))
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
    import mytorch

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
