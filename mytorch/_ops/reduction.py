"""Reductions: sum, mean, var (and std, its square root), amax, amin (differentiable), argmax,
argmin, all, any (not); and the ops that select along a dim with several outputs (values,
indices): max/min along a dim, sort, topk.
"""

import math
import warnings
from collections import namedtuple

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._aliases import numpy_kwargs
from mytorch._applyn import apply_multi
from mytorch._core import KIND_FLOAT, SAVE_OUT, SAVE_X, TensorBase, apply1
from mytorch._ops._declare import defop
from mytorch._ops.indexing import index_backward
from mytorch._ops.pointwise import maximum, minimum, sqrt, where
from mytorch._ops.shape import _dims, expand, reshape
from mytorch._out import any_dtype, can_cast, check_out, check_outs, same_dtype, write_out
from mytorch._out import write_outs
from mytorch._size import _bool_arg, _int_arg, _wrap_dim


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
    # NOTE: divided before it is broadcast back, so the gradient stays a broadcast view of the
    # reduced one (no full-size array; each element is the same g / count either way).
    shape = n.shapes[0]
    return _reduced_back(g / _count(shape, n.params[0]), shape, *n.params)


def _var_vjp(n, g):
    """Gradient of var: 2 (x - mean) / (N - correction) times the output gradient broadcast back.

    Where N - correction <= 0, torch's values: over all elements (or of a 0-d input) NaN where x
    is the mean and inf elsewhere; along dims the same formula, 2 / 0 being inf.
    """
    dim, correction, keepdim = n.params
    shape = n.shapes[0]
    x = n.x
    g = _reduced_back(g, shape, dim, keepdim)
    mu = mean(x, dim, keepdim=True)
    dof = _count(shape, dim) - correction
    if dof <= 0 and (dim is None or not shape):
        return g * where(x == mu, math.nan, math.inf)
    return g * (x - mu) * (2 / dof if dof else math.inf)


def _minmax_vjp(n, g):
    """Gradient of amax/amin: split evenly among the tied extrema (PyTorch's rule)."""
    dim, keepdim = n.params
    shape = n.shapes[0]
    out = _reduced_back(n.out.detach(), shape, dim, keepdim)
    mask = (n.x.detach() == out).to(g.dtype)
    count = mask.sum(dim=dim, keepdim=True) if dim is not None else mask.sum()
    return _reduced_back(g, shape, dim, keepdim) * mask / count


def _select_back(n, g, dim, keepdim):
    """The VJP of an op that selects values along ``dim`` (max/min along a dim, sort, topk):
    the values' gradient goes back to the positions its indices (saved output) name."""
    shape = n.shapes[0]
    if not shape:
        return g  # a 0-d input is its own value
    ind = n.inputs[0]._data
    be = _backends.for_array(ind)
    if not keepdim:
        kshape = list(shape)
        kshape[dim] = 1
        g = reshape(g, tuple(kshape))
        ind = be.reshape(ind, tuple(kshape))
    index = be.along_index(ind, dim)
    return index_backward(g, shape, index, False)


# The VJPs of (values, indices) = op(input, *params): one gradient per output.
def _max_min_vjp(n, g, g_indices):
    return _select_back(n, g, n.params[0], n.params[1])  # params: dim, keepdim


def _sort_vjp(n, g, g_indices):
    return _select_back(n, g, n.params[0], True)  # params: dim, descending


def _topk_vjp(n, g, g_indices):
    return _select_back(n, g, n.params[1], True)  # params: k, dim, largest, sorted


# fmt: off
# name             VJP: (node n, output gradient g) -> gradient of the input
SUM      = defop("sum",  lambda n, g: _reduced_back(g, n.shapes[0], *n.params))
SUM_DIM  = SUM.variant("SumBackward1")
MEAN     = defop("mean", _mean_vjp,                                       kind=KIND_FLOAT)
MEAN_DIM = MEAN.variant("MeanBackward1")
VAR      = defop("var",  _var_vjp,                                        SAVE_X)
AMAX     = defop("amax", _minmax_vjp,                                     SAVE_X | SAVE_OUT)
AMIN     = defop("amin", _minmax_vjp,                                     SAVE_X | SAVE_OUT)
# Integer and bool results: never differentiable.
ARGMAX = defop("argmax", None)
ARGMIN = defop("argmin", None)
ALL    = defop("all", None)
ANY    = defop("any", None)
# Several outputs (values, indices); the VJP gets one gradient per output (indices get None).
MAX  = defop("max",  _max_min_vjp, kernel="max_dim", node_name="MaxBackward0")
MIN  = defop("min",  _max_min_vjp, kernel="min_dim", node_name="MinBackward0")
SORT = defop("sort", _sort_vjp)
TOPK = defop("topk", _topk_vjp)
SORT_STABLE = SORT.variant("SortBackward1")
MAX_ALL = AMAX.variant("MaxBackward1")  # max(input): amax over everything, named as torch's
MIN_ALL = AMIN.variant("MinBackward1")
# fmt: on


def _in_float_out(input, out):
    """NOTE: torch reduces in out's dtype when both are floats (a float32 input summed into a
    float64 out is summed in float64)."""
    if out.dtype.category == D.FLOAT and input.dtype.category == D.FLOAT:
        return input.to(out.dtype)
    return input


def _real_out(result, out):
    """var's and std's out dtype rule: canCast, into a real out."""
    if out.category == D.COMPLEX:
        return NotImplementedError(f"\"std_cpu\" not implemented for '{out.title}'")
    return can_cast(result, out)


def _check_nonempty(name, t, exc):
    """torch's error for an all-elements max/min/argmax/... of an empty tensor."""
    if t._data.size == 0:
        tail = " Specify the reduction dim with the 'dim' argument." if exc is RuntimeError else ""
        raise exc(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{tail}")


def _rdims(dim, ndim):
    """A reduction's dims (checked as ``_dims`` does): on a 0-d input, dim 0 or -1 is all of it
    (None), whatever ``keepdim`` says."""
    dims = _dims(dim, ndim)
    return dims if ndim else None


def _check_tensor(name, t):
    if not isinstance(t, TensorBase):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}"
        )


def sum(input, dim=None, keepdim=False, dtype=None, out=None, **kwargs):
    """Matches torch.sum."""
    if kwargs:
        dim, keepdim = numpy_kwargs("sum", kwargs, dim, keepdim)
    _check_tensor("sum", input)
    if out is not None:
        check_out("sum", out, (input,))
        # NOTE: without dtype=, torch sums in out's dtype (the input cast to it first).
        r = sum(input, dim, keepdim, out.dtype if dtype is None else dtype)
        return write_out(out, r, any_dtype if dtype is None else same_dtype)
    if dtype is not None:
        input = input.to(dtype)
    dims = _rdims(dim, input.ndim)
    if keepdim is not False and keepdim is not True:
        _bool_arg("sum", "keepdim", keepdim)
    return apply1(SUM if dim is None else SUM_DIM, input, (dims, keepdim))


def mean(input, dim=None, keepdim=False, dtype=None, out=None, **kwargs):
    """Matches torch.mean (floating-point inputs only, as in PyTorch)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("mean", kwargs, dim, keepdim)
    _check_tensor("mean", input)
    if out is not None:
        check_out("mean", out, (input,))
        r = mean(input if dtype is not None else _in_float_out(input, out), dim, keepdim, dtype)
        return write_out(out, r, can_cast if dtype is None else same_dtype)
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.title}"
        )
    dims = _rdims(dim, input.ndim)
    if keepdim is not False and keepdim is not True:
        _bool_arg("mean", "keepdim", keepdim)
    return apply1(MEAN if dim is None else MEAN_DIM, input, (dims, keepdim))


def _dof_check(name, input, dims, correction):
    if _count(input.shape, dims) - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )


def var(input, dim=None, unbiased=True, keepdim=False, correction=None, out=None, **kwargs):
    """Matches torch.var: the sum of squared deviations from the mean over ``dim`` divided by
    N - ``correction`` (default 1, 0 when not ``unbiased``); ``var(input, unbiased)`` too."""
    if kwargs:
        dim, keepdim = numpy_kwargs("var", kwargs, dim, keepdim)
    if out is not None:
        check_out("var", out, (input,))
        r = var(_in_float_out(input, out), dim, unbiased, keepdim, correction)
        return write_out(out, r, _real_out)
    return _var("var", input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None, *, out=None, **kwargs):
    """Matches torch.std: sqrt(var), with torch's zero gradient where the spread is zero
    (there sqrt's derivative is inf and var's 0). Its grad_fn is WhereBackward0, torch's
    StdBackward0."""
    if kwargs:
        dim, keepdim = numpy_kwargs("std", kwargs, dim, keepdim)
    if out is not None:
        check_out("std", out, (input,))
        r = std(_in_float_out(input, out), dim, unbiased, keepdim, correction)
        return write_out(out, r, _real_out)
    v = _var("std", input, dim, unbiased, keepdim, correction)
    flat = v.detach() == 0
    return where(flat, 0.0, sqrt(where(flat, 1.0, v)))


def _var(name, input, dim, unbiased, keepdim, correction):
    _check_tensor(name, input)
    if isinstance(dim, bool):  # torch's overload var(input, unbiased)
        dim, unbiased = None, dim
    if input.dtype.category < D.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased else 0
    dims = _rdims(dim, input.ndim)
    _dof_check(name, input, dims, correction)
    if keepdim is not False and keepdim is not True:
        _bool_arg(name, "keepdim", keepdim)
    return apply1(VAR, input, (dims, correction, keepdim))


def _input_dtype(result, out):
    """amax's and amin's rule: out has the input's dtype (the result's)."""
    if result is not out:
        return RuntimeError(
            f"Expected the dtype for input and out to match, but got {result.title} for "
            f"input's dtype and {out.title} for out's dtype."
        )
    return None


def amax(input, dim=(), keepdim=False, out=None, **kwargs):
    """Matches torch.amax (ties share the gradient evenly)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("amax", kwargs, dim, keepdim, ())
    if out is not None:
        check_out("amax", out, (input,))
        return write_out(out, amax(input, dim, keepdim), _input_dtype)
    dims = _rdims(dim, input.ndim) if dim != () else None
    if not dims:
        _check_nonempty("amax", input, RuntimeError)
    if keepdim is not False and keepdim is not True:
        _bool_arg("amax", "keepdim", keepdim)
    return apply1(AMAX, input, (dims, keepdim))


def amin(input, dim=(), keepdim=False, out=None, **kwargs):
    """Matches torch.amin (ties share the gradient evenly)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("amin", kwargs, dim, keepdim, ())
    if out is not None:
        check_out("amin", out, (input,))
        return write_out(out, amin(input, dim, keepdim), _input_dtype)
    dims = _rdims(dim, input.ndim) if dim != () else None
    if not dims:
        _check_nonempty("amin", input, RuntimeError)
    if keepdim is not False and keepdim is not True:
        _bool_arg("amin", "keepdim", keepdim)
    return apply1(AMIN, input, (dims, keepdim))


def argmax(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.argmax (int64 indices; the first of tied maxima)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("argmax", kwargs, dim, keepdim)
    _check_tensor("argmax", input)
    if out is not None:
        check_out("argmax", out)  # int64 indices: inputs that require grad are fine
        return write_out(out, argmax(input, dim, keepdim), same_dtype)
    d = None if dim is None else _dims(dim, input.ndim)[0]
    if d is None:
        _check_nonempty("argmax", input, IndexError)
    if keepdim is not False and keepdim is not True:
        _bool_arg("argmax", "keepdim", keepdim)
    return apply1(ARGMAX, input, (d, keepdim))


def argmin(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.argmin (int64 indices; the first of tied minima)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("argmin", kwargs, dim, keepdim)
    _check_tensor("argmin", input)
    if out is not None:
        check_out("argmin", out)
        return write_out(out, argmin(input, dim, keepdim), same_dtype)
    d = None if dim is None else _dims(dim, input.ndim)[0]
    if d is None:
        _check_nonempty("argmin", input, IndexError)
    if keepdim is not False and keepdim is not True:
        _bool_arg("argmin", "keepdim", keepdim)
    return apply1(ARGMIN, input, (d, keepdim))


def _bool_rule(name):
    """all's and any's rule: a bool out (or uint8, which torch also takes)."""

    def rule(result, out):
        if out is not D.bool_ and out is not D.uint8:
            return RuntimeError(f"{name} only supports bool tensor for result, got: {out.title}")
        return None

    return rule


def all(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.all (a bool tensor)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("all", kwargs, dim, keepdim)
    _check_tensor("all", input)
    if out is not None:
        check_out("all", out)
        return write_out(out, all(input, dim, keepdim), _bool_rule("all"))
    if keepdim is not False and keepdim is not True:
        _bool_arg("all", "keepdim", keepdim)
    return apply1(ALL, input, (_rdims(dim, input.ndim), keepdim))


def any(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.any (a bool tensor)."""
    if kwargs:
        dim, keepdim = numpy_kwargs("any", kwargs, dim, keepdim)
    _check_tensor("any", input)
    if out is not None:
        check_out("any", out)
        return write_out(out, any(input, dim, keepdim), _bool_rule("any"))
    if keepdim is not False and keepdim is not True:
        _bool_arg("any", "keepdim", keepdim)
    return apply1(ANY, input, (_rdims(dim, input.ndim), keepdim))


def _return_type(name):
    """A (values, indices) named tuple printed as torch prints torch.return_types.<name>."""

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    base = namedtuple(name, ["values", "indices"])
    return type(
        name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "mytorch.return_types"}
    )


_MAX = _return_type("max")
_MIN = _return_type("min")
_SORT = _return_type("sort")
_TOPK = _return_type("topk")
# What the out= forms return, named as torch's.
_OUT_TYPES = {n: _return_type(n + "_out") for n in ("max", "min", "sort", "topk")}


def _values_indices_out(name, out, input, fn):
    """An op with (values, indices) called with out=(values, indices): ``fn()`` computed,
    then written into both (values in the input's dtype, indices int64)."""
    check_outs(name, out, 2, (input,))
    r = fn()
    return _OUT_TYPES[name](*write_outs(out, r, (same_dtype, same_dtype)))


def _max_min_out(name, input, dim, keepdim, out, fn):
    if isinstance(dim, TensorBase) or dim is None:  # max(a, b) and max(a): one tensor
        check_out(name, out, (input, dim))
        return write_out(out, fn(input, dim, keepdim))
    return _values_indices_out(name, out, input, lambda: fn(input, dim, keepdim))


def _max_min(op, all_op, result, input, dim, keepdim):
    _check_tensor(op.name, input)
    if input.dtype.is_complex:
        if dim is None:
            raise NotImplementedError(
                f"\"{op.name}_all\" not implemented for '{input.dtype.title}'"
            )
        raise RuntimeError(f"{op.name}(): does not support complex input")
    if dim is None:
        _check_nonempty(op.name, input, RuntimeError)
        return apply1(all_op, input, (None, False))
    nd = input._data.ndim
    d = _wrap_dim(dim, nd)
    if nd and input._data.shape[d] == 0:
        raise IndexError(f"{op.name}(): Expected reduction dim {d} to have non-zero size.")
    if keepdim is not False and keepdim is not True:
        _bool_arg(op.name, "keepdim", keepdim)
    return result(*apply_multi(op, input, (d, keepdim), save=(1,)))


def max(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.max: the maximum; (values, indices) along ``dim``, the gradient going to
    the selected entries; or maximum() of two tensors."""
    if kwargs:
        dim, keepdim = numpy_kwargs("max", kwargs, dim, keepdim)
    if out is not None:
        return _max_min_out("max", input, dim, keepdim, out, max)
    if isinstance(dim, TensorBase):
        return maximum(input, dim)
    return _max_min(MAX, MAX_ALL, _MAX, input, dim, keepdim)


def min(input, dim=None, keepdim=False, out=None, **kwargs):
    """Matches torch.min: the minimum; (values, indices) along ``dim``, the gradient going to
    the selected entries; or minimum() of two tensors."""
    if kwargs:
        dim, keepdim = numpy_kwargs("min", kwargs, dim, keepdim)
    if out is not None:
        return _max_min_out("min", input, dim, keepdim, out, min)
    if isinstance(dim, TensorBase):
        return minimum(input, dim)
    return _max_min(MIN, MIN_ALL, _MIN, input, dim, keepdim)


def sort(input, dim=-1, descending=False, stable=None, out=None, **kwargs):
    """Matches torch.sort: (values, indices), stable (NaN sorts as the largest value); the
    grad_fn is SortBackward1 when ``stable`` is given, as torch's overloads are named."""
    if kwargs:
        dim, _ = numpy_kwargs("sort", kwargs, dim, None, -1)
    _check_tensor("sort", input)
    if out is not None:
        return _values_indices_out("sort", out, input, lambda: sort(input, dim, descending, stable))
    d = _wrap_dim(dim, input._data.ndim)
    op = SORT if stable is None else SORT_STABLE
    descending = _bool_arg("sort", "descending", descending)
    return _SORT(*apply_multi(op, input, (d, descending), save=(1,)))


def topk(input, k, dim=-1, largest=True, sorted=True, out=None, **kwargs):
    """Matches torch.topk: the ``k`` largest (``largest=False``: smallest) entries along
    ``dim`` and their indices, always in sorted order."""
    if kwargs:
        dim, _ = numpy_kwargs("topk", kwargs, dim, None, -1)
    _check_tensor("topk", input)
    if out is not None:
        return _values_indices_out("topk", out, input, lambda: topk(input, k, dim, largest, sorted))
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    k = _int_arg(k, "k")
    if k < 0 or k > (shape[d] if shape else 1):
        raise RuntimeError("selected index k out of range")
    flags = (_bool_arg("topk", "largest", largest), _bool_arg("topk", "sorted", sorted))
    return _TOPK(*apply_multi(TOPK, input, (k, d, *flags), save=(1,)))


__all__ = [
    "sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "all", "any", "max", "min",
    "sort", "topk",
]  # fmt: skip
INTERNAL = []
