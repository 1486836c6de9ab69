"""Composite functions, built from primitives (no VJPs of their own): softmax, log_softmax,
logsumexp, var, std, masked_fill, square, outer, and tensor predicates (max/min live with the
reductions).
"""

import builtins

from mytorch import _backends
from mytorch._core import TensorBase
from mytorch._ops.pointwise import exp, log, sqrt, to_dtype, where
from mytorch._ops.reduction import amax, mean, sum
from mytorch._ops.shape import _dims, squeeze, unsqueeze


def softmax(input, dim, dtype=None):
    """Matches torch.softmax."""
    if dtype is not None:
        input = input.to(dtype)
    # NOTE: shift-invariant, so detaching the max is exact and keeps exp from overflowing.
    z = exp(input - amax(input, dim, keepdim=True).detach())
    return z / sum(z, dim, keepdim=True)


def log_softmax(input, dim, dtype=None):
    """Matches torch.log_softmax."""
    if dtype is not None:
        input = input.to(dtype)
    z = input - amax(input, dim, keepdim=True).detach()
    return z - log(sum(exp(z), dim, keepdim=True))


def logsumexp(input, dim, keepdim=False):
    """Matches torch.logsumexp."""
    m = amax(input, dim, keepdim=True).detach()
    out = log(sum(exp(input - m), dim, keepdim=True)) + m
    return out if keepdim else squeeze(out, dim)


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Matches torch.var."""
    if correction is None:
        correction = 1 if unbiased else 0
    mu = mean(input, dim, keepdim=True)
    d = input - mu
    n = 1
    for x in range(input.ndim) if dim is None else _dims(dim, input.ndim):
        n *= input.shape[x]
    return sum(d * d, dim, keepdim) / builtins.max(n - correction, 0)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Matches torch.std."""
    return sqrt(var(input, dim, unbiased=unbiased, keepdim=keepdim, correction=correction))


def masked_fill(input, mask, value):
    """Matches torch.masked_fill: ``value`` where ``mask`` is True, in ``input``'s dtype."""
    return to_dtype(where(mask, value, input), input.dtype)


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
    "softmax", "log_softmax", "logsumexp", "var", "std",
    "masked_fill", "square", "outer", "ger", "allclose", "equal", "is_tensor", "numel", "is_floating_point",
]  # fmt: skip
INTERNAL = []
