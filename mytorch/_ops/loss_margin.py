"""The margin and embedding losses of torch.nn.functional (hinge, ranking, triplet, multi-label,
multi-class margin) and ctc_loss: composites of other ops, like those of loss.py.
"""

import math

from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, tensor
from mytorch._ops.indexing import cat
from mytorch._ops.loss import check_broadcast, reduce_loss, reduction_arg, softplus_neg
from mytorch._ops.nn_misc import pairwise_distance
from mytorch._ops.pointwise import clamp_min, exp, log, maximum, minimum, where

NN = "nn.functional"


@composite(namespace=NN)
def margin_ranking_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """Matches torch.nn.functional.margin_ranking_loss: max(0, -target * (x1 - x2) + margin)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: torch.Size({list(input1.shape)}), input2: torch.Size({list(input2.shape)}), "
            f"target: torch.Size({list(target.shape)}) "
        )
    return reduce_loss(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


@composite(namespace=NN)
def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """Matches torch.nn.functional.hinge_embedding_loss: x where target is 1, max(0, margin - x)
    where it is -1 (torch's rule: both terms where it is neither)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    check_broadcast(target, input)
    hinge = where(target != 1, clamp_min(margin - input, 0), 0.0)
    return reduce_loss(hinge + where(target != -1, input, 0.0), reduction)


@composite(namespace=NN)
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches torch.nn.functional.soft_margin_loss: log(1 + exp(-target * input)), stable."""
    reduction = reduction_arg(size_average, reduce, reduction)
    return reduce_loss(softplus_neg(target * input), reduction)


@composite(namespace=NN)
def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Matches torch.nn.functional.multilabel_soft_margin_loss (mean over the classes)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    loss = target * softplus_neg(input) + (1 - target) * softplus_neg(-input)
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return reduce_loss(loss, reduction)


@composite(namespace=NN)
def cosine_embedding_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """Matches torch.nn.functional.cosine_embedding_loss: 1 - cos where target is 1,
    max(0, cos - margin) where it is -1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    td = target.ndim
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != td + 1 or input2.ndim != td + 1:
        raise RuntimeError(
            f"{td}D target tensor expects {td + 1}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    eps = 1e-12
    prod = (input1 * input2).sum(td)
    m1 = (input1 * input1).sum(td) + eps
    m2 = (input2 * input2).sum(td) + eps
    cos = prod / (m1 * m2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, clamp_min(cos - margin, 0), 0.0)
    return reduce_loss(pos + neg, reduction)


def _check_triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )


@composite(namespace=NN)
def triplet_margin_loss(
    anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
    reduce=None, reduction="mean",
):  # fmt: skip
    """Matches torch.nn.functional.triplet_margin_loss."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return reduce_loss(clamp_min(margin + d_pos - d_neg, 0), reduction)


@composite(namespace=NN)
def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
    reduction="mean",
):  # fmt: skip
    """Matches torch.nn.functional.triplet_margin_with_distance_loss (the distance defaults to
    pairwise_distance)."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    reduction = reduction_arg(None, None, reduction)
    _check_triplet_dims(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return reduce_loss(clamp_min(margin + d_pos - d_neg, 0), reduction)


def _rows(input, target, name):
    """(N, C) rows and (N, ...) targets of a multi-class margin loss's (C) or (N, C) input."""
    if input.ndim > 2 or input.ndim == 0 and input.numel() != 1:
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
    return input.reshape(-1, input.shape[-1] if input.ndim else 1), target


@composite(namespace=NN)
def multi_margin_loss(
    input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
    reduction="mean",
):  # fmt: skip
    """Matches torch.nn.functional.multi_margin_loss: sum over i != y of
    w[y] * max(0, margin - x[y] + x[i]) ** p, over C."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, _ = _rows(input, target, "multi_margin_loss")
    n, c = x.shape
    t = target.reshape(-1).long()
    if t.shape[0] != n:
        raise RuntimeError(f"inconsistent target size, expected {n} but got {list(target.shape)}")
    if bool(((t < 0) | (t >= c)).any()):
        raise RuntimeError("target out of range")
    xy = x[arange(n, device=x.device), t].unsqueeze(1)
    z = clamp_min(margin - xy + x, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    z = where(t.unsqueeze(1) == arange(c, device=x.device), 0.0, z)
    loss = z.sum(1) / c
    return reduce_loss(loss.reshape(()) if input.ndim < 2 else loss, reduction)


@composite(namespace=NN)
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches torch.nn.functional.multilabel_margin_loss: ``target`` lists class indices,
    ended by the first -1; the loss sums max(0, 1 - (x[j] - x[i])) over target classes j and
    non-target classes i, over C."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    x, _ = _rows(input, target, "multilabel_margin_loss")
    n, c = x.shape
    t = target.reshape(n, c).long()
    r = arange(c, device=x.device)
    # A position is valid while no -1 came at or before it.
    ended = ((t == -1).unsqueeze(1) & (r.unsqueeze(0) <= r.unsqueeze(1)).unsqueeze(0)).any(2)
    valid = ~ended
    if bool((valid & ((t < 0) | (t >= c))).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    tc = where(valid, t, 0)
    is_target = ((tc.unsqueeze(2) == r) & valid.unsqueeze(2)).any(1)  # (n, c)
    xt = x[arange(n, device=x.device).unsqueeze(1), tc]  # (n, c): x at each listed class
    z = clamp_min(1 - xt.unsqueeze(2) + x.unsqueeze(1), 0)  # (n, j, i)
    z = where(valid.unsqueeze(2) & ~is_target.unsqueeze(1), z, 0.0)
    loss = z.sum((1, 2)) / c
    return reduce_loss(loss.reshape(()) if input.ndim < 2 else loss, reduction)


# --- ctc_loss ------------------------------------------------------------------------------------
_NEG = -1e30  # log(0) for the recursion: finite, so no inf - inf makes a NaN gradient


def _ints(v):
    if hasattr(v, "tolist"):
        v = v.tolist()
    return [int(i) for i in (v if isinstance(v, (list, tuple)) else [v])]


def _lse(*terms):
    m = terms[0]
    for a in terms[1:]:
        m = maximum(m, a)
    m = m.detach()
    s = exp(terms[0] - m)
    for a in terms[1:]:
        s = s + exp(a - m)
    return log(s) + m


@composite(namespace=NN)
def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
    zero_infinity=False,
):  # fmt: skip
    """Matches torch.nn.functional.ctc_loss: log_probs (T, N, C) or (T, C); targets padded
    (N, S) or concatenated; the alpha recursion in log space, differentiated by autograd."""
    reduction = reduction_arg(None, None, reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        if targets.ndim == 1:
            targets = targets.unsqueeze(0)
    in_len, tg_len = _ints(input_lengths), _ints(target_lengths)
    t_max, n, c = log_probs.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(in_len) != n:
        raise RuntimeError(f"input_lengths must be of size batch_size, got {len(in_len)}")
    if len(tg_len) != n:
        raise RuntimeError(f"target_lengths must be of size batch_size, got {len(tg_len)}")
    for v in in_len:
        if v > t_max:
            raise RuntimeError(
                f"Expected input_lengths to have value at most {t_max}, but got value {v} "
                "(while checking arguments for ctc_loss_cpu)"
            )
    dev = log_probs.device
    s_max = max(tg_len + [0])
    if targets.ndim == 1:  # concatenated: gather each sample's labels into padded rows
        starts = [sum(tg_len[:i]) for i in range(n)]
        idx = [[starts[i] + min(k, max(tg_len[i] - 1, 0)) for k in range(s_max)] for i in range(n)]
        padded = targets[tensor(idx, device=dev).long()] if s_max else targets.new_zeros(n, 0)
    else:
        if targets.shape[1] < s_max:
            raise RuntimeError(
                f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                f"{targets.shape[1]} for argument #2 'targets' (while checking arguments for "
                "ctc_loss_cpu)"
            )
        padded = targets[:, :s_max]
    padded = padded.long()
    width = 2 * s_max + 1
    blanks = padded.new_full((n, s_max), blank)
    ext = cat([padded.new_full((n, 1), blank), cat([padded, blanks], 1).reshape(n, 2, s_max)
               .transpose(1, 2).reshape(n, 2 * s_max)], 1)  # fmt: skip
    odd = tensor([s % 2 == 1 and s >= 2 for s in range(width)], device=dev)
    prev2 = cat([padded.new_full((n, 2), blank), ext[:, :-2]], 1)
    skip = odd & (ext != prev2)
    lpe = log_probs[:, arange(n, device=dev).unsqueeze(1), ext]  # (T, N, 2S + 1)
    tl = tensor(tg_len, device=dev)
    s_idx = arange(width, device=dev)
    start = (s_idx == 0) | ((s_idx == 1) & (tl > 0).unsqueeze(1))
    alpha = where(start, lpe[0], _NEG)
    neg1 = log_probs.new_full((n, 1), _NEG)
    neg2 = log_probs.new_full((n, 2), _NEG)
    il = tensor(in_len, device=dev).unsqueeze(1)
    for t in range(1, max(in_len + [1])):
        a2 = cat([neg1, alpha[:, :-1]], 1)
        a3 = where(skip, cat([neg2, alpha[:, :-2]], 1), _NEG)
        alpha = where(il > t, _lse(alpha, a2, a3) + lpe[t], alpha)
    rows = arange(n, device=dev)
    last = alpha[rows, 2 * tl]
    before = where(tl > 0, alpha[rows, clamp_min(2 * tl - 1, 0)], _NEG)
    nll = -_lse(last, before)
    # NOTE: torch's gradient (ATen's ctc_loss_backward) is exp(log_probs) - posterior, the
    # gradient for log_probs that are log_softmax outputs (through log_softmax it is exact);
    # for the gradient itself to match on any log_probs, a term whose value is 0 and whose
    # gradient is exp(log_probs) over each sample's t < input_length is added.
    live = (arange(t_max, device=dev).unsqueeze(1) < il.reshape(1, n)).unsqueeze(2)
    e = where(live, exp(log_probs), 0.0).sum((0, 2))
    nll = nll + (e - e.detach())
    impossible = nll.detach() > 1e29
    nll = where(impossible, 0.0 if zero_infinity else math.inf, nll)
    if reduction == "mean":
        return (nll / clamp_min(tl, 1).to(nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.reshape(()) if unbatched else nll


__all__ = []
INTERNAL = []
