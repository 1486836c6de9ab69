"""mytorch.nn: torch.nn's functional interface (the modules come with the torch.nn work)."""

from mytorch.nn import functional

__all__ = ["functional"]
