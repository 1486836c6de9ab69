"""mytorch.utils: the utilities at torch.utils's paths: data (datasets and DataLoader),
checkpoint (activation checkpointing) and safetensors files."""

from mytorch.utils import checkpoint, data, safetensors

__all__ = ["checkpoint", "data", "safetensors"]
