"""The GPU suite: real CuPy on a CUDA GPU against the CPU (``pytest -m gpu tests/gpu``; the
whole op database, autograd and nn tables also run on the GPU with ``MYTORCH_TEST_CUDA=1
pytest -m gpu tests/ops tests/autograd tests/nn``). Every test here is gpu-marked and skips
where ``mytorch.cuda.is_available()`` is False.

Covered: values and first/second derivatives of ops in float32 and float64, gradcheck and
gradgradcheck in float64, the fused kernels against their CPU twins, device moves and mismatch
errors, torch.cuda's functions, and memory that stays flat over 1,000 training steps (the
memory pool's used bytes).
"""

import gc

import numpy as np
import pytest

import mytorch
from mytorch._backends.reference import NUMPY, Backend

pytestmark = pytest.mark.gpu

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}

# name -> (function of one or two tensors, number of inputs); smooth where inputs are random
OPS = {
    "exp": (lambda x: x.exp(), 1),
    "tanh": (lambda x: x.tanh(), 1),
    "sigmoid": (lambda x: x.sigmoid(), 1),
    "relu": (lambda x: mytorch.relu(x), 1),
    "softmax": (lambda x: mytorch.softmax(x, -1), 1),
    "log_softmax": (lambda x: mytorch.log_softmax(x, -1), 1),
    "layer_norm": (lambda x: mytorch.nn.functional.layer_norm(x, x.shape[-1:]), 1),
    "sum_to": (lambda x, y: (x * y[:1]).sum(), 2),
    "matmul": (lambda x, y: x @ y.T, 2),
    "mean_var": (lambda x: x.var(0) + x.mean(1).sum(), 1),
    "gelu": (lambda x: mytorch.nn.functional.gelu(x), 1),
    "silu": (lambda x: mytorch.nn.functional.silu(x), 1),
}


def _inputs(n, dtype, device, seed=0):
    r = np.random.default_rng(seed)
    return [
        mytorch.tensor(
            r.standard_normal((4, 5)),
            dtype=getattr(mytorch, dtype),
            device=device,
            requires_grad=True,
        )  # fmt: skip
        for _ in range(n)
    ]


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(OPS))
def test_values_and_two_orders_of_derivatives_match_the_cpu(name, dtype):
    fn, n = OPS[name]
    results = {}
    for device in ("cpu", "cuda"):
        xs = _inputs(n, dtype, device)
        out = fn(*xs)
        assert out.device.type == device
        w = mytorch.ones_like(out) * 0.5
        g = mytorch.autograd.grad((out * w).sum(), xs, create_graph=True)
        gg = mytorch.autograd.grad(sum((gi * gi).sum() for gi in g), xs, allow_unused=True)
        results[device] = (
            [_np(out)] + [_np(t) for t in g] + [None if t is None else _np(t) for t in gg]
        )
    for a, b in zip(results["cuda"], results["cpu"]):
        if b is None:
            assert a is None
        else:
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softmax", "layer_norm", "matmul"])
def test_gradcheck_float64_on_the_gpu(name):
    fn, n = OPS[name]
    xs = _inputs(n, "float64", "cuda", seed=3)
    assert mytorch.autograd.gradcheck(fn, xs)
    assert mytorch.autograd.gradgradcheck(fn, xs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward", "relu_backward"])
def test_fused_kernels_match_their_cpu_twins(name, dtype):
    gpu = mytorch._backends.for_device("cuda")
    r = np.random.default_rng(1)
    g, y = (r.standard_normal((1000, 37)).astype(dtype) for _ in range(2))
    got = getattr(gpu, name)(gpu.from_numpy(g), gpu.from_numpy(y))
    np.testing.assert_allclose(gpu.to_numpy(got), getattr(NUMPY, name)(g, y), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_optimizer_and_cell_kernels_match_their_cpu_twins(dtype):
    gpu = mytorch._backends.for_device("cuda")
    r = np.random.default_rng(2)
    p, g = (r.standard_normal((64, 33)).astype(dtype) for _ in range(2))
    m, v = np.zeros_like(p), np.zeros_like(p)
    P, M, V = (gpu.from_numpy(a) for a in (p, m, v))
    args = (1e-2, 0.9, 0.999, 1e-8, 0.01, True, False, 0.1, 0.05)
    NUMPY.adam_step(p, g, m, v, None, *args)
    gpu.adam_step(P, gpu.from_numpy(g), M, V, None, *args)
    for a, b in ((P, p), (M, m), (V, v)):
        np.testing.assert_allclose(gpu.to_numpy(a), b, **TOL[dtype])
    gates, c = r.standard_normal((8, 16)).astype(dtype), r.standard_normal((8, 4)).astype(dtype)
    h, c2 = gpu.lstm_cell_gates(gpu.from_numpy(gates), gpu.from_numpy(c))
    wh, wc = Backend.lstm_cell_gates(NUMPY, gates, c)
    np.testing.assert_allclose(gpu.to_numpy(h), wh, **TOL[dtype])
    np.testing.assert_allclose(gpu.to_numpy(c2), wc, **TOL[dtype])


def test_device_moves_and_mismatch_errors():
    x = mytorch.tensor([1.0, -2.0], requires_grad=True)
    y = x.cuda()
    assert y.is_cuda and y.get_device() == 0
    assert repr(y).endswith("device='cuda:0', grad_fn=<ToCopyBackward0>)")
    (y.to("cpu") * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        y + x
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.detach().numpy()
    p = mytorch.ones(3).pin_memory()
    assert p.is_pinned()
    assert p.to("cuda", non_blocking=True).device == mytorch.device("cuda", 0)


def test_cuda_functions_on_a_real_gpu():
    c = mytorch.cuda
    assert c.device_count() >= 1
    props = c.get_device_properties(0)
    assert props.total_memory > 0 and c.get_device_capability() == (props.major, props.minor)
    start, end = c.Event(enable_timing=True), c.Event(enable_timing=True)
    start.record()
    mytorch.ones(1 << 20, device="cuda").sum()
    end.record()
    c.synchronize()
    assert start.elapsed_time(end) >= 0.0
    free, total = c.mem_get_info()
    assert 0 < free <= total
    c.reset_peak_memory_stats()
    base = c.memory_allocated()
    x = mytorch.empty(1 << 20, device="cuda")
    assert c.memory_allocated() - base >= 4 << 20
    assert c.max_memory_allocated() >= c.memory_allocated()
    del x
    c.empty_cache()
    assert c.memory_reserved() >= c.memory_allocated()


def test_memory_is_flat_over_a_thousand_training_steps():
    mytorch.manual_seed(0)
    model = mytorch.nn.Sequential(
        mytorch.nn.Linear(32, 64), mytorch.nn.ReLU(), mytorch.nn.Linear(64, 1)
    ).cuda()
    opt = mytorch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = mytorch.randn(128, 32, device="cuda"), mytorch.randn(128, 1, device="cuda")
    used = []
    for step in range(1000):
        opt.zero_grad()
        loss = mytorch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        del loss
        if step in (10, 999):
            gc.collect()
            used.append(mytorch.cuda.memory_allocated())
    assert used[1] == used[0], used


def test_dlpack_shares_memory_with_cupy_and_torch():
    import cupy

    a = cupy.arange(4.0)
    t = mytorch.from_dlpack(a)
    a[0] = 5.0
    assert t.is_cuda and t[0].item() == 5.0
    b = cupy.from_dlpack(t)
    b[1] = -1.0
    assert t[1].item() == -1.0
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    tt = torch.from_dlpack(t)
    tt[2] = 7.0
    assert tt.is_cuda and t[2].item() == 7.0
    m = mytorch.from_dlpack(torch.arange(3.0, device="cuda"))
    assert m.is_cuda and m.cpu().tolist() == [0.0, 1.0, 2.0]
