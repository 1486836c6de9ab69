"""Composite functions, built from primitives (no VJPs of their own): softmax, log_softmax,
logsumexp, masked_fill, square, outer, and tensor predicates (max/min, var/std live with the
reductions). ``@composite(...)`` declares one with its namespaces and methods.
"""

from mytorch import _backends
from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.pointwise import exp, log, to_dtype, where
from mytorch._ops.reduction import amax, sum
from mytorch._ops.shape import squeeze, unsqueeze


@composite(namespace=("torch", "nn.functional", "special"), method=True)
def softmax(input, dim, dtype=None):
    """Matches torch.softmax."""
    if dtype is not None:
        input = input.to(dtype)
    # NOTE: shift-invariant, so detaching the max is exact and keeps exp from overflowing.
    z = exp(input - amax(input, dim, keepdim=True).detach())
    return z / sum(z, dim, keepdim=True)


@composite(namespace=("torch", "nn.functional", "special"), method=True)
def log_softmax(input, dim, dtype=None):
    """Matches torch.log_softmax."""
    if dtype is not None:
        input = input.to(dtype)
    z = input - amax(input, dim, keepdim=True).detach()
    return z - log(sum(exp(z), dim, keepdim=True))


@composite(namespace=("torch", "special"), method=True)
def logsumexp(input, dim, keepdim=False):
    """Matches torch.logsumexp."""
    m = amax(input, dim, keepdim=True).detach()
    out = log(sum(exp(input - m), dim, keepdim=True)) + m
    return out if keepdim else squeeze(out, dim)


def masked_fill(input, mask, value):
    """Matches torch.masked_fill: ``value`` where ``mask`` is True, in ``input``'s dtype."""
    return to_dtype(where(mask, value, input), input.dtype)


@composite(method=True, inplace=True)
def square(input):
    """Matches torch.square."""
    return input * input


def outer(input, vec2):
    """Matches torch.outer."""
    return unsqueeze(input, 1) * unsqueeze(vec2, 0)


ger = outer


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Matches torch.allclose."""
    a, b = input._data, other._data
    return _backends.for_array(a).allclose(a, b, rtol, atol, equal_nan)


def equal(input, other):
    """Matches torch.equal."""
    if input.shape != other.shape:
        return False
    a, b = input._data, other._data
    return _backends.for_array(a).array_equal(a, b)


def is_tensor(obj):
    """Matches torch.is_tensor."""
    return isinstance(obj, TensorBase)


def numel(input):
    """Matches torch.numel."""
    return input.numel()


def is_floating_point(input):
    """Matches torch.is_floating_point."""
    return input.is_floating_point()


__all__ = [
    "masked_fill", "outer", "ger", "allclose", "equal", "is_tensor", "numel", "is_floating_point",
]  # fmt: skip
INTERNAL = []
