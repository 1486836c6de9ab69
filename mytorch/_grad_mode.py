"""Grad mode (thread-local) and its switches: no_grad, enable_grad, set_grad_enabled and
inference_mode, as context managers and decorators."""

import functools
import threading


class _GradMode(threading.local):
    enabled = True


# NOTE: read by mytorch._core on every op (``_grad_mode.enabled``): one thread-local lookup.
_grad_mode = _GradMode()


def is_grad_enabled():
    """Matches torch.is_grad_enabled (thread-local)."""
    return _grad_mode.enabled


def _set_grad_enabled(mode):
    """Set grad mode for this thread and return the previous mode."""
    prev = _grad_mode.enabled
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


class inference_mode(_GradModeContext):
    """Matches torch.inference_mode (here the same as no_grad)."""

    def __init__(self, mode=True):
        self._mode = not mode


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


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled"]
