"""Grad mode (thread-local) and its switches: no_grad, enable_grad, set_grad_enabled and
inference_mode, as context managers and decorators."""

import functools
import threading

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False


class _GradMode(threading.local):
    enabled = True


# The pure build's per-thread flag. The compiled build keeps it in a C thread-local variable
# (_mt_grad_off, declared in _grad_mode.pxd), which the hot path reads through _grad_on() in
# C: a threading.local attribute cost about 20 ns on every op.
_grad_mode = _GradMode()


def _grad_on():
    """Whether grad mode is on in this thread (what every op reads)."""
    if _COMPILED:
        return not _mt_grad_off  # noqa: F821  (declared in _grad_mode.pxd)
    return _grad_mode.enabled


def is_grad_enabled():
    """Matches torch.is_grad_enabled (thread-local)."""
    return _grad_on()


def _set_grad_enabled(mode):
    """Set grad mode for this thread and return the previous mode."""
    global _mt_grad_off
    prev = _grad_on()
    if _COMPILED:
        _mt_grad_off = not mode
    else:
        _grad_mode.enabled = bool(mode)
    return prev


class _GradModeContext:
    """Base: sets grad mode on enter, restores it on exit; wraps functions when called on one."""

    _mode = True

    def __enter__(self):
        self._prev = _set_grad_enabled(self._mode)
        return None

    def __exit__(self, *exc):
        _set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _set_grad_enabled(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _set_grad_enabled(prev)

        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Matches torch.no_grad: ops inside record no graph."""

    _mode = False

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):  # used as a bare decorator: @no_grad
            return self(func)
        return self

    def __init__(self, func=None):
        pass


class enable_grad(_GradModeContext):
    """Matches torch.enable_grad."""

    _mode = True


class _InferenceMode(threading.local):
    enabled = False


_inference_mode = _InferenceMode()


def is_inference_mode_enabled():
    """Matches torch.is_inference_mode_enabled (thread-local)."""
    return _inference_mode.enabled


class inference_mode(_GradModeContext):
    """Matches torch.inference_mode: grad mode off, and is_inference_mode_enabled() True
    (tensors made inside are ordinary tensors: mytorch has no inference tensors)."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # used as a bare decorator: @inference_mode
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode=True):
        if callable(mode):
            return  # __new__ has set it up
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self):
        self._prev_inference = _inference_mode.enabled
        _inference_mode.enabled = self._inference
        return super().__enter__()

    def __exit__(self, *exc):
        _inference_mode.enabled = self._prev_inference
        return super().__exit__(*exc)

    def __call__(self, func):
        mode = self._inference

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)(self._inference)


class set_grad_enabled(_GradModeContext):
    """Matches torch.set_grad_enabled: takes effect at once, and restores on exit when used
    with ``with``."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = _set_grad_enabled(self._mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        _set_grad_enabled(self._prev)
        return _GradModeContext.__call__(self, func)


__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]
