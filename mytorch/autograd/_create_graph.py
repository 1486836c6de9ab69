"""The process-wide meaning of ``autograd.grad(create_graph=None)`` as a context manager (the
switch itself is in mytorch._autograd, read by grad() as a C int in the compiled build)."""

import functools

from mytorch._autograd import get_create_graph_default, set_create_graph_default


class create_graph_default:
    """Within ``with create_graph_default(False):``, ``autograd.grad(create_graph=None)`` means
    False, as in torch; ``create_graph_default(True)`` is mytorch's default (the grad mode).
    The previous setting comes back on exit. Also a decorator. The setting is process-wide."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = None

    def __enter__(self):
        self._prev = set_create_graph_default(self._mode)
        return None

    def __exit__(self, *exc):
        set_create_graph_default(self._prev)
        return False

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = set_create_graph_default(mode)
            try:
                return func(*args, **kwargs)
            finally:
                set_create_graph_default(prev)

        return wrapper


__all__ = ["create_graph_default", "get_create_graph_default", "set_create_graph_default"]
