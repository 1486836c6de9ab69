"""mytorch.backends.cudnn: torch's cuDNN flags, kept and read back (there is no cuDNN here)."""

__all__ = ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]

enabled = True
benchmark = False
benchmark_limit = None  # (torch: None without cuDNN)
deterministic = False
allow_tf32 = True


def is_available():
    """Matches torch.backends.cudnn.is_available: False (no cuDNN)."""
    return False


def version():
    """Matches torch.backends.cudnn.version: None (no cuDNN)."""
    return None
