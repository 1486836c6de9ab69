"""Creation ops: tensor(), zeros, ones, full, arange, linspace, eye, random tensors, *_like.

Every array is made by the backend of the requested device (``device=``); ``*_like`` functions
follow their input's device. Python data is read on the host first, with PyTorch's dtype rules.
"""

import math
import warnings

from mytorch import _backends
from mytorch import _device as _dev
from mytorch import _dtype as D
from mytorch import _random
from mytorch._core import TensorBase, _wrap
from mytorch._out import C_NAMES, factory_out, write_out
from mytorch._registry import VMAP as _VMAP

_CPU = _backends.CPU


def _np_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, D.dtype):
        return dtype.np
    if dtype in D.PY_TYPES:  # dtype=float is float64, as torch reads it
        return D.PY_TYPES[dtype].np
    raise TypeError(f"dtype must be a mytorch dtype (e.g. torch.float32), not {dtype!r}")


def _backend(device):
    if device is None:
        device = _dev._default[-1]  # torch.set_default_device / with torch.device(...)
    return _CPU if device is None else _backends.for_device(device)


_FACTORY_MSG = "Only Tensors of floating point and complex dtype can require gradients"


def _make(be, array, requires_grad):
    """Wrap a new array of backend ``be`` (0-d CPU arrays become NumPy scalars)."""
    t = _wrap(be.scalar(array))
    if requires_grad is not False and _requires_grad_arg(requires_grad):
        if D.FROM_NP[array.dtype].category < D.FLOAT:
            raise RuntimeError(_FACTORY_MSG)
        t._requires_grad = True
    return t


def _requires_grad_arg(v):
    """requires_grad= of a creation function: a bool (or None), as torch requires."""
    if type(v) is not bool and v is not None:
        raise TypeError(f"argument 'requires_grad' must be bool, not {_tname(v)}")
    return v


def _host(data, npdt=None):
    """A host (CPU) array from Python data with PyTorch's dtype inference, or of ``npdt``."""
    if isinstance(data, TensorBase):
        d = data._data
        return _backends.for_array(d).to_numpy(d).copy()
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    arr = _CPU.array(_unwrap_nested(data) if isinstance(data, (list, tuple)) else data)
    if arr.dtype.kind not in "biufc":
        raise _no_dtype_error(data)
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


def _no_dtype_error(data):
    """torch's error for data with no tensor dtype: the type of its first non-number."""
    if isinstance(data, _CPU.array_type):
        return TypeError(
            f"can't convert np.ndarray of type {data.dtype}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
            "and bool."
        )
    leaf = data
    first = True
    while isinstance(leaf, (list, tuple)) and leaf:
        bad = [v for v in leaf if not isinstance(v, (int, float, complex, TensorBase))]
        if not bad:
            break
        first = first and bad[0] is leaf[0]
        leaf = bad[0]
    if isinstance(leaf, str):
        return (
            ValueError("too many dimensions 'str'")
            if first
            else TypeError("new(): invalid data type 'str'")
        )
    return RuntimeError(f"Could not infer dtype of {type(leaf).__name__}")


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
            t._requires_grad = bool(_requires_grad_arg(requires_grad))
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
        and _backend(device) is _CPU
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


_INT64_MAX = (1 << 63) - 1


def _shape(size, name="zeros"):
    """A creation function's size (ints or one sequence of them) as a tuple, with torch's
    errors for other types, negative sizes and sizes no memory could hold."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    n = 1
    for s in size:
        if type(s) is not int or s < 0 or s > _INT64_MAX:
            return _checked_shape(size, name)
        n *= s
    if n > _INT64_MAX >> 4:  # NOTE: torch checks numel * itemsize; 16 bounds every itemsize
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)}")
    return tuple(size)


def _checked_shape(size, name):
    """_shape for sizes that are not all non-negative Python ints: torch's errors, or ints."""
    out = []
    for i, s in enumerate(size):
        if not (isinstance(s, int) or hasattr(s, "__index__")) or isinstance(s, bool):
            raise TypeError(
                f"{name}(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {i}"
            )
        s = int(s)
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        if s > _INT64_MAX:
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                'error "Overflow when unpacking long long"'
            )
        out.append(s)
    return _shape(tuple(out), name)


def _int_arg(name, arg, pos, v):
    """An int argument (a Python or NumPy integer, not a bool), else torch's TypeError."""
    if isinstance(v, bool) or not (isinstance(v, int) or hasattr(v, "__index__")):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not {_tname(v)}")
    return int(v)


def _number_arg(name, arg, pos, v):
    """A number argument (Python or NumPy number, or a one-element tensor), else TypeError."""
    if isinstance(v, (str, bytes)) or not hasattr(v, "__float__") and not hasattr(v, "__index__"):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {pos}) must be Number, not {_tname(v)}"
        )


def _tname(v):
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _not_implemented(kernel, dt):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dt.title}'")


def _filled(size, value, dtype, requires_grad, device):
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    return _make(be, be.full(_shape(size), value, npdt), requires_grad)


def _into(out, result, requires_grad):
    """A creation function called with out=: ``result`` (made in out's dtype and device, which
    factory_out gave) written into ``out``, resized without a warning as torch's are."""
    write_out(out, result, warn=False)
    return out.requires_grad_() if requires_grad else out


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.zeros."""
    if out is not None:
        dt, dev = factory_out("zeros", out, dtype, device, requires_grad)
        return _into(out, _filled(size, 0, dt, False, dev), requires_grad)
    return _filled(size, 0, dtype, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.ones."""
    if out is not None:
        dt, dev = factory_out("ones", out, dtype, device, requires_grad)
        return _into(out, _filled(size, 1, dt, False, dev), requires_grad)
    return _filled(size, 1, dtype, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.empty (the values are zeros here; an ``out`` of that shape is returned
    as it is, as torch's)."""
    if out is not None and tuple(out.shape) == _shape(size, "empty"):
        factory_out("empty", out, dtype, device, requires_grad)
        return out.requires_grad_() if requires_grad else out
    if out is not None:
        dt, dev = factory_out("empty", out, dtype, device, requires_grad)
        return _into(out, _filled(size, 0, dt, False, dev), requires_grad)
    return _filled(size, 0, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.full (dtype inferred from fill_value as in PyTorch, or out's)."""
    if isinstance(fill_value, TensorBase):
        fill_value = fill_value.item()
    _number_arg("full", "fill_value", 2, fill_value)
    if out is not None:
        dt, dev = factory_out("full", out, dtype, device, requires_grad)
        return _into(out, _filled((tuple(size),), fill_value, dt, False, dev), requires_grad)
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    return _filled((tuple(size),), fill_value, dtype, requires_grad, device)


def _like(t, value, dtype, requires_grad, device):
    if isinstance(value, TensorBase):
        value = value.item()
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
    _number_arg("full_like", "fill_value", 2, fill_value)
    return _like(input, fill_value, dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.arange (int64 for integer arguments, the default float dtype otherwise)."""
    if out is not None:
        dt, dev = factory_out("arange", out, dtype, device, requires_grad)
        return _into(out, _arange_out(out, arange(start, end, step, dt, dev)), requires_grad)
    be = _backend(device)
    if end is None:
        start, end = 0, start
    vals = _range_args("arange", start, end, step)
    if dtype is None:
        is_float = any(isinstance(v, float) for v in vals)
        dtype = D.get_default_dtype() if is_float else D.int64
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise _not_implemented("arange_cpu", dtype)
    if dtype.category == D.INT and any(isinstance(v, float) for v in vals):
        # NOTE: torch converts the bounds and step to the integer dtype first (truncating).
        ints = [int(v) for v in vals]
        if ints[2] == 0:
            raise ValueError("step must be nonzero")
        vals = ints
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    _shape((n,), "arange")
    return _make(be, be.arange(*vals, dtype.np), requires_grad)


def _range_args(name, start, end, step):
    """arange's numbers, with torch's errors for non-numbers, a zero step, a step away from
    ``end``, infinite or NaN bounds and integers past int64."""
    vals = []
    for arg, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, TensorBase):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
            raise TypeError(f"{name}(): argument '{arg}' must be Number, not {_tname(v)}")
        v = int(v) if isinstance(v, int) or hasattr(v, "__index__") else float(v)
        if isinstance(v, int) and not -_INT64_MAX - 1 <= v <= _INT64_MAX:
            raise OverflowError("int too big to convert")
        vals.append(v)
    lo, hi, st = vals
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"unsupported range: {lo} -> {hi}")
    if st == 0:
        raise RuntimeError("step must be nonzero")
    if (st > 0 and hi < lo) or (st < 0 and hi > lo):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    return vals


def _arange_out(out, r):
    """arange's result for ``out``: in out's shape when it has as many elements (as torch),
    else resized, with torch's warning when out had elements."""
    n, m = r.numel(), out.numel()
    if m == n:
        return r.reshape(out.shape)
    if m:
        warnings.warn(
            f"The number of elements in the out tensor of shape {list(out.shape)} is {m} which "
            f"does not match the computed number of elements {n}. Note that this may occur as a "
            "result of rounding error. The out tensor will be resized to a tensor of shape "
            f"({n},).",
            UserWarning,
            stacklevel=4,
        )
    return r


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.linspace."""
    if out is not None:
        dt, dev = factory_out("linspace", out, dtype, device, requires_grad)
        return _into(out, linspace(start, end, steps, dt, dev), requires_grad)
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    steps = _int_arg("linspace", "steps", 3, steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if npdt.kind == "b":
        raise _not_implemented("linspace_cpu", D.bool_)
    # NOTE: torch converts start when there is a value to make, and end when there are two
    for v in (start, end)[: min(steps, 2)]:
        _check_fits(v.item() if isinstance(v, TensorBase) else v, npdt)
    return _make(be, be.linspace(start, end, steps, npdt), requires_grad)


# The C type names of torch's "value cannot be converted" message.
_C_TYPES = {
    "e": "c10::Half", "f": "float", "d": "double", "F": "c10::complex<float>",
    "D": "c10::complex<double>", "b": "int8_t", "h": "int16_t", "i": "int32_t", "l": "int64_t",
    "q": "int64_t", "B": "uint8_t",
}  # fmt: skip


def _check_fits(v, npdt):
    """torch's RuntimeError when a number overflows ``npdt`` (c10's checked conversion: an
    unsigned type takes a negative integer down to -max, which wraps around)."""
    dt = D.FROM_NP[npdt]
    if npdt.kind in "iu":
        info = D.iinfo(dt)
        lo = -info.max if npdt.kind == "u" and isinstance(v, int) else info.min
        ok = isinstance(v, (int, float)) and lo <= v <= info.max
    else:
        big = D.finfo(dt).max
        parts = (v.real, v.imag) if isinstance(v, complex) else (v,)
        ok = all(not math.isfinite(p) or abs(p) <= big for p in parts)
    if not ok:
        raise RuntimeError(
            f"value cannot be converted to type {_C_TYPES[npdt.char]} without overflow"
        )


def eye(n, m=None, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.eye."""
    if out is not None:
        dt, dev = factory_out("eye", out, dtype, device, requires_grad)
        return _into(out, eye(n, m, dt, dev), requires_grad)
    be = _backend(device)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    n = _int_arg("eye", "n", 1, n)
    m = n if m is None else _int_arg("eye", "m", 2, m)
    for arg, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{arg} must be greater or equal to 0, got {v}")
    _shape((n, m), "eye")
    return _make(be, be.eye(n, m, npdt), requires_grad)


# Random tensors: drawn on the device by its backend's generator (the device's default one, or
# ``generator=``, a mytorch.Generator of that device).
def _draw(fname, kind, shape, npdt, device, requires_grad, generator, *args):
    if _VMAP[1] is not None:  # inside vmap: its randomness= decides (mytorch.func)
        return _VMAP[1](
            _draw_now, fname, kind, shape, npdt, device, requires_grad, generator, *args
        )
    return _draw_now(fname, kind, shape, npdt, device, requires_grad, generator, *args)


def _draw_now(fname, kind, shape, npdt, device, requires_grad, generator, *args):
    be = _backend(device)
    gen = _random.draw_from(be, generator, fname)
    return _make(be, be.random(gen, kind, shape, npdt, *args), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples in [0, 1). Matches torch.rand's distribution."""
    if out is not None:
        dt, dev = factory_out("rand", out, dtype, device, requires_grad)
        return _into(out, rand(*size, dtype=dt, device=dev, generator=generator), requires_grad)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    _check_random("rand", "check_uniform_bounds", npdt)
    return _draw("rand", "uniform", _shape(size, "rand"), npdt, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples. Matches torch.randn's distribution."""
    if out is not None:
        dt, dev = factory_out("randn", out, dtype, device, requires_grad)
        return _into(out, randn(*size, dtype=dt, device=dev, generator=generator), requires_grad)
    npdt = _np_dtype(dtype) or D.get_default_dtype().np
    _check_random("randn", "normal_kernel_cpu", npdt)
    return _draw("randn", "normal", _shape(size, "randn"), npdt, device, requires_grad, generator)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, out=None):  # fmt: skip
    """Matches torch.randint(low=0, high, size) (int64 by default)."""
    if out is not None:
        dt, dev = factory_out("randint", out, dtype, device, requires_grad)
        return _into(
            out, randint(low, high, size, generator=generator, dtype=dt, device=dev), requires_grad
        )
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    npdt = _np_dtype(dtype) or D.int64.np
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {_tname(size)}")
    low, high = _randint_bounds(low, high, D.FROM_NP[npdt])
    shape = _shape((tuple(size),), "randint")
    return _draw("randint", "integers", shape, npdt, device, requires_grad, generator, low, high)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
              memory_format=None):  # fmt: skip
    """Matches torch.rand_like (on ``input``'s device)."""
    npdt = (dtype or input.dtype).np
    _check_random("rand_like", "check_uniform_bounds", npdt)
    return _draw("rand_like", "uniform", tuple(input.shape), npdt, device or input.device,
                 requires_grad, generator)  # fmt: skip


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False,
               memory_format=None):  # fmt: skip
    """Matches torch.randn_like (on ``input``'s device)."""
    npdt = (dtype or input.dtype).np
    _check_random("randn_like", "normal_kernel_cpu", npdt)
    return _draw("randn_like", "normal", tuple(input.shape), npdt, device or input.device,
                 requires_grad, generator)  # fmt: skip


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """A random permutation of 0..n-1 (int64). Matches torch.randperm's distribution."""
    if out is not None:
        dt, dev = factory_out("randperm", out, dtype, device, requires_grad)
        return _into(out, randperm(n, generator=generator, dtype=dt, device=dev), requires_grad)
    npdt = _np_dtype(dtype) or D.int64.np
    n = _randperm_n(_int_arg("randperm", "n", 1, n), D.FROM_NP[npdt])
    return _draw("randperm", "permutation", (n,), npdt, device, requires_grad, generator)


# --- the random functions' argument checks (torch's errors) -----------------------------------
def _check_random(name, float_kernel, npdt):
    """A float_kernel function draws floats only (``generator=`` is checked where it is drawn
    from, mytorch._random.draw_from)."""
    if float_kernel is not None and D.FROM_NP[npdt].category < D.FLOAT:
        raise _not_implemented(float_kernel, D.FROM_NP[npdt])


_INT_RANGES = {
    D.int8: (-(1 << 7), (1 << 7) - 1),
    D.int16: (-(1 << 15), (1 << 15) - 1),
    D.int32: (-(1 << 31), (1 << 31) - 1),
    D.int64: (-(1 << 63), (1 << 63) - 1),
    D.uint8: (0, 255),
}
# The integers a float dtype holds exactly: +-2**digits (torch's check_random_bounds).
_FLOAT_DIGITS = {D.float16: 11, D.float32: 24, D.float64: 53}


def _randint_bounds(low, high, dt):
    """randint's [low, high), with torch's errors for non-integers, an empty range and bounds
    the dtype cannot hold."""
    low = _int_arg("randint", "low", 1, low)
    high = _int_arg("randint", "high", 2, high)
    for v in (low, high):
        if not -_INT64_MAX - 1 <= v <= _INT64_MAX:
            raise ValueError("Overflow when unpacking long long")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if dt.category == D.COMPLEX:
        raise RuntimeError(
            "check_random_bounds handles only integral, floating-point and boolean types"
        )
    if dt.category == D.FLOAT:
        lim = 1 << _FLOAT_DIGITS[dt]
        lo, hi = -lim, lim
    elif dt is D.bool_:
        lo, hi = 0, 1
    else:
        lo, hi = _INT_RANGES[dt]
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {C_NAMES[dt]}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {C_NAMES[dt]}")
    return low, high


def _randperm_n(n, dt):
    """randperm's n, with torch's errors for a negative n and one the dtype cannot count to."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt.category in (D.BOOL, D.COMPLEX):
        raise _not_implemented("randperm", dt)
    if dt is D.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if dt is D.float32 and n > (1 << 24) + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if dt.category == D.INT and n - 1 > _INT_RANGES[dt][1]:
        raise RuntimeError(f"value cannot be converted to type {dt.np.name}_t without overflow")
    _shape((n,), "randperm")
    return n


__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
    "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "rand",
    "randn", "randint", "rand_like", "randn_like", "randperm",
]  # fmt: skip
INTERNAL = []
