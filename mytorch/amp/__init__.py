"""mytorch.amp: automatic mixed precision (autocast and GradScaler)."""

from mytorch.amp.autocast_mode import autocast, is_autocast_available
from mytorch.amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available"]
