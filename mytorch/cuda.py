"""mytorch.cuda: availability of the CuPy backend (imported lazily, optional)."""


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
