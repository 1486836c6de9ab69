"""Cumulative ops and products: cumsum, cumprod, cummax, cummin (primitives), logcumsumexp
(a composite), prod; and ``numpy_aliases``, the ``axis=``/``keepdims=`` spellings that torch
accepts on its reductions.
"""

import functools
from collections import namedtuple

from mytorch import _dtype as D
from mytorch._applyn import apply_multi
from mytorch._core import SAVE_X, TensorBase, apply1
from mytorch._grad_mode import _grad_on
from mytorch._ops._declare import declare, defop
from mytorch._ops.creation import arange, ones
from mytorch._ops.indexing import cat, getitem
from mytorch._ops.pointwise import exp, log, where
from mytorch._ops.reduction import _reduced_back, _select_back, amax, sum
from mytorch._ops.shape import reshape, unsqueeze
from mytorch._out import check_out, check_outs, same_dtype, write_out, write_outs
from mytorch._size import _bool_arg, _wrap_dim

_MISSING = object()


def numpy_aliases(fn):
    """torch's NumPy spellings on a reduction: ``axis=`` for ``dim=``, ``keepdims=`` for
    ``keepdim=`` (giving both raises TypeError, as torch does)."""

    @functools.wraps(fn)
    def aliased(*args, axis=_MISSING, keepdims=_MISSING, **kwargs):
        for alias, name in ((axis, "dim"), (keepdims, "keepdim")):
            if alias is not _MISSING:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument '{name}'")
                kwargs[name] = alias
        return fn(*args, **kwargs)

    return aliased


def _check_tensor(name, t):
    if not isinstance(t, TensorBase):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}"
        )


def _dim1(dim, ndim):
    """One dim as a non-negative axis; a 0-d tensor takes 0 and -1 (both: axis 0)."""
    d = _wrap_dim(dim, ndim)
    return d if ndim else 0


def _along(t, dim, sl):
    """t[..., sl, ...] with the slice ``sl`` on ``dim``."""
    return getitem(t, (slice(None),) * dim + (sl,))


# --- VJPs -------------------------------------------------------------------------------------
def _cumsum(x, dim, reverse=False):
    return apply1(CUMSUM, x, (dim, reverse))


def _cumprod(x, dim, reverse=False):
    return apply1(CUMPROD, x, (dim, reverse))


def _cumprod_vjp(n, g):
    """Gradient of y = cumprod(x): dx_k = sum_{j >= k} g_j prod_{i <= j, i != k} x_i, exact
    with zeros. As torch: in O(n) (zeros masked) when no graph is recorded, else in O(n^2),
    whose own derivative is cumprod's second derivative."""
    dim, reverse = n.params
    x = n.x
    if x.ndim == 0 or x.shape[dim] <= 1:
        return g
    if _grad_on():
        return _cumprod_vjp_quadratic(x, g, dim, reverse)
    z = x == 0
    c = _cumsum(z, dim, reverse)  # zeros so far
    xs = where(z, 1.0, x)
    w = g * _cumprod(xs, dim, reverse)
    before = _cumsum(where(c == 0, w, 0.0), dim, not reverse)  # k before the first zero
    at = _cumsum(where(c == 1, w, 0.0), dim, not reverse)  # k the first zero
    return where(z, at, before) / xs


def _cumprod_vjp_quadratic(x, g, dim, reverse):
    m = x.shape[dim]
    k = arange(m, device=x.device)
    kshape = (m, 1) + (1,) * (x.ndim - dim - 1)
    jshape = (1, m) + (1,) * (x.ndim - dim - 1)
    kk, jj = reshape(k, kshape), reshape(k, jshape)
    # omitted[k, j] = prod over i <= j (i >= j when reverse) of x_i, with x_k taken as 1
    omitted = _cumprod(where(kk == jj, 1.0, unsqueeze(x, dim)), dim + 1, reverse)
    after = (jj <= kk) if reverse else (jj >= kk)
    return sum(where(after, omitted * unsqueeze(g, dim), 0.0), dim + 1)


def _cum_select_vjp(n, g, g_indices):
    return _select_back(n, g, n.params[0], True)


def _exclusive(x, dim):
    """prod_{i != k} x_i along dim, for each k: exclusive products from both ends (safe with
    zeros, and differentiable again)."""
    one = ones(_along(x, dim, slice(0, 1)).shape, dtype=x.dtype, device=x.device)
    left = _cumprod(cat([one, _along(x, dim, slice(None, -1))], dim), dim)
    right = _cumprod(cat([_along(x, dim, slice(1, None)), one], dim), dim, True)
    return left * right


def _prod_vjp(n, g):
    dims, keepdim = n.params
    x = n.x
    shape = n.shapes[0]
    if x.ndim == 0:
        return g
    g = _reduced_back(g, shape, dims, keepdim)
    if x.numel() == 0:
        return g
    if dims is None:
        return g * reshape(_exclusive(reshape(x, (-1,)), 0), shape)
    return g * _exclusive(x, dims[0])


# fmt: off
# name              VJP: (node n, output gradient g) -> gradient of the input
CUMSUM  = defop("cumsum",  lambda n, g: g if not n.shapes[0] else _cumsum(g, n.params[0], not n.params[1]))
CUMPROD = defop("cumprod", _cumprod_vjp,                                         SAVE_X)
PROD    = defop("prod",    _prod_vjp,                                            SAVE_X)
PROD_DIM = PROD.variant("ProdBackward1")
# Two outputs (values, indices); the gradient goes to the indices.
CUMMAX  = defop("cummax",  _cum_select_vjp)
CUMMIN  = defop("cummin",  _cum_select_vjp)
# fmt: on


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


@numpy_aliases
def cumsum(input, dim, *, dtype=None, out=None):
    """Matches torch.cumsum (bools and integers sum in int64)."""
    _check_tensor("cumsum", input)
    if out is not None:
        check_out("cumsum", out, (input,))
        return write_out(out, cumsum(input, dim, dtype=out.dtype if dtype is None else dtype))
    return _cumsum(_cast(input, dtype), _dim1(dim, input.ndim))


@numpy_aliases
def cumprod(input, dim, *, dtype=None, out=None):
    """Matches torch.cumprod, with torch's exact gradient where the input has zeros."""
    _check_tensor("cumprod", input)
    if out is not None:
        check_out("cumprod", out, (input,))
        return write_out(out, cumprod(input, dim, dtype=out.dtype if dtype is None else dtype))
    return _cumprod(_cast(input, dtype), _dim1(dim, input.ndim))


def _return_type(name):
    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    base = namedtuple(name, ["values", "indices"])
    ns = {"__slots__": (), "__repr__": __repr__, "__module__": "mytorch.return_types"}
    return type(name, (base,), ns)


_CUMMAX, _CUMMIN = _return_type("cummax"), _return_type("cummin")


def _cum_select(op, result, input, dim, out):
    _check_tensor(op.name, input)
    if out is not None:
        check_outs(op.name, out, 2, (input,))
        r = _cum_select(op, result, input, dim, None)
        return result(*write_outs(out, r, (same_dtype, same_dtype)))
    return result(*apply_multi(op, input, (_dim1(dim, input.ndim),), save=(1,)))


@numpy_aliases
def cummax(input, dim, *, out=None):
    """Matches torch.cummax: (running maximum, the index where it was last reached); the
    gradient goes to that index."""
    return _cum_select(CUMMAX, _CUMMAX, input, dim, out)


@numpy_aliases
def cummin(input, dim, *, out=None):
    """Matches torch.cummin (see cummax)."""
    return _cum_select(CUMMIN, _CUMMIN, input, dim, out)


@numpy_aliases
def logcumsumexp(input, dim, *, out=None):
    """Matches torch.logcumsumexp. NOTE: shifted by the slice's maximum (detached: exact), so
    entries more than ~700 (float64; ~88 float32) below that maximum underflow to -inf where
    torch's pairwise scan stays finite."""
    _check_tensor("logcumsumexp", input)
    if out is not None:
        check_out("logcumsumexp", out, (input,))
        return write_out(out, logcumsumexp(input, dim), same_dtype)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for '{input.dtype.title}'")
    d = _dim1(dim, input.ndim)
    if input.numel() == 0:
        return input * 1
    m = amax(input, d, keepdim=True).detach() if input.ndim else input.detach()
    m = where(m == m, where(m.abs() == float("inf"), 0.0, m), 0.0)
    return log(_cumsum(exp(input - m), d)) + m


@numpy_aliases
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches torch.prod (bools and integers multiply in int64), with torch's gradient where
    the input has one zero or several."""
    _check_tensor("prod", input)
    if out is not None:
        check_out("prod", out, (input,))
        return write_out(out, prod(input, dim, keepdim, dtype=dtype), same_dtype)
    input = _cast(input, dtype)
    keepdim = _bool_arg("prod", "keepdim", keepdim)
    if dim is None:
        return apply1(PROD, input, (None, False))
    d = _dim1(dim, input.ndim)
    return apply1(PROD_DIM, input, ((d,) if input.ndim else None, keepdim))


for _fn in (cumsum, cumprod):
    declare(_fn, method=True, inplace=True, out=True)
for _fn in (cummax, cummin, logcumsumexp, prod):
    declare(_fn, method=True, out=True)

__all__ = []
INTERNAL = []
