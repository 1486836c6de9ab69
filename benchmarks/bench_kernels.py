"""Are large-tensor kernels as fast as torch? Compiled vs pure-Python build vs torch vs ceilings.

Issue 3's benchmark: elementwise_large, broadcast_reduce, matmul (256-2048, forward + backward,
GFLOP/s) and mlp_step, plus this machine's memory-copy bandwidth and SGEMM ceilings measured in the
same run. Run from the repository root:

    python -m pip install . && python benchmarks/bench_kernels.py
"""

import os
import sys

import numpy as np
import scipy.linalg.blas

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    fmt_ratio,
    load_libraries,
    load_line,
    markdown_table,
    measure,
    parse_args,
    print_header,
    results_table,
)

ELEMENTWISE_N = 4 * 1024 * 1024
BROADCAST_SHAPE = (512, 1024)
MATMUL_SIZES = (256, 512, 1024, 2048)
CEILING_SIZES = (1024, 2048)
MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_OUT = 128, 784, 256, 10
MLP_LR = 0.01
COPY_BYTES = 256 * 1024 * 1024

# Inputs are drawn once with NumPy and handed to every library, so all three compute on the same
# numbers.
_rng = np.random.default_rng(0)


def _randn(*shape, scale=1.0):
    return (_rng.standard_normal(shape) * scale).astype(np.float32)


# ---------------------------------------------------------------------------------------- workloads
# Each make_* takes the library as `torch` and returns a zero-argument step function; the same code
# runs on mytorch (either build) and torch. Gradients are reset to None after each backward so no
# step accumulates into the last.


def _leaf(torch, array):
    return torch.tensor(array, requires_grad=True)


def make_elementwise(torch):
    x = _leaf(torch, ELEMENTWISE_DATA[0])
    y = _leaf(torch, ELEMENTWISE_DATA[1])

    def step():
        ((x * y + x.exp()).sum()).backward()
        x.grad = None
        y.grad = None

    return step


def numpy_elementwise():
    x, y = ELEMENTWISE_DATA

    def step():
        e = np.exp(x)
        _ = (x * y + e).sum()
        gx = y + e  # d/dx (x*y + exp(x)) with an upstream gradient of ones
        gy = x.copy()
        return gx, gy

    return step


def make_broadcast(torch):
    a = _leaf(torch, BROADCAST_DATA[0])
    b = _leaf(torch, BROADCAST_DATA[1])
    g = torch.ones(BROADCAST_SHAPE[1], dtype=torch.float32)

    def step():
        (a + b).mean(dim=0).backward(g)
        a.grad = None
        b.grad = None

    return step


def numpy_broadcast():
    a, b = BROADCAST_DATA
    g = np.ones(BROADCAST_SHAPE[1], dtype=np.float32)

    def step():
        c = a + b
        _ = c.mean(axis=0)
        # the mean's backward materialises the expanded gradient, as an autograd would
        gc = np.empty_like(c)
        gc[...] = g / c.shape[0]
        ga = gc
        gb = gc.sum(axis=0)
        return ga, gb

    return step


def make_matmul(n):
    def make(torch):
        a = _leaf(torch, MATMUL_DATA[n][0])
        b = _leaf(torch, MATMUL_DATA[n][1])
        g = torch.tensor(MATMUL_DATA[n][2])

        def step():
            (a @ b).backward(g)
            a.grad = None
            b.grad = None

        return step

    return make


def numpy_matmul(n):
    a, b, g = MATMUL_DATA[n]

    def step():
        _ = a @ b
        return g @ b.T, a.T @ g

    return step


def mlp_loss(torch, x, onehot, w1, b1, w2, b2):
    """784-256-10 MLP, relu, softmax cross-entropy from primitives (amax, exp, sum, log).

    The loss is the mean over the batch.
    """
    h = torch.relu(x @ w1 + b1)
    logits = h @ w2 + b2
    # NOTE: shift-invariant, so detaching the max is exact.
    z = logits - logits.amax(dim=1, keepdim=True).detach()
    logp = z - z.exp().sum(dim=1, keepdim=True).log()
    return -(logp * onehot).sum() / x.shape[0]


def make_mlp(torch):
    x_np, onehot_np, params_np = MLP_DATA
    x = torch.tensor(x_np)
    onehot = torch.tensor(onehot_np)
    params = [_leaf(torch, p.copy()) for p in params_np]

    def step():
        loss = mlp_loss(torch, x, onehot, *params)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= MLP_LR * p.grad
                p.grad.zero_()
        return loss

    return step


def numpy_mlp():
    x, onehot, params_np = MLP_DATA
    w1, b1, w2, b2 = [p.copy() for p in params_np]
    batch = x.shape[0]

    def step():
        pre = x @ w1 + b1
        h = np.maximum(pre, 0)
        logits = h @ w2 + b2
        z = logits - logits.max(axis=1, keepdims=True)
        ez = np.exp(z)
        s = ez.sum(axis=1, keepdims=True)
        logp = z - np.log(s)
        loss = -(logp * onehot).sum() / batch
        glogits = (ez / s - onehot) / batch  # softmax - onehot
        gw2 = h.T @ glogits
        gb2 = glogits.sum(axis=0)
        gh = glogits @ w2.T
        gpre = gh * (pre > 0)
        gw1 = x.T @ gpre
        gb1 = gpre.sum(axis=0)
        for p, gp in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
            p -= MLP_LR * gp
        return loss

    return step


def check_mlp(torch, who):
    """One step's loss and W2 gradient against the NumPy reference.

    Checked so that a wrong program is not timed.
    """
    x_np, onehot_np, params_np = MLP_DATA
    params = [_leaf(torch, p.copy()) for p in params_np]
    loss = mlp_loss(torch, torch.tensor(x_np), torch.tensor(onehot_np), *params)
    loss.backward()
    ref_loss = numpy_mlp()()
    if not np.isclose(float(loss.detach()), float(ref_loss), rtol=1e-4):
        raise SystemExit(
            f"bench_kernels: {who} mlp loss {float(loss.detach())} differs from NumPy's {ref_loss}"
        )
    if tuple(params[0].grad.shape) != (MLP_IN, MLP_HIDDEN):
        raise SystemExit(
            f"bench_kernels: {who} mlp W1 gradient has shape {tuple(params[0].grad.shape)}"
        )


# ----------------------------------------------------------------------------------------- ceilings


def _fortran(m):
    """(operand, trans flag) that hands m to Fortran BLAS without a copy.

    The operand is m itself, or its transpose with the trans flag set.
    """
    return (m, 0) if m.flags.f_contiguous else (m.T, 1)


def sgemm_rowmajor(x, y):
    """x @ y for float32 2-D arrays, C-ordered or transposed views, via scipy.linalg.blas.sgemm.

    No copies are made.
    """
    # NOTE: row-major C = A @ B computed as C.T = B.T @ A.T on Fortran views; transposes become
    # BLAS flags.
    a, trans_a = _fortran(y.T)
    b, trans_b = _fortran(x.T)
    return scipy.linalg.blas.sgemm(1.0, a, b, trans_a=trans_a, trans_b=trans_b).T


def sgemm_matmul_step(n):
    """The matmul workload's three GEMMs (A @ B, G @ B.T, A.T @ G) straight through SciPy.

    This is the ceiling.
    """
    a, b, g = MATMUL_DATA[n]
    for x, y in ((a, b), (g, b.T), (a.T, g)):
        assert np.allclose(sgemm_rowmajor(x, y), x @ y, rtol=1e-3, atol=1e-2 * n**0.5)

    def step():
        return sgemm_rowmajor(a, b), sgemm_rowmajor(g, b.T), sgemm_rowmajor(a.T, g)

    return step


def ceilings(timing):
    """This machine's ceilings: copy bandwidth and SGEMM GFLOP/s.

    SGEMM is measured through SciPy (operand swap) and NumPy.
    """
    out = {}
    n = COPY_BYTES // 4
    src = np.ones(n, dtype=np.float32)
    dst = np.empty_like(src)
    t = measure(lambda: np.copyto(dst, src), **timing)
    # NOTE: counts bytes read plus bytes written (STREAM's convention for copy).
    out["memory copy (numpy.copyto, 256 MiB)"] = (2 * src.nbytes / t / 1e9, "GB/s")
    for size in CEILING_SIZES:
        a, b, _ = MATMUL_DATA[size]
        assert np.allclose(sgemm_rowmajor(a, b), a @ b, rtol=1e-3, atol=1e-2 * size**0.5)
        t = measure(lambda a=a, b=b: sgemm_rowmajor(a, b), **timing)
        out[f"SGEMM {size}, scipy.linalg.blas.sgemm, operand swap"] = (
            2 * size**3 / t / 1e9,
            "GFLOP/s",
        )
        t = measure(lambda a=a, b=b: np.matmul(a, b), **timing)
        out[f"SGEMM {size}, numpy.matmul"] = (2 * size**3 / t / 1e9, "GFLOP/s")
    a, b, _ = MATMUL_DATA[1024]
    t = measure(lambda: scipy.linalg.blas.sgemm(1.0, a, b), **timing)
    out["SGEMM 1024, scipy sgemm on C-ordered operands (copies)"] = (
        2 * 1024**3 / t / 1e9,
        "GFLOP/s",
    )
    return out


# --------------------------------------------------------------------------------------------- main


def _prepare_data(quick):
    global ELEMENTWISE_DATA, BROADCAST_DATA, MATMUL_DATA, MLP_DATA
    ELEMENTWISE_DATA = (_randn(ELEMENTWISE_N), _randn(ELEMENTWISE_N))
    BROADCAST_DATA = (_randn(*BROADCAST_SHAPE), _randn(BROADCAST_SHAPE[1]))
    MATMUL_DATA = {n: (_randn(n, n), _randn(n, n), _randn(n, n)) for n in MATMUL_SIZES}
    onehot = np.zeros((MLP_BATCH, MLP_OUT), dtype=np.float32)
    onehot[np.arange(MLP_BATCH), _rng.integers(0, MLP_OUT, MLP_BATCH)] = 1
    params = (
        _randn(MLP_IN, MLP_HIDDEN, scale=MLP_IN**-0.5),
        np.zeros(MLP_HIDDEN, dtype=np.float32),
        _randn(MLP_HIDDEN, MLP_OUT, scale=MLP_HIDDEN**-0.5),
        np.zeros(MLP_OUT, dtype=np.float32),
    )
    MLP_DATA = (_randn(MLP_BATCH, MLP_IN), onehot, params)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    libs = load_libraries(args.builds)
    print_header(
        "bench_kernels: large-tensor kernels against torch and this machine's ceilings", libs
    )
    repeat = args.repeat or (3 if args.quick else 7)
    timing = {
        "repeat": repeat,
        "warmup": 1,
        "min_time": 0.02 if args.quick else 0.1,
        "stat": args.stat,
    }
    # matmul 2048 takes a large fraction of a second per step: one step per repeat, fewer repeats.
    big_timing = {**timing, "repeat": max(3, repeat - 2), "min_time": 0.0}
    _prepare_data(args.quick)

    workloads = [
        (
            "elementwise_large",
            make_elementwise,
            numpy_elementwise,
            "4M float32: ((x * y + x.exp()).sum()).backward()",
        ),
        (
            "broadcast_reduce",
            make_broadcast,
            numpy_broadcast,
            "(512, 1024) + (1024,), mean(dim=0), backward",
        ),
    ]
    for n in MATMUL_SIZES:
        workloads.append(
            (f"matmul {n}", make_matmul(n), lambda n=n: numpy_matmul(n), "float32, fwd + bwd")
        )
    workloads.append(("mlp_step", make_mlp, numpy_mlp, "784-256-10, batch 128, fwd + bwd + SGD"))

    notes = {name: note for name, _, _, note in workloads}
    for lib_name, lib in libs.items():
        with lib.active() as torch:
            check_mlp(torch, lib_name)
    results = {}
    for name, make, make_numpy, _ in workloads:
        # The contenders' step functions, each built with its build's modules active; dropped after
        # timing.
        fns = {"numpy": make_numpy()}
        if name.startswith("matmul"):
            # The SGEMM ceiling runs in the same interleaved rounds, so the load it sees is the
            # contenders'.
            fns["sgemm"] = sgemm_matmul_step(int(name.split()[1]))
        for lib_name, lib in libs.items():
            with lib.active() as torch:
                fns[lib_name] = make(torch)
        results[name] = compare(fns, libs, **(big_timing if name == "matmul 2048" else timing))
        del fns
    ceiling = ceilings({**timing, "repeat": max(3, repeat - 2)})

    print(f"## Results ({args.stat} time per step)")
    print()
    print(results_table(results, libs, extra=notes))
    print()
    print(
        "Ratios above 1× mean the compiled build is faster. "
        "`numpy (ref)`: the same step hand-written in NumPy."
    )
    print()

    print("## matmul throughput (forward + backward = 3 GEMMs, GFLOP/s)")
    print()
    names = list(libs) + ["numpy"]
    header = (
        ["size"]
        + [n if n != "numpy" else "numpy (ref)" for n in names]
        + ["SGEMM ceiling (SciPy, same rounds)"]
    )
    rows = []
    gflops = {}
    ceils = {}
    for n in MATMUL_SIZES:
        res = results[f"matmul {n}"]
        gflops[n] = {lib: 6 * n**3 / res[lib] / 1e9 for lib in names if res.get(lib)}
        ceil = 6 * n**3 / res["sgemm"] / 1e9
        row = [str(n)] + [f"{gflops[n][lib]:.0f}" if lib in gflops[n] else "—" for lib in names]
        row.append(f"{ceil:.0f}")
        ceils[n] = ceil
        rows.append(row)
    print(markdown_table(header, rows))
    print()

    print("## Machine ceilings (same run)")
    print()
    print(
        markdown_table(
            ["measurement", "value"], [[k, f"{v:.1f} {unit}"] for k, (v, unit) in ceiling.items()]
        )
    )
    print()

    if "compiled" in libs and "torch" in libs:
        print("## Targets (issue 3)")
        print()
        for name in ("elementwise_large", "broadcast_reduce", "mlp_step"):
            res = results[name]
            ok = res["compiled"] <= res["torch"]
            print(
                f"- {name}: no slower than torch → torch/compiled "
                f"{fmt_ratio(res['torch'], res['compiled'])} "
                f"({'met' if ok else 'MISSED'})"
            )
        for n in MATMUL_SIZES:
            vs_torch = gflops[n]["compiled"] / gflops[n]["torch"]
            line = f"- matmul {n}: ≥ 0.90× torch → {vs_torch:.2f}×"
            ok = vs_torch >= 0.9
            if n >= 1024:
                frac = gflops[n]["compiled"] / ceils[n]
                line += f"; ≥ 85% of SGEMM ceiling → {frac:.0%}"
                ok = ok and frac >= 0.85
            print(f"{line} ({'met' if ok else 'MISSED'})")
    print()
    print(f"- {load_line()} at end")


if __name__ == "__main__":
    main()
