"""Indexing, slicing and joining: getitem (``t[idx]``) and its scatter, select, narrow, cat,
stack.
"""

import builtins
import warnings

from mytorch._aliases import numpy_axis
from mytorch import _backends
from mytorch import _dtype as D
from mytorch._applyn import apply_multi, applyn, materialize
from mytorch._core import TensorBase, apply1, apply2
from mytorch._ops._declare import defop
from mytorch._ops.shape import _broadcast_shape_check
from mytorch._out import check_out, write_out
from mytorch._size import _int_arg, _wrap_dim
from mytorch._views import make_view


def _cat_vjp(n, g):
    dim = n.params[0]
    grads = []
    start = 0
    for shape in n.shapes:
        size = shape[dim]
        grads.append(narrow(g, dim, start, size))
        start += size
    return tuple(grads)


# fmt: off
# name                  VJP: (node n, output gradient g) -> gradient per input
GETITEM   = defop("getitem",        lambda n, g: _getitem_vjp(n, g),                        node_name="IndexBackward0")
INDEX_BWD = defop("index_backward", lambda n, g: getitem(g, n.params[1]),                   node_name="IndexPutImplBackward0")
INDEX_PUT = defop("index_put",      lambda n, g: _index_put_vjp(n, g),                      node_name="IndexPutBackward0")
CAT       = defop("cat",            _cat_vjp,                                               node_name="CatBackward0")
STACK     = defop("stack",          lambda n, g: tuple(select(g, n.params[0], i) for i in range(len(n.next))))
# PyTorch names the grad_fn of t[idx] after what the index does.
# Basic indexing (ints, slices, None, ...) makes views; advanced indexing copies.
_BY_KIND = {"select": GETITEM.variant("SelectBackward0", view=1), "slice": GETITEM.variant("SliceBackward0", view=1),
            "unsqueeze": GETITEM.variant("UnsqueezeBackward0", view=1), "alias": GETITEM.variant("AliasBackward0", view=1),
            "index": GETITEM}
# The scatter that is getitem's VJP, named as PyTorch names the VJP of each kind of index.
_SCATTER = {"SelectBackward0": INDEX_BWD.variant("SelectBackwardBackward0"),
            "SliceBackward0": INDEX_BWD.variant("SliceBackwardBackward0"),
            "UnsqueezeBackward0": INDEX_BWD.variant("SqueezeBackward1"), "IndexBackward0": INDEX_BWD}
# fmt: on


def _getitem_vjp(n, g):
    if n.op is _BY_KIND["alias"]:
        return g  # t[...] is t itself
    return apply1(_SCATTER[n.op.node_name], g, (n.shapes[0],) + tuple(n.params))


def _normalize_index(index, shape, be):
    """Index as a tuple the array module understands (index arrays on backend ``be``), a
    'basic' flag (no advanced indices), and the kind of PyTorch grad_fn it makes.
    """
    index = _index_tuple(index)
    out = []
    basic = True
    kind = "alias"
    for i in index:
        if isinstance(i, TensorBase):
            if i.dtype.category > D.INT:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            d = i._data
            ib = _backends.for_array(d)
            i = d if ib is be else be.from_numpy(ib.to_numpy(d))
            basic = False
            kind = "index"
        elif isinstance(i, (list, tuple)) or (
            hasattr(i, "ndim") and hasattr(i, "dtype") and i.ndim
        ):
            i = be.array(i, "int64" if isinstance(i, (list, tuple)) and _empty(i) else None)
            basic = False
            kind = "index"
        elif isinstance(i, bool):
            basic = False
            kind = "index"
        elif isinstance(i, int) or hasattr(i, "__index__"):
            i = int(i)
            if basic:
                kind = "select"
        elif isinstance(i, slice):
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            if basic:
                kind = "slice"
        elif i is None:
            if basic:
                kind = "unsqueeze"
        elif isinstance(i, str):  # torch reads a sequence index as a tensor, and a str as text
            raise TypeError(f"new(): invalid data type 'str' (a tensor index, got {i!r})")
        elif i is not Ellipsis:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got " + type(i).__name__ + ")"
            )
        out.append(i)
    _check_index_bounds(out, shape)
    return tuple(out), basic, kind


def _index_tuple(index, warn=False):
    """The index as a tuple, read as torch reads it: a list (shorter than 32) holding a
    sequence, a tensor, a slice, None or ... is a tuple of indices (torch warns that this is
    deprecated); any other list is one index tensor."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32:
        for i in index:
            if isinstance(i, (list, tuple, slice, TensorBase)) or i is None or i is Ellipsis:
                if warn:
                    warnings.warn(
                        "Using a non-tuple sequence for multidimensional indexing is deprecated; "
                        "use x[tuple(seq)] instead of x[seq]",
                        UserWarning,
                        stacklevel=4,
                    )
                return tuple(index)
    return (index,)


def _empty(seq):
    """Whether a nested sequence holds no number (torch reads it as an empty long index)."""
    return all(isinstance(i, (list, tuple)) and _empty(i) for i in seq)


def _is_bool_array(i):
    return hasattr(i, "dtype") and i.dtype.kind == "b"


def _check_index_bounds(index, shape):
    """IndexError with PyTorch's message for an integer index out of range."""
    dim = 0
    n_real = builtins.sum(1 for i in index if i is not None and i is not Ellipsis
                          and not _is_bool_array(i))  # fmt: skip
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for k, i in enumerate(index):
        if i is Ellipsis:
            dim = len(shape) - builtins.sum(1 for j in index[k + 1 :] if j is not None)
            continue
        if i is None:
            continue
        if _is_bool_array(i):
            for j in range(i.ndim):
                if dim + j < len(shape) and i.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(i.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            dim += i.ndim
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            size = shape[dim]
            if i < -size or i >= size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
        dim += 1


def _is_basic_index(input, index):
    """Whether ``input[index]`` is a view (ints, slices, None, ...), not advanced indexing."""
    be = _backends.for_array(input._data)
    return _normalize_index(index, input._data.shape, be)[1]


def _device_index(input, index):
    """``index`` ready for ``input``'s array module (what setitem passes to its backend)."""
    be = _backends.for_array(input._data)
    return _normalize_index(index, input._data.shape, be)[0]


def _index_put_vjp(n, g):
    index, accumulate = n.params
    gx = None
    if n.needs_x:
        gx = g if accumulate else apply2(INDEX_PUT, g, 0.0, (index, False))
    return gx, getitem(g, index) if n.needs_y else None


def index_put(input, indices, values, accumulate=False):
    """Matches torch.index_put: ``input`` with ``values`` written (or added) at ``indices``,
    a tuple of index tensors; differentiable with respect to both."""
    be = _backends.for_array(input._data)
    idx, _, _ = _normalize_index(tuple(indices), input._data.shape, be)
    return _put(input, idx, values, accumulate)


def _put(input, idx, values, accumulate):
    if isinstance(values, TensorBase) and values.device != input.device:
        values = values.to(input.device)
    return apply2(INDEX_PUT, input, values, (idx, bool(accumulate)))


def _setitem_value(input, index, value):
    """What ``input[index] = value`` makes of ``input``, out of place and differentiable (for
    advanced indices; basic ones write through a view)."""
    be = _backends.for_array(input._data)
    idx, basic, _ = _normalize_index(index, input._data.shape, be)
    _check_setitem(input, idx, value)
    return _put(input, idx, value, False)


def _check_setitem(input, idx, value):
    """torch's errors for ``input[idx] = value`` that NumPy would word as its own."""
    if not isinstance(value, TensorBase):
        return
    basic = all(not hasattr(i, "ndim") for i in idx)
    d = input._data
    target = _backends.for_array(d).getitem(d, idx, basic).shape  # a kernel: on d's device
    if not basic and value.dtype is not input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{input.dtype.title} for the destination and {value.dtype.title} for the source."
        )
    vs = value._data.shape
    nd = len(target) - len(vs)
    ok = nd >= 0 and all(v in (1, t) for v, t in zip(vs, target[nd:]))
    if not ok and basic:
        _broadcast_shape_check(vs, target)
    if not ok:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(vs)} cannot be broadcast to indexing "
            f"result of shape {list(target)}"
        )


def _split_ints(index):
    """(first, rest): torch applies the integers of an index that also has advanced indices
    as selects first, then the rest; NumPy would broadcast them with the advanced ones."""
    index = _index_tuple(index, True)
    adv = any(
        isinstance(i, (TensorBase, list, tuple)) or (hasattr(i, "ndim") and i.ndim) for i in index
    )
    ints = [isinstance(i, int) and not isinstance(i, bool) for i in index]
    if not adv or not any(ints):
        return None, index
    first = tuple(i if (k or i is None or i is Ellipsis) else slice(None)
                  for i, k in zip(index, ints))  # fmt: skip
    rest = tuple(slice(None) if i is None else i for i, k in zip(index, ints) if not k)
    return first, rest


def getitem(input, index):
    """input[index] with ints, slices, None, Ellipsis, and integer or bool tensors."""
    first, rest = _split_ints(index)
    if first is not None:
        return getitem(getitem(input, first), rest)
    be = _backends.for_array(input._data)
    idx, basic, kind = _normalize_index(index, input._data.shape, be)
    try:
        return apply1(_BY_KIND[kind], input, (idx, basic))
    except IndexError as e:
        raise IndexError(str(e)) from None


def index_backward(grad, shape, index, basic):
    """Scatter ``grad`` into zeros of ``shape`` at ``index`` (getitem's VJP; its own VJP is
    getitem). Index tensors become arrays on ``grad``'s device."""
    if any(isinstance(i, TensorBase) for i in index):
        index = _normalize_index(index, shape, _backends.for_array(grad._data))[0]
    return apply1(INDEX_BWD, grad, (shape, index, basic))


@numpy_axis
def select(input, dim, index):
    """Matches torch.select."""
    d = _wrap_dim(dim, input.ndim)
    return getitem(input, (slice(None),) * d + (index,))


@numpy_axis
def narrow(input, dim, start, length):
    """Matches torch.narrow."""
    d = _wrap_dim(dim, input.ndim)
    start = _narrow_start(input, d, start)
    if _int_arg(length, "length") < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    _narrow_end(input, d, start, length)
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def _narrow_start(input, d, start):
    """narrow's start, counted from the end when negative (IndexError out of range)."""
    n = input.shape[d]
    start = _int_arg(start, "start")
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    return start + n if start < 0 else start


def _narrow_end(input, d, start, length):
    n = input.shape[d]
    if length < 0 or start > n - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")


def _promoted(tensors):
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    return [t.to(dt) for t in tensors]


def _cat_rule(result, out):
    """cat's and stack's out dtype rule: torch's canCast, refused with a TypeError."""
    if result.category > out.category:
        return TypeError(
            f"torch.cat(): input types can't be cast to the desired output type {out.title}"
        )
    return None


@numpy_axis
def cat(tensors, dim=0, out=None):
    """Matches torch.cat."""
    if isinstance(tensors, TensorBase):
        raise TypeError(
            "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    tensors = list(tensors)
    if out is not None:
        check_out("cat", out, tensors)
        return write_out(out, cat(tensors, dim), _cat_rule)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")  # as torch
    nd = tensors[0].ndim
    d = _wrap_dim(dim, nd)
    tensors = _promoted(tensors)
    first = tensors[0].shape
    for k, t in enumerate(tensors[1:], 1):
        if t.ndim != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t.ndim}"
            )
        for i in range(nd):
            if i != d and t.shape[i] != first[i]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{first[i]} but got size {t.shape[i]} for tensor number {k} in the list."
                )
    return applyn(CAT, tuple(tensors), (d,))


concat = cat
concatenate = cat


@numpy_axis
def stack(tensors, dim=0, out=None):
    """Matches torch.stack."""
    if isinstance(tensors, TensorBase):
        raise TypeError(
            "stack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    tensors = list(tensors)
    if out is not None:
        check_out("stack", out, tensors)
        return write_out(out, stack(tensors, dim), _cat_rule)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    d = _wrap_dim(dim, tensors[0].ndim + 1)
    for i, t in enumerate(tensors[1:]):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                f"at entry 0 and {list(t.shape)} at entry {i + 1}"
            )
    return applyn(STACK, tuple(_promoted(tensors)), (d,))


__all__ = [
    "select", "narrow", "index_put", "cat", "concat", "concatenate", "stack", "split", "chunk",
    "unbind",
]  # fmt: skip
INTERNAL = [
    "getitem", "index_backward", "_device_index", "_setitem_value", "_is_basic_index",
    "_split_ints", "_check_setitem", "_narrow_start", "_narrow_end",
]  # fmt: skip


# --- several views at once: split, chunk, unbind ----------------------------------------------
def _with_zeros(n, grads, shapes):
    """The pieces' gradients, zeros (the input's dtype) for the pieces that received none."""
    ref = next(g for g in grads if g is not None)
    be = _backends.for_array(ref._data)
    return materialize(grads, [(s, n.dtypes[0], be) for s in shapes])


def _split_vjp(n, *grads):
    sizes, dim = n.params
    shape = n.shapes[0]
    shapes = [shape[:dim] + (s,) + shape[dim + 1 :] for s in sizes]
    return cat(_with_zeros(n, grads, shapes), dim)


def _unbind_vjp(n, *grads):
    (dim,) = n.params
    shape = n.shapes[0]
    return stack(_with_zeros(n, grads, [shape[:dim] + shape[dim + 1 :]] * len(grads)), dim)


# fmt: off
# One Node for all the pieces; each piece is a view made (and replayed) by the getitem kernel.
SPLIT            = defop("split",  _split_vjp,  kernel="getitem")
SPLIT_WITH_SIZES = SPLIT.variant("SplitWithSizesBackward0")
UNBIND           = defop("unbind", _unbind_vjp, kernel="getitem")
# fmt: on


def _view_pieces(op, input, params, indices, piece_op):
    """The views ``input[index]`` for each index, recorded as one application of ``op``.

    Each piece is marked as a view whose step from its base is ``piece_op`` (a getitem variant
    that makes just that piece, so a replay gives it again), and as one of several views of one
    op: torch forbids writing into those in place (its error names ``op``).
    """
    be = _backends.for_array(input._data)

    def pieces(x, *params):
        return tuple(be.getitem(x, index, True) for index in indices)

    outs = apply_multi(op, input, params, kernel=pieces)
    name = op.node_name[: -len("Backward0")]
    for out, index in zip(outs, indices):
        make_view(piece_op, input, out, (index, True))
        out._view.multi = name
    return outs


def split(tensor, split_size_or_sections, dim=0):
    """Matches torch.split: views of ``tensor`` along ``dim`` of ``split_size`` each (the last
    one smaller when it must be), or of the sizes listed."""
    nd = tensor._data.ndim
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    sections = split_size_or_sections
    if isinstance(sections, (list, tuple)):
        d = _wrap_dim(dim, nd)
        n = tensor._data.shape[d]
        sizes = tuple(_int_arg(s, "split_sizes") for s in sections)
        if builtins.any(s < 0 for s in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but got "
                f"split_sizes={list(sizes)}"
            )
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={list(sizes)}"
            )
        op = SPLIT_WITH_SIZES
    else:
        size = _int_arg(sections, "split_size")
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        d = _wrap_dim(dim, nd)
        n = tensor._data.shape[d]
        if size == 0 and n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        count = builtins.max((n + size - 1) // size, 1) if size else 1
        sizes = (size,) * (count - 1) + (n - size * (count - 1),)
        op = SPLIT
    indices = []
    start = 0
    for s in sizes:
        indices.append((slice(None),) * d + (slice(start, start + s, None),))
        start += s
    return _view_pieces(op, tensor, (sizes, d), indices, _BY_KIND["slice"])


@numpy_axis
def chunk(input, chunks, dim=0):
    """Matches torch.chunk: split into pieces of ceil(size / chunks) along ``dim`` (so maybe
    fewer than ``chunks`` pieces)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = _int_arg(chunks, "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, nd)
    n = input._data.shape[d]
    size = (n + chunks - 1) // chunks
    if size == 0 and n == 0:
        return split(input, [0] * chunks, d)  # as torch: split would lose the count
    return split(input, size, d)


@numpy_axis
def unbind(input, dim=0):
    """Matches torch.unbind: the slices along ``dim``, as views."""
    nd = input._data.ndim
    if nd == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, nd)
    indices = [(slice(None),) * d + (i,) for i in range(input._data.shape[d])]
    return _view_pieces(UNBIND, input, (d,), indices, _BY_KIND["select"])
