"""Statistics: median, nanmedian, mode (primitives: the gradient goes where torch sends it),
unique and unique_consecutive (not differentiable); aminmax, var_mean, std_mean,
count_nonzero, nansum, nanmean, quantile, nanquantile, diff, trapezoid (trapz), cov and
corrcoef (composites of other ops).
"""

import math
import warnings
from collections import namedtuple

from mytorch._aliases import numpy_axis
from mytorch import _dtype as D
from mytorch._applyn import apply_multi
from mytorch._core import SAVE_OUT, SAVE_X, TensorBase, apply1
from mytorch._ops._declare import declare, defop
from mytorch._ops.creation import full
from mytorch._ops.indexing import cat, narrow, select
from mytorch._ops.linalg import mm
from mytorch._ops.math import isnan, lerp, logical_xor
from mytorch._ops.pointwise import clamp, sqrt, where
from mytorch._ops.rearrange import movedim
from mytorch._ops.reduction import _select_back, amax, amin, mean, sort, std, sum, var
from mytorch._ops.scan import _check_tensor, _dim1, numpy_aliases
from mytorch._ops.scatter import gather
from mytorch._ops.shape import _dims, reshape, squeeze, unsqueeze
from mytorch._out import check_out, check_outs, same_dtype, write_out, write_outs
from mytorch._size import _bool_arg, _int_arg


def _evenly_vjp(n, g):
    """median() and nanmedian() over all entries: the gradient split evenly among the entries
    equal to the result (NaN ones where it is NaN), as torch does."""
    x, out = n.x.detach(), n.out.detach()
    mask = ((x == out) | (isnan(x) & isnan(out))).to(g.dtype)
    return g * mask / sum(mask)


def _dim_select_vjp(n, g, g_indices):
    return _select_back(n, g, n.params[0], n.params[1])  # params: dim, keepdim, ...


# fmt: off
# name                   VJP: (node n, output gradient g) -> gradient of the input
# Over all entries: one primitive, two grad_fn names (kernel: the backend's median).
NANMEDIAN     = defop("nanmedian", _evenly_vjp,   SAVE_X | SAVE_OUT, kernel="median",
                      node_name="NanmedianBackward0")
MEDIAN        = NANMEDIAN.variant("MedianBackward0")
# Along a dim, two outputs (values, indices): the gradient goes to the index returned.
MEDIAN_DIM    = defop("median", _dim_select_vjp, kernel="median_dim", node_name="MedianBackward1")
NANMEDIAN_DIM = MEDIAN_DIM.variant("NanmedianBackward1")
MODE          = defop("mode",   _dim_select_vjp, node_name="ModeBackward0")
# (values, inverse, counts): never differentiable.
UNIQUE             = defop("unique",             None)
UNIQUE_CONSECUTIVE = defop("unique_consecutive", None)
# fmt: on


def _return_type(name, fields=("values", "indices")):
    def __repr__(self):
        inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{inner})"

    base = namedtuple(name, fields)
    ns = {"__slots__": (), "__repr__": __repr__, "__module__": "mytorch.return_types"}
    return type(name, (base,), ns)


_MEDIAN, _NANMEDIAN, _MODE = (_return_type(n) for n in ("median", "nanmedian", "mode"))
_AMINMAX = _return_type("aminmax", ("min", "max"))
# What the out= forms return, named as torch's.
_OUT_TYPES = {n: _return_type(n + "_out") for n in ("median", "nanmedian", "mode")}
_OUT_TYPES["aminmax"] = _return_type("aminmax_out", ("min", "max"))


# --- median, nanmedian, mode --------------------------------------------------------------------
def _check_orderable(name, input):
    _check_tensor(name, input)
    if input.dtype is D.bool_ or input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{input.dtype.title}'")


def _select_dim(name, op, result, input, dim, keepdim, params, out):
    _check_orderable(name, input)
    if out is not None:
        check_outs(name, out, 2, (input,))
        r = _select_dim(name, op, result, input, dim, keepdim, params, None)
        return _OUT_TYPES[name](*write_outs(out, r, (same_dtype, same_dtype)))
    d = _dim1(dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    keepdim = _bool_arg(name, "keepdim", keepdim)
    return result(*apply_multi(op, input, (d, keepdim) + params, save=(1,)))


def _median_all(name, op, input, ignore_nan):
    _check_orderable(name, input)
    if input.numel() == 0:
        return full((), math.nan, dtype=input.dtype, device=input.device)
    return apply1(op, input, (ignore_nan,))


@numpy_aliases
def median(input, dim=None, keepdim=False, *, out=None):
    """Matches torch.median: the lower median of all entries (the gradient split among the
    entries equal to it), or (values, indices) along ``dim`` (the gradient to the index
    returned: the middle entry of a stable sort; NaN propagates)."""
    if dim is None:
        if out is not None:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        return _median_all("median", MEDIAN, input, False)
    return _select_dim("median", MEDIAN_DIM, _MEDIAN, input, dim, keepdim, (False,), out)


@numpy_aliases
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """Matches torch.nanmedian: median ignoring NaN (NaN where a slice is all NaN)."""
    if dim is None:
        if out is not None:
            raise TypeError('nanmedian() missing 1 required positional arguments: "dim"')
        return _median_all("nanmedian", NANMEDIAN, input, True)
    return _select_dim("nanmedian", NANMEDIAN_DIM, _NANMEDIAN, input, dim, keepdim, (True,), out)


@numpy_aliases
def mode(input, dim=-1, keepdim=False, *, out=None):
    """Matches torch.mode: (the most frequent value along ``dim``, the smallest of equally
    frequent ones; the index of its last occurrence, where the gradient goes)."""
    return _select_dim("mode", MODE, _MODE, input, dim, keepdim, (), out)


# --- unique --------------------------------------------------------------------------------------
def _unique_result(name, op, input, return_inverse, return_counts, dim):
    _check_tensor(name, input)
    if dim is not None and not input.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = None if dim is None else _dims(dim, input.ndim)[0]
    values, inverse, counts = apply_multi(op, input.detach(), (d,))
    if name == "unique_consecutive" and d is None:
        inverse = reshape(inverse, input.shape)
    result = (values,)
    if _bool_arg(name, "return_inverse", return_inverse):
        result += (inverse,)
    if _bool_arg(name, "return_counts", return_counts):
        result += (counts,)
    return result[0] if len(result) == 1 else result


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Matches torch.unique (always sorted, as torch is on the CPU). NOTE: the result never
    requires grad (torch's does, and its backward raises)."""
    return _unique_result("unique", UNIQUE, input, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Matches torch.unique_consecutive (see unique)."""
    return _unique_result(
        "unique_consecutive", UNIQUE_CONSECUTIVE, input, return_inverse, return_counts, dim
    )


# --- composites of reductions --------------------------------------------------------------------
@numpy_aliases
def aminmax(input, *, dim=None, keepdim=False, out=None):
    """Matches torch.aminmax: (amin, amax) over ``dim`` (None: all); tied extrema share the
    gradient evenly."""
    _check_tensor("aminmax", input)
    if out is not None:
        check_outs("aminmax", out, 2, (input,))
        r = aminmax(input, dim=dim, keepdim=keepdim)
        return _OUT_TYPES["aminmax"](*write_outs(out, r, (same_dtype, same_dtype)))
    keepdim = _bool_arg("aminmax", "keepdim", keepdim)
    if input.numel() == 0:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    if dim is None:
        lo, hi = amin(input), amax(input)
        if keepdim:
            lo, hi = (reshape(t, (1,) * input.ndim) for t in (lo, hi))
        return _AMINMAX(lo, hi)
    d = _dim1(dim, input.ndim)
    if not input.ndim:
        return _AMINMAX(input * 1, input * 1)
    return _AMINMAX(amin(input, d, keepdim), amax(input, d, keepdim))


def _spread_mean(name, spread, input, dim, unbiased, keepdim, correction):
    _check_tensor(name, input)
    if isinstance(dim, bool):  # the overload (input, unbiased)
        dim, unbiased = None, dim
    v = spread(input, dim, unbiased, keepdim, correction)
    if dim is not None and not input.ndim:
        _dims(dim, 0)
        dim = None
    return v, mean(input, dim, keepdim) if dim is not None else _mean_all(input, keepdim)


def _mean_all(input, keepdim):
    m = mean(input)
    return reshape(m, (1,) * input.ndim) if keepdim else m


@numpy_aliases
def var_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Matches torch.var_mean: (var, mean), with var's arguments."""
    return _spread_mean("var_mean", var, input, dim, unbiased, keepdim, correction)


@numpy_aliases
def std_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """Matches torch.std_mean: (std, mean), with std's arguments."""
    return _spread_mean("std_mean", std, input, dim, unbiased, keepdim, correction)


@numpy_aliases
def count_nonzero(input, dim=None):
    """Matches torch.count_nonzero (int64)."""
    _check_tensor("count_nonzero", input)
    if dim is not None and not input.ndim:
        _dims(dim, 0)  # torch's range check: a 0-d input takes 0 and -1
        dim = None
    return sum(input != 0, dim)


@numpy_aliases
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches torch.nansum: sum with NaN taken as 0 (no gradient to the NaN)."""
    _check_tensor("nansum", input)
    if out is not None:
        check_out("nansum", out, (input,))
        return write_out(out, nansum(input, dim, keepdim, dtype=dtype), same_dtype)
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError("nansum does not support complex inputs")
    if input.dtype.category == D.FLOAT:
        input = where(isnan(input), 0.0, input)
    return sum(input, dim, keepdim, dtype)


@numpy_aliases
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches torch.nanmean: the mean of the entries that are not NaN."""
    _check_tensor("nanmean", input)
    if out is not None:
        check_out("nanmean", out, (input,))
        return write_out(out, nanmean(input, dim, keepdim, dtype=dtype), same_dtype)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype.title}"
        )
    count = sum(~isnan(input), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


# --- quantile ------------------------------------------------------------------------------------
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    _check_tensor(name, input)
    if not isinstance(q, TensorBase):
        if isinstance(q, bool) or not isinstance(q, (int, float)):
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got "
                f"(Tensor, {type(q).__name__})"
            )
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        q = full((), float(q), dtype=input.dtype, device=input.device)
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    keepdim = _bool_arg(name, "keepdim", keepdim)
    q = q.detach()
    if dim is None:
        x, d = reshape(input, (-1,)), 0
    else:
        d = _dim1(dim, input.ndim)
        x = input if input.ndim else reshape(input, (1,))
    srt = movedim(sort(x, d)[0], d, -1)  # (..., n), NaN last
    n = srt.shape[-1]
    nan = isnan(srt.detach())
    if ignore_nan:
        ranks = q * (sum(~nan, -1, True) - 1)
        ranks = where(ranks < 0, 0.0, ranks)
    else:
        ranks = where(nan.any(-1, True), float(n - 1), q * (n - 1))
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.to(D.int64)
    r = gather(srt, -1, below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - below if interpolation == "linear" else ranks * 0 + 0.5
        r = lerp(r, gather(srt, -1, ranks.ceil().to(D.int64)), weights)
    # r: (..., len(q)) or (..., 1) for a 0-d q; the quantiles' dim goes first
    r = movedim(r, -1, 0) if q.ndim else squeeze(r, -1)
    if keepdim:
        lead = 1 if q.ndim else 0
        if dim is None:
            r = reshape(r, r.shape[:lead] + (1,) * input.ndim)
        elif input.ndim:
            r = unsqueeze(r, lead + d)
    return r


@numpy_aliases
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """Matches torch.quantile (the gradient goes through the sorted entries used)."""
    if out is not None:
        check_out("quantile", out, (input, q))
        return write_out(out, quantile(input, q, dim, keepdim, interpolation=interpolation))
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@numpy_aliases
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """Matches torch.nanquantile: quantile ignoring NaN."""
    if out is not None:
        check_out("nanquantile", out, (input, q))
        return write_out(out, nanquantile(input, q, dim, keepdim, interpolation=interpolation))
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# --- diff, trapezoid, cov, corrcoef --------------------------------------------------------------
@numpy_aliases
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """Matches torch.diff: the ``n``-th forward difference along ``dim`` (bools: !=)."""
    _check_tensor("diff", input)
    if out is not None:
        check_out("diff", out, (input, prepend, append))
        return write_out(out, diff(input, n, dim, prepend, append))
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = _int_arg(n, "n")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dims(dim, input.ndim)[0]
    parts = []
    for arg, which in ((prepend, "prepend"), (input, None), (append, "append")):
        if arg is None:
            continue
        if not isinstance(arg, TensorBase):
            raise TypeError(f"diff(): argument '{which}' must be Tensor, not {type(arg).__name__}")
        if arg.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.append(arg)
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        m = max(x.shape[d] - 1, 0)
        hi, lo = narrow(x, d, x.shape[d] - m, m), narrow(x, d, 0, m)
        x = logical_xor(hi, lo) if x.dtype is D.bool_ else hi - lo
    return x


@numpy_axis
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches torch.trapezoid: the trapezoidal rule along ``dim``, with sample points ``x``
    (1-D, or of y's shape) or spacing ``dx`` (default 1)."""
    _check_tensor("trapezoid", y)
    if x is not None and not isinstance(x, TensorBase):
        raise TypeError(
            "trapezoid() received an invalid combination of arguments - got "
            f"(Tensor, {type(x).__name__})"
        )
    d = _dims(dim, y.ndim)[0]
    n = y.shape[d]
    if x is None:
        spacing = 1 if dx is None else dx
        if n == 0:
            return sum(y, d) * 0.0
        ends = select(y, d, 0) + select(y, d, n - 1)
        return (sum(y, d) - ends * 0.5) * spacing
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        dxs = reshape(diff(x), (-1,) + (1,) * (y.ndim - d - 1))
    else:
        dxs = diff(x, dim=d)
    if n == 0:
        return sum(y, d) * 0.0
    pairs = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    return sum(dxs * pairs, d) / 2.0


@numpy_axis
def trapz(y, x=None, *, dx=None, dim=-1):
    """Matches torch.trapz (trapezoid's older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def _check_weights(name, w, kind, integral, n):
    if w.ndim > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
            f"{w.ndim} dimensions"
        )
    if w.numel() != n:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {n}"
        )
    if integral != (w.dtype.category < D.FLOAT):
        raise RuntimeError(
            f"cov(): expected {name} to have {kind} dtype but got {name} with {w.dtype.title} dtype"
        )
    if bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Matches torch.cov: the covariance of the rows (variables) of ``input`` over its
    columns (observations), with frequency and analytic weights."""
    _check_tensor("cov", input)
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    x = input if input.ndim == 2 else reshape(input, (1, -1))
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, "integral", True, n)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, "floating point", False, n)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n
        avg = sum(x, 1) / n
        norm = n - correction
    else:
        w_sum = sum(w)
        avg = sum(x * w, 1) / w_sum
        if correction != 0 and aweights is not None:
            norm = w_sum - correction * sum(w * aweights) / w_sum
        else:
            norm = w_sum - correction
    if bool(norm <= 0):
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = norm * 0 if isinstance(norm, TensorBase) else 0
    xc = x - unsqueeze(avg, 1)
    c = mm(xc, (xc if w is None else xc * w).t())
    return squeeze(c / norm)


def corrcoef(input):
    """Matches torch.corrcoef: the correlation coefficients of the rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    s = sqrt(c.diagonal())
    c = c / unsqueeze(s, 1) / unsqueeze(s, 0)
    return clamp(c, -1, 1)


declare(median, method=True, out=True, op=MEDIAN_DIM)
declare(nanmedian, method=True, out=True, op=NANMEDIAN)
declare(mode, method=True, out=True, op=MODE)
declare(unique, method=True, op=UNIQUE)
declare(unique_consecutive, method=True, op=UNIQUE_CONSECUTIVE)
for _fn in (quantile, nanquantile, nansum, nanmean, diff, aminmax):
    declare(_fn, method=True, out=True, composite=True)
for _fn in (count_nonzero, cov, corrcoef):
    declare(_fn, method=True, composite=True)
for _fn in (var_mean, std_mean, trapezoid, trapz):
    declare(_fn, composite=True)

__all__ = []
INTERNAL = []
