"""Memory shared with other array libraries through DLPack: ``Tensor.__dlpack__``,
``Tensor.__dlpack_device__`` and ``from_dlpack`` (NumPy on the CPU, CuPy on a GPU; NumPy's
own ``__array__`` view is Tensor.__array__)."""

import ctypes

from mytorch import _backends
from mytorch import _device as _dev
from mytorch._core import TensorBase, _wrap
from mytorch._dtype import from_numpy_dtype
from mytorch._ops._declare import declare

# DLPack's device types (dlpack.h's DLDeviceType)
_KDL_CPU, _KDL_CUDA, _KDL_CUDA_HOST = 1, 2, 3


def _exportable(t):
    if t.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    d = t._data
    be = _backends.for_array(d)
    return be.to_numpy(d) if be is _backends.CPU else d  # NOTE: a 0-d CPU value is a scalar


def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """Matches torch.Tensor.__dlpack__: a DLPack capsule of the tensor's memory (its array's,
    NumPy's or CuPy's); BufferError for a tensor that requires grad."""
    kwargs = {"stream": stream}
    for k, v in (("max_version", max_version), ("dl_device", dl_device), ("copy", copy)):
        if v is not None:
            kwargs[k] = v
    return _exportable(self).__dlpack__(**kwargs)


def __dlpack_device__(self):
    """Matches torch.Tensor.__dlpack_device__: (DLPack device type, device index)."""
    dev = self.device
    if dev.type == "cpu":
        return (_KDL_CPU, 0)
    return _exportable(self).__dlpack_device__()


# Where DLTensor.device lies in a capsule's struct (dlpack.h): DLManagedTensor ("dltensor")
# starts with the DLTensor, whose device follows its data pointer; DLManagedTensorVersioned
# ("dltensor_versioned") has a version, manager_ctx, deleter and flags before it.
_PTR = ctypes.sizeof(ctypes.c_void_p)
_DEVICE_OFFSET = {b"dltensor": _PTR, b"dltensor_versioned": 8 + 2 * _PTR + 8 + _PTR}


def _capsule_device(capsule):
    """(device type, index) of a DLPack capsule, read from its DLTensor (a CuPy capsule names
    CUDA memory); the CPU where the capsule is not a live DLPack one."""
    api = ctypes.pythonapi
    api.PyCapsule_IsValid.restype = ctypes.c_int
    api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    for name, offset in _DEVICE_OFFSET.items():
        if api.PyCapsule_IsValid(capsule, name):
            base = api.PyCapsule_GetPointer(capsule, name)
            dev = (ctypes.c_int32 * 2).from_address(base + offset)
            return (int(dev[0]), int(dev[1]))
    return (_KDL_CPU, 0)


class _Capsule:
    """A bare DLPack capsule (the protocol's first form) as an object with __dlpack__, on the
    device its DLTensor names."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return _capsule_device(self.capsule)


def from_dlpack(ext_tensor):
    """Matches torch.from_dlpack: a tensor sharing the memory of an object with __dlpack__
    (a NumPy or CuPy array, a tensor) or of a DLPack capsule."""
    if isinstance(ext_tensor, TensorBase):
        _exportable(ext_tensor)
        return ext_tensor.detach()
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack_device__"):
        raise RuntimeError(
            "from_dlpack received an invalid capsule: expected an object with __dlpack__ or a "
            f"DLPack capsule, got {type(ext_tensor).__name__}"
        )
    kind, index = ext_tensor.__dlpack_device__()
    if kind in (_KDL_CPU, _KDL_CUDA_HOST):
        be = _backends.CPU
    elif kind == _KDL_CUDA:
        be = _backends.for_device(_dev.device("cuda", int(index)))
    else:
        raise RuntimeError(f"from_dlpack(): unsupported DLPack device type {kind}")
    a = be.from_dlpack(ext_tensor)
    from_numpy_dtype(a.dtype)  # torch's TypeError for a dtype mytorch does not have
    return _wrap(a)


declare(from_dlpack)
declare(__dlpack__, namespace=(), method=True)
declare(__dlpack_device__, namespace=(), method=True)

__all__ = []
INTERNAL = []
