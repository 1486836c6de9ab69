"""The stand-in device as a mytorch backend: the reference kernels over ``backends.standin.xp``.

Registered by tests/conftest.py as device type ``standin`` (as torch's PrivateUse1 lets a
backend name its device), so every test machine has a second device whose arrays are not
NumPy's and refuse implicit host copies. A CUDA backend needs nothing more than this: a name,
an array module, a device type, and host transfers.
"""

from backends.standin import xp

from mytorch._backends.reference import Backend


class StandinBackend(Backend):
    """Arrays on the stand-in device ``standin:0``."""

    def __init__(self):
        super().__init__("standin", xp, "standin")

    def from_numpy(self, a):
        return xp.asarray(a)

    def to_numpy(self, x):
        return x.get()


BACKEND = StandinBackend()
