"""More shape and indexing composites (issue 15): cartesian_prod, combinations, tril/triu
indices, block_diag, narrow_copy, the *_scatter family (select, slice, diagonal), index_reduce,
cdist, histc and histogram. Each is written in other mytorch ops (its gradients are theirs).
"""

import builtins
import math
from collections import namedtuple

from mytorch import _dtype as D
from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, linspace, ones, zeros
from mytorch._ops.indexing import _narrow_end, _narrow_start, _promoted, cat, getitem, narrow
from mytorch._ops.indexing import stack
from mytorch._ops.rearrange import meshgrid
from mytorch._ops.norms import vector_norm
from mytorch._ops.pointwise import where
from mytorch._ops.scan import cumsum
from mytorch._ops.scatter import _put
from mytorch._ops.scatter import scatter_reduce, searchsorted
from mytorch._ops.shape import expand, reshape
from mytorch._ops.strided import _last_to, diagonal
from mytorch._out import check_out, write_out
from mytorch._size import _int_arg, _wrap_dim

_HISTOGRAM = type(
    "histogram",
    (namedtuple("histogram", ["hist", "bin_edges"]),),
    {"__slots__": (), "__module__": "mytorch.return_types"},
)


def _vector(t):
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    return t


@composite()
def cartesian_prod(*tensors):
    """Matches torch.cartesian_prod: the rows of every combination of the 1-D inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


@composite()
def combinations(input, r=2, with_replacement=False):
    """Matches torch.combinations: the rows of the length-``r`` combinations of a 1-D input."""
    _vector(input)
    r = _int_arg(r, "r")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return zeros((0,), dtype=input.dtype, device=input.device)
    n = input.shape[0]
    count = math.comb(n + r - 1, r) if with_replacement else math.comb(n, r)
    dev = input.device
    # Every r-tuple of positions (on the device), the increasing ones kept in order: each
    # kept row goes to its rank among the kept (a cumsum), the others to a spare last row.
    grids = meshgrid(*([arange(n, device=dev)] * r), indexing="ij")
    cols = [reshape(g, (-1,)) for g in grids]
    keep = ones((n**r,), dtype=D.bool_, device=dev)
    for a, b in zip(cols, cols[1:]):
        keep = keep & ((a <= b) if with_replacement else (a < b))
    return getitem(input, (_compact(stack(cols, 1), keep, count),))


def _compact(rows, keep, count):
    """The ``count`` rows of ``rows`` that ``keep`` marks, in order, with no transfer to the
    host (boolean indexing would read the count back): each kept row goes to its rank among
    the kept (a cumsum), the others to a spare last row, dropped."""
    rank = where(keep, cumsum(keep.to(D.int64), 0) - 1, count)
    shape = (count + 1,) + tuple(rows.shape[1:])
    out = _put(zeros(shape, dtype=rows.dtype, device=rows.device), (rank,), rows, False)
    return getitem(out, (slice(0, count),))


def _tri_indices(name, lower, row, col, offset, dtype, device):
    dtype = D.int64 if dtype is None else dtype
    if dtype.category != D.INT:
        raise NotImplementedError(f"\"{name}\" not implemented for '{dtype.title}'")
    row, col, offset = _int_arg(row, "row"), _int_arg(col, "col"), _int_arg(offset, "offset")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")  # fmt: skip
    # the count of (i, j) with j - i <= offset (lower) or >= offset (upper), row by row
    count = builtins.sum(
        builtins.max(0, builtins.min(col, i + offset + 1)) if lower
        else builtins.max(0, col - builtins.max(0, i + offset))
        for i in range(row)
    )  # fmt: skip
    i, j = meshgrid(arange(row, device=device), arange(col, device=device), indexing="ij")
    i, j = reshape(i, (-1,)), reshape(j, (-1,))
    keep = (j - i <= offset) if lower else (j - i >= offset)
    return _compact(stack([i, j], 1), keep, count).t().to(dtype).contiguous()


@composite()
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches torch.tril_indices: the (row, col) coordinates of the lower triangle."""
    return _tri_indices("tril_indices", True, row, col, offset, dtype, device)


@composite()
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Matches torch.triu_indices: the (row, col) coordinates of the upper triangle."""
    return _tri_indices("triu_indices", False, row, col, offset, dtype, device)


@composite()
def block_diag(*tensors):
    """Matches torch.block_diag: the inputs (0-, 1- or 2-D) as blocks on a diagonal."""
    blocks = []
    for k, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{k} has {t.ndim} dimensions"
            )
        blocks.append(reshape(t, (1, 1)) if t.ndim == 0 else reshape(t, (1, -1)) if t.ndim == 1
                      else t)  # fmt: skip
    if not blocks:
        return zeros((1, 0))
    blocks = _promoted(blocks)
    dtype = blocks[0].dtype
    device = blocks[0].device
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        h, w = b.shape
        parts = [zeros((h, left), dtype=dtype, device=device), b,
                 zeros((h, width - left - w), dtype=dtype, device=device)]  # fmt: skip
        rows.append(cat(parts, 1))
        left += w
    return cat(rows, 0)


@composite(method=True, out=True)
def narrow_copy(input, dim, start, length, *, out=None):
    """Matches torch.narrow_copy: narrow(...) as a new tensor."""
    if out is not None:
        check_out("narrow_copy", out, (input,))
        return write_out(out, narrow_copy(input, dim, start, length))
    d = _wrap_dim(dim, input.ndim)
    start = _narrow_start(input, d, start)
    _narrow_end(input, d, start, _int_arg(length, "length"))
    return narrow(input, d, start, length).clone()


def _scatter_into(input, value, index, target):
    """``input`` with ``value`` written at ``index`` (whose slice has shape ``target``)."""
    if tuple(value.shape) != tuple(target):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(value.shape)}, slice size = {list(target)}"
        )
    return _put(input, index, value.to(input.dtype), False)


@composite(method=True)
def select_scatter(input, src, dim, index):
    """Matches torch.select_scatter: ``input`` with ``src`` at ``index`` along ``dim``."""
    view = input.select(dim, index)
    d = _wrap_dim(dim, input.ndim)
    i = _int_arg(index, "index")
    i = i + input.shape[d] if i < 0 else i
    return _scatter_into(input, src, (slice(None),) * d + (i,), view.shape)


@composite(method=True)
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """Matches torch.slice_scatter: ``input`` with ``src`` at ``start:end:step`` of ``dim``."""
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    index = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, index, getitem(input, index).shape)


@composite(method=True)
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """Matches torch.diagonal_scatter: ``input`` with ``src`` on the diagonal of (dim1, dim2)."""
    target = diagonal(input, offset, dim1, dim2).shape
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    offset = _int_arg(offset, "offset")
    value = src  # torch's name for it
    if tuple(value.shape) != tuple(target):
        _scatter_into(input, value, (), target)  # torch's error
    m = target[-1]
    index = [slice(None)] * input.ndim
    index[d1] = arange(m, device=input.device) + builtins.max(-offset, 0)
    index[d2] = arange(m, device=input.device) + builtins.max(offset, 0)
    lo, hi = builtins.min(d1, d2), builtins.max(d1, d2)
    # NOTE: two advanced indices side by side put their dim where they stand, else first.
    v = _last_to(value, lo if hi == lo + 1 else 0)
    return _put(input, tuple(index), v.to(input.dtype), False)


_REDUCES = ("prod", "mean", "amax", "amin")


@composite(method=True, inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Matches torch.index_reduce: ``source``'s slices reduced into ``input`` at ``index``
    along ``dim`` (scatter_reduce with the index spread over the slices)."""
    if reduce not in _REDUCES:
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if index.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index")
    if source.dtype is not input.dtype:
        raise RuntimeError("index_reduce_(): self and source must have the same scalar type")
    if input.ndim == 0:
        input, source, index = reshape(input, (1,)), reshape(source, (1,)), reshape(index, (1,))
    n = index.numel()
    if source.ndim and source.shape[d] != n:
        raise RuntimeError("index_reduce_(): Number of indices should be equal to source.size(dim)")
    shape = [1] * source.ndim
    shape[d] = n
    idx = expand(reshape(index.to(D.int64), tuple(shape)), tuple(source.shape))
    r = scatter_reduce(input, d, idx, source, reduce, include_self=include_self)
    return r


# --- distances and histograms --------------------------------------------------------------
@composite()
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Matches torch.cdist: the p-norm distances between the rows of x1 and of x2."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if t.dtype.category != D.FLOAT:
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {t.dtype.title}"
            )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)


def _bin_range(input, lo, hi, widen):
    if lo == hi and input.numel():
        lo, hi = input.min().item(), input.max().item()
    if lo == hi:
        lo, hi = lo - widen, hi + widen
    return lo, hi


@composite(method=True, out=True)
def histc(input, bins=100, min=0, max=0, *, out=None):
    """Matches torch.histc: counts in ``bins`` equal bins over [min, max] (the data's range
    when min == max); entries outside are not counted. Not differentiable, as torch's."""
    if out is not None:
        check_out("histc", out, (input,))
        return write_out(out, histc(input, bins, min, max))
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.title}'")
    bins = _int_arg(bins, "bins")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    x = reshape(input.detach(), (-1,))
    lo, hi = _bin_range(x, float(min), float(max), 1.0)
    keep = (x >= lo) & (x <= hi)
    # torch's linear interpolation: (x - lo) * bins / (hi - lo), in the input's dtype
    pos = ((x - lo) * bins / (hi - lo)).to(D.int64).clamp(0, bins - 1)
    return _counts(where(keep, pos, bins), None, bins, input.dtype)


def _counts(pos, weight, n, dtype):
    """How many entries (or how much weight) fall at each of 0..n-1 (n: left out), with no
    transfer to the host."""
    w = ones(pos.shape, dtype=dtype, device=pos.device) if weight is None else weight.to(dtype)
    r = _put(zeros((n + 1,), dtype=dtype, device=pos.device), (pos,), w, True)
    return getitem(r, (slice(0, n),))


@composite(method=True, out=True)
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    """Matches torch.histogram: (hist, bin_edges); ``bins`` a count or the edges."""
    if out is not None:
        r = histogram(input, bins, range=range, weight=weight, density=density)
        write_out(out[0], r[0])
        write_out(out[1], r[1])
        return _HISTOGRAM(out[0], out[1])
    if input.device.type != "cpu":
        raise NotImplementedError(
            f"Could not run 'aten::histogram' with arguments from the '{input.device.type}' "
            "backend (torch.histogram runs on the CPU only)"
        )
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.title}'")
    x = reshape(input.detach(), (-1,))
    if isinstance(bins, TensorBase):
        edges = bins
        if edges.ndim != 1:
            raise RuntimeError(
                "torch.histogram(): bins tensor should have one dimension, but got "
                f"{edges.ndim} dimensions in the bins tensor"
            )
    else:
        n = _int_arg(bins, "bins")
        if n <= 0:
            raise RuntimeError("torch.histogram(): bins must be > 0, but got " + str(n))
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise RuntimeError(
                    f"torch.histogram(): min should not exceed max, but got min {lo} max {hi}"
                )
        else:
            lo, hi = 0.0, 0.0
        lo, hi = _bin_range(x, lo, hi, 0.5)
        edges = linspace(lo, hi, n + 1, dtype=input.dtype, device=input.device)
    nb = edges.shape[0] - 1
    keep = (x >= edges[0]) & (x <= edges[-1])
    pos = (searchsorted(edges, x, right=True) - 1).clamp(0, builtins.max(nb - 1, 0))
    w = None if weight is None else reshape(weight.detach(), (-1,))
    hist = _counts(where(keep, pos, nb), w, nb, input.dtype)
    if density:
        hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return _HISTOGRAM(hist, edges)


__all__ = []
INTERNAL = []
