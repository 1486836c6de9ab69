"""mytorch.cuda.streams: torch.cuda's streams and events over CuPy's (``cupy.cuda.Stream``,
``cupy.cuda.Event``). mytorch's kernels run on CuPy's current stream, so ``with
mytorch.cuda.stream(s):`` queues them on ``s``.
"""

import sys

__all__ = [
    "Event", "Stream", "StreamContext", "current_stream", "default_stream", "set_stream",
    "stream",
]  # fmt: skip


def _cuda():
    return sys.modules["mytorch.cuda"]


def _device_obj(index):
    return sys.modules["mytorch._device"].device("cuda", index)  # _device imports mytorch.cuda


class Stream:
    """Matches torch.cuda.Stream: a CUDA stream on ``device`` (the current one by default)."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not _cuda().is_available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        xp = _cuda()._xp()
        index = _cuda()._device_index(device)
        with xp.cuda.Device(index):
            self._xp_stream = kwargs.get("_xp_stream") or xp.cuda.Stream(non_blocking=True)
        self._index = index
        self.priority = priority

    @classmethod
    def _wrap(cls, xp_stream, index):
        s = object.__new__(cls)
        s._xp_stream, s._index, s.priority = xp_stream, index, 0
        return s

    @property
    def device(self):
        return _device_obj(self._index)

    @property
    def cuda_stream(self):
        return self._xp_stream.ptr

    def query(self):
        return bool(self._xp_stream.done)

    def synchronize(self):
        self._xp_stream.synchronize()

    def wait_event(self, event):
        if event._xp_event is not None:
            self._xp_stream.wait_event(event._xp_event)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and (self.cuda_stream, self._index) == (
            other.cuda_stream,
            other._index,
        )

    def __hash__(self):
        return hash((self.cuda_stream, self._index))

    def __repr__(self):
        return f"<torch.cuda.Stream device=cuda:{self._index} cuda_stream={self.cuda_stream:#x}>"


def current_stream(device=None):
    """Matches torch.cuda.current_stream: the stream kernels are queued on."""
    xp = _cuda()._need_gpu()
    index = _cuda()._device_index(device)
    return Stream._wrap(xp.cuda.get_current_stream(), index)


def default_stream(device=None):
    """Matches torch.cuda.default_stream: the device's null stream."""
    xp = _cuda()._need_gpu()
    return Stream._wrap(xp.cuda.Stream.null, _cuda()._device_index(device))


def set_stream(stream):
    """Matches torch.cuda.set_stream: make ``stream`` current (None: nothing)."""
    if stream is not None:
        stream._xp_stream.use()


class StreamContext:
    """Matches torch.cuda.StreamContext: ``stream`` current inside the block (None: nothing),
    on its device."""

    def __init__(self, stream):
        self.stream = stream
        self._prev = None
        self._device = None

    def __enter__(self):
        s = self.stream
        if s is None:
            return s
        xp = _cuda()._xp()
        self._device = xp.cuda.Device(s._index)
        self._device.__enter__()
        self._prev = xp.cuda.get_current_stream()
        s._xp_stream.use()
        return s

    def __exit__(self, *exc):
        if self.stream is not None:
            self._prev.use()
            self._device.__exit__(*exc)
        return False


def stream(stream):
    """Matches torch.cuda.stream: a StreamContext."""
    return StreamContext(stream)


class Event:
    """Matches torch.cuda.Event: made on its first record, on the recording stream's device."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if not _cuda().is_available():
            raise RuntimeError("Tried to instantiate dummy base class Event")
        self.enable_timing = enable_timing
        self.blocking = blocking
        self.interprocess = interprocess
        self._xp_event = None

    def record(self, stream=None):
        if stream is None:
            stream = current_stream()
        if self._xp_event is None:
            xp = _cuda()._xp()
            with xp.cuda.Device(stream._index):
                self._xp_event = xp.cuda.Event(
                    block=self.blocking,
                    disable_timing=not self.enable_timing,
                    interprocess=self.interprocess,
                )
        self._xp_event.record(stream._xp_stream)

    def wait(self, stream=None):
        if stream is None:
            stream = current_stream()
        stream.wait_event(self)

    def query(self):
        return self._xp_event is None or bool(self._xp_event.done)

    def synchronize(self):
        if self._xp_event is not None:
            self._xp_event.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds from this event's record to ``end_event``'s."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._xp_event is None or end_event._xp_event is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        end_event.synchronize()
        return float(_cuda()._xp().cuda.get_elapsed_time(self._xp_event, end_event._xp_event))

    def __repr__(self):
        ptr = 0 if self._xp_event is None else self._xp_event.ptr
        return f"<torch.cuda.Event {ptr:#x}>" if ptr else "<torch.cuda.Event uninitialized>"
