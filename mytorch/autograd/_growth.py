"""mytorch.autograd._growth (re-exported by mytorch.autograd.graph): a count of the live graph
nodes and a guard against a graph that keeps growing across training iterations (mytorch's own
additions; torch has no equivalent).

The guard's rule. While it is on, every backward pass (``Tensor.backward``,
``autograd.backward``, ``autograd.grad``) ends by counting the live graph nodes
(:func:`live_nodes`). When the count has grown at each of the last ``passes`` passes (``passes + 1``
counts, each larger than the one before), the guard collects garbage (``gc.collect()``) and
counts again; if the count is still larger than it was ``passes`` passes ago, it warns with a
:class:`GraphGrowthWarning` at the user's line that ran the backward pass (the first frame outside
mytorch), naming the variables of that frame that hold a graph larger than the one just
differentiated, then starts over. A training loop whose graph is freed each iteration keeps a
steady count and never warns; ``total_loss += loss`` (a tensor with grad history accumulated over
iterations) or gradients kept across iterations while they carry a graph (``autograd.grad``'s
default ``create_graph=None`` when grad mode is on) add nodes at every pass and warn after
``passes`` of them. A model whose graph legitimately grows for ``passes`` passes in a row (e.g. a
sequence length that increases each step) warns too: raise ``passes`` or turn the guard off.

Cost: the compiled build keeps a C counter of live Nodes (a few nanoseconds per Node); the pure
build counts them through the garbage collector when asked (a few milliseconds per call, only
while the guard is on or when :func:`live_nodes` is called).
"""

import gc
import os
import sys
import warnings

from mytorch import _autograd
from mytorch._core import Node, TensorBase
from mytorch._core import _live_nodes as _compiled_count

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class GraphGrowthWarning(UserWarning):
    """The autograd graph kept growing across backward passes (see warn_on_graph_growth)."""


def live_nodes():
    """How many autograd graph nodes (grad_fns and leaves' AccumulateGrad nodes) are alive now.

    A steady training loop keeps this number steady from one iteration to the next. Both builds
    count the Nodes that are unreachable but not yet collected by the garbage collector.
    """
    return _live_nodes()


def _live_nodes():
    n = _compiled_count()  # the C counter kept by Node's __cinit__/__dealloc__
    if n >= 0:
        return n
    # NOTE: the pure build counts the Nodes among the objects gc tracks (every Node is): a few
    # ms per call, and nothing per op, where a Python __del__ would cost about 170 ns per Node.
    n = 0
    for o in gc.get_objects():
        if type(o) is Node:
            n += 1
    return n


class _Guard:
    """The guard's state: process-wide, like the switch that turns it on."""

    enabled = False
    passes = 10
    counts = []  # the counts after the recent passes (at most passes + 1)


def _graph_size(node, limit=1_000_000):
    """How many Nodes are reachable from ``node`` (its whole backward graph), up to ``limit``."""
    seen = {id(node)}
    stack = [node]
    while stack and len(seen) < limit:
        n = stack.pop()
        for nxt in n.next:
            if nxt is not None and id(nxt) not in seen:
                seen.add(id(nxt))
                stack.append(nxt)
    return len(seen)


def _holders(frame, floor):
    """The variables of ``frame`` that hold a graph larger than ``floor`` nodes, or several
    tensors with grad history (a list of gradients kept across iterations), largest first."""
    found = []
    for name, value in frame.f_locals.items():
        if isinstance(value, TensorBase):
            fn = value._grad_fn
            if fn is not None:
                size = _graph_size(fn)
                if size > floor:
                    found.append((size, f"`{name}` holds a graph of {size} nodes"))
        elif isinstance(value, (list, tuple, dict)):
            items = value.values() if isinstance(value, dict) else value
            n = 0
            for v in items:
                if isinstance(v, (list, tuple)):  # e.g. a list of autograd.grad results
                    n += sum(1 for w in v if isinstance(w, TensorBase) and w._grad_fn is not None)
                elif isinstance(v, TensorBase) and v._grad_fn is not None:
                    n += 1
            if n > 1:
                found.append((n, f"`{name}` holds {n} tensors with grad history"))
    found.sort(key=lambda p: -p[0])
    return [text for _, text in found[:3]]


def _user_frame():
    """The innermost frame outside mytorch and its stacklevel as seen from _after_backward."""
    frame = sys._getframe(2)  # _after_backward's caller: its stacklevel there is 2
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return frame, level


def _after_backward(outputs):
    """Called at the end of every backward pass while the guard is on."""
    counts = _Guard.counts
    n = _live_nodes()
    if counts and n <= counts[-1]:
        del counts[:]
    counts.append(n)
    passes = _Guard.passes
    if len(counts) <= passes:
        return
    first = counts[0]
    del counts[:]
    gc.collect()
    n = _live_nodes()
    if n <= first:
        return
    frame, level = _user_frame()
    floor = 0
    for t in outputs:
        if isinstance(t, TensorBase) and t._grad_fn is not None:
            floor = max(floor, _graph_size(t._grad_fn))
    where = "" if frame is None else f" at {frame.f_code.co_filename}:{frame.f_lineno}"
    held = [] if frame is None else _holders(frame, floor)
    message = (
        f"the autograd graph grew at each of the last {passes} backward passes{where}: "
        f"{first} -> {n} live graph nodes. "
        + ("; ".join(held) + ". " if held else "")
        + "A tensor with grad history kept across iterations keeps every iteration's graph "
        "alive: accumulate `loss.item()` or `loss.detach()` (not `loss`), and keep gradients "
        "from autograd.grad with create_graph=False (or set_create_graph_default(False))."
    )
    warnings.warn(message, GraphGrowthWarning, stacklevel=level)


class warn_on_graph_growth:
    """Turn the graph-growth guard on (``mode=True``) or off, process-wide.

    It takes effect at once; used with ``with``, the previous setting comes back on exit.
    ``passes``: how many backward passes in a row must grow the graph before it warns (see the
    module's docstring for the exact rule).
    """

    def __init__(self, mode=True, passes=10):
        if int(passes) < 1:
            raise ValueError(f"warn_on_graph_growth: passes must be at least 1, got {passes}")
        self._prev = (_Guard.enabled, _Guard.passes)
        _set_guard(bool(mode), int(passes))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set_guard(*self._prev)
        return False


def _set_guard(mode, passes):
    _Guard.enabled = mode
    _Guard.passes = passes
    _Guard.counts = []
    _autograd._set_after_backward(_after_backward if mode else None)


def is_graph_growth_warning_enabled():
    """Whether the graph-growth guard is on."""
    return _Guard.enabled


__all__ = [
    "live_nodes",
    "warn_on_graph_growth",
    "is_graph_growth_warning_enabled",
    "GraphGrowthWarning",
]
