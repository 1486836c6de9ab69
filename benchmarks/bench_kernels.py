"""Are large-tensor kernels as fast as torch? Compiled vs pure-Python build vs torch vs ceilings.

Issue 3's benchmark: elementwise_large, broadcast_reduce, matmul (256-2048, forward + backward,
GFLOP/s) and mlp_step, plus this machine's memory-copy bandwidth and SGEMM ceilings measured in the
same run. Issue 9 adds forward-only rows, `(x * y + x * x).sum()` and a memory-bound broadcast
`((a + b) * col).sum(dim)`, and holds every row against a ceiling (GB/s against the copy bandwidth,
GFLOP/s against SGEMM). Run from the repository root:

    python -m pip install . && python benchmarks/bench_kernels.py
"""

import os
import sys

import numpy as np
import scipy.linalg.blas

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    load_libraries,
    load_line,
    markdown_table,
    measure,
    parse_args,
    pin_threads,
    print_header,
    ratio_legend,
    results_table,
    target_line,
)

ELEMENTWISE_N = 4 * 1024 * 1024
BROADCAST_SHAPE = (512, 1024)  # issue 3's broadcast_reduce
WIDE = 2048  # issue 9's broadcast: a (WIDE, WIDE), b (WIDE,), col (WIDE, 1): 16 MiB a, memory-bound
MATMUL_SIZES = (256, 512, 1024, 2048)
CEILING_SIZES = (1024, 2048)
MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_OUT = 128, 784, 256, 10
MLP_LR = 0.01
COPY_BYTES = 256 * 1024 * 1024
# The fused backward kernels are held against the copy bandwidth on arrays too big for any cache
# (64 MiB each, as the copy's 256 MiB).
FUSED_N = 16 * 1024 * 1024
FUSED_KERNELS = {
    "sigmoid_backward": lambda g, y: g * y * (1 - y),
    "tanh_backward": lambda g, y: g * (1 - y * y),
    "relu_backward": lambda g, y: g * (y > 0),
}
FUSED_TARGET = 0.80
CUMSUM_N = 16 * 1024 * 1024  # issue 15's cumsum row: 64 MiB of float32
# The convolution row: F.conv2d on (N, C, H, W) float32 with COUT 3 x 3 filters, padding 1.
CONV_SHAPE, CONV_OUT, CONV_K = (16, 64, 32, 32), 64, 3

# Inputs are drawn once with NumPy and handed to every library, so all three compute on the same
# numbers.
_rng = np.random.default_rng(0)


def _randn(*shape, scale=1.0):
    return (_rng.standard_normal(shape) * scale).astype(np.float32)


# Issue 15's linear algebra rows: a batched einsum and a batch of small solves (forward only).
EINSUM_SHAPE = (64, 128, 128)
SOLVE_BATCH, SOLVE_N = 256, 64


# ---------------------------------------------------------------------------------------- workloads
# Each make_* takes the library as `torch` and returns a zero-argument step function; the same code
# runs on mytorch (either build) and torch. Gradients are reset to None after each backward so no
# step accumulates into the last.


def _leaf(torch, array):
    return torch.tensor(array, requires_grad=True)


def make_graph(fn, data, grad_out, backward):
    """make(torch) -> step: fn(*leaves), then, if `backward`, out.backward(grad_out).

    The leaves are `data` as requires_grad tensors. Forward-only steps run the same code without
    the backward: the graph is recorded, as a user's forward would record it, then dropped.
    """

    def make(torch):
        leaves = [_leaf(torch, a) for a in data]
        g = None if grad_out is None else torch.tensor(grad_out)
        if not backward:
            return lambda: fn(*leaves)

        def step():
            fn(*leaves).backward(g)
            for leaf in leaves:
                leaf.grad = None

        return step

    return make


def check_graph(torch, fn, data, grad_out, reference, who, name):
    """fn's result and every leaf's gradient against the NumPy step `reference` (out, grads)."""
    leaves = [_leaf(torch, a) for a in data]
    out = fn(*leaves)
    out.backward(None if grad_out is None else torch.tensor(grad_out))
    ref_out, ref_grads = reference()
    got = [out] + [leaf.grad for leaf in leaves]
    for k, (t, ref) in enumerate(zip(got, [ref_out, *ref_grads])):
        value = np.asarray(t.detach(), dtype=np.float64)
        ref = np.asarray(ref, dtype=np.float64)
        # float32 sums over millions of terms differ in summation order: relative to the largest.
        if value.shape != ref.shape or not np.allclose(
            value, ref, rtol=1e-3, atol=1e-4 * max(1.0, float(np.abs(ref).max()))
        ):
            what = "result" if k == 0 else f"gradient of leaf {k - 1}"
            raise SystemExit(f"bench_kernels: {who} {name}: {what} differs from NumPy's")


def elementwise_fn(x, y):
    return (x * y + x.exp()).sum()


def numpy_elementwise(backward):
    x, y = ELEMENTWISE_DATA

    def step():
        e = np.exp(x)
        out = (x * y + e).sum()
        if not backward:
            return out
        # d/dx (x*y + exp(x)) with an upstream gradient of ones
        return out, (y + e, x.copy())

    return step


def cumsum_fn(x):
    return x.cumsum(0)


def numpy_cumsum(backward):
    (x,) = CUMSUM_DATA

    def step():
        out = np.cumsum(x)
        if not backward:
            return out
        # the upstream gradient is ones: the reversed running sum of ones
        return out, (np.arange(x.size, 0, -1, dtype=np.float32),)

    return step


def conv_fn(x, w, b):
    # NOTE: a workload gets only tensors: nn.functional is the one of the library that made x
    # (the harness keeps the active build's modules in sys.modules).
    functional = sys.modules[type(x).__module__.split(".")[0]].nn.functional
    return functional.conv2d(x, w, b, padding=CONV_K // 2)


def numpy_conv(backward):
    """conv2d by im2col in NumPy: the columns (C * 9, N * H * W), one GEMM each way."""
    x, w, b = CONV_DATA
    g = CONV_GRAD
    nb, c, h, wd = x.shape
    cout, k = w.shape[0], CONV_K
    p = k // 2
    w2 = w.reshape(cout, -1)

    def step():
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        s = xp.strides
        win = np.lib.stride_tricks.as_strided(
            xp, (c, k, k, nb, h, wd), (s[1], s[2], s[3], s[0], s[2], s[3])
        )
        cols = win.reshape(c * k * k, nb * h * wd)
        out = (w2 @ cols).reshape(cout, nb, h, wd).transpose(1, 0, 2, 3) + b[:, None, None]
        if not backward:
            return out
        g2 = g.transpose(1, 0, 2, 3).reshape(cout, -1)
        gw = (g2 @ cols.T).reshape(w.shape)
        gcols = (w2.T @ g2).reshape(c, k, k, nb, h, wd)
        gxp = np.zeros_like(xp)
        for i in range(k):
            for j in range(k):
                gxp[:, :, i : i + h, j : j + wd] += gcols[:, i, j].transpose(1, 0, 2, 3)
        return out, (gxp[:, :, p:-p, p:-p], gw, g.sum(axis=(0, 2, 3)))

    return step


def products_fn(x, y):
    return (x * y + x * x).sum()


def numpy_products(backward):
    x, y = ELEMENTWISE_DATA

    def step():
        out = (x * y + x * x).sum()
        if not backward:
            return out
        gx = x + x  # d/dx (x*y + x*x) = y + 2x
        gx += y
        return out, (gx, x.copy())

    return step


def broadcast_reduce_fn(a, b):
    return (a + b).mean(dim=0)


def numpy_broadcast_reduce():
    a, b = BROADCAST_DATA
    g = BROADCAST_GRAD

    def step():
        c = a + b
        out = c.mean(axis=0)
        # the mean's backward materialises the expanded gradient, as an autograd would
        gc = np.empty_like(c)
        gc[...] = g / c.shape[0]
        return out, (gc, gc.sum(axis=0))

    return step


def broadcast_sum_fn(dim):
    def fn(a, b, col):
        return ((a + b) * col).sum(dim=dim)

    return fn


def numpy_broadcast_sum(dim, backward):
    """((a + b) * col).sum(dim), and by hand its gradients for an upstream gradient g."""
    a, b, col = WIDE_DATA
    g = WIDE_GRAD

    def step():
        c = a + b
        out = (c * col).sum(axis=dim)
        if not backward:
            return out
        if dim == 0:  # g (N,): d/da = col * g, d/dcol = c @ g
            ga = col * g
            gcol = (c @ g)[:, None]
        else:  # g (M,): d/da = (col * g) broadcast along each row, d/dcol = g * row sums of c
            ga = np.empty_like(c)
            ga[...] = col * g[:, None]
            gcol = (c.sum(axis=1) * g)[:, None]
        return out, (ga, ga.sum(axis=0), gcol)

    return step


def matmul_fn(a, b):
    return a @ b


def numpy_matmul(n):
    a, b, g = MATMUL_DATA[n]

    def step():
        return a @ b, (g @ b.T, a.T @ g)

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
        grads = (gw1, gb1, gw2, gb2)
        for p, gp in zip((w1, b1, w2, b2), grads):
            p -= MLP_LR * gp
        return loss, grads

    return step


def check_mlp(torch, who):
    """One step's loss and every parameter's gradient against the NumPy reference."""
    x_np, onehot_np, params_np = MLP_DATA
    params = [_leaf(torch, p.copy()) for p in params_np]
    loss = mlp_loss(torch, torch.tensor(x_np), torch.tensor(onehot_np), *params)
    loss.backward()
    ref_loss, ref_grads = numpy_mlp()()
    if not np.isclose(float(loss.detach()), float(ref_loss), rtol=1e-4):
        raise SystemExit(
            f"bench_kernels: {who} mlp loss {float(loss.detach())} differs from NumPy's {ref_loss}"
        )
    for k, (p, ref) in enumerate(zip(params, ref_grads)):
        got = np.asarray(p.grad.detach())
        if got.shape != ref.shape or not np.allclose(
            got, ref, rtol=1e-3, atol=1e-4 * max(1e-3, float(np.abs(ref).max()))
        ):
            raise SystemExit(f"bench_kernels: {who} mlp gradient of parameter {k} differs")


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


def fused_rates(lib, timing):
    """{kernel: GB/s} of the compiled build's fused backward kernels on FUSED_N float32: each reads
    the gradient and the saved output and writes the result (3 arrays of traffic), checked
    against NumPy's formula first."""
    g = _randn(FUSED_N)
    y = np.tanh(_randn(FUSED_N))
    rates = {}
    with lib.active() as torch:
        cpu = getattr(torch._backends, "CPU", None)
        for name, formula in FUSED_KERNELS.items():
            kernel = getattr(cpu, name, None)
            if kernel is None:  # an older build, without this backend layout
                print(f"- fused kernels: this build has no backend kernel {name}; skipped")
                return None
            if not np.allclose(kernel(g, y), formula(g, y), rtol=1e-6, atol=1e-6):
                raise SystemExit(f"bench_kernels: compiled {name} differs from NumPy's formula")
            t = measure(lambda kernel=kernel: kernel(g, y), **timing)
            rates[name] = 3 * g.nbytes / t / 1e9
    return rates


def print_fused(rates, copy_bw):
    print("## Fused backward kernels against the copy bandwidth (compiled build)")
    print()
    rows = []
    for name, rate in rates.items():
        verdict = "met" if rate >= FUSED_TARGET * copy_bw else "MISSED"
        rows.append([name, f"{rate:.1f} GB/s", f"{rate / copy_bw:.0%}", verdict])
    print(markdown_table(["kernel", "rate", "of copy bandwidth", f"≥ {FUSED_TARGET:.0%}"], rows))
    print()
    print(
        f"{FUSED_N // (1 << 20)}M float32 per array: the gradient and the saved output read, the "
        "result written (3 × 64 MiB per call), against the copy bandwidth of the ceilings table "
        "(numpy.copyto, one thread; the kernels use every thread at this size)."
    )
    print()


# --------------------------------------------------------------------------------------------- main


def _linalg_workload(name, note, fn, data, reference, flops):
    """A forward-only row of issue 15: fn(torch, *tensors) against the NumPy step ``reference``."""

    def make(torch):
        ts = [torch.tensor(a) for a in data]
        return lambda: fn(torch, *ts)

    def check(torch, who):
        got = np.asarray(fn(torch, *[torch.tensor(a) for a in data]), dtype=np.float64)
        if not np.allclose(got, reference(), rtol=1e-3, atol=1e-3):
            raise SystemExit(f"bench_kernels: {who} {name}: result differs from NumPy's")

    return Workload(name, note, make, reference, check, flops=flops)


def linalg_workloads():
    b, n, _ = EINSUM_SHAPE
    x, y = EINSUM_DATA
    a, rhs = SOLVE_DATA
    k = SOLVE_N
    return [
        _linalg_workload(
            "einsum bij,bjk->bik",
            f"float32 {b}x{n}x{n}, fwd",
            lambda torch, x, y: torch.einsum("bij,bjk->bik", x, y),
            EINSUM_DATA,
            lambda: np.einsum("bij,bjk->bik", x, y, optimize=True),
            2 * b * n**3,
        ),
        _linalg_workload(
            "linalg.solve 256x64",
            f"float32 {SOLVE_BATCH} systems of size {k}, fwd",
            lambda torch, a, rhs: torch.linalg.solve(a, rhs),
            SOLVE_DATA,
            lambda: np.linalg.solve(a, rhs),
            SOLVE_BATCH * (2 * k**3 // 3 + 2 * k * k),
        ),
        _linalg_workload(
            "linalg.solve 256x64, vector rhs",
            f"float32 {SOLVE_BATCH} systems of size {k}, b ({SOLVE_BATCH}, {k}), fwd",
            lambda torch, a, vec: torch.linalg.solve(a, vec),
            (a, rhs[..., 0].copy()),
            lambda: np.linalg.solve(a, rhs[..., :1])[..., 0],
            SOLVE_BATCH * (2 * k**3 // 3 + 2 * k),
        ),
    ]


def _prepare_data():
    global EINSUM_DATA, SOLVE_DATA
    EINSUM_DATA = (_randn(*EINSUM_SHAPE), _randn(*EINSUM_SHAPE))
    eye = np.eye(SOLVE_N, dtype=np.float32) * SOLVE_N**0.5 * 2
    SOLVE_DATA = (_randn(SOLVE_BATCH, SOLVE_N, SOLVE_N) + eye, _randn(SOLVE_BATCH, SOLVE_N, 4))
    global ELEMENTWISE_DATA, BROADCAST_DATA, BROADCAST_GRAD, WIDE_DATA, WIDE_GRAD
    global MATMUL_DATA, MLP_DATA, CUMSUM_DATA, CONV_DATA, CONV_GRAD
    ELEMENTWISE_DATA = (_randn(ELEMENTWISE_N), _randn(ELEMENTWISE_N))
    BROADCAST_DATA = (_randn(*BROADCAST_SHAPE), _randn(BROADCAST_SHAPE[1]))
    BROADCAST_GRAD = np.ones(BROADCAST_SHAPE[1], dtype=np.float32)
    WIDE_DATA = (_randn(WIDE, WIDE), _randn(WIDE), _randn(WIDE, 1))
    # NOTE: a is square, so one (WIDE,) upstream gradient serves sum(dim=0) and sum(dim=1).
    WIDE_GRAD = _randn(WIDE)
    CUMSUM_DATA = (_randn(CUMSUM_N),)
    fan_in = CONV_SHAPE[1] * CONV_K**2
    CONV_DATA = (
        _randn(*CONV_SHAPE),
        _randn(CONV_OUT, CONV_SHAPE[1], CONV_K, CONV_K, scale=fan_in**-0.5),
        _randn(CONV_OUT),
    )
    CONV_GRAD = _randn(CONV_SHAPE[0], CONV_OUT, *CONV_SHAPE[2:])
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


class Workload:
    """One row of the results: how each library builds its step, and what the step is held to.

    `make(torch)` returns the step; `numpy` is the NumPy step by hand; `check(torch, who)` raises
    SystemExit when a library computes it wrong. `moved` is the minimal memory traffic of a step in
    bytes (a memory-bound row, held against the copy bandwidth), `flops` its floating-point work
    (held against SGEMM).
    """

    def __init__(self, name, note, make, numpy, check, *, moved=None, flops=None):
        self.name, self.note, self.make, self.numpy, self.check = name, note, make, numpy, check
        self.moved, self.flops = moved, flops


def _graph_workload(name, note, fn, data, grad_out, backward, numpy_factory):
    """A row whose step is fn(*leaves) (and its backward): checked, with its traffic counted."""
    reference = numpy_factory(True)
    out, grads = reference()
    # NOTE: minimal traffic: every leaf read once and the result written once; a backward also
    # reads the upstream gradient once and writes each leaf's gradient once. Nothing else need
    # reach memory: each pass can fuse its elementwise work and reductions.
    moved = sum(a.nbytes for a in data) + np.asarray(out).nbytes
    if backward:
        upstream = np.asarray(out).nbytes if grad_out is None else grad_out.nbytes
        moved += upstream + sum(g.nbytes for g in grads)

    def check(torch, who):
        check_graph(torch, fn, data, grad_out, reference, who, name)

    return Workload(
        name,
        note,
        make_graph(fn, data, grad_out, backward),
        numpy_factory(backward),
        check,
        moved=moved,
    )


def build_workloads():
    """Every row, in the order printed. Forward-only rows still record the graph."""
    rows = []
    for backward in (True, False):
        suffix = "" if backward else ", fwd only"
        what = ".backward()" if backward else " (no backward)"
        rows.append(
            _graph_workload(
                "elementwise_large" + suffix,
                f"4M float32: ((x * y + x.exp()).sum()){what}",
                elementwise_fn,
                ELEMENTWISE_DATA,
                None,
                backward,
                numpy_elementwise,
            )
        )
    for backward in (True, False):
        suffix = "" if backward else ", fwd only"
        what = ".backward()" if backward else " (no backward)"
        rows.append(
            _graph_workload(
                "products_large" + suffix,
                f"4M float32: ((x * y + x * x).sum()){what}",
                products_fn,
                ELEMENTWISE_DATA,
                None,
                backward,
                numpy_products,
            )
        )
    for dim in (0, 1):
        for backward in (True, False):
            suffix = "" if backward else ", fwd only"
            rows.append(
                _graph_workload(
                    f"broadcast_sum{dim}" + suffix,
                    f"((a + b) * col).sum(dim={dim})" + (", backward" if backward else ""),
                    broadcast_sum_fn(dim),
                    WIDE_DATA,
                    WIDE_GRAD,
                    backward,
                    lambda backward, dim=dim: numpy_broadcast_sum(dim, backward),
                )
            )
    for backward in (True, False):
        rows.append(
            _graph_workload(
                "cumsum_large" + ("" if backward else ", fwd only"),
                "16M float32: x.cumsum(0)" + (".backward(ones)" if backward else ""),
                cumsum_fn,
                CUMSUM_DATA,
                np.ones(CUMSUM_N, dtype=np.float32),
                backward,
                numpy_cumsum,
            )
        )
    rows.append(
        _graph_workload(
            "broadcast_reduce",
            "(512, 1024) + (1024,), mean(dim=0), backward",
            broadcast_reduce_fn,
            BROADCAST_DATA,
            BROADCAST_GRAD,
            True,
            lambda backward: numpy_broadcast_reduce(),
        )
    )
    for n in MATMUL_SIZES:
        row = _graph_workload(
            f"matmul {n}",
            "float32, fwd + bwd",
            matmul_fn,
            MATMUL_DATA[n][:2],
            MATMUL_DATA[n][2],
            True,
            lambda backward, n=n: numpy_matmul(n),
        )
        row.moved, row.flops = None, 6 * n**3  # A @ B, G @ B.T, A.T @ G
        rows.append(row)
    # The GEMMs only: x @ W1 and h @ W2 forward; dW2, dh and dW1 backward (x needs no gradient).
    mlp_flops = 2 * MLP_BATCH * (2 * MLP_IN * MLP_HIDDEN + 3 * MLP_HIDDEN * MLP_OUT)
    rows.append(
        Workload(
            "mlp_step",
            "784-256-10, batch 128, fwd + bwd + SGD",
            make_mlp,
            numpy_mlp(),
            check_mlp,
            flops=mlp_flops,
        )
    )
    rows += linalg_workloads()
    nb, c, h, wd = CONV_SHAPE
    for backward in (True, False):
        row = _graph_workload(
            f"conv2d {nb}x{c}x{h}x{wd}" + ("" if backward else ", fwd only"),
            f"float32, {CONV_OUT} {CONV_K}x{CONV_K} filters, padding 1, bias"
            + (", fwd + bwd" if backward else ""),
            conv_fn,
            CONV_DATA,
            CONV_GRAD,
            backward,
            numpy_conv,
        )
        # The GEMM work: the forward's, and with a backward the weight's and the input's.
        row.moved = None
        row.flops = 2 * CONV_OUT * c * CONV_K**2 * nb * h * wd * (3 if backward else 1)
        rows.append(row)
    return rows


# Issue 9's targets: compiled time / torch time at most this.
TARGETS = (
    ("mlp_step", 0.85),
    ("elementwise_large", 0.95),
    ("elementwise_large, fwd only", 0.95),
    ("products_large", 0.95),
    ("products_large, fwd only", 0.95),
    ("broadcast_sum0", 0.95),
    ("broadcast_sum0, fwd only", 0.95),
    ("broadcast_sum1", 0.95),
    ("broadcast_sum1, fwd only", 0.95),
    ("matmul 1024", 0.9),
    ("cumsum_large, fwd only", 1.2),  # issue 15
    ("einsum bij,bjk->bik", 1.2),
    ("linalg.solve 256x64", 1.2),
    ("linalg.solve 256x64, vector rhs", 1.2),
    ("conv2d 16x64x32x32", 1.2),
)


def held_table(rows, results, libs, copy_bw, sgemm_1024):
    """Each row's rate (GB/s or GFLOP/s) per contender, against its ceiling.

    Returns the table and {workload: (compiled rate, ceiling, unit)}.
    """
    names = list(libs) + ["numpy"]
    header = ["workload", "work per step"]
    header += [n if n != "numpy" else "numpy (ref)" for n in names]
    header += ["ceiling", "compiled/ceiling"]
    lines, held = [], {}
    for row in rows:
        res = results[row.name]
        if row.moved is not None:
            work, unit, amount = f"{row.moved / 1e6:.1f} MB", "GB/s", row.moved
            ceiling, ceiling_name = copy_bw, "copy"
        else:
            work, unit, amount = f"{row.flops / 1e9:.3g} GFLOP", "GFLOP/s", row.flops
            if "sgemm" in res:
                ceiling, ceiling_name = amount / res["sgemm"] / 1e9, "SGEMM, same rounds"
            else:
                ceiling, ceiling_name = sgemm_1024, "SGEMM 1024"
        rates = {n: amount / res[n] / 1e9 for n in names if res.get(n)}
        line = [row.name, work] + [f"{rates[n]:.1f}" if n in rates else "—" for n in names]
        line += [f"{ceiling:.1f} {unit} ({ceiling_name})"]
        line += [f"{rates['compiled'] / ceiling:.0%}" if "compiled" in rates else "—"]
        lines.append(line)
        held[row.name] = (rates.get("compiled"), ceiling, unit, ceiling_name)
    return markdown_table(header, lines), held


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, rows=True)
    libs = load_libraries(args.builds)
    pin_threads(libs, args.threads)
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
    _prepare_data()
    rows = build_workloads()
    if args.rows:
        wanted = [w.strip() for w in args.rows.split(",") if w.strip()]
        rows = [row for row in rows if any(w in row.name for w in wanted)]

    results = {}
    for row in rows:
        for lib_name, lib in libs.items():
            with lib.active() as torch:
                row.check(torch, lib_name)
        # The contenders' step functions, each built with its build's modules active; dropped after
        # timing.
        fns = {"numpy": row.numpy}
        if row.name.startswith("matmul"):
            # The SGEMM ceiling runs in the same interleaved rounds, so the load it sees is the
            # contenders'.
            fns["sgemm"] = sgemm_matmul_step(int(row.name.split()[1]))
        for lib_name, lib in libs.items():
            with lib.active() as torch:
                fns[lib_name] = row.make(torch)
        results[row.name] = compare(
            fns, libs, **(big_timing if row.name == "matmul 2048" else timing)
        )
        del fns
    ceiling = ceilings({**timing, "repeat": max(3, repeat - 2)})
    copy_bw = ceiling["memory copy (numpy.copyto, 256 MiB)"][0]
    sgemm_1024 = ceiling["SGEMM 1024, scipy.linalg.blas.sgemm, operand swap"][0]
    fused = fused_rates(libs["compiled"], timing) if "compiled" in libs else None

    print(f"## Results ({args.stat} time per step)")
    print()
    notes = {row.name: row.note for row in rows}
    print(results_table({row.name: results[row.name] for row in rows}, libs, extra=notes))
    print()
    print(ratio_legend(list(libs) + ["numpy"]))
    print(
        "`numpy (ref)`: the same step hand-written in NumPy. Forward-only rows run the same code "
        "without the backward, on requires_grad leaves: the graph is recorded and dropped. "
        "broadcast_sum: a (2048, 2048), b (2048,), col (2048, 1), float32."
    )
    print()

    print("## Held against this machine's ceilings (rate per step)")
    print()
    table, held = held_table(rows, results, libs, copy_bw, sgemm_1024)
    print(table)
    print()
    print(
        "Memory-bound rows in GB/s: minimal traffic / time, where the minimal traffic counts "
        "every leaf read once and the result written once, plus, with a backward, the upstream "
        "gradient read once and every leaf's gradient written once (4M float32 arrays are "
        "16.8 MB each); the ceiling is the copy bandwidth below. matmul in GFLOP/s: 6n³ / time "
        "(three n×n GEMMs), against the same three GEMMs straight through SciPy's sgemm in the "
        "same rounds. mlp_step: the GFLOP of its five GEMMs, "
        "2·128·(2·784·256 + 3·256·10), against SGEMM 1024 from the table below (its GEMMs are "
        "smaller, so the ceiling is optimistic)."
    )
    print()

    print("## Machine ceilings (same run)")
    print()
    print(
        markdown_table(
            ["measurement", "value"], [[k, f"{v:.1f} {unit}"] for k, (v, unit) in ceiling.items()]
        )
    )
    print()

    if fused is not None:
        print_fused(fused, copy_bw)
    if "compiled" in libs and "torch" in libs:
        print_targets(results, held)
    print(f"- {load_line()} at end")


def _held_line(held):
    rate, ceiling, unit, ceiling_name = held
    if rate is None:
        return ""
    what = "copy bandwidth" if unit == "GB/s" else ceiling_name
    return f"{rate:.1f} {unit}, {rate / ceiling:.0%} of {what} ({ceiling:.1f} {unit})"


def print_targets(results, held):
    print("## Targets (issue 9: compiled time / torch time)")
    print()
    for name, target in TARGETS:
        res = results.get(name)
        if res is None:  # not among the --rows
            continue
        print(target_line(name, res["compiled"] / res["torch"], target, _held_line(held[name])))
    print()
    # Issue 3's targets that issue 9 does not restate, in the same convention: "no slower than
    # torch" is a ratio of at most 1, "at least 0.90× torch's speed" one of at most 1 / 0.9.
    if "broadcast_reduce" not in results or f"matmul {MATMUL_SIZES[-1]}" not in results:
        return  # --rows left them out
    print("## Targets (issue 3, still held)")
    print()
    res = results["broadcast_reduce"]
    print(target_line("broadcast_reduce", res["compiled"] / res["torch"], 1.0))
    for n in MATMUL_SIZES:
        res = results[f"matmul {n}"]
        rate, ceiling, _, _ = held[f"matmul {n}"]
        line = target_line(f"matmul {n}", res["compiled"] / res["torch"], 1 / 0.9)
        if n >= 1024:
            frac = rate / ceiling
            line += f"; ≥ 85% of SGEMM → {frac:.0%} ({'met' if frac >= 0.85 else 'MISSED'})"
        print(line)
    print()


if __name__ == "__main__":
    main()
