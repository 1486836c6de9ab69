"""mytorch.utils: the utilities at torch.utils's paths (mytorch.utils.data)."""

from mytorch.utils import data

__all__ = ["data"]
