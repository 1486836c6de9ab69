"""Normalisation in nn.functional (and torch's top-level names for it): batch_norm (running
statistics updated in place, under no_grad, with torch's unbiased variance), instance_norm,
layer_norm, group_norm, rms_norm and local_response_norm. Composites of mean, var and
elementwise ops, so their derivatives of any order are those ops', except layer_norm's core:
primitives of its own (mytorch._ops.nn_layer_norm) for floating inputs with weight and bias of
their dtype and device.
"""

from mytorch import _dtype as D
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import composite, declare
from mytorch._ops.creation import tensor
from mytorch._ops.indexing import getitem
from mytorch._ops.math import rsqrt
from mytorch._ops.nn_layer_norm import LAYER_NORM, layer_norm_core
from mytorch._ops.pointwise import where
from mytorch._core import _wrap
from mytorch._ops.reduction import mean, sum
from mytorch._ops.shape import reshape

NN = "nn.functional"


def _channel_shape(input):
    """(1, C, 1, ...): a per-channel vector broadcast against input."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _affine(out, weight, bias, shape):
    if weight is not None:
        out = out * reshape(weight, shape)
    if bias is not None:
        out = out + reshape(bias, shape)
    return out


def _normalize(input, dims, eps):
    """(input - mean) / sqrt(var + eps) over ``dims`` (biased variance), with the mean and the
    biased variance."""
    m = mean(input, dims, keepdim=True)
    v = input.var(dims, correction=0, keepdim=True)
    return (input - m) * rsqrt(v + eps), m, v


def _update(running, stat, momentum):
    with no_grad():
        running.mul_(1 - momentum).add_(stat.detach().to(running.dtype) * momentum)


def _check_channels(name, input, *vectors):
    c = input.shape[1] if input.ndim > 1 else None
    for label, v in vectors:
        if v is not None and (v.ndim != 1 or v.shape[0] != c):
            raise RuntimeError(
                f"{name}: {label} should contain {c} elements not {v.numel() if v.ndim else 1}"
            )


@composite(namespace=NN)
def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Matches torch.nn.functional.batch_norm: statistics per channel (dim 1) over the batch
    and spatial dims when ``training`` (updating the running ones when given), the running ones
    otherwise."""
    if input.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {input.ndim}D input)")
    if training:
        n = input.numel() // input.shape[1] if input.shape[1] else 0
        if n <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
    _check_channels(
        "batch_norm",
        input,
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    )
    shape = _channel_shape(input)
    dims = (0,) + tuple(range(2, input.ndim))
    if training or running_mean is None or running_var is None:
        out, m, v = _normalize(input, dims, eps)
        if training and running_mean is not None:
            _update(running_mean, reshape(m, (-1,)), momentum)
        if training and running_var is not None:
            count = input.numel() // input.shape[1]
            _update(running_var, reshape(v, (-1,)) * (count / (count - 1)), momentum)
    else:
        rm, rv = reshape(running_mean, shape), reshape(running_var, shape)
        out = (input - rm) * rsqrt(rv + eps)
    return _affine(out, weight, bias, shape)


def _torch_batch_norm(
    input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled
):
    """Matches torch.batch_norm (all arguments positional, in this order)."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


declare(_torch_batch_norm, name="batch_norm", composite=True)


@composite(namespace=NN)
def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Matches torch.nn.functional.instance_norm: statistics per (sample, channel) over the
    spatial dims; the running ones get the batch average of each channel's statistics."""
    if input.ndim < 3 and use_input_stats:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    if use_input_stats:
        spatial = 1
        for s in input.shape[2:]:
            spatial *= s
        if spatial <= 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
    _check_channels("instance_norm", input, ("weight", weight), ("bias", bias))
    shape = _channel_shape(input)
    dims = tuple(range(2, input.ndim))
    if use_input_stats:
        out, m, v = _normalize(input, dims, eps)
        lead = tuple(input.shape[:2])
        if running_mean is not None:
            _update(running_mean, mean(reshape(m, lead), 0), momentum)
        if running_var is not None:
            unbiased = reshape(v, lead) * (spatial / (spatial - 1))
            _update(running_var, mean(unbiased, 0), momentum)
    else:
        rm, rv = reshape(running_mean, shape), reshape(running_var, shape)
        out = (input - rm) * rsqrt(rv + eps)
    return _affine(out, weight, bias, shape)


def _torch_instance_norm(
    input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled
):
    """Matches torch.instance_norm (all arguments positional, in this order)."""
    return instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


declare(_torch_instance_norm, name="instance_norm", composite=True)


def _trailing(name, input, normalized_shape, *vectors):
    ns = (int(normalized_shape),) if isinstance(normalized_shape, int) else normalized_shape
    ns = tuple(int(s) for s in ns)
    k = len(ns)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k :]) != ns:
        raise RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape [*"
            + "".join(f", {s}" for s in ns)
            + f"], but got input of size{list(input.shape)}"
        )
    for label, v in vectors:
        if v is not None and tuple(v.shape) != ns:
            raise RuntimeError(
                f"Expected {label} to be of same shape as normalized_shape, but got {label} of "
                f"shape {list(v.shape)} and normalized_shape = {list(ns)}"
            )
    return tuple(range(input.ndim - k, input.ndim))


def _fused_ok(input, *vectors):
    """Whether the layer_norm primitive takes these operands: a floating input, and weight and
    bias (where given) of its dtype and device (others go through the composite below, with
    its errors)."""
    if input.dtype.category != D.FLOAT or input.dtype.is_complex:
        return False
    return all(v is None or (v.dtype is input.dtype and v.device == input.device) for v in vectors)


@composite(namespace=("torch", NN))
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """Matches torch.nn.functional.layer_norm: normalised over the last dims."""
    dims = _trailing("layer_norm", input, normalized_shape, ("weight", weight), ("bias", bias))
    if _fused_ok(input, weight, bias):
        return layer_norm_core(input, len(dims), weight, bias, eps)
    if input.dtype is D.bfloat16:  # torch's kernel computes in float32 and rounds once
        w, b = (None if p is None else p.float() for p in (weight, bias))
        return layer_norm(input.float(), normalized_shape, w, b, eps).to(D.bfloat16)
    out = _normalize(input, dims, eps)[0]
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Matches torch.native_layer_norm: (layer_norm's result, the rows' mean and rstd, of
    shape input.shape[:-k] + (1,) * k, in input's dtype, not differentiable)."""
    dims = _trailing("layer_norm", input, normalized_shape, ("weight", weight), ("bias", bias))
    k = len(dims)
    stats_shape = tuple(input.shape[: input.ndim - k]) + (1,) * k
    if not _fused_ok(input, weight, bias):
        out = layer_norm(input, normalized_shape, weight, bias, eps)
        x = input.detach()
        m = mean(x, dims, keepdim=True)
        r = rsqrt(x.var(dims, correction=0, keepdim=True) + eps)
        return out, m, r
    saved = {}
    out = layer_norm_core(input, k, weight, bias, eps, saved)
    m, r = (
        _wrap(saved[key].astype(input._data.dtype).reshape(stats_shape)) for key in ("mean", "rstd")
    )
    return out, m, r


declare(native_layer_norm, op=LAYER_NORM)


@composite(namespace=("torch", NN))
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Matches torch.nn.functional.rms_norm: x / sqrt(mean(x^2) + eps) over the last dims
    (eps None: the dtype's machine epsilon)."""
    dims = _trailing("rms_norm", input, normalized_shape, ("weight", weight))
    if eps is None:
        eps = D.finfo(input.dtype).eps
    out = input * rsqrt(mean(input * input, dims, keepdim=True) + eps)
    return out if weight is None else out * weight


@composite(namespace=("torch", NN))
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """Matches torch.nn.functional.group_norm: normalised over each group of channels (and the
    spatial dims) per sample."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    _check_channels("group_norm", input, ("weight", weight), ("bias", bias))
    n = input.shape[0]
    x = reshape(input, (n, num_groups, -1))
    out = reshape(_normalize(x, (2,), eps)[0], tuple(input.shape))
    return _affine(out, weight, bias, _channel_shape(input))


@composite(namespace=NN)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Matches torch.nn.functional.local_response_norm: x / (k + alpha / size * sum of x^2
    over the ``size`` channels around each one)^beta."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    c = input.shape[1]
    pos = [[i - size // 2 + j for j in range(size)] for i in range(c)]
    pos = tensor(pos, dtype=D.int64, device=input.device)
    valid = (pos >= 0) & (pos < c)
    idx = pos.clamp(0, c - 1)
    sq = getitem(input * input, (slice(None), idx))  # (N, C, size, ...)
    mask = valid.reshape((c, size) + (1,) * (input.ndim - 2))
    div = sum(where(mask, sq, 0.0), 2) / size
    return input / (div * alpha + k) ** beta


__all__ = []
INTERNAL = []
