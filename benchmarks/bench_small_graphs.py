"""How much does each op cost on tiny tensors? Compiled build vs pure-Python build vs torch.

Measures per-op and per-call bookkeeping. Issue 2's benchmark: (a) the first seed program with both
second derivatives, (b) a chain of 100 ops on 1-element tensors, forward + backward and forward
alone, in µs per op. Issue 9 adds (c) the fixed cost of one backward() (and one autograd.grad())
call, (d) a micrograd-style MLP step on 0-d tensors and (e) a 64 x 64 Hessian by grad-of-grad.
`--orig DIR` times the original project (DIR/mytorch/) as a fourth contender. `--anomaly` times,
instead, (a), (b), (c) and (d) with anomaly detection off and on (issue 18: at most 2× when on),
every contender's two runs interleaved. Run from the repository root:

    python -m pip install . && python benchmarks/bench_small_graphs.py [--orig DIR] [--anomaly]
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    fmt_ratio,
    fmt_time,
    load_libraries,
    load_line,
    markdown_table,
    parse_args,
    pin_threads,
    print_header,
    ratio_legend,
    results_table,
    target_line,
)

CHAIN_OPS = 100  # ops per chain; a multiple of the 4-op cycle below
MLP_SIZES = (3, 4, 4, 1)  # (d): inputs, two tanh layers, one linear output
MLP_XS = ((2.0, 3.0, -1.0), (3.0, -1.0, 0.5), (0.5, 1.0, 1.0), (1.0, 1.0, -1.0))
MLP_YS = (1.0, -1.0, -1.0, 1.0)
MLP_LR = 0.05
HESSIAN_N = 64  # (e): x has this many elements, the Hessian as many rows

# --------------------------------------------------------------------------------- (a) seed program


def seed_program(torch):
    """Issue 2's first seed program, written the PyTorch way so the same code runs on all three."""
    a = torch.tensor(3.0, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(10.0, dtype=torch.float32, requires_grad=True)
    c = 2 + (a + b**2) / (a + b + a * b)
    dc_da, dc_db = torch.autograd.grad(c, [a, b], create_graph=True)
    # NOTE: torch frees the shared forward graph on the first second-order call unless told to
    # retain it. create_graph=False is torch's default, spelled out so that mytorch (whose
    # default builds a graph whenever grad mode is on) does the same work; (a') times its default.
    d2c_da2 = torch.autograd.grad(dc_da, [a], retain_graph=True, create_graph=False)[0]
    d2c_db2 = torch.autograd.grad(dc_db, [b], create_graph=False)[0]
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


# ------------------------------------------------------------------ (c) fixed cost of one backward


def make_backward_call(torch, use_grad):
    """The smallest graph, y = x * 2 on a 0-d leaf, built once; each call runs one backward over it.

    With `use_grad`, the call is ``autograd.grad(y, [x], retain_graph=True, create_graph=False)``
    (torch's default spelled out, so mytorch records no graph either) instead of
    ``y.backward(retain_graph=True)`` followed by ``x.grad = None``. What is timed is the engine's
    fixed cost: starting a backward pass, one node, one accumulation into the leaf.
    """
    x = torch.tensor(0.5, dtype=torch.float32, requires_grad=True)
    y = x * 2

    if use_grad:

        def run():
            return torch.autograd.grad(y, [x], retain_graph=True, create_graph=False)

    else:

        def run():
            y.backward(retain_graph=True)
            x.grad = None

    return run, x, y


def backward_call_numpy():
    """The bare work of that backward: the upstream gradient times 2, added to a zero."""
    one = np.float32(1.0)
    two = np.float32(2.0)
    zero = np.float32(0.0)

    def run():
        return zero + one * two

    return run


def check_backward_call(torch, use_grad, who):
    run, x, y = make_backward_call(torch, use_grad)
    # Twice: the second call must find the retained graph, and (backward) a reset accumulator.
    for _ in range(2):
        if use_grad:
            got = float(run()[0].detach())
        else:
            y.backward(retain_graph=True)  # the timed call, with x.grad read before its reset
            got = float(x.grad.detach())
            x.grad = None
        if got != 2.0:
            raise SystemExit(f"bench_small_graphs: {who} backward of x * 2 gives {got}, not 2")


# --------------------------------------------------------------------------- (d) scalar MLP step


def scalar_mlp_init():
    """Initial parameters as Python floats: per layer, per neuron, [w_0, ..., w_(n_in-1), bias]."""
    rng = np.random.default_rng(1)
    return [
        [[float(v) for v in rng.uniform(-1.0, 1.0, n_in + 1)] for _ in range(n_out)]
        for n_in, n_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:])
    ]


def scalar_mlp_loss(torch, layers, xs, ys):
    """micrograd's MLP on 0-d tensors: each neuron is sum(w_i * x_i) + b, tanh on hidden layers.

    The loss is the squared error summed over the samples.
    """
    last = len(layers) - 1

    def forward(x):
        for k, layer in enumerate(layers):
            out = []
            for ws, b in layer:
                act = sum((w * xi for w, xi in zip(ws, x)), b)
                out.append(act if k == last else torch.tanh(act))
            x = out
        return x[0]

    return sum((forward(x) - y) ** 2 for x, y in zip(xs, ys))


def make_scalar_mlp(torch):
    """(step, loss_and_backward, sgd, params): one training step, also in its two halves."""
    f64 = torch.float64
    layers = [
        [([torch.tensor(w, dtype=f64, requires_grad=True) for w in neuron[:-1]],
          torch.tensor(neuron[-1], dtype=f64, requires_grad=True)) for neuron in layer]
        for layer in scalar_mlp_init()
    ]  # fmt: skip
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    xs = [[torch.tensor(v, dtype=f64) for v in x] for x in MLP_XS]
    ys = [torch.tensor(v, dtype=f64) for v in MLP_YS]

    def loss_and_backward():
        loss = scalar_mlp_loss(torch, layers, xs, ys)
        loss.backward()
        return loss

    def sgd():
        with torch.no_grad():
            for p in params:
                p -= MLP_LR * p.grad
        for p in params:
            p.grad = None

    def step():
        loss = loss_and_backward()
        sgd()
        return loss

    return step, loss_and_backward, sgd, params


def _python_forward(layers, x):
    """The MLP on Python floats: every layer's input and, last, the output list."""
    last = len(layers) - 1
    acts = [x]  # acts[k] is layer k's input
    for k, layer in enumerate(layers):
        out = []
        for neuron in layer:
            act = neuron[-1] + sum(w * xi for w, xi in zip(neuron, acts[k]))
            out.append(act if k == last else math.tanh(act))
        acts.append(out)
    return acts


def _python_loss(layers):
    return sum((_python_forward(layers, x)[-1][0] - y) ** 2 for x, y in zip(MLP_XS, MLP_YS))


def _python_loss_and_grads(layers):
    """The loss and its gradient, by a hand-written reverse pass per sample."""
    last = len(layers) - 1
    grads = [[[0.0] * len(neuron) for neuron in layer] for layer in layers]
    loss = 0.0
    for x, y in zip(MLP_XS, MLP_YS):
        acts = _python_forward(layers, x)
        pred = acts[-1][0]
        loss += (pred - y) ** 2
        g_out = [2.0 * (pred - y)]
        for k in range(last, -1, -1):
            g_in = [0.0] * len(acts[k])
            for j, neuron in enumerate(layers[k]):
                # d tanh(a) / da = 1 - tanh(a)²
                g_act = g_out[j] if k == last else g_out[j] * (1.0 - acts[k + 1][j] ** 2)
                g_neuron = grads[k][j]
                for i, xi in enumerate(acts[k]):
                    g_neuron[i] += g_act * xi
                    g_in[i] += g_act * neuron[i]
                g_neuron[-1] += g_act
            g_out = g_in
    return loss, grads


def scalar_mlp_python():
    """(step, layers): the same training step by hand on Python floats, forward then reverse.

    `layers` is the nested list of scalar_mlp_init(), updated in place by each step; the step
    returns the loss and the gradients, in the same nesting.
    """
    layers = scalar_mlp_init()

    def step():
        loss, grads = _python_loss_and_grads(layers)
        for layer, g_layer in zip(layers, grads):
            for neuron, g_neuron in zip(layer, g_layer):
                for i, g in enumerate(g_neuron):
                    neuron[i] -= MLP_LR * g
        return loss, grads

    return step, layers


def check_scalar_mlp_reference():
    """The hand-written reverse pass against central differences of the Python-float loss."""
    layers = scalar_mlp_init()
    _, grads = _python_loss_and_grads(layers)
    h = 1e-6
    for layer, g_layer in zip(layers, grads):
        for neuron, g_neuron in zip(layer, g_layer):
            for i, g in enumerate(g_neuron):
                v = neuron[i]
                neuron[i] = v + h
                up = _python_loss(layers)
                neuron[i] = v - h
                down = _python_loss(layers)
                neuron[i] = v
                if not math.isclose((up - down) / (2 * h), g, rel_tol=1e-5, abs_tol=1e-7):
                    raise SystemExit("bench_small_graphs: the Python-float MLP gradient is wrong")


def check_scalar_mlp(torch, who):
    """One step's loss, every gradient and every updated parameter against the Python floats."""
    _, loss_and_backward, sgd, params = make_scalar_mlp(torch)
    ref_step, ref_layers = scalar_mlp_python()
    ref_loss, ref_grads = ref_step()
    flat = [v for layer in ref_layers for neuron in layer for v in neuron]
    flat_grads = [g for layer in ref_grads for neuron in layer for g in neuron]
    loss = float(loss_and_backward().detach())
    grads = [float(p.grad.detach()) for p in params]
    sgd()
    values = [float(p.detach()) for p in params]
    for what, got, ref in (
        ("loss", [loss], [ref_loss]),
        ("gradients", grads, flat_grads),
        ("updated parameters", values, flat),
    ):
        # NOTE: loose for float64 (float32 rounding passes) so that a contender whose scalar path
        # rounds through float32 somewhere still counts; a wrong derivative is off by far more.
        if not np.allclose(got, ref, rtol=1e-5, atol=1e-6):
            raise SystemExit(f"bench_small_graphs: {who} scalar MLP {what} differ from Python's")


# ------------------------------------------------------------------- (e) Hessian by grad-of-grad


def hessian_data():
    """x (64,) and A (64, 64), float64, scaled so f's terms stay of order one."""
    rng = np.random.default_rng(2)
    return rng.standard_normal(HESSIAN_N) * 0.5, rng.standard_normal((HESSIAN_N, HESSIAN_N)) / 8


def hessian_rows(torch, x, a):
    """The Hessian of f(x) = sum(sin(x) * (A @ x)), row by row: one grad() of g[i] per row.

    The rows pass create_graph=False (torch's default, mytorch's when asked), so both libraries
    return plain rows rather than differentiable ones.
    """
    f = (torch.sin(x) * (a @ x)).sum()
    (g,) = torch.autograd.grad(f, [x], create_graph=True)
    return [
        torch.autograd.grad(g[i], [x], retain_graph=True, create_graph=False)[0]
        for i in range(HESSIAN_N)
    ]


def make_hessian(torch):
    x_np, a_np = hessian_data()
    x = torch.tensor(x_np, requires_grad=True)
    a = torch.tensor(a_np)
    return lambda: hessian_rows(torch, x, a)


def hessian_analytic(x, a):
    """H = diag(-sin(x) * (A x)) + cos(x)[:, None] * A + (cos(x)[:, None] * A).T.

    From df/dx_m = cos(x_m) (Ax)_m + sum_k sin(x_k) A_km, differentiated once more in x_n.
    """
    ca = np.cos(x)[:, None] * a
    return ca + ca.T - np.diag(np.sin(x) * (a @ x))


def hessian_numpy():
    """By hand, with the same structure: f and its gradient, then one analytic row per i."""
    x, a = hessian_data()

    def run():
        s, c = np.sin(x), np.cos(x)
        ax = a @ x
        _ = s @ ax  # f
        _ = c * ax + a.T @ s  # g = df/dx
        rows = []
        for i in range(HESSIAN_N):
            row = c * a[:, i]
            row += c[i] * a[i]
            row[i] -= s[i] * ax[i]
            rows.append(row)
        return rows

    return run


def check_hessian(torch, who):
    x_np, a_np = hessian_data()
    rows = make_hessian(torch)()
    got = np.stack([np.asarray(r.detach(), dtype=np.float64) for r in rows])
    if not np.allclose(got, hessian_analytic(x_np, a_np), rtol=1e-6, atol=1e-8):
        raise SystemExit(f"bench_small_graphs: {who} Hessian differs from the analytic one")


# --------------------------------------------------------------------------------------------- main

SEED, SEED_WRITTEN = "(a) seed program, 2nd derivatives", "(a') seed as written (mytorch default)"
CHAINS = (
    ("chain 0-d, fwd+bwd", (), True),
    ("chain 0-d, fwd only", (), False),
    ("chain (1,), fwd+bwd", (1,), True),
    ("chain (1,), fwd only", (1,), False),
)
BACKWARD, GRAD = "(c) backward() fixed cost", "(c') autograd.grad() fixed cost"
SCALAR_MLP, HESSIAN = "(d) scalar MLP step", f"(e) Hessian {HESSIAN_N}, grad of grad"
NOTES = {
    SEED: "time per program: forward, 2 first and 2 second derivatives",
    SEED_WRITTEN: "grad() without create_graph; torch cannot run it",
    **{f"(b) {label}": f"per op, chain of {CHAIN_OPS} ops" for label, _, _ in CHAINS},
    BACKWARD: "per call: y.backward(retain_graph=True); x.grad = None, y = x * 2 (0-d)",
    GRAD: "per call: autograd.grad(y, [x], retain_graph=True, create_graph=False), y = x * 2",
    SCALAR_MLP: "per step: 3-4-4-1 tanh MLP, 41 0-d params, 4 samples, fwd + bwd + SGD",
    HESSIAN: f"per Hessian: f, grad(create_graph=True), {HESSIAN_N} row grads; float64",
}
# Issue 9's targets: compiled time / torch time at most this.
TARGETS = (
    ("(b) chain 0-d, fwd+bwd", 0.20),
    (SEED, 0.15),
    (BACKWARD, 0.20),
    (SCALAR_MLP, 0.30),
    (HESSIAN, 0.6),
)


def contenders_for(name, torch):
    """{workload: (check, make step)} for one contender; each check raises SystemExit if wrong."""
    out = {
        SEED: (lambda: check_seed(seed_program(torch), name), lambda: lambda: seed_program(torch)),
    }
    if name != "torch":
        out[SEED_WRITTEN] = (
            lambda: check_seed(seed_program_as_written(torch), name),
            lambda: lambda: seed_program_as_written(torch),
        )
    for label, shape, backward in CHAINS:
        out[f"(b) {label}"] = (
            lambda shape=shape: check_chain(torch, shape, name),
            lambda shape=shape, backward=backward: make_chain(torch, shape, backward)[0],
        )
    for workload, use_grad in ((BACKWARD, False), (GRAD, True)):
        out[workload] = (
            lambda use_grad=use_grad: check_backward_call(torch, use_grad, name),
            lambda use_grad=use_grad: make_backward_call(torch, use_grad)[0],
        )
    out[SCALAR_MLP] = (lambda: check_scalar_mlp(torch, name), lambda: make_scalar_mlp(torch)[0])
    out[HESSIAN] = (lambda: check_hessian(torch, name), lambda: make_hessian(torch))
    return out


def _reason(exc):
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SystemExit) else str(exc)
    text = text.removeprefix("bench_small_graphs: ").splitlines()[0] if text else type(exc).__name__
    return text if len(text) <= 90 else text[:87] + "..."


def print_targets(results, libs):
    """Issue 9's targets, each with its NumPy floor; then the pure build against the original."""
    if "compiled" in libs and "torch" in libs:
        print("## Targets (issue 9: compiled time / torch time)")
        print()
        for workload, target in TARGETS:
            res = results[workload]
            floor = res["numpy"]
            held = f"{res['compiled'] / floor:.1f}× the NumPy-by-hand floor ({fmt_time(floor)})"
            print(target_line(workload, res["compiled"] / res["torch"], target, held))
        print()
    chain = results["(b) chain 0-d, fwd+bwd"]
    if "pure" in libs:
        print(
            "- pure build vs the original project (issue 2's figures for it: 33 µs per op, "
            f"710 µs for (a)): {fmt_time(chain['pure'])} per op, "
            f"{fmt_time(results[SEED]['pure'])} for (a)"
        )
    if "orig" in libs:
        print(
            f"- orig, measured in this run: {fmt_time(chain.get('orig'))} per op, "
            f"{fmt_time(results[SEED].get('orig'))} for (a)"
        )


# --anomaly: these workloads with anomaly detection off and on.
ANOMALY_ROWS = (SEED, "(b) chain 0-d, fwd+bwd", BACKWARD, SCALAR_MLP)


def _in_mode(torch, make, on):
    """A step made and run with anomaly detection on or off (made on, its nodes record where
    they were made). The first call of a timed run switches the mode (and leaves it so); later
    calls test it, so the mode's switch costs no call its own time."""
    is_on, switch = torch.is_anomaly_enabled, torch.set_anomaly_enabled
    with torch.autograd.set_detect_anomaly(on):
        step = make()

    def run():
        if is_on() is not on:
            switch(on)
        return step()

    return run


def anomaly_table(libs, timing):
    """Each ANOMALY_ROWS workload per contender, anomaly detection off, on, and on/off."""
    fns = {w: {} for w in ANOMALY_ROWS}
    lib_of = {}
    for name, lib in libs.items():
        with lib.active() as torch:
            contenders = contenders_for(name, torch)
            for workload in ANOMALY_ROWS:
                check, make = contenders[workload]
                check()
                with torch.autograd.set_detect_anomaly(True):
                    check()  # the same values with it on
                fns[workload][name] = _in_mode(torch, make, False)
                fns[workload][name + " on"] = _in_mode(torch, make, True)
                lib_of[name + " on"] = name
    header = ["workload"]
    for name in libs:
        header += [f"{name} off", f"{name} on", f"{name} on/off"]
    rows = []
    for workload in ANOMALY_ROWS:
        times = compare(fns[workload], libs, lib_of=lib_of, **timing)
        if workload.startswith("(b)"):
            times = {name: t / CHAIN_OPS for name, t in times.items()}
        row = [workload]
        for name in libs:
            off, on = times[name], times[name + " on"]
            row += [fmt_time(off), fmt_time(on), fmt_ratio(on, off)]
        rows.append(row)
    for name, lib in libs.items():
        with lib.active() as torch:
            torch.set_anomaly_enabled(False)
    return markdown_table(header, rows)


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, orig=True, anomaly=True)
    libs = load_libraries(args.builds, orig=args.orig)
    pin_threads(libs, args.threads)
    print_header("bench_small_graphs: per-op and per-call overhead on tiny tensors", libs)
    repeat = args.repeat or (3 if args.quick else 9)
    min_time = 0.01 if args.quick else 0.05
    timing = {"repeat": repeat, "warmup": 3, "min_time": min_time, "stat": args.stat}
    if args.anomaly:
        print(f"## Anomaly detection off and on ({args.stat})")
        print()
        print(anomaly_table({n: lib for n, lib in libs.items() if n != "orig"}, timing))
        print()
        print(f"- {load_line()} at end")
        return

    # Each workload's contenders: {name: step function}, built (and checked) with the build's
    # modules active. The original project may lack an op or give a wrong value: its cell then
    # reads "—" and the reason is printed below the table; any other contender stops the run.
    check_seed(seed_numpy(), "NumPy")
    check_scalar_mlp_reference()
    if not np.allclose(np.stack(hessian_numpy()()), hessian_analytic(*hessian_data()), rtol=1e-12):
        raise SystemExit("bench_small_graphs: the NumPy Hessian rows differ from the analytic H")
    workloads = {
        SEED: {"numpy": seed_numpy},
        SEED_WRITTEN: {},
        **{f"(b) {label}": {"numpy": chain_numpy(shape, bw)} for label, shape, bw in CHAINS},
        BACKWARD: {"numpy": backward_call_numpy()},
        GRAD: {"numpy": backward_call_numpy()},
        SCALAR_MLP: {"numpy": scalar_mlp_python()[0]},
        HESSIAN: {"numpy": hessian_numpy()},
    }
    failed = {}  # workload -> reason, for "orig"
    for name, lib in libs.items():
        with lib.active() as torch:
            for workload, (check, make) in contenders_for(name, torch).items():
                try:
                    check()
                    workloads[workload][name] = make()
                except (Exception, SystemExit) as exc:
                    if name != "orig":
                        raise
                    failed[workload] = _reason(exc)

    results = {}
    for workload, fns in workloads.items():
        try:
            times = compare(fns, libs, **timing)
        except Exception as exc:
            if "orig" not in fns:
                raise
            failed[workload] = "while timed: " + _reason(exc)
            times = compare({k: f for k, f in fns.items() if k != "orig"}, libs, **timing)
        if workload.startswith("(b)"):
            times = {name: t / CHAIN_OPS for name, t in times.items()}
        results[workload] = times

    print(f"## Results ({args.stat})")
    print()
    print(results_table(results, libs, extra=NOTES))
    print()
    print(ratio_legend(list(libs) + ["numpy"]))
    print()
    print(
        "(b) cycles through `x * 0.5`, `x + w`, `sin(x)`, `x * w` on float32 tensors. "
        "(e): f(x) = `(sin(x) * (A @ x)).sum()`, x (64,), A (64, 64). "
        "`numpy (ref)` is the same work by hand: NumPy forward and reverse passes for (a), (b) "
        "and (e) (whose rows are the analytic ones), one NumPy multiply and add for (c), Python "
        "floats for (d)."
    )
    if failed:
        print()
        for workload, reason in failed.items():
            print(f"- orig, {workload}: — ({reason})")
    print()
    print_targets(results, libs)
    print(f"- {load_line()} at end")


if __name__ == "__main__":
    main()
