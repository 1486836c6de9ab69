"""mytorch.nn.modules.padding: the padding modules (constant, zero, reflection, replication,
circular) over F.pad."""

from mytorch.nn import functional as F
from mytorch.nn.modules.module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


def _widths(padding, n):
    """An int repeated for the 2*n sides, or the given sequence as a tuple (torch's _ntuple)."""
    if isinstance(padding, (list, tuple)):
        return tuple(padding)
    try:
        return tuple(iter(padding))
    except TypeError:
        return (padding,) * (2 * n)


class _PadNd(Module):
    __constants__ = ["padding"]
    _mode = "constant"
    _ndim = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._ndim)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``. Matches torch.nn.ConstantPad1d."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with ``value``. Matches torch.nn.ConstantPad2d."""

    _ndim = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with ``value``. Matches torch.nn.ConstantPad3d."""

    _ndim = 3


class ZeroPad1d(ConstantPad1d):
    """Matches torch.nn.ZeroPad1d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Matches torch.nn.ZeroPad2d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Matches torch.nn.ZeroPad3d."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Matches torch.nn.ReflectionPad1d."""

    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Matches torch.nn.ReflectionPad2d."""

    _mode = "reflect"
    _ndim = 2


class ReflectionPad3d(_PadNd):
    """Matches torch.nn.ReflectionPad3d."""

    _mode = "reflect"
    _ndim = 3


class ReplicationPad1d(_PadNd):
    """Matches torch.nn.ReplicationPad1d."""

    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Matches torch.nn.ReplicationPad2d."""

    _mode = "replicate"
    _ndim = 2


class ReplicationPad3d(_PadNd):
    """Matches torch.nn.ReplicationPad3d."""

    _mode = "replicate"
    _ndim = 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._ndim + 1, self._ndim + 2):
            raise ValueError(
                f"expected {self._ndim + 1}D or {self._ndim + 2}D input (got {input.dim()}D input)"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Matches torch.nn.CircularPad1d."""


class CircularPad2d(_CircularPadNd):
    """Matches torch.nn.CircularPad2d."""

    _ndim = 2


class CircularPad3d(_CircularPadNd):
    """Matches torch.nn.CircularPad3d."""

    _ndim = 3
