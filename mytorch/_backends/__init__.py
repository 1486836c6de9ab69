"""The backends by array type and by device: the CPU (NumPy, with compiled overrides), CuPy for
``cuda`` (imported on first use, never by ``import mytorch``), and any backend registered later.
"""

import numpy as np

from mytorch import _device
from mytorch._backends import cupy_backend  # CuPy itself is imported by its load()
from mytorch._backends.compiled import CompiledBackend
from mytorch._backends.reference import NUMPY, Backend

_compiled = CompiledBackend()
# The CPU backend: the compiled kernels where they loaded, else the NumPy reference.
CPU = _compiled if _compiled.loaded else NUMPY

_by_type = {np.ndarray: CPU}
_by_device = {"cpu": CPU}


def register(backend):
    """Make ``backend`` the one for its array type and device type (as torch's PrivateUse1)."""
    if not isinstance(backend, Backend):
        raise TypeError(f"expected a mytorch backend, got {type(backend).__name__}")
    _device.register_type(backend.device_type)
    _by_type[backend.array_type] = backend
    _by_device[backend.device_type] = backend


def unregister(backend):
    """Undo ``register`` (tests use it to take a stand-in device away again)."""
    if _by_device.get(backend.device_type) is backend:
        del _by_device[backend.device_type]
        _device.unregister_type(backend.device_type)
    if _by_type.get(backend.array_type) is backend:
        del _by_type[backend.array_type]


def for_array(x):
    """The backend that owns array ``x`` (a NumPy scalar belongs to the CPU)."""
    be = _by_type.get(type(x))
    if be is not None:
        return be
    if isinstance(x, np.generic):
        return CPU
    if type(x).__module__.partition(".")[0] == "cupy":
        return for_device("cuda")
    raise TypeError(f"mytorch: no backend for arrays of type {type(x).__name__}")


def is_host_scalar(x):
    """Whether ``x`` is a NumPy scalar: host data that is never written in place."""
    return isinstance(x, np.generic)


def for_device(dev):
    """The backend of a device (a device object or a string such as ``'cuda:0'``)."""
    kind = dev.type if isinstance(dev, _device.device) else _device.device(dev).type
    be = _by_device.get(kind)
    if be is None and kind == "cuda":
        be = cupy_backend.load()
        register(be)
    if be is None:
        raise RuntimeError(f"mytorch: no backend for device type {kind}")
    return be


def loaded():
    """The backends in use, by device type (CuPy's only after its first use)."""
    return dict(_by_device)
