"""Reductions: sum, mean, amax, amin (differentiable), argmax, argmin, all, any (not)."""

from mytorch import _dtype as D
from mytorch._core import KIND_FLOAT, SAVE_OUT, SAVE_X, TensorBase, apply1
from mytorch._ops._defop import defop
from mytorch._ops.shape import _dims, expand, reshape


def _reduced_back(g, shape, dim, keepdim):
    """Broadcast a reduced gradient back to the reduced input's shape."""
    if dim is not None and not keepdim:
        kshape = list(shape)
        for d in dim:
            kshape[d] = 1
        g = reshape(g, tuple(kshape))
    return expand(g, shape)


def _count(shape, dim):
    n = 1
    for d in range(len(shape)) if dim is None else dim:
        n *= shape[d]
    return n


def _mean_vjp(n, g):
    shape = n.shapes[0]
    return _reduced_back(g, shape, *n.params) / _count(shape, n.params[0])


def _minmax_vjp(n, g):
    """Gradient of amax/amin: split evenly among the tied extrema (PyTorch's rule)."""
    dim, keepdim = n.params
    shape = n.shapes[0]
    out = _reduced_back(n.out.detach(), shape, dim, keepdim)
    mask = (n.x.detach() == out).to(g.dtype)
    count = mask.sum(dim=dim, keepdim=True) if dim is not None else mask.sum()
    return _reduced_back(g, shape, dim, keepdim) * mask / count


# fmt: off
# name             VJP: (node n, output gradient g) -> gradient of the input
SUM      = defop("sum",  lambda n, g: _reduced_back(g, n.shapes[0], *n.params))
SUM_DIM  = SUM.variant("SumBackward1")
MEAN     = defop("mean", _mean_vjp,                                       kind=KIND_FLOAT)
MEAN_DIM = MEAN.variant("MeanBackward1")
AMAX     = defop("amax", _minmax_vjp,                                     SAVE_X | SAVE_OUT)
AMIN     = defop("amin", _minmax_vjp,                                     SAVE_X | SAVE_OUT)
# Integer and bool results: never differentiable.
ARGMAX = defop("argmax", None)
ARGMIN = defop("argmin", None)
ALL    = defop("all", None)
ANY    = defop("any", None)
# fmt: on


def _check_tensor(name, t):
    if not isinstance(t, TensorBase):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}"
        )


def sum(input, dim=None, keepdim=False, dtype=None):
    """Matches torch.sum."""
    _check_tensor("sum", input)
    if dtype is not None:
        input = input.to(dtype)
    dims = _dims(dim, input.ndim)
    return apply1(SUM if dim is None else SUM_DIM, input, (dims, bool(keepdim)))


def _dtype_title(dt):
    titles = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte"}
    return titles.get(dt.name, "Bool" if dt.name == "bool" else dt.name)


def mean(input, dim=None, keepdim=False, dtype=None):
    """Matches torch.mean (floating-point inputs only, as in PyTorch)."""
    _check_tensor("mean", input)
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_dtype_title(input.dtype)}"
        )
    dims = _dims(dim, input.ndim)
    return apply1(MEAN if dim is None else MEAN_DIM, input, (dims, bool(keepdim)))


def amax(input, dim=(), keepdim=False):
    """Matches torch.amax (ties share the gradient evenly)."""
    dims = _dims(dim, input.ndim) if dim != () else None
    return apply1(AMAX, input, (dims, bool(keepdim)))


def amin(input, dim=(), keepdim=False):
    """Matches torch.amin (ties share the gradient evenly)."""
    dims = _dims(dim, input.ndim) if dim != () else None
    return apply1(AMIN, input, (dims, bool(keepdim)))


def argmax(input, dim=None, keepdim=False):
    """Matches torch.argmax (int64 indices; the first of tied maxima)."""
    _check_tensor("argmax", input)
    d = None if dim is None else _dims(dim, input.ndim)[0]
    return apply1(ARGMAX, input, (d, bool(keepdim)))


def argmin(input, dim=None, keepdim=False):
    """Matches torch.argmin (int64 indices; the first of tied minima)."""
    _check_tensor("argmin", input)
    d = None if dim is None else _dims(dim, input.ndim)[0]
    return apply1(ARGMIN, input, (d, bool(keepdim)))


def all(input, dim=None, keepdim=False):
    """Matches torch.all (a bool tensor)."""
    _check_tensor("all", input)
    return apply1(ALL, input, (_dims(dim, input.ndim), bool(keepdim)))


def any(input, dim=None, keepdim=False):
    """Matches torch.any (a bool tensor)."""
    _check_tensor("any", input)
    return apply1(ANY, input, (_dims(dim, input.ndim), bool(keepdim)))


__all__ = ["sum", "mean", "amax", "amin", "argmax", "argmin", "all", "any"]
INTERNAL = []
