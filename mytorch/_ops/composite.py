"""Composite functions, built from primitives (no VJPs of their own): logsumexp, masked_fill,
square, outer, and tensor predicates (max/min, var/std live with the reductions; softmax and
log_softmax are primitives now, in mytorch._ops.nn_softmax). ``@composite(...)`` declares one
with its namespaces and methods.
"""

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._aliases import numpy_kwargs
from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.nn_softmax import log_softmax, softmax  # noqa: F401  (their former home)
from mytorch._ops.pointwise import exp, log, to_dtype, where
from mytorch._ops.reduction import amax, sum
from mytorch._ops.shape import squeeze, unsqueeze
from mytorch._promotion import broadcast_error
from mytorch._out import check_out, write_out
from mytorch._size import _bool_arg


def _broadcastable(sa, sb):
    return all(p == q or p == 1 or q == 1 for p, q in zip(reversed(sa), reversed(sb)))


def _float_out(result, out):
    """logsumexp's out dtype rule: a floating-point (or complex) out."""
    if out.category < D.FLOAT:
        return RuntimeError(
            f"logsumexp(): Expected floating point type for result tensor, but got: {out.title}"
        )
    return None


_REQUIRED = object()


@composite(namespace=("torch", "special"), method=True, out=True)
def logsumexp(input, dim=_REQUIRED, keepdim=False, *, out=None, **kwargs):
    """Matches torch.logsumexp."""
    if kwargs:
        dim, keepdim = numpy_kwargs("logsumexp", kwargs, dim, keepdim, _REQUIRED)
    if dim is _REQUIRED:  # a default only so that axis= can stand for it
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    acc = None
    if out is not None:
        check_out("logsumexp", out, (input,))
        if out.dtype.category == D.FLOAT and input.dtype.category == D.FLOAT:
            acc = out.dtype  # NOTE: torch sums (and takes the log) in a float out's dtype
        return write_out(out, _logsumexp(input, dim, keepdim, acc), _float_out)
    return _logsumexp(input, dim, keepdim, acc)


def _logsumexp(input, dim, keepdim, acc):
    keepdim = _bool_arg("logsumexp", "keepdim", keepdim)
    m = amax(input, dim, keepdim=True).detach()
    r = log(sum(exp(input - m), dim, keepdim=True, dtype=acc)) + m
    return r if keepdim else squeeze(r, dim)


def masked_fill(input, mask, value):
    """Matches torch.masked_fill: ``value`` where ``mask`` is True, in ``input``'s dtype."""
    return to_dtype(where(mask, value, input), input.dtype)


@composite(method=True, inplace=True, out=True)
def square(input, *, out=None):
    """Matches torch.square."""
    if out is not None:
        check_out("square", out, (input,))
        return write_out(out, square(input))
    return input * input


def outer(input, vec2, out=None):
    """Matches torch.outer."""
    if out is not None:
        check_out("outer", out, (input, vec2))
        return write_out(out, outer(input, vec2))
    for arg, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {arg}, but got {t.ndim}-D")
    return unsqueeze(input, 1) * unsqueeze(vec2, 0)


ger = outer


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Matches torch.allclose."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    a, b = input._data, other._data
    if not _broadcastable(a.shape, b.shape):
        raise broadcast_error(None, a, b)
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
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"numel(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return input.numel()


def is_floating_point(input):
    """Matches torch.is_floating_point."""
    return input.is_floating_point()


__all__ = [
    "masked_fill", "outer", "ger", "allclose", "equal", "is_tensor", "numel", "is_floating_point",
]  # fmt: skip
INTERNAL = []
