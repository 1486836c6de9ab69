"""The losses of torch.nn.functional (regression, cross-entropy, binary and probabilistic ones):
composites of other ops, so their gradients of any order are those ops' gradients. The margin
and embedding losses and ctc_loss are in loss_margin.py.

Each takes ``reduction='none'|'mean'|'sum'`` (and the legacy ``size_average``/``reduce``), and
checks its targets as torch does: the same exception class on a class index out of range or a
shape that does not fit.
"""

import math
import warnings

from mytorch import _dtype as D
from mytorch._applyn import applyn
from mytorch._core import SAVE_XY, TensorBase
from mytorch._ops._declare import composite, defop
from mytorch._ops.composite import log_softmax
from mytorch._ops.creation import arange
from mytorch._ops.pointwise import clamp_min, exp, log, where

NN = "nn.functional"


# --- shared helpers -------------------------------------------------------------------------
def reduction_arg(size_average, reduce, reduction):
    """The reduction named by the arguments, legacy ``size_average``/``reduce`` first (torch's
    rule), checked: a bad name raises torch's ValueError."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def reduce_loss(loss, reduction):
    """``loss`` itself, its mean or its sum."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size(shape):
    return f"torch.Size({list(shape)})"


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def log1p_small(e):
    """log(1 + e) for e >= 0, accurate where e is tiny: the value is log(u) * e / (u - 1) with
    u = 1 + e (exact to rounding; e itself where u rounds to 1), the gradients log(u)'s."""
    u = 1 + e
    g = log(u)
    ud, ed, gd = u.detach(), e.detach(), g.detach()
    one = ud == 1
    v = where(one, ed, gd * ed / where(one, 1.0, ud - 1))
    return g + (v - gd)


def softplus_neg(x):
    """-log(sigmoid(x)) = log(1 + exp(-x)), stable for any x: the branch for x >= 0 and the one
    for x < 0 each see only values where they are stable (0 on the other side, where ``where``
    drops them), so the derivatives are exact at 0 too."""
    pos = x >= 0
    xp = where(pos, x, 0.0)
    xn = where(pos, 0.0, x)
    return where(pos, log1p_small(exp(-xp)), log1p_small(exp(xn)) - xn)


def check_broadcast(a, b):
    """torch's RuntimeError where the shapes of ``a`` and ``b`` do not broadcast."""
    sa, sb = list(a.shape), list(b.shape)
    n = max(len(sa), len(sb))
    pa, pb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}"
            )


def _weighted(loss, weight, reduction, input, weighted_mean=True):
    """mse/l1/huber's elementwise ``weight`` (torch 2.13): the same size as ``input``; mse's and
    l1's mean is divided by the weights' sum, huber's by the element count."""
    if weight is None:
        return reduce_loss(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return reduce_loss(loss, reduction)


# --- regression ------------------------------------------------------------------------------
@composite(namespace=NN)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches torch.nn.functional.mse_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _warn_size(input, target)
    d = input - target
    return _weighted(d * d, weight, reduction, input)


@composite(namespace=NN)
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches torch.nn.functional.l1_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _warn_size(input, target)
    return _weighted((input - target).abs(), weight, reduction, input)


@composite(namespace=NN)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Matches torch.nn.functional.smooth_l1_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _warn_size(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    a = (input - target).abs()
    if beta == 0:
        return reduce_loss(a, reduction)
    return reduce_loss(where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta), reduction)


@composite(namespace=NN)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Matches torch.nn.functional.huber_loss."""
    reduction = reduction_arg(None, None, reduction)
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    a = (input - target).abs()
    loss = where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))
    return _weighted(loss, weight, reduction, input, weighted_mean=False)


# --- class indices: nll_loss and cross_entropy ----------------------------------------------
def _check_class_target(input, target, weight, ignore_index, values=True):
    """torch's checks of nll_loss's input, class-index target and weight (with ``values`` False,
    not the target's values: nll_rows checks them). Returns (C, whether the targets are plain:
    see _plain_targets)."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if (
        target.dtype.category != D.INT
        or target.dtype is D.bool_
        or (target.dtype not in (D.int64, D.uint8))
    ):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target.dtype.title}"
        )
    if input.ndim == 1:
        if target.ndim > 1 or (target.ndim == 1 and target.shape[0] != 1):
            raise ValueError(
                "For 1D input, 1D target must have size 1, but got target size: "
                f"{target.shape[0] if target.ndim == 1 else list(target.shape)}"
            )
    else:
        if target.ndim == 0 or input.shape[0] != target.shape[0]:
            n = target.shape[0] if target.ndim else 1
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({n})."
            )
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            if input.ndim == 2 and target.ndim != 1:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )
    if values is False:
        return c, False
    target = _values(target)
    if _plain_targets(target, c, ignore_index):
        return c, True
    bad = ((target < 0) | (target >= c)) & (target != ignore_index)
    if bool(bad.any()):
        first = target[bad].reshape(-1)[0]
        raise IndexError(f"Target {int(first.item())} is out of bounds.")
    return c, False


def _values(t):
    """Every value of ``t``: under vmap, of every example (the plain tensor under the batched
    one's wrappers, see mytorch.func), so that the checks above see them all."""
    while hasattr(t._data, "phys"):
        t = t._data.phys
    return t


def _plain_targets(target, c, ignore_index):
    """Whether every target is a class in [0, c) and none is ``ignore_index`` (the common case:
    two reductions prove it)."""
    if target.numel() == 0 or int(target.min()) < 0 or int(target.max()) >= c:
        return False
    return not (0 <= ignore_index < c and bool((target == ignore_index).any()))


def _classes_last(input):
    """``input`` of shape (C), (N, C) or (N, C, d1, ...) as rows (M, C) of class scores."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim > 2:
        input = input.permute(0, *range(2, input.ndim), 1)
    return input.reshape(-1, input.shape[-1])


def _nll_terms(logp, target, weight, ignore_index):
    """-logp[target] * weight[target] per element (0 where ignored), and those weights, each of
    the target's shape."""
    rows = _classes_last(logp)
    t = target.reshape(-1).long()
    keep = t != ignore_index
    tc = where(keep, t, 0)
    picked = rows[arange(rows.shape[0], device=rows.device), tc]
    if weight is None:
        w = where(keep, 1.0, 0.0).to(logp.dtype)
    else:
        w = where(keep, weight[tc], 0.0)
    loss = where(keep, -picked * w, 0.0)
    return loss.reshape(target.shape), w.reshape(target.shape)


# --- nll_loss of rows (N, C) with no class weights: one primitive each way, as torch's -------
# The forward is linear in logp; its VJP (nll_rows_backward) is the adjoint map, whose own VJP
# in g is nll_rows again: derivatives of every order.
def _nll_rows_vjp(n, g):
    logp, target = n.inputs
    ignore_index, reduction = n.params
    return nll_rows_backward(g, target, logp.shape[1], ignore_index, reduction), None


def _nll_rows_backward_vjp(n, gg):
    _, target = n.inputs
    _, ignore_index, reduction = n.params
    return nll_rows(gg, target, ignore_index, reduction), None


# fmt: off
NLL_ROWS = defop("nll_rows", _nll_rows_vjp, SAVE_XY, node_name="NllLossBackward0")
NLL_ROWS_BACKWARD = defop("nll_rows_backward", _nll_rows_backward_vjp, SAVE_XY, node_name="NllLossBackwardBackward0")
# fmt: on


def nll_rows(logp, target, ignore_index, reduction):
    """nll_loss of logp (N, C) float32/float64 and class indices target (N,), no weights."""
    return applyn(NLL_ROWS, (logp, target), (ignore_index, reduction))


def nll_rows_backward(g, target, c, ignore_index, reduction):
    """nll_rows' VJP (N, c) for its result's gradient g."""
    return applyn(NLL_ROWS_BACKWARD, (g, target), (c, ignore_index, reduction))


def _rows_case(input, target, weight):
    """Whether nll_rows takes this nll_loss: rows (N, C) of float32/float64, int64 class
    indices (N,), no weights (the shapes and dtypes already checked)."""
    return (
        weight is None
        and input.ndim == 2
        and target.ndim == 1
        and target.dtype is D.int64
        and input.dtype in (D.float32, D.float64)
    )


def _nll(logp, target, weight, ignore_index, reduction, plain=False):
    if plain and weight is None:
        # NOTE: no target ignored and no weights: -logp[target], its mean the plain mean
        rows = _classes_last(logp)
        t = target.reshape(-1)
        loss = -rows[arange(rows.shape[0], device=rows.device), t.long()]
        return reduce_loss(loss.reshape(target.shape), reduction)
    loss, w = _nll_terms(logp, target, weight, ignore_index)
    if reduction == "mean":
        return loss.sum() / w.sum()
    return reduce_loss(loss, reduction)


@composite(namespace=NN)
def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean",
):  # fmt: skip
    """Matches torch.nn.functional.nll_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    rows = _rows_case(input, target, weight)
    _, plain = _check_class_target(input, target, weight, ignore_index, not rows)
    if rows:
        return nll_rows(input, target, ignore_index, reduction)
    return _nll(input, target, weight, ignore_index, reduction, plain)


def _class_weight(weight, ndim, class_dim):
    """``weight`` (C) shaped to broadcast along ``class_dim`` of an ``ndim``-d input."""
    return weight.reshape((-1,) + (1,) * (ndim - class_dim - 1))


@composite(namespace=NN)
def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean", label_smoothing=0.0,
):  # fmt: skip
    """Matches torch.nn.functional.cross_entropy: class indices or class probabilities."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    class_dim = 0 if input.ndim == 1 else 1
    c = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if tuple(target.shape) == tuple(input.shape):
        return _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim)
    rows = label_smoothing == 0.0 and _rows_case(input, target, weight)
    _, plain = _check_class_target(input, target, weight, ignore_index, not rows)
    if rows:
        return nll_rows(logp, target, ignore_index, reduction)
    nll = _nll(logp, target, weight, ignore_index, reduction, plain)
    if label_smoothing == 0.0:
        return nll
    keep = target != ignore_index
    wl = logp if weight is None else logp * _class_weight(weight, logp.ndim, class_dim)
    smooth = where(keep, -wl.sum(class_dim), 0.0)
    if reduction == "mean":
        if weight is None:
            denom = keep.sum()
        else:
            denom = where(keep, weight[where(keep, target.long(), 0)], 0.0).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = reduce_loss(smooth, reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def _soft_cross_entropy(logp, target, weight, reduction, label_smoothing, class_dim):
    if target.dtype.category != D.FLOAT:
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{target.dtype.title}"
        )
    c = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    terms = logp * target
    if weight is not None:
        terms = terms * _class_weight(weight, logp.ndim, class_dim)
    loss = -terms.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (logp.numel() // c)
    return reduce_loss(loss, reduction)


# --- binary ------------------------------------------------------------------------------
@composite(namespace=NN)
def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Matches torch.nn.functional.binary_cross_entropy (log clamped at -100, as torch's)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    x = input.detach()
    if bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    y = target.detach()
    if bool(((y < 0) | (y > 1)).any()):
        raise RuntimeError("all elements of target should be between 0 and 1")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        weight = weight.expand(input.shape)  # torch's broadcast (and its error)
    loss = -(target * clamp_min(log(input), -100) + (1 - target) * clamp_min(log(1 - input), -100))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)


@composite(namespace=NN)
def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean",
    pos_weight=None,
):  # fmt: skip
    """Matches torch.nn.functional.binary_cross_entropy_with_logits (stable at any logit)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({_size(target.shape)}) must be the same as input size "
            f"({_size(input.shape)})"
        )
    # (1 - t) x - lw log(sigmoid(x)), lw = 1 + (pos_weight - 1) t, written per sign of x so
    # that each side only sees exp of a non-positive number and no gradient term cancels
    # another: (1 - t) x + lw log1p(exp(-x)) for x >= 0, (1 - t - lw) x + lw log1p(exp(x))
    # below (the other side is fed 0, which ``where`` drops).
    lw = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    pos = input >= 0
    xp = where(pos, input, 0.0)
    xn = where(pos, 0.0, input)
    loss = where(
        pos,
        (1 - target) * xp + lw * log1p_small(exp(-xp)),
        (1 - target - lw) * xn + lw * log1p_small(exp(xn)),
    )
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)


# --- distributions ---------------------------------------------------------------------------
@composite(namespace=NN)
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Matches torch.nn.functional.kl_div (``input`` and, with ``log_target``, ``target`` are
    log-probabilities; ``reduction='batchmean'`` divides by the batch size)."""
    if reduction == "batchmean":
        if size_average is not None or reduce is not None:
            reduction = reduction_arg(size_average, reduce, reduction)
    else:
        reduction = reduction_arg(size_average, reduce, reduction)
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                stacklevel=2,
            )
    if log_target:
        loss = exp(target) * (target - input)
    else:
        pos = target > 0
        loss = where(pos, target * log(where(pos, target, 1.0)), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return reduce_loss(loss, reduction)


@composite(namespace=NN)
def poisson_nll_loss(
    input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
    reduction="mean",
):  # fmt: skip
    """Matches torch.nn.functional.poisson_nll_loss (``full`` adds Stirling's term where
    target > 1)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        big = target > 1
        t = where(big, target, 1.0)
        stirling = t * log(t) - t + 0.5 * log(2 * math.pi * t)
        loss = loss + where(big, stirling, 0.0)
    return reduce_loss(loss, reduction)


@composite(namespace=NN)
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Matches torch.nn.functional.gaussian_nll_loss (var clamped at eps with the gradient of
    the unclamped var, as torch's in-place clamp under no_grad)."""
    if not isinstance(var, TensorBase):
        var = input.new_full(tuple(input.shape), float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (
            tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.ndim and var.shape[-1] == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var.detach() < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = clamp_min(var.detach(), eps) + (var - var.detach())
    d = input - target
    loss = 0.5 * (log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


__all__ = []
# the primitives' functions
INTERNAL = ["nll_rows", "nll_rows_backward"]
