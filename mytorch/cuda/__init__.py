"""mytorch.cuda: availability of the CuPy backend (imported lazily, optional), and the
device functions scripts call (harmless without a GPU, as in a CPU build of torch).

``mytorch.cuda.amp`` holds the CUDA spellings of autocast and GradScaler.
"""

import sys


def is_available():
    """True when CuPy imports and sees a GPU."""
    try:
        import cupy
    except Exception:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count():
    if not is_available():
        return 0
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


def is_initialized():
    """Matches torch.cuda.is_initialized: whether CuPy has been loaded and sees a GPU."""
    return "cupy" in sys.modules and is_available()


def _need_gpu():
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")


def current_device():
    """Matches torch.cuda.current_device (AssertionError without a GPU, as a CPU torch)."""
    _need_gpu()
    import cupy

    return cupy.cuda.runtime.getDevice()


def get_device_name(device=None):
    """Matches torch.cuda.get_device_name."""
    _need_gpu()
    import cupy

    index = current_device() if device is None else getattr(device, "index", device) or 0
    return cupy.cuda.runtime.getDeviceProperties(index)["name"].decode()


def synchronize(device=None):
    """Matches torch.cuda.synchronize: waits for the GPU's queued work."""
    _need_gpu()
    import cupy

    cupy.cuda.runtime.deviceSynchronize()


def empty_cache():
    """Matches torch.cuda.empty_cache: frees CuPy's cached blocks (nothing without a GPU)."""
    if is_available():
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()


def is_bf16_supported(including_emulation=True):
    """Matches torch.cuda.is_bf16_supported (False without a GPU)."""
    return is_available()


def _seed_gpu(device, seed):
    # NOTE: mytorch._random imports the backends, which import this module: it is reached
    # through sys.modules (always loaded by the time a script seeds a GPU).
    _random = sys.modules["mytorch._random"]
    _random.default_for(sys.modules["mytorch._backends"].for_device(device)).manual_seed(seed)


def manual_seed(seed):
    """Matches torch.cuda.manual_seed: seeds the current GPU's generator (nothing without one)."""
    if is_available():
        _seed_gpu("cuda", seed)


def manual_seed_all(seed):
    """Matches torch.cuda.manual_seed_all: seeds every GPU's generator (nothing without one)."""
    if is_available():
        for i in range(device_count()):
            _seed_gpu(f"cuda:{i}", seed)
