"""Fused primitives (mytorch._ops.fused): kernels, first and second derivatives against torch."""

import numpy as np
import pytest
from helpers import TOL, TOL2, to_numpy

import mytorch
from mytorch._ops import fused as _fused
from mytorch._registry import OPS
from mytorch.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_vjps_use_the_fused_primitives(name):
    x = mytorch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = getattr(mytorch, name)(x)
    (g,) = mytorch.autograd.grad(y.sum(), [x], create_graph=True)
    want = {
        "sigmoid": "SigmoidBackwardBackward0",
        "tanh": "TanhBackwardBackward0",
        "relu": "ThresholdBackwardBackward0",
    }
    assert g.grad_fn.name() == want[name]


@pytest.mark.torch
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_first_and_second_derivatives_match_torch(name, shape, dtype_name, rng):
    data = rng.standard_normal(shape).astype(dtype_name) * 2
    x = mytorch.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    w = rng.standard_normal(shape).astype(dtype_name)
    y = (getattr(mytorch, name)(x) * mytorch.tensor(w)).sum()
    yt = (getattr(torch, name)(xt) * torch.tensor(w)).sum()
    (g,) = mytorch.autograd.grad(y, [x], create_graph=True)
    (gt,) = torch.autograd.grad(yt, [xt], create_graph=True)
    np.testing.assert_allclose(to_numpy(g), to_numpy(gt), **TOL[dtype_name])
    (g2,) = mytorch.autograd.grad((g * g).sum(), [x])
    (g2t,) = torch.autograd.grad((gt * gt).sum(), [xt])
    np.testing.assert_allclose(to_numpy(g2), to_numpy(g2t), **TOL2[dtype_name])


@pytest.mark.torch
@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward"])
def test_fused_primitive_gradients_match_torch(name, rng):
    g = rng.standard_normal((4, 3))
    y = rng.uniform(-0.9, 0.9, (4, 3))
    gm = mytorch.tensor(g, requires_grad=True)
    ym = mytorch.tensor(y, requires_grad=True)
    gt = torch.tensor(g, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True)
    out = getattr(_fused, name)(gm, ym)
    outt = getattr(torch.ops.aten, name)(gt, yt)
    np.testing.assert_allclose(to_numpy(out), to_numpy(outt), **TOL["float64"])
    grads = mytorch.autograd.grad((out * out).sum(), [gm, ym])
    gradst = torch.autograd.grad((outt * outt).sum(), [gt, yt])
    for a, b in zip(grads, gradst):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), **TOL["float64"])


@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward", "relu_backward"])
def test_fused_primitives_gradcheck(name, rng):
    g = mytorch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    y = mytorch.tensor(
        rng.uniform(0.1, 0.9, (3, 2)) * rng.choice([-1, 1], (3, 2)), requires_grad=True
    )
    fn = getattr(_fused, name)
    assert gradcheck(fn, (g, y))
    assert gradgradcheck(fn, (g, y))


def test_fused_ops_are_registered_once():
    for name in ("sigmoid_backward", "tanh_backward", "relu_backward"):
        assert OPS[name].name == name
