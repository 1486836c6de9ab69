"""The backends by array type and by device: the CPU (NumPy, with compiled overrides), CuPy for
``cuda`` (imported on first use, never by ``import mytorch``), and any backend registered later.

Every backend provides the members of mytorch._backends.base.BackendContract. A backend whose
arrays live on numbered devices (``multi_device``) is registered unbound; ``for_array`` and
``for_device`` return its backend bound to the array's or the device's number.
"""

from cmath import isfinite as _isfinite

import numpy as np

from mytorch import _device
from mytorch._backends import cupy_backend  # CuPy itself is imported by its load()
from mytorch._backends.base import BackendContract, missing
from mytorch._backends.compiled import CompiledBackend
from mytorch._backends.reference import NUMPY, Backend, NumpyBackend

__all__ = [
    "CPU", "NUMPY", "Backend", "BackendContract", "NumpyBackend", "all_finite", "for_array",
    "for_device", "is_host_scalar", "loaded", "missing", "register", "unregister",
]  # fmt: skip

_compiled = CompiledBackend()
# The CPU backend: the compiled kernels where they loaded, else the NumPy reference.
CPU = _compiled if _compiled.loaded else NUMPY

_by_type = {np.ndarray: CPU}  # array type -> its single-device backend
_multi = {}  # array type -> its (unbound) multi-device backend
_by_device = {"cpu": CPU}


def register(backend):
    """Make ``backend`` the one for its array type and device type (as torch's PrivateUse1)."""
    if not isinstance(backend, BackendContract):
        raise TypeError(f"expected a mytorch backend, got {type(backend).__name__}")
    lacks = missing(backend)
    if lacks:
        raise TypeError(f"backend {backend.name!r} does not implement {', '.join(lacks)}")
    _device.register_type(backend.device_type)
    (_multi if backend.multi_device else _by_type)[backend.array_type] = backend
    _by_device[backend.device_type] = backend


def unregister(backend):
    """Undo ``register`` (tests use it to take a stand-in device away again)."""
    if _by_device.get(backend.device_type) is backend:
        del _by_device[backend.device_type]
        _device.unregister_type(backend.device_type)
    for table in (_by_type, _multi):
        if table.get(backend.array_type) is backend:
            del table[backend.array_type]


def for_array(x):
    """The backend that owns array ``x`` (a NumPy scalar belongs to the CPU)."""
    be = _by_type.get(type(x))
    if be is not None:
        return be
    be = _multi.get(type(x))
    if be is not None:
        return be.for_array(x)
    if isinstance(x, np.generic):
        return CPU
    if type(x).__module__.partition(".")[0] == "cupy":
        return for_device("cuda").for_array(x)
    raise TypeError(f"mytorch: no backend for arrays of type {type(x).__name__}")


def all_finite(x):
    """Whether no entry of array ``x`` is NaN or infinite: a NumPy scalar checked here, an
    array by its backend (anomaly mode calls this on every gradient)."""
    if isinstance(x, np.generic):
        return _isfinite(x)
    return for_array(x).all_finite(x)


def is_host_scalar(x):
    """Whether ``x`` is a NumPy scalar: host data that is never written in place."""
    return isinstance(x, np.generic)


def for_device(dev):
    """The backend of a device (a device object or a string such as ``'cuda:1'``); for a
    numbered device without a number, the current one."""
    if not isinstance(dev, _device.device):
        dev = _device.device(dev)
    be = _by_device.get(dev.type)
    if be is None and dev.type == "cuda":
        be = cupy_backend.load()
        register(be)
    if be is None:
        raise RuntimeError(f"mytorch: no backend for device type {dev.type}")
    return be.at(dev.index) if be.multi_device else be


def loaded():
    """The backends in use, by device type (CuPy's only after its first use)."""
    return dict(_by_device)
