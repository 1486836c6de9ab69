"""The slow path of op application: PyTorch's dtype promotion and device rules for any mix of
tensors and Python scalars. mytorch._core calls it through the registry's CORE hooks (which
this module fills) when an op's operands are not all host arrays of one float dtype.
"""

import numpy as np

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _registry
from mytorch._core import KIND_DIV, KIND_MATMUL, KIND_SAME, TensorBase, _wrap

_CPU = _backends.CPU
_FROM_NP = D.FROM_NP
_PY_SCALARS = (float, int, bool, complex)


def device_error(a, b):
    return RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{a} and {b}!"
    )


def common_backend(tensors):
    """The one backend of ``tensors`` and their arrays on it.

    A 0-d CPU tensor that needs no gradient is a scalar that may join any device (PyTorch's
    rule); any other mix of devices raises PyTorch's RuntimeError, naming the first non-CPU
    device first as PyTorch does.
    """
    be = _CPU
    first = None
    for t in tensors:
        d = t._data
        tb = _backends.for_array(d)
        if tb is not _CPU:
            if first is None:
                be = tb
                first = d
            elif tb is not be or tb.device(d) != be.device(first):
                raise device_error(be.device(first), tb.device(d))
    if first is None:
        return _CPU, [t._data for t in tensors]
    arrays = []
    for t in tensors:
        d = t._data
        if _backends.for_array(d) is _CPU:
            if d.ndim != 0 or t._requires_grad:
                raise device_error(be.device(first), "cpu")
            d = be.from_numpy(_CPU.to_numpy(d))
        arrays.append(d)
    return be, arrays


def cast(x, npdt):
    """Convert an operand (array, NumPy scalar or Python scalar) to a NumPy dtype."""
    tx = type(x)
    if tx is float or tx is int or tx is bool or tx is complex:
        # NOTE: ml-dtypes' bfloat16 with a Python float gives float32: the scalar takes the type
        return npdt.type(x) if npdt.kind == "V" else x
    if x.dtype is npdt:
        return x
    if tx is np.ndarray or isinstance(x, np.generic):
        return x.astype(npdt)
    return _backends.for_array(x).to_dtype(x, npdt)  # NOTE: a kernel: on the array's device


def broadcast_error(op, x, y):
    sx = list(getattr(x, "shape", ()))
    sy = list(getattr(y, "shape", ()))
    n = max(len(sx), len(sy))
    px = [1] * (n - len(sx)) + sx
    py = [1] * (n - len(sy)) + sy
    for i in range(n - 1, -1, -1):
        if px[i] != py[i] and px[i] != 1 and py[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({px[i]}) must match the size of tensor b ({py[i]}) at "
                f"non-singleton dimension {i}"
            )
    return RuntimeError(f"{op.name}: shapes {sx} and {sy} cannot be broadcast together")


def binary_dtype(a, b):
    """PyTorch's result dtype for two operands (Tensor or Python scalar), as a mytorch dtype."""
    dims = []
    zeros = []
    scalars = []
    for v in (a, b):
        if type(v) not in _PY_SCALARS:  # a Tensor
            d = _FROM_NP[v._data.dtype]
            if v._data.ndim:
                dims.append(d)
            else:
                zeros.append(d)
        else:
            scalars.append(v)
    return D.result_type(dims, zeros, scalars)


def operand(v):
    """A Tensor or Python scalar operand, converting NumPy values and arrays to tensors."""
    if isinstance(v, TensorBase) or type(v) in _PY_SCALARS:
        return v
    if isinstance(v, np.generic):
        kind = v.dtype.kind
        if kind == "b":
            # NOTE: torch reads a NumPy bool as a Python float (np.bool_(True) * int64 tensor is
            # float32), unlike a Python bool.
            return float(v)
        if kind == "f":
            return float(v)  # NOTE: not item(): a longdouble's item() is a longdouble
        if kind in "iu":
            return int(v)
        if kind == "c":
            # torch 2.13 reads np.complex64 as a float and drops its imaginary part; we keep it.
            return complex(v)
        return _wrap(_CPU.array(v, None))
    if isinstance(v, (float, int, bool, complex)):
        return v
    if isinstance(v, np.ndarray):
        D.from_numpy_dtype(v.dtype)
        return _wrap(v)
    raise TypeError(f"unsupported operand type: expected Tensor or number, got {type(v).__name__}")


def _is_bool(v):
    """A bool tensor or a Python bool (torch wraps the scalar as a bool tensor)."""
    if type(v) is bool:
        return True
    return isinstance(v, TensorBase) and v._data.dtype.kind == "b"


def check_sub(a, b):
    """PyTorch refuses ``a - b`` when either operand is bool (a Python bool counts as one)."""
    na = _is_bool(a)
    nb = _is_bool(b)
    if na and nb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if na or nb:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def numpy_operand(v):
    """A NumPy scalar or array on the left of a Tensor's operator, as the operand torch's
    reflected operator sees: a NumPy scalar as a Python scalar, an array as a Tensor sharing its
    memory. Anything else is returned as it is (the op then raises its own TypeError)."""
    if isinstance(v, (np.generic, np.ndarray)):
        return operand(v)
    return v


_ORDERED = ("lt", "le", "gt", "ge")


def _check_dtypes(name, a, b, ta, tb, dt):
    """Raise torch's error where torch refuses an op for these operands' dtypes (bool
    subtraction: check_sub).

    NOTE: only this slow path sees bool and complex operands (apply2's fast path takes float32
    and float64 tensors alone), so the checks cost the float ops nothing.
    """
    if name == "pow" and tb and dt.category == D.BOOL:  # a bool tensor exponent; a scalar is fine
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    elif dt.category == D.COMPLEX and name in _ORDERED:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.title}'")


def _promote2(op, a, b):
    """The slow path of apply2: PyTorch's promotion and device rules for any mix of tensors
    and scalars. Returns the operands, the kernel to run and both values in the compute dtype.
    """
    a = operand(a)
    b = operand(b)
    if op.kname == "sub":
        check_sub(a, b)
    ta = isinstance(a, TensorBase)
    tb = isinstance(b, TensorBase)
    dt = binary_dtype(a, b)
    if op.kind == KIND_SAME and ta:
        dt = a.dtype  # the first operand's dtype: copy_, index_put
    if op.kind == KIND_MATMUL and ta and tb and a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
        )
    if op.kind == KIND_DIV and dt.category < D.FLOAT:
        dt = D.get_default_dtype()
    _check_dtypes(op.name, a, b, ta, tb, dt)
    npdt = dt.np
    x = a._data if ta else a
    y = b._data if tb else b
    kernel = op.kernel
    if ta and tb:
        be, arrays = common_backend((a, b))
        x = arrays[0]
        y = arrays[1]
        if be is not _CPU:
            kernel = op.kernel_on(be)
    elif ta:
        kernel = _kernel(op, x)
    elif tb:
        kernel = _kernel(op, y)
    return a, b, kernel, cast(x, npdt), cast(y, npdt)


def _kernel(op, x):
    be = _backends.for_array(x)
    return op.kernel if be is _CPU else op.kernel_on(be)


def _numpy_operand(v):
    return numpy_operand(v)


_registry.provide(promote2=_promote2, broadcast_error=broadcast_error)
# Tensor's reflected operators reach this one through F (they stand below this module).
_registry.register_functions(globals(), ["_numpy_operand"])
