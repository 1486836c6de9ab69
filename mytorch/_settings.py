"""Process-wide switches that PyTorch scripts set for reproducibility and speed.

Matches torch.use_deterministic_algorithms / are_deterministic_algorithms_enabled /
is_deterministic_algorithms_warn_only_enabled / get_deterministic_debug_mode and
torch.set_float32_matmul_precision / get_float32_matmul_precision. mytorch's kernels are
deterministic and compute float32 products in float32 whatever is set: the switches are kept so
that a script can set and read them back, and change nothing else.
"""

import warnings

_deterministic = False
_warn_only = False
_matmul_precision = "highest"


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Matches torch.use_deterministic_algorithms (every mytorch kernel is deterministic)."""
    global _deterministic, _warn_only
    if type(mode) is not bool:
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    if type(warn_only) is not bool:
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
            f"{type(warn_only).__name__}"
        )
    _deterministic, _warn_only = mode, warn_only


def are_deterministic_algorithms_enabled():
    """Matches torch.are_deterministic_algorithms_enabled."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """Matches torch.is_deterministic_algorithms_warn_only_enabled."""
    return _warn_only


def get_deterministic_debug_mode():
    """Matches torch.get_deterministic_debug_mode: 0 off, 1 warn only, 2 error."""
    if not _deterministic:
        return 0
    return 1 if _warn_only else 2


def set_float32_matmul_precision(precision):
    """Matches torch.set_float32_matmul_precision: "highest", "high" or "medium" (recorded;
    mytorch's float32 products are always computed in float32)."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _matmul_precision = precision


def get_float32_matmul_precision():
    """Matches torch.get_float32_matmul_precision."""
    return _matmul_precision
