"""dtype questions and conversions: result_type, can_cast, is_complex, is_nonzero,
is_same_size, and the Tensor methods short, char, byte and bfloat16."""

import numbers

from mytorch import _dtype as D
from mytorch._core import TensorBase
from mytorch._ops._declare import declare
from mytorch._ops.pointwise import to_dtype


def _tname(v):
    return "Tensor" if isinstance(v, TensorBase) else type(v).__name__


def _tensor_arg(fname, arg, pos, v):
    if not isinstance(v, TensorBase):
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {_tname(v)}"
        )
    return v


def _dtype_arg(fname, arg, pos, v):
    if not isinstance(v, D.dtype):
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {pos}) must be torch.dtype, not {_tname(v)}"
        )
    return v


def _is_number(v):
    return isinstance(v, numbers.Number) and not isinstance(v, TensorBase)


def result_type(tensor, other):
    """Matches torch.result_type: the dtype that an op of ``tensor`` and ``other`` (tensors or
    Python numbers) computes in."""
    args = (tensor, other)
    if not all(isinstance(a, TensorBase) or _is_number(a) for a in args):
        got = ", ".join(_tname(a) for a in args)
        raise TypeError(
            f"result_type() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n * (Tensor tensor, Tensor other)\n * (Number scalar, Tensor tensor)"
            "\n * (Tensor tensor, Number other)\n * (Number scalar1, Number scalar2)\n"
        )
    dims = [a.dtype for a in args if isinstance(a, TensorBase) and a.dim() > 0]
    zero = [a.dtype for a in args if isinstance(a, TensorBase) and a.dim() == 0]
    scalars = [a for a in args if not isinstance(a, TensorBase)]
    return D.result_type(dims, zero, scalars)


def can_cast(from_, to):
    """Matches torch.can_cast: whether a cast keeps the kind (no float to integer, no complex to
    real, nothing but bool to bool)."""
    _dtype_arg("can_cast", "from_", 1, from_)
    _dtype_arg("can_cast", "to", 2, to)
    return from_.category <= to.category


def is_complex(input):
    """Matches torch.is_complex."""
    return _tensor_arg("is_complex", "input", 1, input).dtype.is_complex


def is_nonzero(input):
    """Matches torch.is_nonzero: the truth of a one-element tensor."""
    n = _tensor_arg("is_nonzero", "input", 1, input).numel()
    if n != 1:
        what = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    """Matches torch.is_same_size."""
    _tensor_arg("is_same_size", "input", 1, input)
    return input.shape == _tensor_arg("is_same_size", "other", 2, other).shape


def short(self):
    """Matches torch.Tensor.short: a cast to int16."""
    return to_dtype(self, D.int16)


def char(self):
    """Matches torch.Tensor.char: a cast to int8."""
    return to_dtype(self, D.int8)


def bfloat16(self):
    """Matches torch.Tensor.bfloat16: a cast to bfloat16 (needs ml-dtypes)."""
    return to_dtype(self, D.bfloat16)


def byte(self):
    """Matches torch.Tensor.byte: a cast to uint8."""
    return to_dtype(self, D.uint8)


declare(result_type)
declare(can_cast)
declare(is_complex)
declare(is_nonzero, method=True)
declare(is_same_size, method=True)
for _fn in (short, char, byte, bfloat16):
    declare(_fn, namespace=(), method=True)

__all__ = []
INTERNAL = []
