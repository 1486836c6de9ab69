"""Matches torch.backends.cudnn on a machine without cuDNN: the flags keep what a script sets
(with torch's defaults), ``is_available()`` is False and ``version()`` is None."""

enabled = True
benchmark = False
benchmark_limit = None  # (torch: None without cuDNN)
deterministic = False
allow_tf32 = True


def is_available():
    """Matches torch.backends.cudnn.is_available (mytorch does not use cuDNN)."""
    return False


def version():
    """Matches torch.backends.cudnn.version where cuDNN is not available."""
    return None
