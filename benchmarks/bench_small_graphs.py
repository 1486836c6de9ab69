"""How much does each op cost on tiny tensors? Compiled build vs pure-Python build vs torch.

Measures per-op bookkeeping. Issue 2's benchmark: (a) the first seed program with both second
derivatives, (b) a chain of 100 ops on 1-element tensors, forward + backward and forward alone, in
µs per op. Run from the repository root:

    python -m pip install . && python benchmarks/bench_small_graphs.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    fmt_time,
    load_libraries,
    load_line,
    parse_args,
    print_header,
    results_table,
)

CHAIN_OPS = 100  # ops per chain; a multiple of the 4-op cycle below

# --------------------------------------------------------------------------------- (a) seed program


def seed_program(torch):
    """Issue 2's first seed program, written the PyTorch way so the same code runs on all three."""
    a = torch.tensor(3.0, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(10.0, dtype=torch.float32, requires_grad=True)
    c = 2 + (a + b**2) / (a + b + a * b)
    dc_da, dc_db = torch.autograd.grad(c, [a, b], create_graph=True)
    # NOTE: torch frees the shared forward graph on the first second-order call unless told to
    # retain it.
    d2c_da2 = torch.autograd.grad(dc_da, [a], retain_graph=True)[0]
    d2c_db2 = torch.autograd.grad(dc_db, [b])[0]
    return c, dc_da, dc_db, d2c_da2, d2c_db2


def seed_program_as_written(torch):
    """The seed exactly as issue 2 writes it (no create_graph).

    mytorch only: torch's grads would be detached.
    """
    a = torch.tensor(3.0, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(10.0, dtype=torch.float32, requires_grad=True)
    c = 2 + (a + b**2) / (a + b + a * b)
    dc_da, dc_db = torch.autograd.grad(c, [a, b])
    d2c_da2 = torch.autograd.grad(dc_da, [a])[0]
    d2c_db2 = torch.autograd.grad(dc_db, [b])[0]
    return c, dc_da, dc_db, d2c_da2, d2c_db2


def seed_numpy():
    """The same five values from hand-derived formulas on float32 NumPy scalars.

    This is the floor for this program.

    c = 2 + N/D with N = a + b², D = a + b + ab. Then dc/da = f/D² with f = D - N(1 + b), and since
    df/da = 0, d²c/da² = -2f(1 + b)/D³; dc/db = g/D² with g = 2bD - N(1 + a), dg/db = 2D,
    d²c/db² = 2(D² - g(1 + a))/D³.
    """
    a = np.float32(3.0)
    b = np.float32(10.0)
    n = a + b * b
    d = a + b + a * b
    d2 = d * d
    f = d - n * (1 + b)
    g = 2 * b * d - n * (1 + a)
    return 2 + n / d, f / d2, g / d2, -2 * f * (1 + b) / (d2 * d), 2 * (d2 - g * (1 + a)) / (d2 * d)


SEED_EXPECTED = (4.395349, -0.5895078, 0.2422931, 0.3016086, 0.001433837)


def check_seed(values, who):
    got = tuple(float(v.detach() if hasattr(v, "detach") else v) for v in values)
    if not np.allclose(got, SEED_EXPECTED, rtol=1e-4, atol=0):
        raise SystemExit(f"bench_small_graphs: {who} computes the seed program wrong: {got}")


# ------------------------------------------------------------------------------------- (b) op chain


def chain_forward(torch, x, w):
    """CHAIN_OPS ops cycling through: mul by a Python scalar, add a tensor, sin, mul by a tensor."""
    for _ in range(CHAIN_OPS // 4):
        x = x * 0.5
        x = x + w
        x = torch.sin(x)
        x = x * w
    return x


def make_chain(torch, shape, backward):
    x = torch.full(shape, 0.3, dtype=torch.float32, requires_grad=True)
    w = torch.full(shape, 0.7, dtype=torch.float32, requires_grad=True)
    # (1,)-shaped outputs are not scalars: backward needs an explicit gradient, as in torch.
    grad = None if shape == () else torch.ones(shape, dtype=torch.float32)

    def run():
        y = chain_forward(torch, x, w)
        if backward:
            y.backward(grad)
            x.grad = None
            w.grad = None
        return y

    return run, x, w


def chain_numpy(shape, backward):
    """Hand-written NumPy forward and reverse pass of the same chain.

    The forward saves what the backward needs.
    """
    x0 = np.full(shape, 0.3, dtype=np.float32)
    w = np.full(shape, 0.7, dtype=np.float32)
    one = np.ones(shape, dtype=np.float32)
    cycles = CHAIN_OPS // 4

    def run():
        saved = []
        x = x0
        for _ in range(cycles):
            x = x * 0.5
            x = x + w
            s = x
            x = np.sin(x)
            saved.append((s, x))
            x = x * w
        if not backward:
            return x
        g = one
        gw = np.zeros_like(w)
        for s, t in reversed(saved):
            gw = gw + g * t  # x * w
            g = g * w
            g = g * np.cos(s)  # sin
            gw = gw + g  # + w
            g = g * 0.5  # * 0.5
        return g, gw

    return run


def chain_reference_grads(shape):
    run = chain_numpy(shape, backward=True)
    return run()


def check_chain(torch, shape, who):
    run, x, w = make_chain(torch, shape, backward=False)
    y = run()
    y.backward(None if shape == () else torch.ones(shape, dtype=torch.float32))
    gx, gw = chain_reference_grads(shape)
    got = (float(x.grad.sum()), float(w.grad.sum()))
    if not np.allclose(got, (float(gx.sum()), float(gw.sum())), rtol=1e-4):
        raise SystemExit(f"bench_small_graphs: {who} chain gradients {got} differ from NumPy's")
    if tuple(y.shape) != shape:
        raise SystemExit(
            f"bench_small_graphs: {who} chain output has shape {tuple(y.shape)}, expected {shape}"
        )


# --------------------------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    libs = load_libraries(args.builds)
    print_header("bench_small_graphs: per-op overhead on tiny tensors", libs)
    repeat = args.repeat or (3 if args.quick else 9)
    min_time = 0.01 if args.quick else 0.05
    timing = {"repeat": repeat, "warmup": 3, "min_time": min_time, "stat": args.stat}

    chains = [
        ("chain 0-d, fwd+bwd", (), True),
        ("chain 0-d, fwd only", (), False),
        ("chain (1,), fwd+bwd", (1,), True),
        ("chain (1,), fwd only", (1,), False),
    ]
    a_name, a_written = (
        "(a) seed program, 2nd derivatives",
        "(a') seed as written (mytorch default)",
    )

    # Each workload's contenders: {name: step function}, built (and checked) with the build's
    # modules active.
    check_seed(seed_numpy(), "NumPy")
    workloads = {a_name: {"numpy": seed_numpy}, a_written: {}}
    for label, shape, backward in chains:
        workloads[f"(b) {label}"] = {"numpy": chain_numpy(shape, backward)}
    for name, lib in libs.items():
        with lib.active() as torch:
            check_seed(seed_program(torch), name)
            workloads[a_name][name] = lambda torch=torch: seed_program(torch)
            if name != "torch":
                check_seed(seed_program_as_written(torch), name)
                workloads[a_written][name] = lambda torch=torch: seed_program_as_written(torch)
            for label, shape, backward in chains:
                check_chain(torch, shape, name)
                workloads[f"(b) {label}"][name] = make_chain(torch, shape, backward)[0]

    program = {}  # (a): seconds per full program
    per_op = {}  # (b): seconds per op
    for workload, fns in workloads.items():
        times = compare(fns, libs, **timing)
        if workload.startswith("(b)"):
            per_op[workload] = {name: t / CHAIN_OPS for name, t in times.items()}
        else:
            program[workload] = times

    notes = {
        a_name: "time per program: forward, 2 first and 2 second derivatives",
        a_written: "grad() without create_graph; torch cannot run it",
    }
    for label, _, _ in chains:
        notes[f"(b) {label}"] = f"per op, chain of {CHAIN_OPS} ops"
    print(f"## Results ({args.stat})")
    print()
    print(results_table({**program, **per_op}, libs, extra=notes))
    print()
    print(
        "Ratios above 1× mean the compiled build is faster. "
        "(b) cycles through `x * 0.5`, `x + w`, `sin(x)`, `x * w` on float32 tensors; "
        "`numpy (ref)` is a hand-written forward and reverse pass."
    )
    print()
    if "compiled" in libs and "torch" in libs:
        for workload, target in ((a_name, 3.0), ("(b) chain 0-d, fwd+bwd", 3.0)):
            res = {**program, **per_op}[workload]
            ratio = res["torch"] / res["compiled"]
            verdict = "met" if ratio >= target else "MISSED"
            print(
                f"- target {workload}: ≥ {target:g}× faster than torch → {ratio:.2f}× ({verdict})"
            )
    if "pure" in libs:
        # The original 450-line project: about 33 µs per op and 710 µs for (a) (issue 2).
        print(
            f"- pure build vs the original project (≤ 33 µs per op, ≤ 710 µs for (a)): "
            f"{fmt_time(per_op['(b) chain 0-d, fwd+bwd']['pure'])} per op, "
            f"{fmt_time(program[a_name]['pure'])} for (a)"
        )
    print(f"- {load_line()} at end")


if __name__ == "__main__":
    main()
