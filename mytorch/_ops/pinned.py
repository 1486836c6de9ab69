"""Page-locked host memory: ``Tensor.pin_memory`` and ``Tensor.is_pinned``, on CuPy's pinned
allocator (the CUDA backend makes the host copy; a pinned tensor is a CPU tensor whose array
lives in that memory, so that copies to the GPU can run asynchronously)."""

from mytorch import _backends, cuda
from mytorch._core import apply1
from mytorch._ops._declare import declare
from mytorch._ops.pointwise import TO_DEVICE


class _PinnedHost:
    """The destination of a pinning copy: host memory from the CUDA backend's pinned pool
    (the copy's gradient goes back to the CPU as an ordinary copy)."""

    name = "pinned"
    device_type = "cpu"
    index = None

    def __init__(self, gpu):
        self.gpu = gpu

    def from_numpy(self, a):
        return self.gpu.pinned_copy(a)


def is_pinned(self, device=None):
    """Matches torch.Tensor.is_pinned: whether the tensor's memory is page-locked host memory."""
    if self.device.type != "cpu" or not cuda.is_available():
        return False
    return _backends.for_device("cuda").is_pinned(self._data)


def pin_memory(self, device=None):
    """Matches torch.Tensor.pin_memory: a copy in page-locked host memory (the tensor itself
    when it is pinned already); differentiable, as torch's."""
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    if not cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    gpu = _backends.for_device("cuda")
    if gpu.is_pinned(self._data):
        return self
    return apply1(TO_DEVICE, self, (_PinnedHost(gpu), _backends.CPU))


declare(is_pinned, namespace=(), method=True)
declare(pin_memory, namespace=(), method=True)

__all__ = []
INTERNAL = []
