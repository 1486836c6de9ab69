"""mytorch.nn.modules.conv: Conv1d, Conv2d, Conv3d and ConvTranspose1d/2d/3d (their
parameters, default initialisation, padding modes, repr and state_dict as torch's)."""

import math

import mytorch
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.modules.lazy import LazyModuleMixin
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter, UninitializedParameter

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
]  # fmt: skip

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """What the convolutions share: the checks, parameters, initialisation and repr."""

    __constants__ = [
        "stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
        "in_channels", "out_channels", "kernel_size",
    ]  # fmt: skip
    _n = 0
    _transposed = False

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
        groups=1, bias=True, padding_mode="zeros", device=None, dtype=None, output_padding=0,
    ):  # fmt: skip
        super().__init__()
        n = self._n
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride = _ntuple(kernel_size, n), _ntuple(stride, n)
        dilation = _ntuple(dilation, n)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, n)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                "padding_mode must be one of {'zeros', 'circular', 'replicate', 'reflect'}, but "
                f"got padding_mode={padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._reversed_padding()
        if self._transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        self.weight = Parameter(mytorch.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(mytorch.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _reversed_padding(self):
        out = []
        if isinstance(self.padding, str):
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                out += [total // 2, total - total // 2] if self.padding == "same" else [0, 0]
        else:
            for p in reversed(self.padding):
                out += [p, p]
        return out

    def reset_parameters(self):
        # NOTE: torch's default: kaiming_uniform_ with a=sqrt(5) is U(-1/sqrt(fan_in), ...).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _conv = None

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
        groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
    ):  # fmt: skip
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip

    def _conv_forward(self, input, weight, bias):
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """A 1-d convolution over (N, C, L) inputs. Matches torch.nn.Conv1d."""

    _n = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """A 2-d convolution over (N, C, H, W) inputs. Matches torch.nn.Conv2d."""

    _n = 2
    _conv = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """A 3-d convolution over (N, C, D, H, W) inputs. Matches torch.nn.Conv3d."""

    _n = 3
    _conv = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _conv = None

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
        groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None,
    ):  # fmt: skip
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype, output_padding,
        )  # fmt: skip

    def _output_padding(self, input, output_size):
        """The output padding that gives ``output_size`` (torch's rule)."""
        if output_size is None:
            return self.output_padding
        n = self._n
        output_size = tuple(int(s) for s in output_size)
        if len(output_size) not in (n, n + 1, n + 2):
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{n + 2} elements (got {len(output_size)})"
            )
        output_size = output_size[len(output_size) - n :]
        sp = tuple(input.shape[input.ndim - n :])
        lo = [(s - 1) * st - 2 * p + d * (k - 1) + 1
              for s, st, p, d, k in zip(sp, self.stride, self.padding, self.dilation,
                                        self.kernel_size)]  # fmt: skip
        hi = [m + st - 1 for m, st in zip(lo, self.stride)]
        for size, a, b in zip(output_size, lo, hi):
            if not a <= size <= b:
                raise ValueError(
                    f"requested an output size of {list(output_size)}, but valid sizes range "
                    f"from {lo} to {hi} (for an input of {list(sp)})"
                )
        return tuple(size - a for size, a in zip(output_size, lo))

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return type(self)._conv(
            input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
            self.dilation,
        )  # fmt: skip


class ConvTranspose1d(_ConvTranspose):
    """The adjoint of a 1-d convolution. Matches torch.nn.ConvTranspose1d."""

    _n = 1
    _conv = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """The adjoint of a 2-d convolution. Matches torch.nn.ConvTranspose2d."""

    _n = 2
    _conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """The adjoint of a 3-d convolution. Matches torch.nn.ConvTranspose3d."""

    _n = 3
    _conv = staticmethod(F.conv_transpose3d)


class _LazyConvXdMixin(LazyModuleMixin):
    """A convolution whose in_channels is read from its first input (then it becomes
    ``cls_to_become``). Matches torch's _LazyConvXdMixin."""

    def _lazy_init(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        # an unbatched input has one dimension fewer: its channels come first
        self.in_channels = input.shape[0 if input.ndim == self._n + 1 else 1]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        with mytorch.no_grad():
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(n, base):
    class LazyConv(_LazyConvXdMixin, base):
        cls_to_become = base

        def __init__(
            self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
            bias=True, padding_mode="zeros", device=None, dtype=None,
        ):  # fmt: skip
            # NOTE: in_channels 0 keeps the weight empty until the first call; bias False
            # keeps _ConvNd from making a sized one.
            super().__init__(
                0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
                device, dtype,
            )  # fmt: skip
            self._lazy_init(out_channels, bias, device, dtype)

    return LazyConv


def _lazy_conv_transpose(n, base):
    class LazyConvTranspose(_LazyConvXdMixin, base):
        cls_to_become = base

        def __init__(
            self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
            bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None,
        ):  # fmt: skip
            super().__init__(
                0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                padding_mode, device, dtype,
            )  # fmt: skip
            self._lazy_init(out_channels, bias, device, dtype)

    return LazyConvTranspose


def _named(cls, name, doc):
    cls.__name__ = cls.__qualname__ = name
    cls.__doc__ = doc
    return cls


LazyConv1d = _named(_lazy_conv(1, Conv1d), "LazyConv1d", "Matches torch.nn.LazyConv1d.")
LazyConv2d = _named(_lazy_conv(2, Conv2d), "LazyConv2d", "Matches torch.nn.LazyConv2d.")
LazyConv3d = _named(_lazy_conv(3, Conv3d), "LazyConv3d", "Matches torch.nn.LazyConv3d.")
LazyConvTranspose1d = _named(
    _lazy_conv_transpose(1, ConvTranspose1d), "LazyConvTranspose1d",
    "Matches torch.nn.LazyConvTranspose1d.",
)  # fmt: skip
LazyConvTranspose2d = _named(
    _lazy_conv_transpose(2, ConvTranspose2d), "LazyConvTranspose2d",
    "Matches torch.nn.LazyConvTranspose2d.",
)  # fmt: skip
LazyConvTranspose3d = _named(
    _lazy_conv_transpose(3, ConvTranspose3d), "LazyConvTranspose3d",
    "Matches torch.nn.LazyConvTranspose3d.",
)  # fmt: skip
