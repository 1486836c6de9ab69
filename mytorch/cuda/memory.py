"""mytorch.cuda.memory: torch.cuda's memory statistics on CuPy's memory pool.

``memory_allocated`` is the pool's used bytes (the memory of live arrays, rounded up to the
pool's blocks), ``memory_reserved`` its total bytes (used plus cached free blocks), both for one
device. CuPy keeps no peaks: the CUDA backend wraps the allocator once (``track``) so that each
allocation raises the device's peaks, which are exact because they only grow at allocation.
Without a GPU every statistic is 0, as in a CPU build of torch.
"""

import sys

__all__ = [
    "empty_cache", "max_memory_allocated", "max_memory_reserved", "mem_get_info",
    "memory_allocated", "memory_reserved", "memory_stats", "reset_max_memory_allocated",
    "reset_peak_memory_stats",
]  # fmt: skip


def _cuda():
    return sys.modules["mytorch.cuda"]


class _PeakTracker:
    """An allocator around CuPy's: after each allocation it notes the pool's used and total
    bytes of the current device if they are new peaks."""

    def __init__(self, xp, allocator):
        self.allocator = allocator
        self.pool = xp.get_default_memory_pool()
        self.peak_allocated = {}
        self.peak_reserved = {}

    def __call__(self, size):
        mem = self.allocator(size)
        dev = mem.device_id
        used = self.pool.used_bytes()
        if used > self.peak_allocated.get(dev, 0):
            self.peak_allocated[dev] = used
        total = self.pool.total_bytes()
        if total > self.peak_reserved.get(dev, 0):
            self.peak_reserved[dev] = total
        return mem

    def reset(self, dev, used, total):
        self.peak_allocated[dev] = used
        self.peak_reserved[dev] = total


_trackers = {}  # id(array module) -> its _PeakTracker


def track(xp):
    """Wrap ``xp``'s current allocator in a peak tracker (once per array module)."""
    t = _trackers.get(id(xp))
    current = xp.cuda.get_allocator()
    if t is None or current is not t:
        t = _trackers[id(xp)] = _PeakTracker(xp, current)
        xp.cuda.set_allocator(t)
    return t


def _on(device):
    """(array module, device index, tracker) for a statistic; None without a GPU."""
    cuda = _cuda()
    if not cuda.is_available():
        return None
    xp = cuda._xp()
    return xp, cuda._device_index(device), track(xp)


def _pool_bytes(device):
    """(used, total) bytes of the pool on ``device``; None without a GPU."""
    on = _on(device)
    if on is None:
        return None
    xp, index, _ = on
    pool = xp.get_default_memory_pool()
    with xp.cuda.Device(index):
        return pool.used_bytes(), pool.total_bytes()


def memory_allocated(device=None):
    """Matches torch.cuda.memory_allocated: bytes held by live tensors on the device."""
    b = _pool_bytes(device)
    return 0 if b is None else b[0]


def memory_reserved(device=None):
    """Matches torch.cuda.memory_reserved: bytes the memory pool holds on the device."""
    b = _pool_bytes(device)
    return 0 if b is None else b[1]


def max_memory_allocated(device=None):
    """Matches torch.cuda.max_memory_allocated: the peak of memory_allocated since the start or
    the last reset_peak_memory_stats."""
    on = _on(device)
    if on is None:
        return 0
    return max(on[2].peak_allocated.get(on[1], 0), memory_allocated(device))


def max_memory_reserved(device=None):
    """Matches torch.cuda.max_memory_reserved."""
    on = _on(device)
    if on is None:
        return 0
    return max(on[2].peak_reserved.get(on[1], 0), memory_reserved(device))


def reset_peak_memory_stats(device=None):
    """Matches torch.cuda.reset_peak_memory_stats: the peaks restart from the current values."""
    on = _on(device)
    if on is None:
        raise AssertionError(_cuda()._NO_CUDA)
    used, total = _pool_bytes(device)
    on[2].reset(on[1], used, total)


def reset_max_memory_allocated(device=None):
    """Matches torch.cuda.reset_max_memory_allocated (a deprecated spelling of the above)."""
    reset_peak_memory_stats(device)


def memory_stats(device=None):
    """Matches torch.cuda.memory_stats for the keys the pool knows ({} without a GPU)."""
    b = _pool_bytes(device)
    if b is None:
        return {}
    return {
        "allocated_bytes.all.current": b[0],
        "allocated_bytes.all.peak": max_memory_allocated(device),
        "reserved_bytes.all.current": b[1],
        "reserved_bytes.all.peak": max_memory_reserved(device),
    }


def empty_cache():
    """Matches torch.cuda.empty_cache: frees the pool's cached blocks on every device."""
    cuda = _cuda()
    if not cuda.is_available():
        return
    xp = cuda._xp()
    pool = xp.get_default_memory_pool()
    for i in range(cuda.device_count()):
        with xp.cuda.Device(i):
            pool.free_all_blocks()


def mem_get_info(device=None):
    """Matches torch.cuda.mem_get_info: (free, total) bytes of the device."""
    xp = _cuda()._need_gpu()
    with xp.cuda.Device(_cuda()._device_index(device)):
        free, total = xp.cuda.runtime.memGetInfo()
    return int(free), int(total)
