"""The CUDA backend's fused softmax kernels (mytorch/_backends/_cupy_kernels.py) against their
CPU twins (the reference kernels on NumPy): values along every dim in float32 and float64,
large values and -inf entries, the kernels launched per call (the stand-in counts calls of
``cupy.fuse`` functions: a row reduction or two and one elementwise kernel, no temporaries),
the reference path for what they do not take, and torch's values through mytorch on the
stand-in device."""

import numpy as np
import pytest
import torch
from backends import standin
from backends.standin_backend import BACKEND

import mytorch
from mytorch._backends import _cupy_kernels
from mytorch._backends.reference import NUMPY

GPU = BACKEND.at(0)
xp = standin.xp
INF = float("inf")
FORWARD = ["softmax", "log_softmax"]
BACKWARD = ["softmax_backward", "log_softmax_backward"]


def launches(fn, *args):
    before = standin.kernels["fused"]
    out = fn(*args)
    return out, standin.kernels["fused"] - before


def close(a, b, dtype):
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(a, b, **tol)


@pytest.fixture(params=["float32", "float64"])
def dt(request):
    return request.param


def _data(dt, *shape, scale=1.0, seed=3):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dt)


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_forward_kernels_match_cpu_twins(name, dim, dt):
    x = _data(dt, 3, 4, 5, scale=3.0)
    want = getattr(NUMPY, name)(x, dim)
    got, n = launches(getattr(GPU, name), xp.asarray(x), dim)
    assert n == 3  # the row max, the row sum of exp(x - max), the result
    assert got.get().dtype == want.dtype and got.shape == want.shape
    close(got.get(), want, dt)


@pytest.mark.parametrize("name", BACKWARD)
@pytest.mark.parametrize("dim", [0, 2])
def test_backward_kernels_match_cpu_twins(name, dim, dt):
    x = _data(dt, 3, 4, 5)
    y = NUMPY.softmax(x, dim) if name == "softmax_backward" else NUMPY.log_softmax(x, dim)
    g = _data(dt, 3, 4, 5, seed=4)
    want = getattr(NUMPY, name)(y, g, dim)
    got, n = launches(getattr(GPU, name), xp.asarray(y), xp.asarray(g), dim)
    assert n == 2  # the row reduction, the result
    assert got.get().dtype == want.dtype
    close(got.get(), want, dt)


@pytest.mark.parametrize("name", FORWARD)
def test_stable_and_inf_rows_as_torch(name, dt):
    x = _data(dt, 4, 6, scale=50.0) + 1e4  # exp(x) overflows: max-subtracted, it does not
    x[1, :] = -INF  # a row of -inf: NaN, as torch's
    x[2, ::2] = -INF  # some -inf entries
    x[3, 1] = INF  # +inf in a row: NaN, as torch's
    want = getattr(torch, name)(torch.from_numpy(x), 1).numpy()
    with np.errstate(invalid="ignore", divide="ignore"):  # the stand-in computes in NumPy
        got = getattr(GPU, name)(xp.asarray(x), 1).get()
        cpu = getattr(NUMPY, name)(x, 1)
    close(got, want, dt)
    close(cpu, want, dt)


@pytest.mark.parametrize("name", FORWARD)
def test_reference_path_for_other_arrays(name):
    """Empty and 0-d arrays, and half precision (computed in float32), take the reference
    kernel: no fused kernel."""
    for x in (np.zeros((0, 3), "float32"), np.array(2.0), np.ones((2, 3), "float16")):
        got, n = launches(getattr(GPU, name), xp.asarray(x), 0)
        assert n == 0
        np.testing.assert_array_equal(got.get(), getattr(NUMPY, name)(x, 0))


def test_kernels_made_once_per_variant():
    x = xp.asarray(_data("float32", 2, 3))
    GPU.softmax(x, 1)
    keys = set(_cupy_kernels._kernels)
    GPU.softmax(x, 1)
    GPU.log_softmax(x, 1)  # shares the two row reductions
    new = set(_cupy_kernels._kernels) - keys
    assert {k[1] for k in new} <= {"log_softmax_normalize"}
    GPU.softmax(x, 0)  # another dim: its own row reductions
    assert {k[1:] for k in set(_cupy_kernels._kernels) - keys - new} <= {
        ("softmax_row_max", (0,)), ("softmax_exp_sum", (0,))
    }  # fmt: skip


@pytest.mark.parametrize("name", FORWARD)
def test_through_mytorch_on_the_standin_device(name, dt):
    """Values, first and second derivatives against torch, computed by the fused kernels."""
    x = _data(dt, 3, 7, scale=4.0)
    w = _data(dt, 3, 7, seed=9)
    tm = mytorch.tensor(x, device="standin").requires_grad_()
    tt = torch.from_numpy(x).requires_grad_()
    res = []
    for lib, t in ((mytorch, tm), (torch, tt)):
        before = standin.kernels["fused"]
        y = getattr(lib, name)(t, -1)
        (g,) = lib.autograd.grad((y * lib.tensor(w, device=t.device)).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t)
        if lib is mytorch:
            assert standin.kernels["fused"] - before >= 5  # forward 3, backward 2
        res.append([a.detach().cpu().numpy() for a in (y, g, gg)])
    for a, b in zip(*res):
        close(a, b, dt)
