"""Gathering and scattering along a dim, as composites of indexing (getitem with index tensors,
whose VJP is the scatter-add index_backward, and index_put): gather, scatter, scatter_add,
index_select, index_add/copy/fill, masked_select/scatter, take, take_along_dim, put; and the
index-valued ops built on sort and comparisons: argsort, msort, kthvalue, searchsorted,
bucketize, bincount, argwhere.
"""

import builtins

from mytorch._aliases import numpy_axis
from mytorch import _dtype as D
from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, zeros
from mytorch._ops.indexing import _device_index, cat, getitem
from mytorch._ops.indexing import _put as _put_arrays
from mytorch._ops.pointwise import nonzero, to_dtype, where
from mytorch._ops.rearrange import broadcast_shapes, broadcast_tensors
from mytorch._ops.reduction import _return_type, amax, sort, sum
from mytorch._ops.shape import expand, reshape
from mytorch._out import check_out, check_outs, same_dtype, write_out, write_outs
from mytorch._size import _int_arg, _wrap_dim

_KTH = _return_type("kthvalue")
_KTH_OUT = _return_type("kthvalue_out")


def _along(index, dim):
    """The advanced index (a tuple of tensors) that picks, along ``dim``, the entries ``index``
    names: ``x[_along(index, dim)]`` is torch.gather(x, dim, index)."""
    out = []
    nd = index.ndim
    for a in range(nd):
        if a == dim:
            out.append(index)
        else:
            shape = [1] * nd
            shape[a] = index.shape[a]
            out.append(reshape(arange(index.shape[a], device=index.device), tuple(shape)))
    return tuple(out)


def _check_index(name, input, dim, index, other=None):
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    nd = builtins.max(input.ndim, 1)
    if builtins.max(index.ndim, 1) != nd and index.numel():
        raise RuntimeError(
            "Index tensor must have the same number of dimensions as "
            + ("input tensor" if other is None else "self tensor")
        )
    for a in range(index.ndim):
        if a != dim and input.ndim and index.shape[a] > input.shape[a]:
            raise RuntimeError(
                f"Size does not match at dimension {a} expected index {list(index.shape)} to be "
                f"no larger than self {list(input.shape)} apart from dimension {dim}"
            )
        if other is not None and index.shape[a] > other.shape[a]:
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {dim} and to be no larger size than "
                f"vals {list(other.shape)}"
            )


def _put(input, index, values, accumulate):
    """index_put with an index of tensors and slices (made arrays on input's device)."""
    return _put_arrays(input, _device_index(input, index), values, accumulate)


def _nd1(t):
    return reshape(t, (1,)) if t.ndim == 0 else t


@composite(method=True, out=True)
@numpy_axis
def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Matches torch.gather."""
    if out is not None:
        check_out("gather", out, (input,))
        return write_out(out, gather(input, dim, index))
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    _check_index("gather", input, d, index)
    if index.numel() == 0:
        return zeros(index.shape, dtype=input.dtype, device=input.device) + input.sum() * 0
    x, i = _nd1(input), _nd1(index)
    r = _indexed(lambda: getitem(x, _along(i, d)), d, x.shape[d])
    return reshape(r, index.shape)


def _src_part(vals, index):
    """The part of ``vals`` that index covers (scatter reads vals[: index.shape])."""
    if vals.shape == index.shape:
        return vals
    return getitem(vals, tuple(slice(0, n) for n in index.shape))


def _scatter(name, input, dim, index, vals, accumulate):
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    is_t = isinstance(vals, TensorBase)
    _check_index(name, input, d, index, vals if is_t else None)
    if is_t and vals.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to vals.dtype")
    if index.numel() == 0:
        return input.clone()
    x, i = _nd1(input), _nd1(index)
    v = reshape(_src_part(_nd1(vals), i), i.shape) if is_t else vals
    r = _indexed(lambda: _put(x, _along(i, d), v, accumulate), d, x.shape[d])
    return reshape(r, input.shape)


@composite(method=True, inplace=True, out=True)
@numpy_axis
def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    """Matches torch.scatter (``vals`` a tensor or a number; ``reduce`` 'add' or 'multiply')."""
    if out is not None:
        check_out("scatter", out, (input,))
        return write_out(out, scatter(input, dim, index, src, value, reduce=reduce))
    vals = value if src is None else src
    if reduce is None:
        return _scatter("scatter", input, dim, index, vals, False)
    if reduce == "add":
        return _scatter("scatter", input, dim, index, vals, True)
    if reduce == "multiply":
        return scatter_reduce(input, dim, index, _full_src(vals, index, input), "prod")
    raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")


def _full_src(vals, index, input):
    if isinstance(vals, TensorBase):
        return _src_part(vals, index)
    return zeros(index.shape, dtype=input.dtype, device=input.device) + vals


@composite(method=True, inplace=True, out=True)
@numpy_axis
def scatter_add(input, dim, index, src, *, out=None):
    """Matches torch.scatter_add."""
    if out is not None:
        check_out("scatter_add", out, (input,))
        return write_out(out, scatter_add(input, dim, index, src))
    return _scatter("scatter_add", input, dim, index, src, True)


@composite(method=True, inplace=True, out=True)
@numpy_axis
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    """Matches torch.scatter_reduce: 'sum', 'mean', 'prod', 'amax' or 'amin' of the entries
    scattered to each place (and the place's own value unless include_self=False)."""
    if out is not None:
        check_out("scatter_reduce", out, (input,))
        r = scatter_reduce(input, dim, index, src, reduce, include_self=include_self)
        return write_out(out, r)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(
            "reduce argument must be either sum, prod, mean, amax or amin, got " + str(reduce)
        )
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    _check_index("scatter_reduce", input, d, index, src)
    vals = _src_part(src, index)
    ones = zeros(index.shape, dtype=input.dtype, device=input.device) + 1
    hit = scatter_add(zeros(input.shape, dtype=input.dtype, device=input.device), d, index, ones)
    hit = hit > 0
    base = input if include_self else where(hit, 0, input)
    if reduce == "sum":
        return scatter_add(base, d, index, vals)
    if reduce == "mean":
        total = scatter_add(base, d, index, vals)
        count = scatter_add(zeros(input.shape, dtype=input.dtype, device=input.device), d,
                            index, ones)  # fmt: skip
        count = count + (1 if include_self else 0)
        count = where(count == 0, 1, count)
        r = total / count
        return to_dtype(r.floor() if input.dtype.category < D.FLOAT else r, input.dtype)
    return _dense_reduce(reduce, input, d, index, vals, include_self)


def _dense_reduce(reduce, input, d, index, vals, include_self):
    """prod, amax, amin: each place against every entry of index along d (an (m, n) table of
    which entry goes where), so the reduction is an ordinary differentiable one (amax's
    gradient is shared by the ties, as torch shares it)."""
    if input.ndim == 0 or index.numel() == 0:
        return input.clone()
    region = tuple(slice(None) if a == d else slice(0, index.shape[a]) for a in range(input.ndim))
    xin = getitem(input, region)
    xm, im, sm = xin.movedim(d, -1), index.movedim(d, -1), vals.movedim(d, -1)
    m = xm.shape[-1]
    table = im.unsqueeze(-2) == reshape(arange(m, device=input.device), (m, 1))  # (..., m, n)
    hit = table.any(-1)
    if reduce == "prod":
        r = xm if include_self else where(hit, 1, xm)
        for j in range(im.shape[-1]):
            r = r * where(table[..., j], sm[..., j : j + 1], 1)
    else:
        low = float("-inf") if input.dtype.category == D.FLOAT else -(2**62)
        sign = 1 if reduce == "amax" else -1
        cand = where(table, sm.unsqueeze(-2) * sign, low)
        if include_self:
            cand = cat([(xm * sign).unsqueeze(-1), cand], -1)
        r = amax(cand, -1) * sign
        if not include_self:
            r = where(hit, r, xm)
        r = to_dtype(r, input.dtype)
    r = r.movedim(-1, d)
    if r.shape == input.shape:
        return r
    return _put(input, region, r, False)


def _indexed(fn, dim, size, cls=RuntimeError):
    """Run fn(), turning NumPy's IndexError for an index out of range into torch's error."""
    try:
        return fn()
    except IndexError:
        if cls is IndexError:
            raise IndexError("index out of range in self") from None
        raise RuntimeError(
            f"index out of range: an index is out of bounds for dimension {dim} with size {size}"
        ) from None


@composite(method=True, out=True)
@numpy_axis
def index_select(input, dim, index, *, out=None):
    """Matches torch.index_select."""
    if out is not None:
        check_out("index_select", out, (input,))
        return write_out(out, index_select(input, dim, index))
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    x = _nd1(input)
    r = _indexed(lambda: getitem(x, (slice(None),) * d + (_nd1(index),)), d, 0, IndexError)
    return reshape(r, ()) if input.ndim == 0 else r


def _index_into(name, input, dim, index, source, accumulate):
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if isinstance(source, TensorBase) and source.dtype is not input.dtype:
        raise RuntimeError(
            f"{name}(): self ({input.dtype.title}) and source ({source.dtype.title}) must have "
            "the same scalar type"
        )
    x = _nd1(input)
    vals = _nd1(source) if isinstance(source, TensorBase) else source
    idx = (slice(None),) * d + (_nd1(index),)
    r = _indexed(lambda: _put(x, idx, vals, accumulate), d, 0, IndexError)
    return reshape(r, input.shape)


@composite(method=True, inplace=True, out=True)
@numpy_axis
def index_add(input, dim, index, source, *, alpha=1, out=None):
    """Matches torch.index_add."""
    if out is not None:
        check_out("index_add", out, (input,))
        return write_out(out, index_add(input, dim, index, source, alpha=alpha))
    return _index_into("index_add", input, dim, index, source * alpha if alpha != 1 else source,
                       True)  # fmt: skip


@composite(method=True, inplace=True, out=True)
@numpy_axis
def index_copy(input, dim, index, source, *, out=None):
    """Matches torch.index_copy."""
    if out is not None:
        check_out("index_copy", out, (input,))
        return write_out(out, index_copy(input, dim, index, source))
    return _index_into("index_copy", input, dim, index, source, False)


@composite(method=True, inplace=True)
@numpy_axis
def index_fill(input, dim, index, value):
    """Matches torch.index_fill (``value`` a number or a 0-d tensor)."""
    if isinstance(value, TensorBase):
        if value.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        value = to_dtype(value, input.dtype)
    return _index_into("index_fill", input, dim, index, value, False)


@composite(method=True, out=True)
def masked_select(input, mask, *, out=None):
    """Matches torch.masked_select (input and mask broadcast together)."""
    if out is not None:
        check_out("masked_select", out, (input,))
        return write_out(out, masked_select(input, mask))
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    x, m = broadcast_tensors(input, mask)
    return getitem(x, (m,)) if x.ndim else getitem(reshape(x, (1,)), (reshape(m, (1,)),))


@composite(method=True, inplace=True)
def masked_scatter(input, mask, source):
    """Matches torch.masked_scatter: ``source``'s first entries, in order, where mask is True."""
    if mask.dtype is not D.bool_:
        raise RuntimeError("masked_scatter_only supports boolean masks, but got mask with dtype "
                           + mask.dtype.title)  # fmt: skip
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"masked_scatter: expected self and source to have same dtypes but got "
            f"{input.dtype.title} and {source.dtype.title}"
        )
    x, m = broadcast_tensors(input, mask)
    n = getitem(m, (m,)).shape[0]  # the count, known on the device without a transfer
    if n > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    flat = getitem(reshape(source, (-1,)), (slice(0, n),))
    return _put(x.clone() if x is input else x * 1, (m,), flat, False)


@composite(method=True, out=True)
def take(input, index, *, out=None):
    """Matches torch.take: ``input`` read as 1-D at ``index`` (the result has index's shape)."""
    if out is not None:
        check_out("take", out, (input,))
        if out.dtype is not input.dtype:
            raise RuntimeError(
                "take(): self and out expected to have the same dtype, but got self.dtype = "
                f"{input.dtype.title} and out.dtype = {out.dtype.title}"
            )
        return write_out(out, take(input, index))
    if index.dtype is not D.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got " + index.dtype.title)
    flat = reshape(input, (-1,))
    r = _indexed(lambda: getitem(flat, (reshape(index, (-1,)),)), 0, flat.shape[0])
    return reshape(r, index.shape)


@composite(method=True, inplace=True)
def put(input, index, source, accumulate=False):
    """Matches torch.put: ``source`` written (or added) at ``index`` of ``input`` read as 1-D."""
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"put_(): self and source expected to have the same dtype, but got "
            f"self.dtype = {input.dtype.title} and source.dtype = {source.dtype.title}"
        )
    flat = reshape(input, (-1,))
    idx = (reshape(index, (-1,)),)
    r = _indexed(lambda: _put(flat, idx, reshape(source, (-1,)), accumulate), 0, flat.shape[0])
    return reshape(r, input.shape)


@composite(method=True, out=True)
@numpy_axis
def take_along_dim(input, indices, dim=None, *, out=None):
    """Matches torch.take_along_dim (indices broadcast against input, but along ``dim``)."""
    if out is not None:
        check_out("take_along_dim", out, (input,))
        return write_out(out, take_along_dim(input, indices, dim))
    if indices.dtype is not D.int64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be int64 but got "
            + indices.dtype.title
        )
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if input.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
            "dimensions for indices"
        )
    si, sx = list(indices.shape), list(input.shape)
    si[d] = sx[d] = 1
    shape = list(broadcast_shapes(si, sx))
    ix_shape, x_shape = list(shape), list(shape)
    ix_shape[d] = indices.shape[d]
    x_shape[d] = input.shape[d]
    return gather(expand(input, tuple(x_shape)), d, expand(indices, tuple(ix_shape)))


# --- index-valued ops ---------------------------------------------------------------------------
@composite(method=True, out=True)
@numpy_axis
def argsort(input, dim=-1, descending=False, *, stable=None, out=None):
    """Matches torch.argsort (out= only with stable= given, as torch's)."""
    if out is not None:
        if stable is None:
            raise TypeError(
                "argsort() received an invalid combination of arguments - got (Tensor, "
                "out=Tensor): out= needs stable="
            )
        check_out("argsort", out, (input,))
        return write_out(out, argsort(input, dim, descending, stable=stable), same_dtype)
    return sort(input, dim, descending, stable=bool(stable))[1]


@composite(method=True, out=True)
def msort(input, *, out=None):
    """Matches torch.msort."""
    if out is not None:
        check_out("msort", out, (input,))
        return write_out(out, msort(input))
    return sort(input, 0)[0]


@composite(method=True, out=True)
@numpy_axis
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """Matches torch.kthvalue: the k-th smallest entry along ``dim`` and its index."""
    if out is not None:
        check_outs("kthvalue", out, 2, (input,))
        if out[0].dtype is not input.dtype:
            raise RuntimeError("output values must be of same type as input")
        if out[1].dtype is not D.int64:
            raise RuntimeError("output indices must be of scalar type Long")
        r = kthvalue(input, k, dim, keepdim)
        return _KTH_OUT(*write_outs(out, r, (same_dtype, same_dtype)))
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    n = input.shape[d] if input.ndim else 1
    k = _int_arg(k, "k")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    x = _nd1(input)
    v, i = sort(x, d, stable=True)
    pick = (slice(None),) * d + (slice(k - 1, k),)
    v, i = getitem(v, pick), getitem(i, pick)
    if not keepdim or input.ndim == 0:
        v, i = v.squeeze(d), i.squeeze(d)
    return _KTH(v, i)


def _search(sorted_sequence, values, right, side, out_int32, name):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{name}(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                f"{name}(): side and right can't be set to opposites, got side of left while "
                "right was True"
            )
        right = side == "right"
    if not isinstance(values, TensorBase):
        values = zeros((), dtype=sorted_sequence.dtype, device=sorted_sequence.device) + values
    s, v = sorted_sequence, values
    if s.ndim > 1:
        if s.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(
                f"{name}(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(s.shape)} and input value tensor {list(v.shape)}"
            )
        below = (
            (s.unsqueeze(-2) <= v.unsqueeze(-1)) if right else (s.unsqueeze(-2) < v.unsqueeze(-1))
        )
        r = sum(below, -1)
    else:
        below = (s <= v.unsqueeze(-1)) if right else (s < v.unsqueeze(-1))
        r = sum(below, -1)
    return to_dtype(r, D.int32) if out_int32 else r


@composite(out=True)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):  # fmt: skip
    """Matches torch.searchsorted (by counting the entries below each value)."""
    if out is not None:
        check_out("searchsorted", out, (sorted_sequence, input))
        r = searchsorted(sorted_sequence, input, out_int32=out_int32, right=right, side=side,
                         sorter=sorter)  # fmt: skip
        return write_out(out, r)
    if sorter is not None:
        sorted_sequence = take_along_dim(sorted_sequence, sorter, -1)
    return _search(sorted_sequence, input, right, side, out_int32, "torch.searchsorted")


@composite(out=True)
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """Matches torch.bucketize."""
    if out is not None:
        check_out("bucketize", out, (input, boundaries))
        return write_out(out, bucketize(input, boundaries, out_int32=out_int32, right=right))
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _search(boundaries, input, right, None, out_int32, "torch.bucketize")


@composite(method=True)
def bincount(input, weights=None, minlength=0):
    """Matches torch.bincount."""
    if input.dtype.category != D.INT:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype.title}'")
    if input.ndim != 1 or input.dtype.category != D.INT:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = input.shape[0]
    if n and int(input.min().item()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = builtins.max(int(input.max().item()) + 1 if n else 0, minlength)
    if weights is None:
        w = zeros((n,), dtype=D.int64, device=input.device) + 1
    else:
        w = to_dtype(weights, weights.dtype if weights.dtype.category == D.FLOAT else D.float64)
    return _put(zeros((size,), dtype=w.dtype, device=input.device), (input,), w.detach(), True)


@composite(method=True)
def argwhere(input):
    """Matches torch.argwhere."""
    return nonzero(input)


__all__ = []
INTERNAL = []
