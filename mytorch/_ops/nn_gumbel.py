"""torch.nn.functional.gumbel_softmax and linear_cross_entropy: composites of other ops.

gumbel_softmax draws its Gumbel noise from the logits' device generator (the same distribution
as torch, not its stream); ``hard=True`` returns one-hot samples whose gradient is the soft
sample's (the straight-through estimator).
"""

import math
from dataclasses import dataclass
import warnings

from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.composite import softmax
from mytorch._ops.creation import empty_like, zeros_like
from mytorch._ops.loss import cross_entropy
from mytorch._ops.nn_linear import linear
from mytorch._ops.reduction import argmax

NN = "nn.functional"


@composite(namespace=NN)
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Matches torch.nn.functional.gumbel_softmax: softmax((logits + g) / tau) with g Gumbel(0,
    1) noise; ``hard``: the one-hot of its argmax, differentiated as the soft sample."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # Gumbel(0, 1) = -log(E), E ~ Exponential(1)
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = argmax(y_soft, dim, keepdim=True)
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


@dataclass
class LinearCrossEntropyOptions:
    """Matches torch.nn.LinearCrossEntropyOptions (its fields and defaults). NOTE: torch uses
    them to compute linear_cross_entropy in batch chunks, never holding the whole logits;
    mytorch accepts them and computes the same loss on the whole logits."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None


LinearCrossEntropyOptions.__module__ = "mytorch.nn.modules.linear_cross_entropy_options"


@composite(namespace=NN)
def linear_cross_entropy(
    input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
    ignore_index=None, label_smoothing=0.0, options=None,
):  # fmt: skip
    """Matches torch.nn.functional.linear_cross_entropy: cross_entropy(linear(input,
    linear_weight, linear_bias), target, ...). ``linear_weight`` is (C, in_features) or
    (C, d_1, ..., d_K, in_features) (K-dimensional logits). ``options`` (torch's batch chunking,
    a LinearCrossEntropyOptions) is accepted; the loss is computed on the whole logits, which
    gives the same values."""
    if options is not None and not isinstance(options, LinearCrossEntropyOptions):
        raise TypeError(
            "linear_cross_entropy(): options must be None or a LinearCrossEntropyOptions, not "
            f"{type(options).__name__}"
        )
    if not isinstance(input, TensorBase) or input.ndim not in (1, 2):
        nd = input.ndim if isinstance(input, TensorBase) else 0
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {nd}")
    out_features = tuple(linear_weight.shape[:-1])
    w = linear_weight.reshape(math.prod(out_features), linear_weight.shape[-1])
    logits = linear(input, w).reshape(tuple(input.shape[:-1]) + out_features)
    if linear_bias is not None:
        if tuple(linear_bias.shape) != out_features:
            raise RuntimeError(
                f"expected linear_bias shape {out_features}, got {tuple(linear_bias.shape)}"
            )
        logits = logits + linear_bias
    if ignore_index is None:
        ignore_index = -100
    return cross_entropy(
        logits, target, weight, ignore_index=ignore_index, reduction=reduction,
        label_smoothing=label_smoothing,
    )  # fmt: skip


__all__ = []
INTERNAL = []
