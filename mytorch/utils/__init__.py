"""mytorch.utils: checkpoint (activation checkpointing) and safetensors files."""

from mytorch.utils import checkpoint, safetensors

__all__ = ["checkpoint", "safetensors"]
