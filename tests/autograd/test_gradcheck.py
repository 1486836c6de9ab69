"""mytorch.autograd.gradcheck/gradgradcheck themselves: they pass right gradients, catch wrong
ones, and leave their inputs as they found them."""

import numpy as np
import pytest
from helpers import raises

import mytorch
from mytorch import autograd
from mytorch.autograd import gradcheck, gradgradcheck
from mytorch.autograd.gradcheck import GradcheckError

try:
    from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError
except ImportError:
    TorchGradcheckError = None


class WrongScale(autograd.Function):
    """Forward x**2, backward off by a factor: first order is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x


class FirstOrderOnly(autograd.Function):
    """Right first derivative of x**3 computed from detached values: second order is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (3 * x.detach() ** 2)


def _x():
    return mytorch.tensor([0.4, -1.2, 0.9], dtype=mytorch.float64, requires_grad=True)


@pytest.mark.torch
def test_gradcheck_error_is_torchs_class():
    assert GradcheckError.__name__ == TorchGradcheckError.__name__
    assert GradcheckError.__bases__ == TorchGradcheckError.__bases__ == (RuntimeError,)


def test_gradcheck_passes_a_right_gradient():
    assert gradcheck(lambda x: (x.sin() * x).sum(), (_x(),))
    assert gradgradcheck(lambda x: x.exp() * x, (_x(),))


def test_gradcheck_catches_a_wrong_gradient():
    with raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongScale.apply, (_x(),))
    assert gradcheck(WrongScale.apply, (_x(),), raise_exception=False) is False


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = _x()
    assert gradcheck(FirstOrderOnly.apply, (x,))
    assert gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False) is False


def test_gradcheck_checks_every_input_and_restores_them():
    x = _x()
    y = mytorch.tensor([[0.5, 1.5, -0.5]], dtype=mytorch.float64, requires_grad=True)
    before = (x.tolist(), y.tolist())
    assert gradcheck(lambda a, b: a * b + a.exp(), (x, y))
    assert (x.tolist(), y.tolist()) == before
    assert x.grad is None and y.grad is None  # it uses autograd.grad, never .grad

    def wrong_in_second_input(a, b):
        return a * WrongScale.apply(b)

    with raises(GradcheckError, match="with respect to input 1"):
        gradcheck(wrong_in_second_input, (x, y))


def test_gradcheck_with_multiple_outputs_and_constant_inputs():
    x = _x()
    c = mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64)  # no grad: not perturbed
    assert gradcheck(lambda a, k: (a * k, (a * a).sum()), (x, c))
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0, 3.0])
