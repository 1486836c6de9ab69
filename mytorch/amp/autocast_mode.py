"""mytorch.amp.autocast_mode: autocast, as a context manager and as a decorator.

On the CPU (dtype bfloat16 by default, or float16) the ops of torch's CPU lower-precision
list that mytorch has run in the autocast dtype: matmul, mm, bmm, addmm, addbmm, baddbmm,
nn.functional.linear, conv1d/2d/3d and conv_transpose1d/2d/3d (and the layers built on them:
Linear, Conv*, ...). Their float32/float16 tensor arguments are cast (differentiably) first;
float64 ones are left alone, as torch does. Other ops run in their inputs' dtype (torch's
float32 list is not applied: those ops already run in the dtype they are given).
``device_type="cuda"`` without a GPU warns and disables itself, as torch does.
"""

import functools
import warnings

from mytorch import _dtype as D
from mytorch._autocast import STATE
from mytorch.cuda import is_available as _cuda_available

__all__ = ["autocast", "is_autocast_available"]

_DEFAULT_DTYPES = {"cpu": D.bfloat16, "cuda": D.float16}
_SUPPORTED = {"cpu": (D.bfloat16, D.float16), "cuda": (D.float16, D.bfloat16, D.float32)}


def is_autocast_available(device_type):
    """Matches torch.amp.is_autocast_available."""
    return device_type in _SUPPORTED


class autocast:
    """Matches torch.autocast / torch.amp.autocast(device_type, dtype=None, enabled=True,
    cache_enabled=None)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _SUPPORTED:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self.device = device_type
        self.fast_dtype = _DEFAULT_DTYPES[device_type] if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled
        if self._enabled and device_type == "cuda" and not _cuda_available():
            warnings.warn(
                "User provided device_type of 'cuda', but CUDA is not available. Disabling",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled and self.fast_dtype not in _SUPPORTED[device_type]:
            names = ", ".join(f"torch.{d.name}" for d in _SUPPORTED[device_type])
            warnings.warn(
                f"In {device_type.upper()} autocast, but the target dtype is not supported. "
                f"Disabling autocast.\n{device_type.upper()} Autocast only supports dtypes of "
                f"{names} currently.",
                stacklevel=2,
            )
            self._enabled = False

    def __enter__(self):
        self._prev = (dict(STATE.dtypes), STATE.on)
        if self._enabled:
            STATE.dtypes[self.device] = self.fast_dtype
        else:
            STATE.dtypes.pop(self.device, None)
        STATE.on = bool(STATE.dtypes)
        return self

    def __exit__(self, exc_type, exc, tb):
        STATE.dtypes, STATE.on = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device_type=None):
    """Matches torch.is_autocast_enabled (the CUDA one without a device type)."""
    return (device_type or "cuda") in STATE.dtypes


def get_autocast_dtype(device_type):
    """Matches torch.get_autocast_dtype: the dtype autocast uses on ``device_type``."""
    return STATE.dtypes.get(device_type, _DEFAULT_DTYPES.get(device_type, D.float16))
