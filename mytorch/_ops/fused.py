"""Fused primitives: one kernel pass where the composed ops would make temporaries.

Each is a primitive with its own VJP written in mytorch ops, so higher orders still work;
sigmoid, tanh and relu (mytorch._ops.pointwise) name them as their VJPs.
"""

from mytorch._core import KIND_BINARY, SAVE_XY, _full_like, apply2
from mytorch._ops._declare import defop


# sigmoid_backward(g, y) = g * y * (1 - y): d/dg = y * (1 - y), d/dy = g * (1 - 2y)
def _sigmoid_backward_vjp(n, gg):
    g, y = n.inputs
    return sigmoid_backward(gg, y), gg * g * (1 - 2 * y)


# tanh_backward(g, y) = g * (1 - y * y): d/dg = 1 - y * y, d/dy = -2 * g * y
def _tanh_backward_vjp(n, gg):
    g, y = n.inputs
    return tanh_backward(gg, y), -2 * gg * g * y


# relu_backward(g, y) = g * (y > 0): d/dg = (y > 0); d/dy is zero almost everywhere and, as in
# PyTorch, a zero tensor rather than no gradient.
def _relu_backward_vjp(n, gg):
    return relu_backward(gg, n.y), _full_like(gg, 0) if n.next[1] is not None else None


# fmt: off
SIGMOID_BACKWARD = defop("sigmoid_backward", _sigmoid_backward_vjp, SAVE_XY, KIND_BINARY, "SigmoidBackwardBackward0")
TANH_BACKWARD    = defop("tanh_backward",    _tanh_backward_vjp,    SAVE_XY, KIND_BINARY, "TanhBackwardBackward0")
RELU_BACKWARD    = defop("relu_backward",    _relu_backward_vjp,    SAVE_XY, KIND_BINARY, "ThresholdBackwardBackward0")
# fmt: on


def sigmoid_backward(grad, y):
    """grad * y * (1 - y) in one pass: sigmoid's VJP given its result y."""
    return apply2(SIGMOID_BACKWARD, grad, y)


def tanh_backward(grad, y):
    """grad * (1 - y * y) in one pass: tanh's VJP given its result y."""
    return apply2(TANH_BACKWARD, grad, y)


def relu_backward(grad, y):
    """grad * (y > 0) in one pass: relu's VJP given its result y (PyTorch's threshold_backward)."""
    return apply2(RELU_BACKWARD, grad, y)


__all__ = []
INTERNAL = ["sigmoid_backward", "tanh_backward", "relu_backward"]
