"""Creation ops: tensor(), zeros, ones, full, arange, linspace, eye, random tensors, *_like.

Every array is made by the backend of the requested device (``device=``); ``*_like`` functions
follow their input's device. Python data is read on the host first, with PyTorch's dtype rules.
"""

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _random
from mytorch._core import TensorBase, _wrap

_CPU = _backends.CPU


def _np_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, D.dtype):
        return dtype.np
    raise TypeError(f"dtype must be a mytorch dtype (e.g. torch.float32), not {dtype!r}")


def _backend(device):
    return _CPU if device is None else _backends.for_device(device)


_FACTORY_MSG = "Only Tensors of floating point and complex dtype can require gradients"


def _make(be, array, requires_grad):
    """Wrap a new array of backend ``be`` (0-d CPU arrays become NumPy scalars)."""
    t = _wrap(be.scalar(array))
    if requires_grad:
        if D.FROM_NP[array.dtype].category < D.FLOAT:
            raise RuntimeError(_FACTORY_MSG)
        t._requires_grad = True
    return t


def _host(data, npdt=None):
    """A host (CPU) array from Python data with PyTorch's dtype inference, or of ``npdt``."""
    if isinstance(data, TensorBase):
        d = data._data
        return _backends.for_array(d).to_numpy(d).copy()
    arr = _CPU.array(_unwrap_nested(data) if isinstance(data, (list, tuple)) else data)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if npdt is not None:
        # NOTE: straight from the Python values, not via float32: tensor(0.7, dtype=float64) is
        # exact.
        return arr.astype(npdt)
    if not hasattr(data, "dtype"):  # Python data: PyTorch's defaults, not NumPy's
        if arr.dtype.kind == "f":
            return arr.astype(D.get_default_dtype().np)
        if arr.dtype.kind == "c":
            return arr.astype(
                D.complex64.np if D.get_default_dtype() is D.float32 else D.complex128.np
            )
        if arr.dtype.kind in "iu":
            return arr.astype(D.int64.np)
    D.from_numpy_dtype(arr.dtype)
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
    be = _backend(device)
    if type(data) is float and be is _CPU:  # the common scalar leaf, without building an array
        dt = D.get_default_dtype() if dtype is None else dtype
        if dt is D.float32 or dt is D.float64:
            t = _wrap(dt.np.type(data))
            t._requires_grad = bool(requires_grad)
            return t
    arr = _host(data, _np_dtype(dtype))
    return _make(be, be.from_numpy(arr), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Matches torch.as_tensor (shares memory where dtype and device already fit)."""
    if isinstance(data, TensorBase):
        out = data if device is None else data.to(device)
        return out if dtype is None else out.to(dtype)
    if (
        isinstance(data, _CPU.array_type)
        and (dtype is None or data.dtype == _np_dtype(dtype))
        and (device is None or _backends.for_device(device) is _CPU)
    ):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """Matches torch.from_numpy (shares memory)."""
    if not isinstance(ndarray, _CPU.array_type):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if not (isinstance(s, int) or hasattr(s, "__index__")) or isinstance(s, bool):
            raise TypeError(
                "zeros(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__}"
            )
        s = int(s)
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(s)
    return tuple(out)


def _filled(size, value, dtype, requires_grad, device):
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(be, be.full(_shape(size), value, npdt), requires_grad)


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
    if isinstance(fill_value, TensorBase):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _filled((tuple(size),), fill_value, dtype, requires_grad, device)


def _like(t, value, dtype, requires_grad, device):
    return _filled((t.shape,), value, dtype or t.dtype, requires_grad, device or t.device)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Matches torch.zeros_like (on ``input``'s device unless told otherwise)."""
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
    be = _backend(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, TensorBase) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = D.get_default_dtype() if is_float else D.int64
    return _make(be, be.arange(*vals, dtype.np), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """Matches torch.linspace."""
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _make(be, be.linspace(start, end, int(steps), npdt), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """Matches torch.eye."""
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(be, be.eye(n, n if m is None else m, npdt), requires_grad)


# Random tensors: drawn on the device by its backend's generator (the device's default one, or
# ``generator=``, a mytorch.Generator of that device).
def _draw(fname, kind, shape, npdt, device, requires_grad, generator, *args):
    be = _backend(device)
    gen = _random.draw_from(be, generator, fname)
    return _make(be, be.random(gen, kind, shape, npdt, *args), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1). Matches torch.rand's distribution."""
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _draw("rand", "uniform", _shape(size), npdt, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples. Matches torch.randn's distribution."""
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _draw("randn", "normal", _shape(size), npdt, device, requires_grad, generator)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):  # fmt: skip
    """Matches torch.randint(low=0, high, size) (int64 by default)."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    npdt = _np_dtype(dtype) or D.int64.np
    shape = _shape((tuple(size),))
    return _draw("randint", "integers", shape, npdt, device, requires_grad, generator, low, high)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
              memory_format=None):  # fmt: skip
    """Matches torch.rand_like (on ``input``'s device)."""
    return _draw("rand_like", "uniform", tuple(input.shape), (dtype or input.dtype).np,
                   device or input.device, requires_grad, generator)  # fmt: skip


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
               memory_format=None):  # fmt: skip
    """Matches torch.randn_like (on ``input``'s device)."""
    return _draw("randn_like", "normal", tuple(input.shape), (dtype or input.dtype).np,
                   device or input.device, requires_grad, generator)  # fmt: skip


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64). Matches torch.randperm's distribution."""
    npdt = _np_dtype(dtype) or D.int64.np
    return _draw("randperm", "permutation", (int(n),), npdt, device, requires_grad, generator)


__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
    "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "rand",
    "randn", "randint", "rand_like", "randn_like", "randperm",
]  # fmt: skip
INTERNAL = []
