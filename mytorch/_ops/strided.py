"""Strided views: diagonal and as_strided, views whose elements are picked by strides rather
than by an index or a shape (their VJPs scatter through index_backward, so they differentiate
again).
"""

from mytorch._core import apply1
from mytorch._ops._declare import defop
from mytorch._ops.creation import arange, zeros
from mytorch._ops.indexing import getitem, index_backward
from mytorch._ops.shape import permute, reshape
from mytorch._size import _wrap_dim


def _last_to(g, pos):
    """g with its last dim moved to position ``pos``."""
    nd = g.ndim
    if pos == nd - 1:
        return g
    order = list(range(nd - 1))
    order.insert(pos, nd - 1)
    return permute(g, tuple(order))


def _diagonal_vjp(n, g):
    offset, d1, d2 = n.params
    shape = n.shapes[0]
    m = g.shape[-1]
    i1 = arange(m, device=g.device) + (0 if offset >= 0 else -offset)
    i2 = arange(m, device=g.device) + (offset if offset >= 0 else 0)
    index = [slice(None)] * len(shape)
    index[d1] = i1
    index[d2] = i2
    lo, hi = min(d1, d2), max(d1, d2)
    # NOTE: NumPy puts the dim of two advanced indices where they stand when they are
    # neighbours, and first otherwise; the diagonal is g's last dim.
    pos = lo if hi == lo + 1 else 0
    return index_backward(_last_to(g, pos), shape, tuple(index), False)


def _positions(size, stride, offset, device):
    """The storage positions (elements from a fixed origin) of a strided layout, flat."""
    idx = arange(offset, offset + 1, device=device)
    for sz, st in zip(size, stride):
        idx = idx.unsqueeze(-1) + arange(sz, device=device) * st
    return reshape(idx, (-1,))


def _as_strided_vjp(n, g):
    size, stride, offset, in_stride = n.params
    shape = n.shapes[0]
    numel = 1
    for s in shape:
        numel *= s
    out_pos = _positions(size, stride, offset, g.device)
    if in_stride is None:  # a contiguous input: its elements are storage positions 0, 1, ...
        flat = index_backward(reshape(g, (-1,)), (numel,), (out_pos,), False)
        return reshape(flat, shape)
    # NOTE: as torch's: the gradient gathered in storage, then read at the input's positions.
    in_pos = _positions(shape, in_stride, 0, g.device)
    lo = min(0, offset + sum(min(0, (s - 1) * st) for s, st in zip(size, stride)))
    lo = min(lo, sum(min(0, (s - 1) * st) for s, st in zip(shape, in_stride)))
    hi = max(
        offset + sum(max(0, (s - 1) * st) for s, st in zip(size, stride)),
        sum(max(0, (s - 1) * st) for s, st in zip(shape, in_stride)),
    )
    span = (hi - lo + 1,)
    storage = index_backward(reshape(g, (-1,)), span, (out_pos - lo,), False)
    gx = getitem(storage, (in_pos - lo,))
    if _may_overlap(shape, in_stride):  # an input element shared: the gradient shared out
        ones = zeros((numel,), dtype=g.dtype, device=g.device) + 1
        gx = gx / getitem(index_backward(ones, span, (in_pos - lo,), False), (in_pos - lo,))
    return reshape(gx, shape)


def _may_overlap(shape, stride):
    """Whether two elements of a layout may share a storage position (torch's test)."""
    dims = sorted((st, s) for s, st in zip(shape, stride) if s > 1)
    extent = 0
    for st, s in dims:
        if st <= extent:
            return True
        extent += (s - 1) * st
    return False


# fmt: off
DIAGONAL   = defop("diagonal",   _diagonal_vjp,   view=1)
AS_STRIDED = defop("as_strided", _as_strided_vjp, view=1)
# fmt: on


def diagonal(input, offset=0, dim1=0, dim2=1):
    """Matches torch.diagonal: a view of the diagonal of dims (dim1, dim2), in the last dim."""
    nd = input.ndim
    d1 = _wrap_dim(dim1, nd)
    d2 = _wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply1(DIAGONAL, input, (int(offset), d1, d2))


def as_strided(input, size, stride, storage_offset=None):
    """Matches torch.as_strided: a view of ``input``'s storage with the given sizes and element
    strides, from ``storage_offset`` (default: input's), for any input, contiguous or not."""
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} vs {len(size)}")
    for s in stride:
        if s < 0:
            raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                               f"strides: {list(stride)}")  # fmt: skip
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    span = offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1 if all(size) else 0
    base = input._base if input._base is not None else input
    if span > base.numel() and not getattr(input, "_vmap_checks_storage", False):
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {input.element_size()} requiring a storage size of "
            f"{span * input.element_size()} are out of bounds for storage of size "
            f"{base.numel() * input.element_size()}"
        )
    in_stride = None if input.is_contiguous() else tuple(input.stride())
    params = (size, stride, offset - input.storage_offset(), in_stride)
    return apply1(AS_STRIDED, input, params)


__all__ = ["diagonal", "as_strided"]
INTERNAL = []
