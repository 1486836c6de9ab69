"""Matches torch.backends.mps on a build without Metal support."""


def is_available():
    """Matches torch.backends.mps.is_available (mytorch has no MPS device)."""
    return False


def is_built():
    """Matches torch.backends.mps.is_built."""
    return False
