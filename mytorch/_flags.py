"""Global switches of torch's top level that have nothing to switch here: deterministic
algorithms (mytorch's kernels are deterministic already) and the float32 matmul precision."""

__all__ = [
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
]

_state = {"deterministic": False, "warn_only": False, "precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Matches torch.use_deterministic_algorithms (a flag: every kernel here is deterministic)."""
    if not isinstance(mode, bool):
        raise TypeError(
            f"use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    _state["deterministic"] = mode
    _state["warn_only"] = bool(warn_only) if mode else False


def are_deterministic_algorithms_enabled():
    """Matches torch.are_deterministic_algorithms_enabled."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """Matches torch.is_deterministic_algorithms_warn_only_enabled."""
    return _state["warn_only"]


def set_float32_matmul_precision(precision):
    """Matches torch.set_float32_matmul_precision (kept; NumPy's GEMMs are full precision)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}")
    _state["precision"] = precision


def get_float32_matmul_precision():
    """Matches torch.get_float32_matmul_precision."""
    return _state["precision"]
