"""The convolutions in nn.functional (and at torch's top level): conv1d/2d/3d,
conv_transpose1d/2d/3d, unfold and fold, composites over two primitives: ``im2col`` (every
kernel window of the zero-padded input laid out as columns; the padding is the kernel's, not a
copy) and its adjoint ``col2im``. A convolution is im2col into the (C * K, N * L) layout, one
matmul (batched over the groups), and the (Cout, N, L) result put batch first; a transposed
convolution is its adjoint: one matmul, col2im, which crops the padding. Each primitive's VJP is
the other, so derivatives of any order work.
"""

import builtins
import math

from mytorch._autocast import STATE as _AUTOCAST
from mytorch._autocast import cast as _autocast_cast
from mytorch._core import TensorBase, apply1, apply2
from mytorch._ops._declare import composite, defop
from mytorch._registry import KIND_BINARY, SAVE_XY
from mytorch._ops.shape import reshape, squeeze, unsqueeze
from mytorch._size import _int_arg

_BOTH = ("torch", "nn.functional")


def _im2col_vjp(n, g):
    kernel, dilation, stride, lo, _, inner = n.params
    return col2im(g, dilation, stride, lo, n.shapes[0][2:], inner)


def _col2im_vjp(n, g):
    dilation, stride, lo, _, inner = n.params
    k = len(dilation)
    shape = n.shapes[0]
    kernel = shape[1 : 1 + k] if inner else shape[2 : 2 + k]
    return im2col(g, kernel, dilation, stride, lo, shape[2 + k :], inner)


# The convolution: three contractions of T(x, w, g) = <g, conv(x, w)> (mytorch._backends._conv),
# each one's VJP made of the other two, so derivatives of any order work.
def _forward_vjp(n, g):
    stride, dilation, lo, _, groups = n.params
    w = n.y
    x = n.x
    gx = gw = None
    if n.needs_x:
        gx = conv_input_grad(g, w, stride, dilation, lo, x.shape[2:], groups)
    if n.needs_y:
        gw = conv_weight_grad(x, g, w.shape[2:], stride, dilation, lo, groups)
    return gx, gw


def _input_grad_vjp(n, h):
    # <h, input_grad(g, w)> = T(h, w, g)
    stride, dilation, lo, _, groups = n.params
    w = n.y
    g = n.x
    dg = dw = None
    if n.needs_x:
        dg = conv_forward(h, w, stride, dilation, lo, g.shape[2:], groups)
    if n.needs_y:
        dw = conv_weight_grad(h, g, w.shape[2:], stride, dilation, lo, groups)
    return dg, dw


def _weight_grad_vjp(n, h):
    # <h, weight_grad(x, g)> = T(x, h, g)
    _, stride, dilation, lo, groups = n.params
    g = n.y
    x = n.x
    dx = dg = None
    if n.needs_x:
        dx = conv_input_grad(g, h, stride, dilation, lo, x.shape[2:], groups)
    if n.needs_y:
        dg = conv_forward(x, h, stride, dilation, lo, g.shape[2:], groups)
    return dx, dg


# fmt: off
IM2COL = defop("im2col", _im2col_vjp, node_name="Im2ColBackward0")
COL2IM = defop("col2im", _col2im_vjp, node_name="Col2ImBackward0")
# torch's node of both convolutions is ConvolutionBackward0, of their gradients
# ConvolutionBackwardBackward0.
CONV_FORWARD = defop("conv_forward", _forward_vjp, SAVE_XY, KIND_BINARY, "ConvolutionBackward0")
CONV_INPUT_GRAD = defop("conv_input_grad", _input_grad_vjp, SAVE_XY, KIND_BINARY,
                        "ConvolutionBackward0")
CONV_WEIGHT_GRAD = defop("conv_weight_grad", _weight_grad_vjp, SAVE_XY, KIND_BINARY,
                         "ConvolutionBackwardBackward0")
# fmt: on


def conv_forward(x, w, stride, dilation, lo, out, groups):
    """x (N, C, *spatial) convolved with w (Cout, C / groups, *kernel): (N, Cout, *out)."""
    params = (tuple(stride), tuple(dilation), tuple(lo), tuple(out), groups)
    return apply2(CONV_FORWARD, x, w, params)


def conv_input_grad(g, w, stride, dilation, lo, spatial, groups):
    """conv_forward's gradient in x for the output gradient g: (N, C, *spatial)."""
    params = (tuple(stride), tuple(dilation), tuple(lo), tuple(spatial), groups)
    return apply2(CONV_INPUT_GRAD, g, w, params)


def conv_weight_grad(x, g, kernel, stride, dilation, lo, groups):
    """conv_forward's gradient in w for the output gradient g: (Cout, C / groups, *kernel)."""
    params = (tuple(kernel), tuple(stride), tuple(dilation), tuple(lo), groups)
    return apply2(CONV_WEIGHT_GRAD, x, g, params)


def im2col(x, kernel, dilation, stride, lo, out, inner=False):
    """x (N, C, *spatial) -> the windows of x zero-padded by ``lo`` before each spatial dim,
    ``out`` per dim: (N, C, *kernel, *out), or (C, *kernel, N, *out) when ``inner``. Window o's
    entry k reads position o * stride + k * dilation - lo (zero outside x)."""
    params = (tuple(kernel), tuple(dilation), tuple(stride), tuple(lo), tuple(out), bool(inner))
    return apply1(IM2COL, x, params)


def col2im(cols, dilation, stride, lo, spatial, inner=False):
    """The adjoint of im2col: cols (N, C, *kernel, *out), or (C, *kernel, N, *out) when
    ``inner``, -> (N, C, *spatial), each entry added where im2col reads it (entries in the
    padding dropped)."""
    params = (tuple(dilation), tuple(stride), tuple(lo), tuple(spatial), bool(inner))
    return apply1(COL2IM, cols, params)


def _out_sizes(spatial, pairs, kernel, dilation, stride):
    return tuple((s + lo + hi - d * (k - 1) - 1) // st + 1
                 for s, (lo, hi), k, d, st in zip(spatial, pairs, kernel, dilation, stride))  # fmt: skip


def _tuple(v, n, what):
    """An int or a sequence of n ints, as a tuple of n ints."""
    if isinstance(v, (tuple, list)):
        out = tuple(_int_arg(e, what) for e in v)
        if len(out) == 1:
            out = out * n
    else:
        out = (_int_arg(v, what),) * n
    if len(out) != n:
        raise RuntimeError(
            f"expected {what} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {what}={list(out)}"
        )
    return out


def _check_tensor(name, x, what):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(x).__name__}")


def _check_common(name, n, input, weight, bias, stride, dilation, groups):
    _check_tensor(name, input, "input")
    _check_tensor(name, weight, "weight")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != n + 2:
        raise RuntimeError(
            f"Expected {n + 2}-dimensional weight for {name}, but got {weight.ndim}-dimensional "
            f"weight of size {list(weight.shape)}"
        )
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    groups = _int_arg(groups, "groups")
    if builtins.any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if builtins.any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"Input type ({input.dtype}) and weight type ({weight.dtype}) should be the same"
        )
    if weight.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(weight.shape)}] instead"
        )
    if bias is not None:
        _check_tensor(name, bias, "bias")
        if bias.dtype != input.dtype:
            raise RuntimeError(
                f"Input type ({input.dtype}) and bias type ({bias.dtype}) should be the same"
            )
    return stride, dilation, groups


def _add_bias(out, bias, n):
    if bias is None:
        return out
    if bias.ndim != 1 or bias.shape[0] != out.shape[1]:
        raise RuntimeError(
            f"expected bias to be 1-dimensional with {out.shape[1]} elements, but got bias of "
            f"size {list(bias.shape)} instead"
        )
    return out + reshape(bias, (out.shape[1],) + (1,) * n)


def _same_pairs(kernel, dilation):
    """'same' padding: d * (k - 1) in all, the odd one on the right (as torch pads)."""
    pairs = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pairs.append((total // 2, total - total // 2))
    return pairs


def _convnd(name, n, input, weight, bias, stride, padding, dilation, groups):
    if _AUTOCAST.on:
        input, weight, bias = _autocast_cast(input, weight, bias)
    stride, dilation, groups = _check_common(name, n, input, weight, bias, stride, dilation, groups)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pairs = [(0, 0)] * n
        elif padding == "same":
            if builtins.any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pairs = _same_pairs(kernel, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _tuple(padding, n, "padding")
        if builtins.any(e < 0 for e in p):
            raise RuntimeError("negative padding is not supported")
        pairs = [(e, e) for e in p]
    batched = input.ndim == n + 2
    x = input if batched else unsqueeze(input, 0)
    cin_g = weight.shape[1]
    if x.shape[1] != cin_g * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {cin_g * groups} channels, but got {x.shape[1]} "
            "channels instead"
        )
    padded = [s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pairs)]
    if builtins.any(p < d * (k - 1) + 1 for p, k, d in zip(padded, kernel, dilation)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation))})"
            ". Kernel size can't be greater than actual input size"
        )
    out_sp = _out_sizes(x.shape[2:], pairs, kernel, dilation, stride)
    out = conv_forward(x, weight, stride, dilation, [lo for lo, _ in pairs], out_sp, groups)
    out = _add_bias(out, bias, n)
    return out if batched else squeeze(out, 0)


def _conv_transposend(name, n, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):  # fmt: skip
    if _AUTOCAST.on:
        input, weight, bias = _autocast_cast(input, weight, bias)
    stride, dilation, groups = _check_common(name, n, input, weight, bias, stride, dilation, groups)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    padding = _tuple(padding, n, "padding")
    output_padding = _tuple(output_padding, n, "output_padding")
    if builtins.any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if builtins.any(p < 0 for p in output_padding):
        raise RuntimeError("negative output padding is not supported")
    if builtins.any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding={list(output_padding)} stride={list(stride)} "
            f"dilation={list(dilation)}"
        )
    batched = input.ndim == n + 2
    x = input if batched else unsqueeze(input, 0)
    cin = weight.shape[0]
    kernel = tuple(weight.shape[2:])
    if x.shape[1] != cin:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected "
            f"input{list(x.shape)} to have {cin} channels, but got {x.shape[1]} channels instead"
        )
    in_sp = tuple(x.shape[2:])
    sizes = [(s - 1) * st - 2 * p + d * (k - 1) + o + 1
             for s, st, p, d, k, o in zip(in_sp, stride, padding, dilation, kernel,
                                          output_padding)]  # fmt: skip
    if builtins.any(e <= 0 for e in sizes):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, in_sp))}). Calculated output "
            f"size per channel: ({' x '.join(map(str, sizes))}). Output size is too small"
        )
    # The adjoint of the convolution whose weight is this one: its gradient in the input.
    out = conv_input_grad(x, weight, stride, dilation, padding, sizes, groups)
    out = _add_bias(out, bias, n)
    return out if batched else squeeze(out, 0)


@composite(namespace=_BOTH)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv1d."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@composite(namespace=_BOTH)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv2d."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@composite(namespace=_BOTH)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Matches torch.nn.functional.conv3d."""
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@composite(namespace=_BOTH)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    """Matches torch.nn.functional.conv_transpose1d."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)  # fmt: skip


@composite(namespace=_BOTH)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    """Matches torch.nn.functional.conv_transpose2d."""
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)  # fmt: skip


@composite(namespace=_BOTH)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):  # fmt: skip
    """Matches torch.nn.functional.conv_transpose3d."""
    return _conv_transposend("conv_transpose3d", 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)  # fmt: skip


def _fold_args(kernel_size, dilation, padding, stride):
    return (
        _tuple(kernel_size, 2, "kernel_size"),
        _tuple(dilation, 2, "dilation"),
        _tuple(padding, 2, "padding"),
        _tuple(stride, 2, "stride"),
    )


def _fold_check(kernel, dilation, padding, stride):
    for what, v, low in (("kernel", kernel, 1), ("dilation", dilation, 1),
                         ("padding", padding, 0), ("stride", stride, 1)):  # fmt: skip
        if builtins.any(e < low for e in v):
            raise RuntimeError(
                f"{what} should be greater than {'or equal to ' if low == 0 else ''}zero, but got "
                f"{what}: {' '.join(map(str, v))}"
            )


@composite(namespace="nn.functional")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.unfold: (N, C, H, W) -> (N, C * kh * kw, L)."""
    _check_tensor("unfold", input, "input")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride)
    _fold_check(kernel, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)"
        )
    batched = input.ndim == 4
    x = input if batched else unsqueeze(input, 0)
    sp = tuple(x.shape[2:])
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(sp, padding, dilation, kernel, stride)]  # fmt: skip
    if builtins.any(b < 1 for b in blocks):
        raise RuntimeError(
            f"Given input with spatial size {sp}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, calculated shape of the array of sliding blocks as "
            f"{tuple(blocks)}, but its components must be at least one."
        )
    cols = im2col(x, kernel, dilation, stride, padding, blocks)
    out = reshape(cols, (x.shape[0], x.shape[1] * math.prod(kernel), math.prod(blocks)))
    return out if batched else squeeze(out, 0)


@composite(namespace="nn.functional")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Matches torch.nn.functional.fold: (N, C * kh * kw, L) -> (N, C, *output_size), the
    blocks' entries summed where they overlap."""
    _check_tensor("fold", input, "input")
    size = _tuple(output_size, 2, "output_size")
    kernel, dilation, padding, stride = _fold_args(kernel_size, dilation, padding, stride)
    _fold_check(kernel, dilation, padding, stride)
    if input.ndim not in (2, 3) or builtins.any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    batched = input.ndim == 3
    x = input if batched else unsqueeze(input, 0)
    kprod = math.prod(kernel)
    if x.shape[1] % kprod:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}."
        )
    blocks = [(s + 2 * p - d * (k - 1) - 1) // st + 1
              for s, p, d, k, st in zip(size, padding, dilation, kernel, stride)]  # fmt: skip
    if builtins.any(b < 1 for b in blocks):
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, calculated shape of the array of sliding "
            f"blocks as {tuple(blocks)}, but its components must be at least one."
        )
    if x.shape[2] != math.prod(blocks):
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match "
            f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{math.prod(blocks)}, but got input.size(2)={x.shape[2]}."
        )
    c = x.shape[1] // kprod
    cols = reshape(x, (x.shape[0], c) + kernel + tuple(blocks))
    out = col2im(cols, dilation, stride, padding, size)
    return out if batched else squeeze(out, 0)


__all__ = []
INTERNAL = [
    "im2col",
    "col2im",
    "conv_forward",
    "conv_input_grad",
    "conv_weight_grad",
]  # the primitives' functions (mytorch._ops.conv)
