"""mytorch.nn.modules.linear_cross_entropy_options: LinearCrossEntropyOptions (defined beside
F.linear_cross_entropy, which reads it; it lives at torch's path here)."""

from mytorch._ops.nn_gumbel import LinearCrossEntropyOptions

__all__ = ["LinearCrossEntropyOptions"]
