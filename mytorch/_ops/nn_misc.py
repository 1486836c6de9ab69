"""Functional basics of torch.nn.functional: one_hot, the dropouts, embedding, and the distances
(cosine_similarity, pairwise_distance, pdist). Composites of other ops; the dropouts draw their
masks from the input device's generator (so ``manual_seed`` makes them reproducible).
"""

import math
import warnings

from mytorch._aliases import numpy_axis
from mytorch import _dtype as D
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, rand, zeros
from mytorch._ops.pointwise import clamp_min, sqrt, where

NN = "nn.functional"


# --- one_hot ---------------------------------------------------------------------------------
@composite(namespace=NN)
def one_hot(tensor, num_classes=-1):
    """Matches torch.nn.functional.one_hot (int64 result; ``num_classes=-1``: max + 1)."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel():
        if int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max().item()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()


# --- dropout -----------------------------------------------------------------------------------
_SELU_ALPHA = 1.7580993408473766  # -SELU's scale * alpha: where alpha_dropout sends a dropped unit


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input, p, feature, batched=True):
    """1 where a unit (or, with ``feature``, a whole channel) is kept, with probability 1 - p;
    drawn on the input's device."""
    shape = tuple(input.shape)
    if feature:
        lead = 2 if batched else 1
        shape = shape[:lead] + (1,) * (len(shape) - lead)
    u = rand(*shape, dtype=input.dtype, device=input.device)
    return (u < 1 - p).to(input.dtype)


def _dropout(input, p, training, inplace, feature, alpha, batched=True):
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        return input.mul_(0.0) if inplace else input * 0.0
    noise = _noise(input, p, feature, batched)
    if alpha:
        a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
        b = (noise - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
        if inplace:
            return input.mul_(noise * a).add_(b)
        return input * (noise * a) + b
    noise = noise / (1 - p)
    return input.mul_(noise) if inplace else input * noise


@composite(namespace=NN)
def dropout(input, p=0.5, training=True, inplace=False):
    """Matches torch.nn.functional.dropout: zeros with probability p, the rest scaled by
    1 / (1 - p)."""
    return _dropout(input, p, training, inplace, False, False)


def _warn_dims(name, nd, dims):
    if nd not in (dims + 1, dims + 2):
        warnings.warn(
            f"{name}: Received a {nd}-D input to {name}, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this warning, "
            f"please use dropout instead. Note that {name} exists to provide channel-wise "
            f"dropout on inputs with {dims} spatial dimensions, a channel dimension, and an "
            f"optional batch dimension (i.e. {dims + 1}D or {dims + 2}D inputs).",
            stacklevel=3,
        )


def _feature_dropout(input, p, training, inplace, batched=True, alpha=False):
    if training and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _dropout(input, p, training, inplace, True, alpha, batched)


@composite(namespace=NN)
def dropout1d(input, p=0.5, training=True, inplace=False):
    """Matches torch.nn.functional.dropout1d: whole channels of (N, C, L) or (C, L) zeroed."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 3)


@composite(namespace=NN)
def dropout2d(input, p=0.5, training=True, inplace=False):
    """Matches torch.nn.functional.dropout2d: whole channels zeroed (a 3-D input is taken as
    (N, C, L), as torch does)."""
    _check_p(p)
    _warn_dims("dropout2d", input.ndim, 2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


@composite(namespace=NN)
def dropout3d(input, p=0.5, training=True, inplace=False):
    """Matches torch.nn.functional.dropout3d: whole channels of (N, C, D, H, W) or
    (C, D, H, W) zeroed."""
    _check_p(p)
    _warn_dims("dropout3d", input.ndim, 3)
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 5)


@composite(namespace=NN)
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches torch.nn.functional.alpha_dropout (keeps SELU's mean and variance)."""
    return _dropout(input, p, training, inplace, False, True)


@composite(namespace=NN)
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Matches torch.nn.functional.feature_alpha_dropout (alpha dropout of whole channels)."""
    return _feature_dropout(input, p, training, inplace, alpha=True)


# --- embedding ---------------------------------------------------------------------------------
def _row_norms(weight, norm_type):
    a = weight.abs()
    if norm_type == math.inf:
        return a.amax(1)
    if norm_type == 2:
        return sqrt((a * a).sum(1))
    return (a**norm_type).sum(1) ** (1.0 / norm_type)


@composite(namespace=NN)
def embedding(
    input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
    sparse=False,
):  # fmt: skip
    """Matches torch.nn.functional.embedding: rows of ``weight`` picked by ``input``; no
    gradient to the ``padding_idx`` row; ``max_norm`` renormalises the rows used, in place."""
    if sparse:
        raise NotImplementedError("embedding(sparse=True): sparse gradients are not supported")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding)"
        )
    if input.numel() and bool(((input < 0) | (input >= num)).any()):
        raise IndexError("index out of range in self")
    flat = input.reshape(-1).long()
    if max_norm is not None:
        with no_grad():
            used = zeros(num, dtype=D.bool_, device=weight.device)
            used[flat] = True
            norms = _row_norms(weight, norm_type)
            scale = where(used & (norms > max_norm), max_norm / (norms + 1e-7), 1.0)
            weight.mul_(scale.unsqueeze(1).to(weight.dtype))
    out = weight[input.long()]
    if scale_grad_by_freq:
        counts = zeros(num, dtype=weight.dtype, device=weight.device)
        counts = counts.index_put((flat,), counts.new_ones(flat.shape[0]), accumulate=True)
        c = counts[input.long()].unsqueeze(-1)
        out = out.detach() + (out - out.detach()) / c  # the value of out, the gradient / count
    if padding_idx is not None:
        out = where((input == padding_idx).unsqueeze(-1), out.detach(), out)
    return out


# --- distances ---------------------------------------------------------------------------------
def _sqrt0(s):
    """sqrt(s) with gradient 0 where s == 0 (torch's norm backward at the zero vector)."""
    zero = s == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, s)))


def norm_along(d, p, dim, keepdim=False):
    """The p-norm of ``d`` along ``dim`` (p in [0, inf]), as torch.norm with its gradients."""
    if p == 2:
        return _sqrt0((d * d).sum(dim, keepdim=keepdim))
    a = d.abs()
    if p == 1:
        return a.sum(dim, keepdim=keepdim)
    if p == math.inf:
        return a.amax(dim, keepdim=keepdim)
    if p == 0:
        return where(d != 0, 1.0, d * 0).sum(dim, keepdim=keepdim)  # a zero gradient, as torch
    s = (a**p).sum(dim, keepdim=keepdim)
    zero = s == 0
    return where(zero, 0.0, where(zero, 1.0, s) ** (1.0 / p))


@composite(namespace=NN)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """Matches torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p along the last
    dim."""
    nd = max(x1.ndim, x2.ndim)
    return norm_along(x1 - x2 + eps, p, nd - 1, keepdim)


@composite(namespace=NN)
@numpy_axis
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Matches torch.nn.functional.cosine_similarity: each norm clamped at ``eps`` (with the
    unclamped norm's gradient, as torch's clamp under no_grad)."""
    n1 = norm_along(x1, 2, dim, keepdim=True)
    n2 = norm_along(x2, 2, dim, keepdim=True)
    n1 = clamp_min(n1.detach(), eps) + (n1 - n1.detach())
    n2 = clamp_min(n2.detach(), eps) + (n2 - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@composite(namespace=NN)
def pdist(input, p=2):
    """Matches torch.nn.functional.pdist: the p-norm distances between the rows i < j of an
    (N, M) input, in row-major order of the pairs."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    r = arange(n, device=input.device)
    pairs = (r.unsqueeze(1) < r.unsqueeze(0)).nonzero()
    return norm_along(input[pairs[:, 0]] - input[pairs[:, 1]], p, 1)


__all__ = []
INTERNAL = []
