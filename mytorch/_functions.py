"""Functions composed from primitives (no VJPs of their own): softmax, var, max/min, ..."""

import builtins
from collections import namedtuple

import numpy as np

from mytorch import _ops as F
from mytorch._core import _wrap, _wrap_dim

_MinMax = namedtuple("_MinMax", ["values", "indices"])


def softmax(input, dim, dtype=None):
    """Matches torch.softmax."""
    if dtype is not None:
        input = input.to(dtype)
    # NOTE: shift-invariant, so detaching the max is exact and keeps exp from overflowing.
    z = F.exp(input - F.amax(input, dim, keepdim=True).detach())
    return z / F.sum(z, dim, keepdim=True)


def log_softmax(input, dim, dtype=None):
    """Matches torch.log_softmax."""
    if dtype is not None:
        input = input.to(dtype)
    z = input - F.amax(input, dim, keepdim=True).detach()
    return z - F.log(F.sum(F.exp(z), dim, keepdim=True))


def logsumexp(input, dim, keepdim=False):
    """Matches torch.logsumexp."""
    m = F.amax(input, dim, keepdim=True).detach()
    out = F.log(F.sum(F.exp(input - m), dim, keepdim=True)) + m
    return out if keepdim else F.squeeze(out, dim)


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Matches torch.var."""
    if correction is None:
        correction = 1 if unbiased else 0
    mu = F.mean(input, dim, keepdim=True)
    d = input - mu
    n = input.numel() if dim is None else int(np.prod([input.shape[x] for x in F._dims(dim, input.ndim)]))
    return F.sum(d * d, dim, keepdim) / builtins.max(n - correction, 0)  # NOTE: this module shadows max


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Matches torch.std."""
    return F.sqrt(var(input, dim, unbiased=unbiased, keepdim=keepdim, correction=correction))


def _minmax(reduce, argfn, input, dim, keepdim):
    if dim is None:
        return reduce(input)
    d = _wrap_dim(dim, input.ndim)
    idx = np.expand_dims(argfn(np.asarray(input._data), axis=d), d)
    # Gradient to the chosen index only, as PyTorch routes it.
    grid = list(np.ix_(*[np.arange(s) for s in idx.shape]))
    grid[d] = idx
    values = F.getitem(input, tuple(grid))
    indices = _wrap(idx.astype(np.int64))
    if not keepdim:
        values = F.squeeze(values, d)
        indices = _wrap(np.squeeze(idx, d).astype(np.int64))
    return _MinMax(values, indices)


def max(input, dim=None, keepdim=False):
    """Matches torch.max: the maximum, or (values, indices) along ``dim``; maximum() for two tensors."""
    from mytorch._core import TensorBase

    if isinstance(dim, TensorBase):
        return F.maximum(input, dim)
    return _minmax(F.amax, np.argmax, input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    """Matches torch.min: the minimum, or (values, indices) along ``dim``; minimum() for two tensors."""
    from mytorch._core import TensorBase

    if isinstance(dim, TensorBase):
        return F.minimum(input, dim)
    return _minmax(F.amin, np.argmin, input, dim, keepdim)


def clamp(input, min=None, max=None):
    """Matches torch.clamp."""
    return input.clamp(min, max)


def square(input):
    return input * input


def outer(input, vec2):
    """Matches torch.outer."""
    return F.unsqueeze(input, 1) * F.unsqueeze(vec2, 0)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Matches torch.allclose."""
    return bool(np.allclose(np.asarray(input._data), np.asarray(other._data), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    """Matches torch.equal."""
    return input.equal(other)


def is_tensor(obj):
    from mytorch._core import TensorBase

    return isinstance(obj, TensorBase)


def numel(input):
    return input.numel()
