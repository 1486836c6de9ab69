"""The stand-in device as a mytorch backend: the CUDA backend's class over ``backends.standin.xp``.

Registered by tests/conftest.py as device type ``standin`` (as torch's PrivateUse1 lets a
backend name its device), so every test machine has a second kind of device, with
``standin.DEVICE_COUNT`` numbered devices, whose arrays are not NumPy's, refuse implicit host
copies and have CuPy's API only. Nothing here is stand-in specific: the CUDA backend
(mytorch._backends.cupy_backend.CupyBackend) runs as it would over CuPy.
"""

from backends.standin import xp

from mytorch._backends.cupy_backend import CupyBackend


class StandinBackend(CupyBackend):
    """Arrays on the stand-in devices ``standin:0``, ``standin:1``, ..."""

    def __init__(self):
        super().__init__(xp, name="standin", device_type="standin")


BACKEND = StandinBackend()
