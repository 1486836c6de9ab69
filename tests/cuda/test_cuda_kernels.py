"""The CUDA backend's fused kernels (mytorch/_backends/_cupy_kernels.py) against their CPU
twins, the reference kernels on NumPy: values (float32 and float64), in-place updates, one
fused kernel per call (the stand-in counts calls of ``cupy.fuse`` functions), kernels made on
first use only, and the TF32 switch of float32 GEMMs."""

import subprocess
import sys

import numpy as np
import pytest
from backends import standin
from backends.standin_backend import BACKEND

import mytorch
from mytorch._backends.reference import NUMPY, Backend

GPU = BACKEND.at(0)  # the CUDA backend's class over the stand-in, bound to device 0
xp = standin.xp


def dev(a):
    return xp.asarray(a)


def host(a):
    return a.get()


def launches(fn, *args):
    """fn(*args) and the number of fused kernels it launched."""
    before = standin.kernels["fused"]
    out = fn(*args)
    return out, standin.kernels["fused"] - before


def close(a, b, dtype):
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(a, b, **tol)


@pytest.fixture(params=["float32", "float64"])
def dt(request):
    return request.param


@pytest.fixture
def data(dt):
    r = np.random.default_rng(7)

    def make(*shape, scale=1.0):
        return (r.standard_normal(shape) * scale).astype(dt)

    return make


@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward", "relu_backward"])
def test_activation_backward_kernels(name, data, dt):
    g, y = data(4, 33), data(4, 33)
    y[0, :3] = 0.0  # relu's kink
    want = getattr(NUMPY, name)(g, y)
    got, n = launches(getattr(GPU, name), dev(g), dev(y))
    assert n == 1
    assert host(got).dtype == want.dtype
    close(host(got), want, dt)
    # broadcast operands, as the engine passes them
    got, _ = launches(getattr(GPU, name), dev(g), dev(y[:1]))
    close(host(got), getattr(NUMPY, name)(g, y[:1]), dt)


def test_sigmoid_kernel(data, dt):
    x = data(5, 17, scale=30.0)  # large |x|: no overflow
    got, n = launches(GPU.sigmoid, dev(x))
    assert n == 1
    np.testing.assert_array_equal(host(got), Backend.sigmoid(NUMPY, x))  # the reference's formula
    close(host(got), NUMPY.sigmoid(x), dt)  # SciPy's expit on the CPU
    ints, n = launches(GPU.sigmoid, dev(np.arange(3)))  # other dtypes: the reference's path
    assert n == 0
    np.testing.assert_array_equal(host(ints), Backend.sigmoid(NUMPY, np.arange(3)))


SGD_CASES = [
    dict(weight_decay=0.0, momentum=0.0, dampening=0.0, nesterov=False, maximize=False),
    dict(weight_decay=0.1, momentum=0.9, dampening=0.0, nesterov=False, maximize=False),
    dict(weight_decay=0.0, momentum=0.9, dampening=0.1, nesterov=True, maximize=True),
]


@pytest.mark.parametrize("case", SGD_CASES, ids=str)
def test_sgd_step_kernel(case, data, dt):
    p, buf = data(6, 5), np.zeros((6, 5), dt)
    P, B = dev(p), dev(buf)
    for step in range(3):
        g = data(6, 5)
        first = step == 0
        NUMPY.sgd_step(p, g, buf if case["momentum"] else None, 0.1, first=first, **case)
        _, n = launches(
            GPU.sgd_step, P, dev(g), B if case["momentum"] else None, 0.1, case["weight_decay"],
            case["momentum"], case["dampening"], case["nesterov"], case["maximize"], first,
        )  # fmt: skip
        assert n == 1
        close(host(P), p, dt)
        close(host(B), buf, dt)


ADAM_CASES = [
    dict(weight_decay=0.0, decoupled=False, maximize=False, beta1=0.9, amsgrad=False),
    dict(weight_decay=0.01, decoupled=False, maximize=True, beta1=0.9, amsgrad=False),
    dict(weight_decay=0.01, decoupled=True, maximize=False, beta1=0.9, amsgrad=True),
    dict(weight_decay=0.0, decoupled=False, maximize=False, beta1=0.3, amsgrad=True),
]


@pytest.mark.parametrize("case", ADAM_CASES, ids=str)
def test_adam_step_kernel(case, data, dt):
    p, m, v, vmax = data(7, 3), *(np.zeros((7, 3), dt) for _ in range(3))
    P, M, V, VM = dev(p), dev(m), dev(v), dev(vmax)
    beta1, beta2, lr = case["beta1"], 0.999, 1e-2
    for step in range(1, 4):
        g = data(7, 3)
        bc1, bc2 = 1 - beta1**step, (1 - beta2**step) ** 0.5
        args = (lr, beta1, beta2, 1e-8, case["weight_decay"], case["decoupled"], case["maximize"],
                lr / bc1, bc2)  # fmt: skip
        ams = case["amsgrad"]
        NUMPY.adam_step(p, g, m, v, vmax if ams else None, *args)
        _, n = launches(GPU.adam_step, P, dev(g), M, V, VM if ams else None, *args)
        assert n == 1
        for a, b in ((P, p), (M, m), (V, v), (VM, vmax)):
            close(host(a), b, dt)


def test_lstm_and_gru_gate_kernels(data, dt):
    B, H = 3, 4
    gates, c = data(B, 4 * H, scale=2.0), data(B, H)
    (h, c2), n = launches(GPU.lstm_cell_gates, dev(gates), dev(c))
    assert n == 1
    wh, wc = Backend.lstm_cell_gates(NUMPY, gates, c)
    close(host(h), wh, dt)
    close(host(c2), wc, dt)
    gh, gc = data(B, H), data(B, H)
    (dg, dc), n = launches(GPU.lstm_cell_gates_backward, dev(gh), dev(gc), dev(gates), dev(c))
    assert n == 1
    wdg, wdc = Backend.lstm_cell_gates_backward(NUMPY, gh, gc, gates, c)
    close(host(dg), wdg, dt)
    close(host(dc), wdc, dt)
    gi, ghh, hh = data(B, 3 * H), data(B, 3 * H), data(B, H)
    out, n = launches(GPU.gru_cell_gates, dev(gi), dev(ghh), dev(hh))
    assert n == 1
    close(host(out), Backend.gru_cell_gates(NUMPY, gi, ghh, hh), dt)


def test_layers_on_the_device_run_the_fused_kernels(dt):
    """An LSTM and an MLP trained on the stand-in use the fused kernels and match the CPU."""
    mytorch.manual_seed(0)
    dtype = getattr(mytorch, dt)
    lstm = mytorch.nn.LSTM(3, 4, batch_first=True).to(dtype)
    x = mytorch.randn(2, 5, 3, dtype=dtype)
    cpu_out, _ = lstm(x)
    cpu_out.sum().backward()
    cpu_grads = [p.grad.clone() for p in lstm.parameters()]
    lstm.zero_grad()
    lstm.to("standin")
    before = standin.kernels["fused"]
    out, _ = lstm(x.to("standin"))
    out.sum().backward()
    assert standin.kernels["fused"] > before
    close(out.detach().cpu().numpy(), cpu_out.detach().numpy(), dt)
    for p, g in zip(lstm.parameters(), cpu_grads):
        close(p.grad.cpu().numpy(), g.numpy(), dt)


def test_kernels_are_made_on_first_use_only():
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import mytorch\n"
        "from mytorch._backends import _cupy_kernels as k\n"
        "from backends.standin_backend import BACKEND\n"
        "mytorch._backends.register(BACKEND)\n"
        "assert not k._kernels, k._kernels\n"
        "x = mytorch.ones(3, device='standin', requires_grad=True)\n"
        "assert not k._kernels, k._kernels\n"
        "x.tanh().sum().backward()\n"
        "print(sorted(name for _, name, _ in k._kernels))\n"
    )
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.stdout.strip() == "['tanh_backward']", out.stderr


def test_tf32_follows_torchs_flags():
    a = np.full((2, 64), 1 + 2.0**-12, np.float32)  # not representable in TF32
    b = np.ones((64, 2), np.float32)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    A, Bm = dev(a), dev(b)
    assert mytorch.get_float32_matmul_precision() == "highest"
    assert mytorch.backends.cuda.matmul.allow_tf32 is False
    np.testing.assert_allclose(host(GPU.matmul(A, Bm)), exact, rtol=1e-6)
    try:
        mytorch.backends.cuda.matmul.allow_tf32 = True
        assert mytorch.get_float32_matmul_precision() == "high"  # linked, as in torch
        assert np.all(host(GPU.matmul(A, Bm)) == 64.0)  # the inputs rounded to TF32
        assert xp._core._routines_linalg.get_compute_type(np.float32) == 7
        d = GPU.matmul(dev(a.astype(np.float64)), dev(b.astype(np.float64)))
        np.testing.assert_allclose(host(d), exact)  # float64 untouched
    finally:
        mytorch.backends.cuda.matmul.allow_tf32 = False
    assert mytorch.get_float32_matmul_precision() == "highest"
    np.testing.assert_allclose(host(GPU.matmul(A, Bm)), exact, rtol=1e-6)
    mytorch.set_float32_matmul_precision("medium")
    try:
        assert mytorch.backends.cuda.matmul.allow_tf32 is True
        assert np.all(host(GPU.matmul(A, Bm)) == 64.0)
    finally:
        mytorch.set_float32_matmul_precision("highest")
    x = mytorch.tensor(a, device="standin")
    y = mytorch.tensor(b, device="standin")
    np.testing.assert_allclose((x @ y).cpu().numpy(), exact, rtol=1e-6)
