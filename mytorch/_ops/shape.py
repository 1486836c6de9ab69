"""Shape ops: expand and its inverse sum_to (the engine's unbroadcast), reshape/view, squeeze,
unsqueeze, flatten, transpose and permute.
"""

from mytorch._aliases import numpy_axis
from mytorch import _backends
from mytorch._core import _shared_data, _wrap, apply1
from mytorch._ops._declare import defop
from mytorch._size import _int_arg, _wrap_dim


def _inverse(dims):
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return tuple(inv)


# fmt: off
# name                VJP: (node n, output gradient g) -> gradient of the input
SUM_TO    = defop("sum_to",    lambda n, g: expand(g, n.shapes[0]),          node_name="SumToBackward0")
EXPAND    = defop("expand",    lambda n, g: sum_to(g, n.shapes[0]),                                    view=1)
RESHAPE   = defop("reshape",   lambda n, g: reshape(g, n.shapes[0]),         node_name="ViewBackward0", view=2)
UNSQUEEZE = RESHAPE.variant("UnsqueezeBackward0", view=1)
SQUEEZE   = RESHAPE.variant("SqueezeBackward1", view=1)
TRANSPOSE = defop("transpose", lambda n, g: transpose(g, *n.params),                                view=1)
PERMUTE   = defop("permute",   lambda n, g: permute(g, _inverse(n.params[0])),                      view=1)
# fmt: on


def _sizes(args):
    """Sizes given as ints or as one sequence of ints (TypeError for anything else)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    for s in args:
        if type(s) is not int:
            return tuple(_int_arg(s, "size") for s in args)
    return tuple(args)


def _dims(dim, ndim):
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if not isinstance(dim, (tuple, list)):
        return (_wrap_dim(dim, ndim),)
    dims = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return dims if dims else None


def sum_to(input, shape):
    """Sum ``input`` down to ``shape`` (the engine's unbroadcast; its VJP is expand)."""
    shape = tuple(shape)
    if input._data.shape == shape:
        return input
    return apply1(SUM_TO, input, (shape,))


def _broadcast_shape_check(src, shape):
    nd = len(shape) - len(src)
    if nd < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(src)})"
        )
    for i in range(nd):
        if shape[i] < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[i]}) isn't allowed in a leading, "
                f"non-existing dimension {i}"
            )
    out = list(shape)
    for i, s in enumerate(src):
        t = shape[i + nd]
        if t == -1:
            out[i + nd] = s
        elif s != t and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {i + nd}.  Target sizes: {list(shape)}.  "
                f"Tensor sizes: {list(src)}"
            )
    return tuple(out)


def expand(input, *sizes):
    """Matches torch.Tensor.expand (a broadcast view)."""
    shape = _broadcast_shape_check(input._data.shape, _sizes(sizes))
    if input._data.shape == shape:
        return input
    return apply1(EXPAND, input, (shape,))


def broadcast_to(input, size):
    """Matches torch.broadcast_to."""
    return expand(input, tuple(size))


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s >= 0:
            known *= s
        elif s != -1:
            i = shape.index(s)
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {shape}")
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def reshape(input, *shape):
    """Matches torch.reshape: a view when the memory allows one, else a copy."""
    shape = _infer_shape(_sizes(shape), input._data.size)
    return apply1(RESHAPE, input, (shape,))


def view(input, *shape):
    """Matches torch.Tensor.view: always a view; RuntimeError where reshape would copy."""
    shape = _infer_shape(_sizes(shape), input._data.size)
    d = input._data
    if not _backends.for_array(d).can_view(d, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return apply1(RESHAPE, input, (shape,))


@numpy_axis
def unsqueeze(input, dim):
    """Matches torch.unsqueeze."""
    s = input._data.shape
    d = _wrap_dim(dim, len(s) + 1)
    return apply1(UNSQUEEZE, input, (s[:d] + (1,) + s[d:],))


@numpy_axis
def squeeze(input, dim=None):
    """Matches torch.squeeze."""
    s = input._data.shape
    if dim is None:
        shape = tuple(x for x in s if x != 1)
    else:
        dims = _dims(dim, len(s)) or ()
        shape = tuple(x for i, x in enumerate(s) if not (i in dims and x == 1))
    return apply1(SQUEEZE, input, (shape,))


def flatten(input, start_dim=0, end_dim=-1):
    """Matches torch.flatten."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, nd)
    e = _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    mid = 1
    for x in shape[s : e + 1]:
        mid *= x
    return reshape(input, shape[:s] + (mid,) + shape[e + 1 :])


def transpose(input, dim0, dim1):
    """Matches torch.transpose."""
    nd = input._data.ndim
    return apply1(TRANSPOSE, input, (_wrap_dim(dim0, nd), _wrap_dim(dim1, nd)))


def swapaxes(input, axis0, axis1):
    """Matches torch.swapaxes (NumPy's names: axis0, axis1)."""
    return transpose(input, axis0, axis1)


swapdims = transpose


def t(input):
    """Matches torch.t (0-D and 1-D unchanged, 2-D transposed)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return apply1(TRANSPOSE, input, (0, 0)) if nd else input.view(())  # an alias view
    return transpose(input, 0, 1)


def permute(input, *dims):
    """Matches torch.permute."""
    nd = input._data.ndim
    dims = tuple(_wrap_dim(d, nd) for d in _sizes(dims))
    if len(dims) != nd:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{nd} is not equal to len(dims) = {len(dims)}"
        )
    if sorted(dims) != list(range(nd)):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply1(PERMUTE, input, (dims,))


__all__ = [
    "broadcast_to", "reshape", "unsqueeze", "squeeze", "flatten", "transpose", "swapaxes",
    "swapdims", "t", "permute",
]  # fmt: skip


def _alias(input):
    """A new tensor on ``input``'s memory, with no history and a version counter of its own
    (what ``.data`` returns)."""
    return _wrap(_shared_data(input))


INTERNAL = ["sum_to", "expand", "view", "_dims", "_alias"]
