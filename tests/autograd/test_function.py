"""User-defined autograd.Function: forward/backward, saved tensors, double backward."""

import math

import pytest
from helpers import assert_matches, raises

import mytorch
from mytorch import autograd
from mytorch.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None


def make_cube(T):
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2  # written with ops, so differentiable again

    return Cube


def make_scaled_mul(T):
    class ScaledMul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, scale):
            ctx.save_for_backward(x, y)
            ctx.scale = scale
            return x * y * scale

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            return grad * y * ctx.scale, grad * x * ctx.scale, None

    return ScaledMul


def test_forward_runs_without_recording():
    seen = []

    class Probe(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen.append((mytorch.is_grad_enabled(), y.requires_grad, ctx.needs_input_grad))
            return y

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = mytorch.ones(2, requires_grad=True)
    out = Probe.apply(x)
    assert seen == [(False, False, (True,))]
    assert out.requires_grad and out.grad_fn.name() == "ProbeBackward"
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.torch
def test_custom_function_matches_torch_to_second_order():
    def run(T):
        x = T.tensor([0.5, -2.0], dtype=T.float64, requires_grad=True)
        y = make_cube(T).apply(x)
        (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return y, g, h

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


@pytest.mark.torch
def test_custom_function_with_several_inputs_and_a_constant():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, -1.0], requires_grad=True)
        out = make_scaled_mul(T).apply(x, y, 0.5)
        out.sum().backward()
        return out, x.grad, y.grad

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    cube = make_cube(mytorch)
    x = mytorch.tensor([0.3, -0.7, 1.1], dtype=mytorch.float64, requires_grad=True)
    assert gradcheck(cube.apply, (x,))
    assert gradgradcheck(cube.apply, (x,))


def test_custom_function_without_grad_inputs_returns_plain_tensor():
    out = make_cube(mytorch).apply(mytorch.tensor([2.0]))
    assert not out.requires_grad and out.grad_fn is None and out.tolist() == [8.0]


def test_wrong_number_of_gradients_is_an_error():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = mytorch.ones(1, requires_grad=True)
    with raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


def test_custom_function_inside_a_larger_graph():
    x = mytorch.tensor(0.5, dtype=mytorch.float64, requires_grad=True)
    y = mytorch.sin(make_cube(mytorch).apply(x * 2))  # sin(8 x^3)
    (g,) = autograd.grad(y, x)
    assert abs(g.item() - math.cos(8 * 0.125) * 24 * 0.25) < 1e-12
