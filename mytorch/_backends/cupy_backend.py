"""The CUDA backend: the reference kernels over CuPy, imported on first use of a cuda device.

``import mytorch`` never imports CuPy; ``mytorch.cuda.is_available()`` is False without it.
"""

from mytorch import cuda
from mytorch._backends.reference import Backend
from mytorch._device import device as _device


class CupyBackend(Backend):
    """CuPy arrays on the current GPU; kernels not overridden here are the reference's."""

    def __init__(self, cupy):
        super().__init__("cupy", cupy, "cuda")

    def device(self, x):
        return _device("cuda", x.device.id)

    def from_numpy(self, a):
        return self.xp.asarray(a)

    def to_numpy(self, x):
        return self.xp.asnumpy(x)

    def index_backward(self, g, shape, index, basic):
        out = self.xp.zeros(shape, dtype=g.dtype)
        if basic:
            out[index] = g
        else:
            import cupyx

            cupyx.scatter_add(out, index, g)
        return out


def load():
    """The CUDA backend; AssertionError, as torch's, when CuPy or a GPU is missing."""
    if not cuda.is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    import cupy

    return CupyBackend(cupy)
