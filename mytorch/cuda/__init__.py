"""mytorch.cuda: torch.cuda over CuPy (imported lazily and optional): availability, devices and
their properties, synchronisation, the memory pool's statistics (mytorch.cuda.memory), streams
and events (mytorch.cuda.streams), and the GPUs' random generators.

Everything asks the array module of the registered ``cuda`` backend (CuPy, or the test suite's
stand-in registered as ``cuda``), or CuPy itself before a backend is loaded. ``import mytorch``
never imports CuPy; without it (or without a GPU) ``is_available()`` is False and the functions
behave as in a CPU build of torch. ``mytorch.cuda.amp`` holds the CUDA spellings of autocast
and GradScaler.
"""

import sys

from mytorch.cuda.memory import (
    empty_cache,
    max_memory_allocated,
    max_memory_reserved,
    mem_get_info,
    memory_allocated,
    memory_reserved,
    memory_stats,
    reset_max_memory_allocated,
    reset_peak_memory_stats,
)
from mytorch.cuda.streams import (
    Event,
    Stream,
    StreamContext,
    current_stream,
    default_stream,
    set_stream,
    stream,
)

__all__ = [
    "Event", "Stream", "StreamContext", "current_device", "current_stream", "default_stream",
    "device", "device_count", "device_of", "empty_cache", "get_device_capability",
    "get_device_name", "get_device_properties", "get_rng_state", "get_rng_state_all",
    "initial_seed", "is_available", "is_bf16_supported", "seed", "seed_all", "set_rng_state",
    "set_rng_state_all", "is_initialized", "manual_seed", "manual_seed_all", "max_memory_allocated",
    "max_memory_reserved", "mem_get_info", "memory_allocated", "memory_reserved",
    "memory_stats", "reset_max_memory_allocated", "reset_peak_memory_stats", "set_device",
    "set_stream", "stream", "synchronize",
]  # fmt: skip

_NO_CUDA = "Torch not compiled with CUDA enabled"


def _backend():
    """The registered ``cuda`` backend (None before its first use)."""
    backends = sys.modules.get("mytorch._backends")
    return None if backends is None else backends.loaded().get("cuda")


def _xp():
    """The CUDA array module: the registered backend's, else CuPy (ImportError without it)."""
    be = _backend()
    if be is not None:
        return be.xp
    import cupy

    return cupy


def is_available():
    """Matches torch.cuda.is_available: True when CuPy imports and sees a GPU (never raises)."""
    try:
        return _xp().cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count():
    """Matches torch.cuda.device_count (0 without CuPy or a GPU)."""
    return _xp().cuda.runtime.getDeviceCount() if is_available() else 0


def is_initialized():
    """Matches torch.cuda.is_initialized: whether the CUDA backend is loaded and sees a GPU."""
    return (_backend() is not None or "cupy" in sys.modules) and is_available()


def _need_gpu():
    """The CUDA array module; AssertionError, as a CPU build of torch, without a GPU."""
    if not is_available():
        raise AssertionError(_NO_CUDA)
    return _xp()


def _device_index(dev, optional=True):
    """The index of a cuda device given as None/int/str/torch.device (None: the current)."""
    if isinstance(dev, str):
        dev = sys.modules["mytorch._device"].device(dev)  # _device imports this module
    if hasattr(dev, "type") and hasattr(dev, "index"):
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        dev = dev.index
    if dev is None:
        if not optional:
            raise ValueError("Expected a torch.device with a specified index or an integer")
        return current_device()
    if isinstance(dev, bool) or not isinstance(dev, int):
        raise ValueError(f"Expected a cuda device, but got: {dev!r}")
    return dev


def current_device():
    """Matches torch.cuda.current_device: CuPy's current device."""
    return _need_gpu().cuda.runtime.getDevice()


def set_device(device):
    """Matches torch.cuda.set_device: makes ``device`` current (a negative index: nothing)."""
    index = _device_index(device)
    if index >= 0:
        _need_gpu().cuda.Device(index).use()


class device:
    """Matches torch.cuda.device: a context manager that makes a GPU current."""

    def __init__(self, device):
        self.idx = -1 if device is None else _device_index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx == -1:
            return self
        if not is_available():
            raise RuntimeError("PyTorch was compiled without CUDA support")
        self.prev_idx = current_device()
        if self.prev_idx != self.idx:
            _xp().cuda.Device(self.idx).use()
        return self

    def __exit__(self, *exc):
        if self.idx != -1 and self.prev_idx != self.idx:
            _xp().cuda.Device(self.prev_idx).use()
        return False


class device_of(device):
    """Matches torch.cuda.device_of: the device of a tensor made current (CPU: nothing)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


class _CudaDeviceProperties:
    """Matches torch.cuda.get_device_properties' result (the runtime's cudaDeviceProp)."""

    def __init__(self, p):
        name = p["name"]
        self.name = name.decode() if isinstance(name, bytes) else name
        self.major = int(p["major"])
        self.minor = int(p["minor"])
        self.total_memory = int(p["totalGlobalMem"])
        self.multi_processor_count = int(p.get("multiProcessorCount", 0))
        self.is_integrated = int(p.get("integrated", 0))
        self.is_multi_gpu_board = int(p.get("isMultiGpuBoard", 0))
        self.L2_cache_size = int(p.get("l2CacheSize", 0))
        self.warp_size = int(p.get("warpSize", 32))
        self.max_threads_per_multi_processor = int(p.get("maxThreadsPerMultiProcessor", 0))
        uuid = p.get("uuid", b"")
        self.uuid = uuid.hex() if isinstance(uuid, bytes) else str(uuid)

    def __repr__(self):
        return (
            f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
            f"total_memory={self.total_memory >> 20}MB, "
            f"multi_processor_count={self.multi_processor_count}, uuid={self.uuid}, "
            f"L2_cache_size={self.L2_cache_size >> 20}MB)"
        )


def get_device_properties(device=None):
    """Matches torch.cuda.get_device_properties."""
    xp = _need_gpu()
    index = _device_index(device)
    if not 0 <= index < device_count():
        raise AssertionError("Invalid device id")
    return _CudaDeviceProperties(xp.cuda.runtime.getDeviceProperties(index))


def get_device_name(device=None):
    """Matches torch.cuda.get_device_name."""
    return get_device_properties(device).name


def get_device_capability(device=None):
    """Matches torch.cuda.get_device_capability: (major, minor)."""
    p = get_device_properties(device)
    return p.major, p.minor


def synchronize(device=None):
    """Matches torch.cuda.synchronize: waits for the GPU's queued work."""
    xp = _need_gpu()
    with xp.cuda.Device(_device_index(device)):
        xp.cuda.runtime.deviceSynchronize()


def is_bf16_supported(including_emulation=True):
    """Matches torch.cuda.is_bf16_supported (False without a GPU)."""
    return is_available()


def _seed_gpu(device, seed):
    # NOTE: mytorch._random imports the backends, which import this module: it is reached
    # through sys.modules (always loaded by the time a script seeds a GPU).
    _random = sys.modules["mytorch._random"]
    _random.default_for(sys.modules["mytorch._backends"].for_device(device)).manual_seed(seed)


def _generator(device="cuda"):
    """The default generator of a GPU (AssertionError without one, as a CPU build of torch)."""
    _need_gpu()
    if not isinstance(device, str) or device == "cuda":
        device = f"cuda:{_device_index(None if device == 'cuda' else device)}"
    be = sys.modules["mytorch._backends"].for_device(device)
    return sys.modules["mytorch._random"].default_for(be)


def get_rng_state(device="cuda"):
    """Matches torch.cuda.get_rng_state: the GPU generator's state (a uint8 CPU tensor)."""
    return _generator(device).get_state()


def set_rng_state(new_state, device="cuda"):
    """Matches torch.cuda.set_rng_state."""
    _generator(device).set_state(new_state)


def get_rng_state_all():
    """Matches torch.cuda.get_rng_state_all: one state per GPU ([] without one)."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    """Matches torch.cuda.set_rng_state_all."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def seed():
    """Matches torch.cuda.seed: a random seed for the current GPU (nothing without one)."""
    if is_available():
        _generator().seed()


def seed_all():
    """Matches torch.cuda.seed_all: a random seed for every GPU (nothing without one)."""
    for i in range(device_count()):
        _generator(i).seed()


def initial_seed():
    """Matches torch.cuda.initial_seed: the current GPU generator's seed."""
    return _generator().initial_seed()


def manual_seed(seed):
    """Matches torch.cuda.manual_seed: seeds the current GPU's generator (nothing without one)."""
    if is_available():
        _seed_gpu("cuda", seed)


def manual_seed_all(seed):
    """Matches torch.cuda.manual_seed_all: seeds every GPU's generator (nothing without one)."""
    if is_available():
        for i in range(device_count()):
            _seed_gpu(f"cuda:{i}", seed)
