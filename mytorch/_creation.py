"""Tensor creation: tensor(), zeros, ones, full, arange, linspace, eye, random tensors."""

import numpy as np

from mytorch import _device
from mytorch import _dtype as D
from mytorch._core import TensorBase, _wrap
from mytorch._random import _generator


def _np_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, D.dtype):
        return dtype.np
    raise TypeError(f"dtype must be a mytorch dtype (e.g. torch.float32), not {dtype!r}")


def _make(array, requires_grad, message):
    if array.ndim == 0:
        array = array[()]
    t = _wrap(array)
    if requires_grad:
        if D.FROM_NP[array.dtype].category < D.FLOAT:
            raise RuntimeError(message)
        t._requires_grad = True
    return t


_FACTORY_MSG = "Only Tensors of floating point and complex dtype can require gradients"


def _infer(data, npdt=None):
    """NumPy array from Python data with PyTorch's dtype inference, or of NumPy dtype ``npdt``."""
    if isinstance(data, TensorBase):
        return np.array(data._data)
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        return np.array(data)
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    arr = np.array(data)
    if npdt is not None and arr.dtype.kind in "biufc":
        # NOTE: straight from the Python values, not via float32: tensor(0.7, dtype=float64) is exact.
        return arr.astype(npdt)
    if arr.dtype == np.float64:
        arr = arr.astype(D.get_default_dtype().np)
    elif arr.dtype.kind == "c":
        arr = arr.astype(np.complex64 if D.get_default_dtype() is D.float32 else np.complex128)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "b":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _unwrap_nested(data):
    out = []
    for v in data:
        if isinstance(v, TensorBase):
            if v._data.size != 1 and v._data.ndim == 0:
                raise ValueError("only one element tensors can be converted to Python scalars")
            out.append(v._data.tolist())
        elif isinstance(v, (list, tuple)):
            out.append(_unwrap_nested(v))
        else:
            out.append(v)
    return out


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Matches torch.tensor: copies ``data``; Python floats default to float32, ints to int64."""
    _device.check(device)
    if type(data) is float:  # the common scalar leaf, without building an array
        dt = D.get_default_dtype() if dtype is None else dtype
        if dt is D.float32 or dt is D.float64:
            t = _wrap(dt.np.type(data))
            t._requires_grad = bool(requires_grad)
            return t
    arr = _infer(data, _np_dtype(dtype))
    if dtype is not None:
        arr = arr.astype(_np_dtype(dtype))
    return _make(arr, requires_grad, _FACTORY_MSG)


def as_tensor(data, dtype=None, device=None):
    """Matches torch.as_tensor (shares a NumPy array's memory when the dtype fits)."""
    if isinstance(data, TensorBase) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == _np_dtype(dtype)):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """Matches torch.from_numpy (shares memory)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    D.from_numpy_dtype(array.dtype)
    return _wrap(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if not isinstance(s, (int, np.integer)) and not (isinstance(s, TensorBase) and s.numel() == 1):
            raise TypeError(
                f"zeros(): argument 'size' must be tuple of ints, but found element of type {type(s).__name__}"
            )
        s = int(s)
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(s)
    return tuple(out)


def _filled(size, value, dtype, requires_grad, device):
    _device.check(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(np.full(_shape(size), value, dtype=npdt), requires_grad, _FACTORY_MSG)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.zeros."""
    return _filled(size, 0, dtype, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.ones."""
    return _filled(size, 1, dtype, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.empty (the values are zeros here)."""
    return _filled(size, 0, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """Matches torch.full (dtype inferred from fill_value as in PyTorch)."""
    if dtype is None:
        dtype = D.scalar_dtype(fill_value.item() if isinstance(fill_value, TensorBase) else fill_value)
    return _filled((tuple(size),), fill_value, dtype, requires_grad, device)


def _like(t, value, dtype, requires_grad, device):
    return _filled((t.shape,), value, dtype or t.dtype, requires_grad, device)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Matches torch.zeros_like."""
    return _like(input, 0, dtype, requires_grad, device)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Matches torch.ones_like."""
    return _like(input, 1, dtype, requires_grad, device)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Matches torch.empty_like (the values are zeros here)."""
    return _like(input, 0, dtype, requires_grad, device)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Matches torch.full_like."""
    return _like(input, fill_value, dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Matches torch.arange (int64 for integer arguments, the default float dtype otherwise)."""
    _device.check(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, TensorBase) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = D.get_default_dtype() if is_float else D.int64
    n = max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
    arr = (vals[0] + vals[2] * np.arange(n, dtype=np.float64)).astype(dtype.np) if dtype.category >= D.FLOAT else (
        np.arange(vals[0], vals[1], vals[2]).astype(dtype.np))
    return _make(arr, requires_grad, _FACTORY_MSG)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """Matches torch.linspace."""
    _device.check(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.linspace(start, end, int(steps), dtype=np.float64).astype(npdt)
    return _make(arr, requires_grad, _FACTORY_MSG)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """Matches torch.eye."""
    _device.check(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(np.eye(n, n if m is None else m, dtype=npdt), requires_grad, _FACTORY_MSG)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples (NumPy's generator: same distribution, not PyTorch's numbers)."""
    _device.check(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(_generator().random(_shape(size)).astype(npdt), requires_grad, _FACTORY_MSG)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples (NumPy's generator: same distribution, not PyTorch's numbers)."""
    _device.check(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(_generator().standard_normal(_shape(size)).astype(npdt), requires_grad, _FACTORY_MSG)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    """Matches torch.randint(low=0, high, size) (int64 by default)."""
    _device.check(device)
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    npdt = _np_dtype(dtype) or np.int64
    return _make(_generator().integers(low, high, _shape((tuple(size),))).astype(npdt), requires_grad, _FACTORY_MSG)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randperm(n, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64)."""
    return _make(_generator().permutation(n).astype(_np_dtype(dtype) or np.int64), requires_grad, _FACTORY_MSG)
