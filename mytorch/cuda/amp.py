"""mytorch.cuda.amp: the CUDA spellings of autocast and GradScaler (deprecated in torch, as
``torch.amp.autocast("cuda")`` and ``torch.amp.GradScaler("cuda")``)."""

import functools

from mytorch.amp.autocast_mode import autocast as _autocast
from mytorch.amp.grad_scaler import GradScaler as _GradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast):
    """Matches torch.cuda.amp.autocast: ``torch.amp.autocast("cuda", ...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """Matches torch.cuda.amp.GradScaler: ``torch.amp.GradScaler("cuda", ...)``."""

    @functools.wraps(_GradScaler.__init__)
    def __init__(
        self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
        enabled=True,
    ):  # fmt: skip
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)  # fmt: skip
