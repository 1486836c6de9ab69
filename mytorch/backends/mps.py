"""mytorch.backends.mps: Apple's Metal backend, which mytorch does not have."""

__all__ = ["is_available", "is_built"]


def is_available():
    """Matches torch.backends.mps.is_available: False."""
    return False


def is_built():
    """Matches torch.backends.mps.is_built: False."""
    return False
