"""Pooling in nn.functional (and torch's top-level names for it): max, average, adaptive and
power-average pooling over 1, 2 or 3 spatial dims, and max_unpool1d/2d/3d.

Max pooling with fixed windows is two primitives, one pass each (backend kernels max_pool and
max_pool_backward): the values with their argmax indices (the first largest in scan order, the
last NaN, as torch's), and the gradient added at the indices, whose own VJP is a gather by them,
so derivatives of any order work. The other poolings are composites: each output entry's window
is gathered by advanced indexing (an index per spatial dim, made in NumPy from the shapes only),
entries outside the input masked, then reduced; their derivatives are the gather's and the
reduction's.
"""

from mytorch import _dtype as D
from mytorch._applyn import apply_multi
from mytorch._core import _wrap, apply1
from mytorch._ops._declare import composite, declare, defop
from mytorch._ops.creation import tensor, zeros
from mytorch._ops.indexing import getitem
from mytorch._ops.pointwise import abs, pow, relu, sign, where
from mytorch._ops.reduction import mean, sum
from mytorch._ops.shape import reshape

NN = "nn.functional"
_BOTH = ("torch", NN)


def _tuple(v, n, name):
    if isinstance(v, (list, tuple)):
        v = tuple(int(a) for a in v)
        if len(v) == 1:
            v = v * n
        if len(v) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return v
    return (int(v),) * n


def _out_len(size, k, s, p, d, ceil):
    """torch's pooling output length (with ceil_mode's rule that the last window starts inside
    the input or its left padding)."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = span // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(size, k, s, p, d, ceil):
    """(positions [out][k], out) of a fixed-size window along one dim (as Python lists: the
    tables depend on the shapes only)."""
    out = _out_len(size, k, s, p, d, ceil)
    return [[o * s - p + j * d for j in range(k)] for o in range(out)], k, out


def _adaptive_windows(size, out):
    """torch's adaptive windows: [floor(i L / out), ceil((i + 1) L / out)) for output i;
    positions past a window's end are marked -1 (masked)."""
    bounds = [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]
    k = max((e - b for b, e in bounds), default=0)
    return [[b + j if b + j < e else -1 for j in range(k)] for b, e in bounds], k, out


def _gather(input, wins):
    """input's windows: (..., o_1, .., o_n, K) with K the product of the window sizes; the
    validity mask (o_1, .., o_n, K) (None when all are valid); the flat input index of each
    entry, all on the input's device."""
    n = len(wins)
    dev = input.device
    index, mask, flat = [], None, None
    for j, (pos, k, out) in enumerate(wins):
        shape = [1] * (2 * n)
        shape[j] = out
        shape[n + j] = k
        size = input.shape[input.ndim - n + j]
        pos = tensor(pos, dtype=D.int64, device=dev).reshape(tuple(shape))
        valid = (pos >= 0) & (pos < size)
        clipped = pos.clamp(0, max(size - 1, 0))
        index.append(clipped)
        mask = valid if mask is None else mask & valid
        flat = clipped if flat is None else flat * size + clipped
    outs = tuple(w[2] for w in wins)
    ks = tuple(w[1] for w in wins)
    kk = 1
    for k in ks:
        kk *= k
    lead = tuple(input.shape[: input.ndim - n])
    sizes = tuple(input.shape[input.ndim - n :])
    if all(_tiles(w, size) for w, size in zip(wins, sizes)):
        win = _tiled(input, lead, sizes, outs, ks)
    else:
        win = reshape(getitem(input, (Ellipsis,) + tuple(index)), lead + outs + (kk,))
    mask = mask.expand(outs + ks).reshape(outs + (kk,))
    flat = flat.expand(outs + ks).reshape(outs + (kk,))
    return win, (None if bool(mask.all().item()) else mask), flat


def _tiles(win, size):
    """Whether one dim's windows tile the input: side by side from 0, inside it (stride =
    kernel, no padding, no dilation)."""
    pos, k, out = win
    return out * k <= size and all(
        p == o * k + j for o, row in enumerate(pos) for j, p in enumerate(row)
    )


def _tiled(input, lead, sizes, outs, ks):
    """The windows of a tiling as (..., o_1, .., o_n, K) by a crop, a reshape and a permute: what
    the gather gives, without indexing (max_pool2d(x, 2) and the like)."""
    n = len(sizes)
    if any(o * k != size for o, k, size in zip(outs, ks, sizes)):
        input = getitem(input, (Ellipsis,) + tuple(slice(0, o * k) for o, k in zip(outs, ks)))
    split = reshape(input, lead + tuple(v for o, k in zip(outs, ks) for v in (o, k)))
    m = len(lead)
    order = (
        tuple(range(m))
        + tuple(m + 2 * j for j in range(n))
        + tuple(m + 2 * j + 1 for j in range(n))
    )
    kk = 1
    for k in ks:
        kk *= k
    return reshape(split.permute(order), lead + outs + (kk,))


def _check_input(name, input, n):
    if input.ndim not in (n + 1, n + 2) or any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(
            f"{name}: Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 dim "
            f"batch size for input, but got: {list(input.shape)}"
        )


def _fixed(name, input, n, kernel_size, stride, padding, dilation, ceil_mode):
    _check_input(name, input, n)
    k = _tuple(kernel_size, n, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else None
    s = s or _tuple(stride, n, "stride")
    p = _tuple(padding, n, "padding")
    d = _tuple(dilation, n, "dilation")
    if any(a <= 0 for a in k + s + d):
        raise RuntimeError(f"{name}: kernel_size, stride and dilation must be greater than zero")
    for kj, pj, dj in zip(k, p, d):
        if pj > kj // 2:  # torch checks the kernel's own size first, then the dilated one's
            raise RuntimeError(
                f"{name}() padding should be at most half of kernel size, but got "
                f"padding={pj} and kernel_size={kj}"
            )
        if pj < 0 or pj > ((kj - 1) * dj + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pj}, "
                f"kernel_size={kj} and dilation={dj}"
            )
    sizes = input.shape[input.ndim - n :]
    wins = [_windows(*a, ceil_mode) for a in zip(sizes, k, s, p, d)]
    if any(w[2] < 1 for w in wins):
        raise RuntimeError(
            f"Given input size: {tuple(input.shape)}. Calculated output size: "
            f"{tuple(w[2] for w in wins)}. Output size is too small"
        )
    return wins, k, s, p


def _max(input, wins):
    win, mask, flat = _gather(input, wins)
    if mask is not None:
        win = where(mask, win, float("-inf"))
    values, arg = win.max(-1)
    idx = flat.expand(tuple(win.shape))
    return values, idx.gather(-1, arg.unsqueeze(-1)).squeeze(-1)


def _max_pool_vjp(n, g, g_indices):
    kernel = n.params[0]
    return max_pool_backward(g, n.inputs[0], n.shapes[0][len(n.shapes[0]) - len(kernel) :])


def _max_pool_backward_vjp(n, h):
    indices = _wrap(n.params[0])
    lead = tuple(indices.shape[: indices.ndim - len(n.params[1])])
    flat = reshape(indices, lead + (-1,))
    return reshape(reshape(h, lead + (-1,)).gather(-1, flat), tuple(indices.shape))


# One pass each way (backend kernels max_pool, max_pool_backward); the backward's VJP is a
# gather by the saved indices, so derivatives of any order work. torch's node names.
MAX_POOL = defop("max_pool", _max_pool_vjp, node_name="MaxPool2DWithIndicesBackward0")
MAX_POOL_3D = MAX_POOL.variant("MaxPool3DWithIndicesBackward0")
MAX_POOL_BACKWARD = defop(
    "max_pool_backward", _max_pool_backward_vjp, node_name="MaxPool2DWithIndicesBackwardBackward0"
)
MAX_POOL_BACKWARD_3D = MAX_POOL_BACKWARD.variant("MaxPool3DWithIndicesBackwardBackward0")


def max_pool_backward(g, indices, spatial):
    """max pooling's VJP: g (..., *out) added into zeros (..., *spatial) at ``indices``."""
    op = MAX_POOL_BACKWARD_3D if len(spatial) == 3 else MAX_POOL_BACKWARD
    return apply1(op, g, (indices._data, tuple(spatial)))


def _max_pool(name, n, input, kernel_size, stride, padding, dilation, ceil_mode):
    wins, k, s, p = _fixed(name, input, n, kernel_size, stride, padding, dilation, ceil_mode)
    if input.dtype is D.bool_ or input.dtype.is_complex:
        return _max(input, wins)
    return max_pool(input, k, s, _tuple(dilation, n, "dilation"), p, tuple(w[2] for w in wins))


def max_pool(input, kernel, stride, dilation, lo, out):
    """(values, int64 flat argmax in the plane) of each window of input's last len(kernel)
    dims: window o's entry j at o * stride - lo + j * dilation, ``out`` windows per dim."""
    params = (tuple(kernel), tuple(stride), tuple(dilation), tuple(lo), tuple(out))
    return apply_multi(MAX_POOL_3D if len(kernel) == 3 else MAX_POOL, input, params, save=(1,))


@composite(namespace=NN)
def max_pool1d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool1d_with_indices: (values, indices into L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


@composite(namespace=NN)
def max_pool2d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool2d_with_indices: (values, indices into H * W)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


@composite(namespace=NN)
def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool1d (``return_indices``: also the argmax in L)."""
    out = _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


@composite(namespace=NN)
def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool2d (``return_indices``: also the flat argmax in
    H * W)."""
    out = _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def _torch_max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches torch.max_pool1d (values only)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def _torch_max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches torch.max_pool2d (values only)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def _torch_max_pool1d_with_indices(
    input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False
):
    """Matches torch.max_pool1d_with_indices."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


declare(_torch_max_pool1d, name="max_pool1d", composite=True)
declare(_torch_max_pool2d, name="max_pool2d", composite=True)
declare(_torch_max_pool1d_with_indices, name="max_pool1d_with_indices", composite=True)


def _divisor(input, sizes, k, s, p, wins, count_include_pad):
    """torch's avg_pool divisor per output entry: the window clipped to the padded input (with
    count_include_pad) or to the input."""
    n = len(sizes)
    div = None
    for j, (size, kj, sj, pj, w) in enumerate(zip(sizes, k, s, p, wins)):
        counts = []
        for o in range(w[2]):
            start = o * sj - pj
            end = min(start + kj, size + pj)
            if not count_include_pad:
                start, end = max(start, 0), min(end, size)
            counts.append(end - start)
        shape = [1] * n
        shape[j] = w[2]
        c = tensor(counts, dtype=input.dtype, device=input.device).reshape(tuple(shape))
        div = c if div is None else div * c
    return div


def _avg_pool(
    name, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    wins, k, s, p = _fixed(name, input, n, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    win, mask, _ = _gather(input, wins)
    if mask is not None:
        win = where(mask, win, 0.0)
    total = sum(win, -1)
    if divisor_override is not None:
        return total / divisor_override
    return total / _divisor(input, input.shape[input.ndim - n :], k, s, p, wins, count_include_pad)


@composite(namespace=_BOTH)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Matches torch.nn.functional.avg_pool1d."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


@composite(namespace=NN)
def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Matches torch.nn.functional.avg_pool2d."""
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _adaptive(name, input, n, output_size):
    if input.ndim not in (n + 1, n + 2) or any(s == 0 for s in input.shape[1:]):
        raise RuntimeError(
            f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}"
        )
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != n:
            raise RuntimeError(f"{name}: internal error: output_size.size() must be {n}")
        sizes = input.shape[input.ndim - n :]
        out = tuple(sz if o is None else int(o) for o, sz in zip(output_size, sizes))
    else:
        out = (int(output_size),) * n
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0")
    return [_adaptive_windows(sz, o) for sz, o in zip(input.shape[input.ndim - n :], out)]


def _adaptive_avg(name, input, n, output_size):
    win, mask, _ = _gather(input, _adaptive(name, input, n, output_size))
    if mask is None:
        return mean(win, -1)
    return sum(where(mask, win, 0.0), -1) / sum(mask, -1).to(input.dtype)


@composite(namespace=_BOTH)
def adaptive_avg_pool1d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool1d."""
    return _adaptive_avg("adaptive_avg_pool1d", input, 1, output_size)


@composite(namespace=NN)
def adaptive_avg_pool2d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool2d (None in output_size keeps that dim)."""
    return _adaptive_avg("adaptive_avg_pool2d", input, 2, output_size)


@composite(namespace=NN)
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool1d."""
    out = _max(input, _adaptive("adaptive_max_pool1d", input, 1, output_size))
    return out if return_indices else out[0]


@composite(namespace=NN)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool2d."""
    out = _max(input, _adaptive("adaptive_max_pool2d", input, 2, output_size))
    return out if return_indices else out[0]


@composite(namespace=NN)
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool1d_with_indices."""
    return adaptive_max_pool1d(input, output_size, True)


@composite(namespace=NN)
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool2d_with_indices."""
    return adaptive_max_pool2d(input, output_size, True)


def _torch_adaptive_max_pool1d(input, output_size):
    """Matches torch.adaptive_max_pool1d: (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


declare(_torch_adaptive_max_pool1d, name="adaptive_max_pool1d", composite=True)


@composite(namespace=NN)
def max_pool3d_with_indices(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool3d_with_indices: (values, indices into D * H * W)."""
    return _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode):
    if input.ndim not in (4, 5) or any(s == 0 for s in input.shape[1:]):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode)


@composite(namespace=NN)
def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Matches torch.nn.functional.max_pool3d (``return_indices``: also the flat argmax in
    D * H * W)."""
    out = _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def _torch_max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches torch.max_pool3d (values only)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


declare(_torch_max_pool3d, name="max_pool3d", composite=True)


@composite(namespace=NN)
def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Matches torch.nn.functional.avg_pool3d."""
    if input.ndim not in (4, 5) or any(s == 0 for s in input.shape[1:]):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return _avg_pool("avg_pool3d", 3, input, *args)


@composite(namespace=NN)
def adaptive_avg_pool3d(input, output_size):
    """Matches torch.nn.functional.adaptive_avg_pool3d (None in output_size keeps that dim)."""
    return _adaptive_avg("adaptive_avg_pool3d", input, 3, output_size)


@composite(namespace=NN)
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool3d."""
    out = _max(input, _adaptive("adaptive_max_pool3d", input, 3, output_size))
    return out if return_indices else out[0]


@composite(namespace=NN)
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """Matches torch.nn.functional.adaptive_max_pool3d_with_indices."""
    return adaptive_max_pool3d(input, output_size, True)


def _lp(out, norm_type, kernel):
    return (sign(out) * relu(abs(out)) * kernel) ** (1.0 / norm_type)


def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    k = _tuple(kernel_size, n, "kernel_size")
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[n - 1]
    out = pool(pow(input, norm_type), k if n > 1 else k[0], stride, 0, ceil_mode)
    kk = 1
    for a in k:
        kk *= a
    return _lp(out, norm_type, kk)


@composite(namespace=NN)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool1d: (sum over the window of x^p)^(1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


@composite(namespace=NN)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool2d: (sum over the window of x^p)^(1/p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


@composite(namespace=NN)
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Matches torch.nn.functional.lp_pool3d: (sum over the window of x^p)^(1/p)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _unpool_size(input, k, s, p, output_size):
    """torch's max_unpool output size: the default (in - 1) * stride + kernel - 2 * pad, or
    ``output_size`` (its last n entries) when it lies strictly within a stride of it."""
    n = len(k)
    default = [(input.shape[input.ndim - n + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(n)]
    if output_size is None:
        return tuple(default)
    size = [int(a) for a in output_size]
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(
            f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
            f"length of '{len(size)}'"
        )
    for d in range(n):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < size[d] < hi:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})'
            )
    return tuple(size)


def _max_unpool(n, input, indices, kernel_size, stride, padding, output_size):
    """input's entries put at their flat ``indices`` in the n output dims, zeros elsewhere."""
    k = _tuple(kernel_size, n, "kernel_size")
    s = k if stride is None else _tuple(stride, n, "stride")
    p = _tuple(padding, n, "padding")
    size = _unpool_size(input, k, s, p, output_size)
    m, extra = (2, 1) if n == 1 else (n, 0)  # 1-d unpooling is torch's 2-d one on (..., L, 1)
    if input.ndim + extra not in (m + 1, m + 2):
        raise RuntimeError(
            f"Input to max_unpooling{m}d should be a {m + 1}d or {m + 2}d Tensor, but got a "
            f"tensor with {input.ndim + extra} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape) + [1] * extra}) but got indices tensor with shape: "
            f"{list(indices.shape) + [1] * extra}"
        )
    lead = tuple(input.shape[: input.ndim - n])
    total = 1
    for a in size:
        total *= a
    if indices.numel() and (int(indices.min().item()) < 0 or int(indices.max().item()) >= total):
        bad = int(indices.max().item()) if int(indices.max().item()) >= total else None
        bad = int(indices.min().item()) if bad is None else bad
        dims = "x".join(str(a) for a in size + (1,) * extra)
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {dims}")
    out = zeros(lead + (total,), dtype=input.dtype, device=input.device)
    out = out.scatter(-1, reshape(indices, lead + (-1,)), reshape(input, lead + (-1,)))
    return reshape(out, lead + size)


@composite(namespace=NN)
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool1d: input's entries put at their ``indices`` in
    L_out, zeros elsewhere."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


@composite(namespace=NN)
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool2d: input's entries put at their flat ``indices``
    in H_out * W_out, zeros elsewhere."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


@composite(namespace=NN)
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Matches torch.nn.functional.max_unpool3d: input's entries put at their flat ``indices``
    in D_out * H_out * W_out, zeros elsewhere."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


__all__ = []
INTERNAL = ["max_pool", "max_pool_backward"]  # the primitives' functions
