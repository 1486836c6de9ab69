"""Derivatives of any order: third and fourth derivatives against analytic values and torch,
and mixed partials."""

import math

import numpy as np
import pytest
from helpers import assert_matches

import mytorch
from mytorch import autograd

try:
    import torch
except ImportError:
    torch = None


def _derivatives(T, f, x0, order, **kw):
    """[f'(x0), f''(x0), ...] by repeated autograd.grad with create_graph=True."""
    x = T.tensor(x0, dtype=T.float64, requires_grad=True)
    y = f(T, x)
    out = []
    for _ in range(order):
        (y,) = T.autograd.grad(y, x, create_graph=True, **kw)
        out.append(y)
    return out


def test_derivatives_of_x4_are_exact():
    ds = _derivatives(mytorch, lambda T, x: x**4, 1.5, 4)
    assert [d.item() for d in ds] == [4 * 1.5**3, 12 * 1.5**2, 24 * 1.5, 24.0]


def test_derivatives_of_sin_cycle():
    x0 = 0.7
    ds = _derivatives(mytorch, lambda T, x: T.sin(x), x0, 4)
    expected = [math.cos(x0), -math.sin(x0), -math.cos(x0), math.sin(x0)]
    np.testing.assert_allclose([d.item() for d in ds], expected, rtol=1e-14)


@autograd.create_graph_default(True)  # mytorch's default (the seed's), set here
def test_default_create_graph_reaches_fourth_order():
    # No create_graph anywhere: each returned gradient is still differentiable.
    x = mytorch.tensor(2.0, dtype=mytorch.float64, requires_grad=True)
    y = mytorch.exp(x * 0.5)
    for k in range(1, 5):
        (y,) = autograd.grad(y, x)
        assert abs(y.item() - 0.5**k * math.exp(1.0)) < 1e-12


@pytest.mark.torch
@pytest.mark.parametrize(
    "f",
    [
        lambda T, x: T.tanh(x) * x,
        lambda T, x: T.sigmoid(x * 2) ** 3,
        lambda T, x: T.log(x * x + 1) / (x + 3),
        lambda T, x: T.sqrt(T.exp(x) + x**2),
        lambda T, x: T.cos(x) * T.tan(x / 3),
    ],
    ids=["tanh_x", "sigmoid_cubed", "log_ratio", "sqrt_exp", "cos_tan"],
)
def test_fourth_derivative_matches_torch(f):
    for dm, dt in zip(_derivatives(mytorch, f, 0.8, 4), _derivatives(torch, f, 0.8, 4)):
        assert_matches(dm, dt, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_mixed_partials_match_torch():
    def run(T):
        x = T.tensor([0.3, -0.4], dtype=T.float64, requires_grad=True)
        w = T.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=T.float64, requires_grad=True)
        y = T.tanh(w @ x).pow(2).sum()
        (gx,) = T.autograd.grad(y, x, create_graph=True)
        (gw,) = T.autograd.grad(gx.sum(), w, create_graph=True)
        (gxx,) = T.autograd.grad(gw.sum(), x)
        return gx, gw, gxx

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_hessian_vector_product_matches_torch():
    def run(T):
        x = T.tensor([0.5, 1.0, -1.5], dtype=T.float64, requires_grad=True)
        v = T.tensor([1.0, -2.0, 0.5], dtype=T.float64)
        y = (T.softmax(x, 0) * x).sum() + (x**3).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (hv,) = T.autograd.grad(g, x, v)
        return hv

    assert_matches(run(mytorch), run(torch), rtol=1e-10, atol=1e-12)


def test_double_backward_through_backward_create_graph():
    x = mytorch.tensor(3.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0
