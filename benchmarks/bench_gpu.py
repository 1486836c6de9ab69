"""GPU timings (issue 19): mytorch on CUDA (CuPy) against torch on CUDA, in one script.

Rows (each timed after warm-up, the GPU synchronised around every measurement):

- mlp_large: an MLP training step (forward, cross-entropy, backward, SGD step) at batch 4096,
  hidden 4096 (Linear(4096, 4096), ReLU, Linear(4096, 4096), ReLU, Linear(4096, 10));
  target: within 1.2x of torch CUDA's time;
- mlp_small: the same step at batch 64, hidden 256, which exposes per-op overhead; target: at
  most 2x torch CUDA;
- matmul: float32 4096 x 4096 x 4096 in TFLOP/s (TF32 off, torch's default); target: within 10%
  of torch CUDA;
- fused_bandwidth: the fused tanh backward kernel (reads 2 arrays, writes 1) over 64 Mi float32
  elements, its bandwidth as a share of the device's copy bandwidth (x.copy()); target: 80%;
- cnn, transformer: bench_nn's digits CNN (batch 64) and TransformerEncoderLayer (d_model 256,
  4 heads, sequence 128, batch 16) training steps with Adam.

torch's rows are skipped where torch or its CUDA is missing. The table is printed as markdown
and written to ``bench_gpu.md`` and ``bench_gpu.json`` in ``--out-dir``. The whole script runs
in well under 6 minutes on one GPU (each row stops timing after about 3 seconds).

``--dry-run`` uses tiny sizes and, without a GPU, the test suite's stand-in device (CuPy's API
on the host, tests/backends/standin.py) registered as ``cuda``: it checks that the script runs,
not how fast anything is.

Run from the repository root:

    python -m pip install '.[cuda12]' && python benchmarks/bench_gpu.py
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = {"mlp_large": 1.2, "mlp_small": 2.0, "matmul": 0.9, "fused_bandwidth": 0.8}
FULL = dict(large=(4096, 4096), small=(64, 256), matmul=4096, elements=1 << 26, cnn_batch=64,
            tf_batch=16, tf_seq=128, budget=3.0, min_reps=5)  # fmt: skip
DRY = dict(large=(32, 64), small=(8, 16), matmul=64, elements=1 << 12, cnn_batch=2,
           tf_batch=2, tf_seq=8, budget=0.05, min_reps=1)  # fmt: skip


def use_standin():
    """Register the test suite's stand-in device as ``cuda`` (a --dry-run without a GPU)."""
    import mytorch

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from backends import standin

    from mytorch._backends.cupy_backend import CupyBackend

    mytorch._backends.register(CupyBackend(standin.xp))


def load_torch():
    """torch, if it is installed and sees a GPU; else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def timed(fn, sync, budget, min_reps):
    """Median seconds of fn() (after two warm-up calls), synchronised, over at least
    ``min_reps`` runs and until ``budget`` seconds have passed."""
    fn()
    fn()
    sync()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return float(np.median(times))


def mlp_step(lib, batch, hidden):
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 10),
    ).to("cuda")  # fmt: skip
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x = lib.randn(batch, hidden, device="cuda")
    y = lib.randint(0, 10, (batch,), device="cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def cnn_step(lib, batch):
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10),
    ).to("cuda")  # fmt: skip
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x = lib.randn(batch, 1, 28, 28, device="cuda")
    y = lib.randint(0, 10, (batch,), device="cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def transformer_step(lib, batch, seq):
    layer = lib.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.1, batch_first=True)
    layer = layer.to("cuda")
    opt = lib.optim.Adam(layer.parameters(), lr=1e-3)
    x = lib.randn(batch, seq, 256, device="cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        layer(x).mean().backward()
        opt.step()

    return step


def matmul_fn(lib, n):
    a = lib.randn(n, n, device="cuda")
    b = lib.randn(n, n, device="cuda")
    return lambda: a @ b


def bandwidth_fns(lib, n, fused):
    """(the fused kernel, a copy) over n float32 elements; bytes each moves."""
    g = lib.randn(n, device="cuda")
    y = lib.randn(n, device="cuda").tanh()
    return (lambda: fused(g, y)), (lambda: g.clone()), 3 * 4 * n, 2 * 4 * n


def run(sizes, torch):
    import mytorch

    libs = {"mytorch": mytorch}
    if torch is not None:
        libs["torch"] = torch
        torch.backends.cuda.matmul.allow_tf32 = False
    syncs = {"mytorch": mytorch.cuda.synchronize}
    if torch is not None:
        syncs["torch"] = torch.cuda.synchronize
    fused = {"mytorch": lambda g, y: mytorch._ops.fused.tanh_backward(g, y)}
    if torch is not None:
        fused["torch"] = lambda g, y: torch.ops.aten.tanh_backward(g, y)

    def time_row(name, make, unit="s"):
        row = {"row": name, "unit": unit}
        for lib_name, lib in libs.items():
            lib.manual_seed(0)
            fn = make(lib, lib_name)
            row[lib_name] = timed(fn, syncs[lib_name], sizes["budget"], sizes["min_reps"])
        return row

    rows = []
    b, h = sizes["large"]
    rows.append(time_row("mlp_large", lambda L, n: mlp_step(L, b, h)))
    b, h = sizes["small"]
    rows.append(time_row("mlp_small", lambda L, n: mlp_step(L, b, h)))
    n = sizes["matmul"]
    r = time_row("matmul", lambda L, name: matmul_fn(L, n))
    for k in libs:
        r[k + "_tflops"] = 2 * n**3 / r[k] / 1e12
    rows.append(r)
    bw = {"row": "fused_bandwidth", "unit": "s"}
    for name, lib in libs.items():
        f, c, fb, cb = bandwidth_fns(lib, sizes["elements"], fused[name])
        tf = timed(f, syncs[name], sizes["budget"], sizes["min_reps"])
        tc = timed(c, syncs[name], sizes["budget"], sizes["min_reps"])
        bw[name] = tf
        bw[name + "_share"] = (fb / tf) / (cb / tc)
        bw[name + "_gbps"] = fb / tf / 1e9
    rows.append(bw)
    rows.append(time_row("cnn", lambda L, n: cnn_step(L, sizes["cnn_batch"])))
    tb, ts = sizes["tf_batch"], sizes["tf_seq"]
    rows.append(time_row("transformer", lambda L, n: transformer_step(L, tb, ts)))
    for r in rows:
        r["ratio"] = r["mytorch"] / r["torch"] if "torch" in r else None
        r["target"] = TARGETS.get(r["row"])
    return rows


def _fmt(v, unit="ms"):
    if v is None:
        return "skipped"
    return f"{v * 1e3:.3f} ms" if unit == "ms" else f"{v:.2f}"


def markdown(rows, device):
    lines = [
        f"GPU timings on {device} (median; ratio = mytorch / torch; torch rows skipped without "
        "torch CUDA)",
        "",
        "| row | mytorch | torch | ratio | other | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        other = ""
        target = ""
        if r["row"] == "matmul":
            other = f"{r['mytorch_tflops']:.1f} TFLOP/s"
            if "torch_tflops" in r:
                other += f" vs {r['torch_tflops']:.1f}"
            target = ">= 0.9x torch's TFLOP/s"
        elif r["row"] == "fused_bandwidth":
            other = f"{r['mytorch_share']:.0%} of copy bandwidth ({r['mytorch_gbps']:.0f} GB/s)"
            target = ">= 80% of copy"
        elif r["target"]:
            target = f"<= {r['target']}x"
        lines.append(
            f"| {r['row']} | {_fmt(r['mytorch'])} | {_fmt(r.get('torch'))} | "
            f"{_fmt(r['ratio'], 'x')} | {other} | {target} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="tiny sizes; the stand-in w/o GPU")
    ap.add_argument("--out-dir", default=".", help="where bench_gpu.md and .json go")
    args = ap.parse_args(argv)
    import mytorch

    sizes = DRY if args.dry_run else FULL
    if not mytorch.cuda.is_available():
        if not args.dry_run:
            print("bench_gpu: no CUDA GPU with CuPy (mytorch.cuda.is_available() is False)")
            return 1
        use_standin()
    torch = load_torch()
    started = time.perf_counter()
    rows = run(sizes, torch)
    device = mytorch.cuda.get_device_name()
    text = markdown(rows, device)
    print(text)
    report = {
        "device": device,
        "dry_run": args.dry_run,
        "torch": None if torch is None else torch.__version__,
        "python": platform.python_version(),
        "seconds": time.perf_counter() - started,
        "rows": rows,
    }
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "bench_gpu.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out_dir, "bench_gpu.json"), "w") as f:
        json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
