"""``out=``: writing an op's result into a tensor the caller gave, as torch does."""

import warnings

from mytorch import _backends
from mytorch._core import TensorBase
from mytorch._grad_mode import is_grad_enabled, no_grad
from mytorch._views import _commit_inplace


def write_out(out, result):
    """Write ``result`` into ``out`` (resized to its shape when needed, cast to its dtype where
    torch allows) and return ``out``."""
    if not isinstance(out, TensorBase):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            "functions with out=... arguments don't support automatic differentiation, but one "
            "of the arguments requires grad."
        )
    if result.dtype.category > out.dtype.category:
        raise RuntimeError(
            f"result type {result.dtype.title} can't be cast to the desired output type "
            f"{out.dtype.title}"
        )
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        d = out._data
        out._data = _backends.for_array(d).full(result._data.shape, 0, d.dtype)
    with no_grad():
        return _commit_inplace(out, result)
