"""Bare DLPack capsules: ``from_dlpack(capsule)`` reads the device from the capsule's DLTensor
(CuPy's ``toDlpack()`` names CUDA memory), in both of DLPack's capsule forms."""

import ctypes

import numpy as np

import mytorch
from mytorch._ops.interop import _Capsule


def test_host_capsules_of_both_forms():
    a = np.arange(4.0)
    for cap in (a.__dlpack__(), a.__dlpack__(max_version=(1, 0))):
        c = _Capsule(cap)
        assert c.__dlpack_device__() == (1, 0)
    t = mytorch.from_dlpack(a.__dlpack__())
    a[0] = 9.0
    assert t[0].item() == 9.0


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32)]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]  # fmt: skip


def test_a_cuda_capsule_names_its_device():
    """A capsule built as CuPy's are (device type kDLCUDA = 2, device 1): read, not assumed."""
    m = _DLManagedTensor()
    m.dl_tensor.device.device_type = 2
    m.dl_tensor.device.device_id = 1
    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    cap = new(ctypes.addressof(m), b"dltensor", None)
    assert _Capsule(cap).__dlpack_device__() == (2, 1)
    assert _Capsule(object()).__dlpack_device__() == (1, 0)
