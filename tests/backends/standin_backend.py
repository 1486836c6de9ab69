"""The stand-in device as a mytorch backend: the reference kernels over ``backends.standin.xp``.

Registered by tests/conftest.py as device type ``standin`` (as torch's PrivateUse1 lets a
backend name its device), so every test machine has a second device whose arrays are not
NumPy's and refuse implicit host copies. A CUDA backend needs nothing more than this: a name,
an array module, a device type, and host transfers.
"""

import numpy as np
from backends.standin import _wrap, xp

from mytorch._backends.reference import Backend


class StandinBackend(Backend):
    """Arrays on the stand-in device ``standin:0``."""

    def __init__(self):
        super().__init__("standin", xp, "standin")

    def from_numpy(self, a):
        return xp.asarray(a)

    def to_numpy(self, x):
        return x.get()

    def strided(self, x, shape, strides):
        """A view of the wrapped host array (the stand-in's memory is the host's)."""
        return _wrap(np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides), (x,))

    def data_ptr(self, x):
        return int(x._a.__array_interface__["data"][0])  # the wrapped host array's address


BACKEND = StandinBackend()
