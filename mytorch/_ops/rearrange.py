"""Rearranging ops: flip, roll, triu/tril (primitives whose VJPs are themselves), Tensor.unfold
(a strided view), and the composites built from views, cat and index ops: movedim, unflatten,
repeat, tile, repeat_interleave, the stacks and splits, rot90, diag and its kin, trace,
meshgrid, broadcast_tensors and atleast_Nd.
"""

import builtins
import warnings

from mytorch._aliases import numpy_axis
from mytorch._core import TensorBase, apply1
from mytorch._ops._declare import composite, declare, defop
from mytorch._ops.creation import arange, tensor, zeros
from mytorch._ops.indexing import _cat_rule, cat, getitem, index_backward
from mytorch._ops.pointwise import clone, where
from mytorch._ops.reduction import sum
from mytorch._ops.shape import _sizes, expand, permute, reshape
from mytorch._ops.strided import diagonal
from mytorch._out import check_out, write_out
from mytorch._size import Size, _int_arg, _wrap_dim


def _unfold_vjp(n, g):
    dim, size, step = n.params
    shape = n.shapes[0]
    count = g.shape[dim]
    pos = reshape(arange(count, device=g.device) * step, (count, 1)) + arange(size, device=g.device)
    # NOTE: the advanced index (count, size) stands at ``dim``: move g's window dim beside it.
    order = list(range(g.ndim - 1))
    order.insert(dim + 1, g.ndim - 1)
    index = (slice(None),) * dim + (pos,)
    return index_backward(permute(g, tuple(order)), shape, index, False)


# fmt: off
# name            VJP: (node n, output gradient g) -> gradient of the input
FLIP   = defop("flip",   lambda n, g: flip(g, n.params[0]))
ROLL   = defop("roll",   lambda n, g: _roll(g, tuple(-s for s in n.params[0]), n.params[1]), xp="roll")
TRIU   = defop("triu",   lambda n, g: triu(g, n.params[0]), xp="triu")
TRIL   = defop("tril",   lambda n, g: tril(g, n.params[0]), xp="tril")
UNFOLD = defop("unfold", _unfold_vjp, node_name="UnfoldBackward0", view=1)
# fmt: on


def _dim_list(dims, nd, name="dims"):
    if not isinstance(dims, (tuple, list)):
        dims = (dims,)
    out = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def _flip_method(self, *dims, **kwargs):
    """Tensor.flip: the dims as one sequence, as separate ints, or dims=."""
    if kwargs:
        return flip(self, **kwargs)
    return flip(self, dims[0] if len(dims) == 1 else dims)


@composite()
def flip(input, dims):
    """Matches torch.flip (a copy, not a view)."""
    dims = _dim_list(dims, builtins.max(input.ndim, 1))
    if input.ndim == 0:
        if dims and hasattr(input, "_physical_dim"):
            input._physical_dim(dims[0])  # under vmap: torch's error
        dims = ()
    return apply1(FLIP, input, (dims,))


declare(_flip_method, name="flip", namespace=(), method=True)


@composite(method=True)
def fliplr(input):
    """Matches torch.fliplr."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@composite(method=True)
def flipud(input):
    """Matches torch.flipud."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def _roll(x, shifts, dims):
    return apply1(ROLL, x, (shifts, dims))


@composite(method=True)
def roll(input, shifts, dims=None):
    """Matches torch.roll."""
    shifts = tuple(_sizes((shifts,))) if not isinstance(shifts, (tuple, list)) else _sizes(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return reshape(_roll(reshape(input, (-1,)), shifts, (0,)), input.shape)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    if input.ndim == 0 and dims and not hasattr(input, "_physical_dim"):
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    nd = builtins.max(input.ndim, 1)
    dims = tuple(_wrap_dim(d, nd) for d in dims)
    if input.ndim == 0:
        if dims:
            input._physical_dim(dims[0])  # under vmap: torch's error
        return clone(input)
    return _roll(input, shifts, dims)


def _tri(name, op):
    def fn(input, diagonal=0, *, out=None):
        if out is not None:
            check_out(name, out, (input,))
            return write_out(out, fn(input, diagonal))
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return apply1(op, input, (_int_arg(diagonal, "diagonal"),))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name}."
    return declare(fn, method=True, inplace=True, out=True, op=op)


triu = _tri("triu", TRIU)
tril = _tri("tril", TRIL)


@composite(method=True)
def movedim(input, source, destination):
    """Matches torch.movedim (a view)."""
    if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
        raise TypeError(
            "movedim() received an invalid combination of arguments: source and destination "
            "must both be ints or both be sequences of ints"
        )
    nd = input.ndim
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    n = builtins.max(nd, 1)
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    if nd == 0:
        return input.view(())
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = tuple(o if o is not None else next(rest) for o in order)
    return permute(input, order)


@composite(method=True)
def moveaxis(input, source, destination):
    """Matches torch.moveaxis."""
    return movedim(input, source, destination)


@composite(method=True)
@numpy_axis
def unflatten(input, dim, sizes):
    """Matches torch.unflatten (a view where reshape gives one)."""
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    sizes = _sizes((sizes,)) if not isinstance(sizes, (tuple, list)) else _sizes(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = input.shape
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if -1 not in sizes and known != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{dim} ({shape[d]}) in the input tensor"
        )
    return reshape(input, tuple(shape[:d]) + tuple(sizes) + tuple(shape[d + 1 :]))


def repeat(input, *sizes):
    """Matches torch.Tensor.repeat (expand, then reshape)."""
    reps = _sizes(sizes)
    nd = input.ndim
    if len(reps) < nd:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    if builtins.any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(reps)}: "
                           f"{list(reps)}")  # fmt: skip
    shape = (1,) * (len(reps) - nd) + tuple(input.shape)
    inter = []
    big = []
    final = []
    for r, s in zip(reps, shape):
        inter += [1, s]
        big += [r, s]
        final.append(r * s)
    x = reshape(input, tuple(inter))
    return reshape(expand(x, tuple(big)), tuple(final))


repeat = declare(repeat, namespace="Tensor", method=True)  # torch has no torch.repeat


@composite(method=True)
def tile(input, dims):
    """Matches torch.tile."""
    dims = _sizes((dims,)) if not isinstance(dims, (tuple, list)) else _sizes(dims)
    dims = (1,) * (input.ndim - len(dims)) + tuple(dims)
    return repeat(input, dims)


@composite(method=True)
@numpy_axis
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Matches torch.repeat_interleave (int repeats: expand; tensor repeats: index_select)."""
    if repeats is None:  # repeat_interleave(repeats): each index i repeated repeats[i] times
        counts = input
        return repeat_interleave(arange(counts.shape[0], device=counts.device), counts)
    if dim is None:
        input = reshape(input, (-1,))
        dim = 0
    d = _wrap_dim(dim, builtins.max(input.ndim, 1))
    if input.ndim == 0:
        input = reshape(input, (1,))
    if isinstance(repeats, TensorBase) and repeats.ndim == 0:
        repeats = int(repeats.item())
    if not isinstance(repeats, TensorBase):
        r = _int_arg(repeats, "repeats")
        if r < 0:
            raise RuntimeError("repeats can not be negative")
        shape = tuple(input.shape)
        x = reshape(input, shape[: d + 1] + (1,) + shape[d + 1 :])
        x = expand(x, shape[: d + 1] + (r,) + shape[d + 1 :])
        return reshape(x, shape[:d] + (shape[d] * r,) + shape[d + 1 :])
    if repeats.ndim != 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if repeats.shape[0] != input.shape[d]:
        raise RuntimeError("repeats must have the same size as input along dim")
    counts = repeats.tolist()
    if builtins.any(c < 0 for c in counts):
        raise RuntimeError("repeats can not be negative")
    index = [i for i, c in enumerate(counts) for _ in range(c)]
    idx = tensor(index, dtype=repeats.dtype, device=input.device)
    return getitem(input, (slice(None),) * d + (idx,))


# --- atleast_Nd, stacks and splits --------------------------------------------------------------
def _atleast(tensors, fix):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple(fix(t) for t in tensors[0])
    if len(tensors) == 1:
        return fix(tensors[0])
    return tuple(fix(t) for t in tensors)


def _at1(t):
    return reshape(t, (1,)) if t.ndim == 0 else t


def _at2(t):
    return reshape(t, (1, -1)) if t.ndim < 2 else t


def _at3(t):
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, -1, 1))
    if t.ndim == 2:
        return reshape(t, tuple(t.shape) + (1,))
    return t


@composite()
def atleast_1d(*tensors):
    """Matches torch.atleast_1d."""
    return _atleast(tensors, _at1)


@composite()
def atleast_2d(*tensors):
    """Matches torch.atleast_2d."""
    return _atleast(tensors, _at2)


@composite()
def atleast_3d(*tensors):
    """Matches torch.atleast_3d."""
    return _atleast(tensors, _at3)


def _stack_fn(name, fix, dim_of):
    def fn(tensors, *, out=None):
        if out is not None:
            check_out(name, out, list(tensors))
            return write_out(out, fn(tensors), _cat_rule)
        ts = [fix(t) for t in tensors]
        if not ts:
            raise RuntimeError(f"{name} expects a non-empty TensorList")
        return cat(ts, dim_of(ts))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name}."
    return declare(fn, out=True, composite=True)


def _col(t):
    return reshape(t, (-1, 1)) if t.ndim < 2 else t


hstack = _stack_fn("hstack", _at1, lambda ts: 0 if ts[0].ndim == 1 else 1)
vstack = _stack_fn("vstack", _at2, lambda ts: 0)
row_stack = _stack_fn("row_stack", _at2, lambda ts: 0)
dstack = _stack_fn("dstack", _at3, lambda ts: 2)
column_stack = _stack_fn("column_stack", _col, lambda ts: 1)


@composite(method=True)
@numpy_axis
def tensor_split(input, indices_or_sections, dim=0):
    """Matches torch.tensor_split: views of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, TensorBase):
        if ios.dtype.category != 1 or ios.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{ios.dtype.title}" if ios.ndim <= 1 else
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {ios.ndim} dims"
            )  # fmt: skip
        ios = ios.tolist()
    if isinstance(ios, (tuple, list)):
        bounds = [0] + [_int_arg(i, "indices") for i in ios] + [n]
    else:
        k = _int_arg(ios, "sections")
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        small, extra = divmod(n, k)
        bounds = [0]
        for i in range(k):
            bounds.append(bounds[-1] + small + (1 if i < extra else 0))
    pre = (slice(None),) * d
    return tuple(getitem(input, pre + (slice(a, b),)) for a, b in zip(bounds, bounds[1:]))


def _split_dim(name, input, ios, dim):
    if not isinstance(ios, (tuple, list)):
        k = _int_arg(ios, "sections")
        n = input.shape[dim]
        if k == 0 or n % k:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {n} is not divisible by the split_size {k}!"
            )
    return tensor_split(input, ios, dim)


@composite(method=True)
def hsplit(input, indices_or_sections):
    """Matches torch.hsplit."""
    if input.ndim < 1:
        raise RuntimeError(
            "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 "
            "dimensions!"
        )
    return _split_dim("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0)


@composite(method=True)
def vsplit(input, indices_or_sections):
    """Matches torch.vsplit."""
    if input.ndim < 2:
        raise RuntimeError(
            "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with "
            f"{input.ndim} dimensions!"
        )
    return _split_dim("vsplit", input, indices_or_sections, 0)


@composite(method=True)
def dsplit(input, indices_or_sections):
    """Matches torch.dsplit."""
    if input.ndim < 3:
        raise RuntimeError(
            "torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with "
            f"{input.ndim} dimensions!"
        )
    return _split_dim("dsplit", input, indices_or_sections, 2)


@composite(method=True)
def rot90(input, k=1, dims=(0, 1)):
    """Matches torch.rot90."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = _int_arg(k, "k") % 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return clone(input)


# --- diagonals ---------------------------------------------------------------------------------
@composite(method=True)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matches torch.diag_embed: the last dim of ``input`` on a diagonal of (dim1, dim2)."""
    nd = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd), _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if input.ndim == 0:
        input = reshape(input, (1,))
    offset = _int_arg(offset, "offset")
    n = input.shape[-1]
    m = n + abs(offset)
    if offset:
        pad = zeros(tuple(input.shape[:-1]) + (abs(offset),), dtype=input.dtype,
                    device=input.device)  # fmt: skip
        input = cat([input, pad], -1)
    v = input.unsqueeze(-1) if offset >= 0 else input.unsqueeze(-2)
    idx = arange(m, device=input.device)
    mask = reshape(idx, (-1, 1)) + offset == reshape(idx, (1, -1))
    r = where(mask, v, zeros((), dtype=input.dtype, device=input.device))
    return movedim(r, (-2, -1), (d1, d2))


@composite(method=True, out=True)
def diag(input, diagonal=0, *, out=None):
    """Matches torch.diag: a 1-D input on a diagonal of a matrix, or a 2-D input's diagonal."""
    if out is not None:
        check_out("diag", out, (input,))
        return write_out(out, diag(input, diagonal))
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return clone(_diagonal(input, diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


_diagonal = diagonal


@composite(method=True)
def diagflat(input, offset=0):
    """Matches torch.diagflat."""
    return diag_embed(reshape(input, (-1,)), offset, 0, 1)


@composite(method=True)
def trace(input):
    """Matches torch.trace."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return sum(_diagonal(input))


# --- broadcasting ------------------------------------------------------------------------------
@composite()
def broadcast_shapes(*shapes):
    """Matches torch.broadcast_shapes."""
    out = []
    for s in shapes:
        s = (s,) if isinstance(s, int) else tuple(s)
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i, v in enumerate(s):
            j = len(out) - len(s) + i
            if v < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {v}: {list(s)}"
                )
            if out[j] == 1:
                out[j] = v
            elif v != 1 and v != out[j]:
                raise RuntimeError("Shape mismatch: objects cannot be broadcast to a single shape")
    return Size(out)


@composite()
def broadcast_tensors(*tensors):
    """Matches torch.broadcast_tensors (broadcast views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = tuple(broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(expand(t, shape) for t in tensors)


@composite()
def meshgrid(*tensors, indexing=None):
    """Matches torch.meshgrid (broadcast views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}"
            )
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors to have the same dtype.")
    ts = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    nd = len(ts)
    outs = []
    for i, t in enumerate(ts):
        view = [1] * nd
        view[i] = shape[i]
        outs.append(expand(reshape(t, tuple(view)), shape))
    if swap:
        outs[0], outs[1] = outs[1], outs[0]
    return tuple(outs)


# --- Tensor.unfold: a strided view -------------------------------------------------------------
def unfold(input, dimension, size, step):
    """Matches torch.Tensor.unfold: the windows of ``size`` every ``step`` along ``dimension``,
    in a new last dim (a view)."""
    nd = builtins.max(input.ndim, 1)
    d = _wrap_dim(dimension, nd)
    size = _int_arg(size, "size")
    step = _int_arg(step, "step")
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return reshape(input, (1,))
    return apply1(UNFOLD, input, (d, size, step))


unfold = declare(unfold, namespace="Tensor", method=True)  # torch.unfold is not this

__all__ = []
INTERNAL = ["repeat", "unfold"]  # Tensor methods only
