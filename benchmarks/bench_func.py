"""mytorch.func and vectorised Jacobians against torch: compiled build vs pure build vs torch.

Issue 18's benchmark: (a) the 256 x 256 Jacobian of f(x) = tanh(A @ x) * x by
autograd.functional.jacobian, vectorised (one backward pass with a leading batch dim: vmap over
the VJP with the identity's rows) against the row-by-row loop (256 backward passes) against
torch's ``vectorize=True``, and by func.jacrev; (b) per-sample gradients of a small MLP
(32 -> 64 -> 10, tanh, cross-entropy, batch 64) with ``vmap(grad(loss))`` against torch.func.
Every contender's results are checked against torch's before timing. Run from the repository
root:

    python -m pip install . && python benchmarks/bench_func.py [--builds pure,torch]
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    load_libraries,
    parse_args,
    pin_threads,
    print_header,
    ratio_legend,
    results_table,
    target_line,
)

N = 256  # (a): x has N elements, the Jacobian N rows
BATCH, IN, HIDDEN, OUT = 64, 32, 64, 10  # (b)

JAC_VEC = "(a) jacobian 256x256, vectorize=True"
JAC_LOOP = "(a) jacobian 256x256, row by row"
JACREV = "(a) func.jacrev 256x256"
PER_SAMPLE = "(b) per-sample grads, MLP, batch 64"


def _data():
    rng = np.random.default_rng(18)
    a = (rng.standard_normal((N, N)) / np.sqrt(N)).astype(np.float32)
    x = rng.standard_normal(N).astype(np.float32)
    w1 = (rng.standard_normal((HIDDEN, IN)) * 0.2).astype(np.float32)
    b1 = (rng.standard_normal(HIDDEN) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((OUT, HIDDEN)) * 0.2).astype(np.float32)
    b2 = (rng.standard_normal(OUT) * 0.1).astype(np.float32)
    xs = rng.standard_normal((BATCH, IN)).astype(np.float32)
    ts = rng.integers(0, OUT, BATCH)
    return a, x, (w1, b1, w2, b2), xs, ts


def contenders(torch):
    """{workload: step function} for one library (used as ``torch``)."""
    a_np, x_np, ws, xs_np, ts_np = _data()
    A = torch.tensor(a_np)
    x = torch.tensor(x_np)

    def f(v):
        return torch.tanh(A @ v) * v

    jac = torch.autograd.functional.jacobian
    params = dict(zip(("w1", "b1", "w2", "b2"), (torch.tensor(w) for w in ws)))
    xs = torch.tensor(xs_np)
    ts = torch.tensor(ts_np)

    def loss(p, xb, tb):
        h = torch.tanh(torch.nn.functional.linear(xb, p["w1"], p["b1"]))
        out = torch.nn.functional.linear(h, p["w2"], p["b2"])
        return torch.nn.functional.cross_entropy(out.unsqueeze(0), tb.unsqueeze(0))

    per_sample = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))
    return {
        JAC_VEC: lambda: jac(f, x, vectorize=True),
        JAC_LOOP: lambda: jac(f, x, vectorize=False),
        JACREV: lambda: torch.func.jacrev(f)(x),
        PER_SAMPLE: lambda: per_sample(params, xs, ts),
    }


def _numpy(r):
    if isinstance(r, dict):
        return {k: _numpy(v) for k, v in r.items()}
    return np.asarray(r.detach().numpy())


def check(results, reference, who):
    for workload, ref in reference.items():
        got = results[workload]
        pairs = [(got[k], ref[k]) for k in ref] if isinstance(ref, dict) else [(got, ref)]
        for g, r in pairs:
            if g.shape != r.shape or not np.allclose(g, r, rtol=1e-3, atol=1e-5):
                raise SystemExit(f"bench_func: {who} computes {workload} wrong")


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    libs = load_libraries(args.builds)
    pin_threads(libs, args.threads)
    print_header("bench_func: vectorised Jacobians and per-sample gradients", libs)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.05 if args.quick else 0.2
    timing = {"repeat": repeat, "warmup": 1, "min_time": min_time, "stat": args.stat}

    fns = {}
    values = {}
    for name, lib in libs.items():
        with lib.active() as torch:
            fns[name] = contenders(torch)
            values[name] = {w: _numpy(fn()) for w, fn in fns[name].items()}
    if "torch" in values:
        for name in values:
            check(values[name], values["torch"], name)

    results = {}
    for workload in (JAC_VEC, JAC_LOOP, JACREV, PER_SAMPLE):
        results[workload] = compare({n: fns[n][workload] for n in libs}, libs, **timing)

    print(f"## Results ({args.stat})")
    print()
    print(results_table(results, libs))
    print()
    print(ratio_legend(list(libs)))
    print()
    print(
        "(a): f(x) = `tanh(A @ x) * x`, x (256,), A (256, 256), float32; torch's row-by-row "
        "column is its `vectorize=False`. (b): `vmap(grad(loss), in_dims=(None, 0, 0))` over a "
        "batch of 64 (32 -> 64 tanh -> 10, cross-entropy), params a dict of 4 tensors."
    )
    print()
    print("## Targets")
    print()
    best = "compiled" if "compiled" in libs else "pure"
    for workload in (JAC_VEC, PER_SAMPLE):
        r = results[workload]
        ratio = r[best] / r["torch"] if best in r and "torch" in r else None
        print(target_line(workload, ratio, 1.0).replace("compiled/", f"{best}/"))
    if "torch" in libs:
        for name in libs:
            if name != "torch":
                vec, loop = results[JAC_VEC][name], results[JAC_LOOP][name]
                print(f"- {name}: vectorised Jacobian {loop / vec:.1f}x faster than its row loop")


if __name__ == "__main__":
    main()
