"""CuPy's CUDA runtime as the stand-in device models it (``standin.xp.cuda``): the memory pool
and the allocator, streams, events and the device properties of the runtime API.

Modelled on CuPy 14 (cupy/cuda/memory.pyx, stream.pyx, runtime.pyx):

* every stand-in array that owns memory holds a block from the current allocator
  (``cuda.get_allocator()``, by default ``get_default_memory_pool().malloc``); the block goes
  back to the pool when the last array using it dies (CPython frees at once, as CuPy's
  reference-counted ``PooledMemory``). The pool rounds sizes up to 512 bytes, keeps freed
  blocks cached (``free_bytes``) until ``free_all_blocks``, and reports per device: its
  methods answer for the current device, as CuPy's ``MemoryPool`` does;
* ``runtime.memGetInfo()`` is (free, total) of the current device, of ``TOTAL_MEMORY`` bytes
  less what its pool holds; ``runtime.getDeviceProperties(n)`` has the keys CuPy returns;
* ``Stream``/``Event`` order nothing (the host runs everything at once) but have CuPy's API:
  a current stream per thread (``Stream.use``, ``with stream:``), ``Stream.null``, events that
  record a time, ``get_elapsed_time`` in milliseconds, and CUDA's errors for events created
  with ``disable_timing`` or never recorded.
"""

import itertools
import threading
import time

__all__ = [
    "Event",
    "MemoryPool",
    "Stream",
    "TOTAL_MEMORY",
    "alloc",
    "get_allocator",
    "get_current_stream",
    "get_default_memory_pool",
    "get_elapsed_time",
    "set_allocator",
]

TOTAL_MEMORY = 16 << 30  # bytes per stand-in device
_ALIGN = 512  # CuPy's pool rounds every allocation up to a multiple of this
_ptrs = itertools.count(1 << 20, 1 << 12)


class CUDARuntimeError(RuntimeError):
    """cupy_backends.cuda.api.runtime.CUDARuntimeError."""


class OutOfMemoryError(MemoryError):
    """cupy.cuda.memory.OutOfMemoryError."""


def _device():
    from backends import standin

    return standin._current_id()


# --- memory ---------------------------------------------------------------------------------


class _Block:
    """Device memory of one allocation; returned to its pool when it dies."""

    __slots__ = ("pool", "dev", "size", "ptr")

    def __init__(self, pool, dev, size):
        self.pool, self.dev, self.size, self.ptr = pool, dev, size, next(_ptrs)

    def __del__(self):
        if self.pool is not None:
            self.pool._give_back(self)


class MemoryPointer:
    """cupy.cuda.MemoryPointer: a pointer into a block (``mem``) on ``device_id``."""

    __slots__ = ("mem", "ptr", "device_id")

    def __init__(self, mem, offset=0):
        self.mem = mem
        self.ptr = mem.ptr + offset
        self.device_id = mem.dev


class _DevicePool:
    __slots__ = ("used", "free", "n_free", "limit")

    def __init__(self):
        self.used = self.free = self.n_free = self.limit = 0


class MemoryPool:
    """cupy.cuda.MemoryPool: one pool for every device; each method answers for the current
    device."""

    def __init__(self, allocator=None):
        self._pools = {}

    def _pool(self, dev=None):
        dev = _device() if dev is None else dev
        p = self._pools.get(dev)
        if p is None:
            p = self._pools[dev] = _DevicePool()
        return p

    def malloc(self, size):
        size = -(-int(size) // _ALIGN) * _ALIGN
        dev = _device()
        p = self._pool(dev)
        if p.free >= size:  # a cached block is reused (the model keeps one bucket)
            p.free -= size
            p.n_free = max(p.n_free - 1, 0) if p.free else 0
        else:
            held = p.used + p.free
            if (p.limit and held + size > p.limit) or held + size > TOTAL_MEMORY:
                raise OutOfMemoryError(
                    f"Out of memory allocating {size:,} bytes (allocated so far: {held:,} bytes)."
                )
        p.used += size
        return MemoryPointer(_Block(self, dev, size))

    def _give_back(self, block):
        p = self._pool(block.dev)
        p.used -= block.size
        p.free += block.size
        p.n_free += 1

    def used_bytes(self):
        return self._pool().used

    def free_bytes(self):
        return self._pool().free

    def total_bytes(self):
        p = self._pool()
        return p.used + p.free

    def n_free_blocks(self):
        return self._pool().n_free

    def free_all_blocks(self, stream=None):
        p = self._pool()
        p.free = p.n_free = 0

    def set_limit(self, size=None, fraction=None):
        if fraction is not None:
            size = int(TOTAL_MEMORY * fraction)
        self._pool().limit = int(size or 0)

    def get_limit(self):
        return self._pool().limit


_default_pool = MemoryPool()


def _raw_malloc(size):
    """cudaMalloc without a pool (``set_allocator(None)``): accounted nowhere."""
    block = _Block(None, _device(), int(size))
    return MemoryPointer(block)


_allocator = [_default_pool.malloc]


def get_default_memory_pool():
    return _default_pool


def set_allocator(allocator=None):
    """cupy.cuda.set_allocator: None means cudaMalloc without a pool."""
    _allocator[0] = _raw_malloc if allocator is None else allocator


def get_allocator():
    return _allocator[0]


def alloc(size):
    """cupy.cuda.alloc: ``size`` bytes from the current allocator."""
    return _allocator[0](size)


class PinnedMemoryPointer(bytearray):
    """cupy.cuda.PinnedMemoryPointer: page-locked host memory, a buffer for np.frombuffer."""


def alloc_pinned_memory(size):
    """cupy.cuda.alloc_pinned_memory: ``size`` bytes of page-locked host memory."""
    return PinnedMemoryPointer(int(size))


def _mem_get_info():
    held = _default_pool._pool().used + _default_pool._pool().free
    return TOTAL_MEMORY - held, TOTAL_MEMORY


# --- streams and events ---------------------------------------------------------------------

_local = threading.local()


class Stream:
    """cupy.cuda.Stream: ``null=True`` is the default (legacy) stream, whose ``ptr`` is 0."""

    null = None  # set below

    def __init__(self, null=False, non_blocking=False, ptr=0, priority=None):
        self.ptr = 0 if null else next(_ptrs)
        self.device_id = -1 if null else _device()  # the null stream is every device's
        self.non_blocking = non_blocking
        self.priority = 0 if priority is None else priority
        self._stack = []

    def __eq__(self, other):
        return isinstance(other, Stream) and other.ptr == self.ptr

    def __hash__(self):
        return hash(("stream", self.ptr))

    def __repr__(self):
        return f"<Stream {self.ptr} (device {self.device_id})>"

    def __enter__(self):
        self._stack.append(get_current_stream())
        self.use()
        return self

    def __exit__(self, *exc):
        self._stack.pop().use()
        return False

    def use(self):
        _local.stream = self
        return self

    @property
    def done(self):
        return True

    def synchronize(self):
        pass

    def record(self, event=None):
        if event is None:
            event = Event()
        event.record(self)
        return event

    def wait_event(self, event):
        pass


Stream.null = Stream(null=True)


def get_current_stream(device_id=None):
    return getattr(_local, "stream", Stream.null)


class Event:
    """cupy.cuda.Event: records the host's clock (the stand-in's work is done when queued)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        if interprocess and not disable_timing:
            raise ValueError("Timing must be disabled for interprocess events")
        self.ptr = next(_ptrs)
        self.block = block
        self.disable_timing = disable_timing
        self._time = None

    def record(self, stream=None):
        self._time = time.perf_counter()

    def synchronize(self):
        pass

    @property
    def done(self):
        return True


def get_elapsed_time(start_event, end_event):
    """Milliseconds between two recorded events (cudaEventElapsedTime)."""
    for e in (start_event, end_event):
        if e.disable_timing or e._time is None:
            raise CUDARuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return (end_event._time - start_event._time) * 1e3


# --- the runtime API ------------------------------------------------------------------------


def _properties(index):
    return {
        "name": f"Stand-in GPU {index}".encode(),
        "totalGlobalMem": TOTAL_MEMORY,
        "major": 9,
        "minor": 0,
        "multiProcessorCount": 132,
        "integrated": 0,
        "isMultiGpuBoard": 0,
        "l2CacheSize": 50 << 20,
        "warpSize": 32,
        "maxThreadsPerMultiProcessor": 2048,
        "uuid": bytes(range(index, index + 16)),
        "pciBusID": 0x10 + index,
    }
