"""nn.functional.embedding_bag: sums, means or maxima of bags of embedding rows, a composite of
embedding, index_add and scatter_reduce (its gradients are theirs). The bag layout (offsets)
is read on the host: it decides shapes."""

from mytorch import _dtype as D
from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, tensor, zeros
from mytorch._ops.nn_misc import embedding
from mytorch._ops.rearrange import repeat_interleave
from mytorch._ops.scatter import index_add, scatter_reduce

NN = "nn.functional"


def _bag_bounds(input, offsets, include_last_offset):
    """(starts, ends) of each bag, checked as torch checks them."""
    n = input.shape[0]
    off = [int(v) for v in offsets.tolist()]
    if off and off[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {off[0]}"
        )
    if off and off[-1] > n:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
            f"{off[-1]}"
        )
    if any(b < a for a, b in zip(off, off[1:])):
        raise RuntimeError("offsets must be non-decreasing")
    if include_last_offset:
        return off[:-1], off[1:]
    return off, off[1:] + [n]


def _check_indices(input, num):
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            "embedding_bag)"
        )
    if input.numel():
        bad = ((input < 0) | (input >= num)).nonzero()
        if bad.shape[0]:
            i = int(bad[0, 0])
            raise RuntimeError(
                f"Index {i} of input takes value {int(input[i])} which is not in the valid "
                f"range [0, {num})"
            )


@composite(namespace=NN)
def embedding_bag(
    input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
    mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
    padding_idx=None,
):  # fmt: skip
    """Matches torch.nn.functional.embedding_bag: ``input`` 2-D (each row a bag) or 1-D with
    ``offsets`` (bag starts); ``mode`` 'sum', 'mean' or 'max'; ``per_sample_weights`` scale the
    rows (mode 'sum'); entries equal to ``padding_idx`` are left out of their bags; empty bags
    give zeros."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}"
        )
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        rows, length = input.shape
        offsets = arange(0, rows * length, length, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    if sparse:
        raise NotImplementedError("embedding_bag(sparse=True): sparse gradients are not supported")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, -{num} through "
                f"{num - 1}, but got {padding_idx}"
            )
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    _check_indices(input, num)
    starts, ends = _bag_bounds(input, offsets, include_last_offset)
    bags = len(starts)
    device = weight.device
    lengths = tensor([e - s for s, e in zip(starts, ends)], dtype=D.int64, device=device)
    bag = repeat_interleave(arange(bags, device=device), lengths)
    used = input[: ends[-1] if ends else 0].long() if bags else input[:0].long()
    picked = embedding(
        used, weight, max_norm=max_norm, norm_type=norm_type,
        scale_grad_by_freq=scale_grad_by_freq,
    )  # fmt: skip
    if per_sample_weights is not None:
        picked = picked * per_sample_weights[: picked.shape[0]].unsqueeze(1)
    if padding_idx is not None:
        keep = (used != padding_idx).nonzero().reshape(-1)
        picked, bag = picked[keep], bag[keep]
    out = zeros(bags, dim, dtype=weight.dtype, device=device)
    if mode == "max":
        where_to = bag.unsqueeze(1).expand(bag.shape[0], dim)
        return scatter_reduce(out, 0, where_to, picked, "amax", include_self=False)
    out = index_add(out, 0, bag, picked)
    if mode == "mean":
        ones = zeros(bag.shape[0], dtype=weight.dtype, device=device) + 1
        counts = index_add(zeros(bags, dtype=weight.dtype, device=device), 0, bag, ones)
        out = out / counts.clamp_min(1).unsqueeze(1)
    return out


__all__ = []
INTERNAL = []
