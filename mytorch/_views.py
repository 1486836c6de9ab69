"""Views and in-place writes: how a view shares its base's memory and version counter, how its
history is replayed after the base changes, and how an in-place op rewrites the history of the
tensor it writes to (and of that tensor's base, torch's CopySlices).
"""

from mytorch import _backends
from mytorch._core import (
    _ensure_vc,
    _grad_mode,
    _record1,
    _wrap,
    apply1,
)


class ViewInfo:
    """How a view was made from its base: the view ops from the base (op, params, input shape,
    input dtype), the counter version its grad_fn was made at, and, for a piece of split,
    chunk or unbind, the grad_fn name that forbids in-place writes to it."""

    __slots__ = ("chain", "version", "multi")

    def __init__(self, chain, version, multi):
        self.chain = chain
        self.version = version
        self.multi = multi


def make_view(op, t, out, params):
    """Mark result ``out`` of view op ``op`` on ``t`` as a view: it shares ``t``'s base, memory
    and version counter, and remembers the view ops that made it from the base."""
    base = t._base if t._base is not None else t
    vc = _ensure_vc(base)
    out._base = base
    out._vc = vc
    step = ((op, params, t._data.shape, t._data.dtype),)
    info = t._view
    out._view = ViewInfo(step if info is None else info.chain + step, vc.version, None)
    return out


def _apply_view(op, t, kernel, params):
    """apply1 for a view op: the result shares memory with ``t`` when the kernel made a view
    (reshape copies when it must, and is then no view)."""
    x = t._data
    out = kernel(x, *params) if params else kernel(x)
    if t._requires_grad and _grad_mode.enabled:
        res = _record1(op, out, t, params)
    else:
        res = _wrap(out)
    if op.view == 1 or _backends.for_array(x).shares_memory(out, x):
        make_view(op, t, res, params)
    return res


def _refresh_view(t):
    """After an in-place write through another alias of its base, a view's history is the
    replay of its view ops on the base (torch regenerates it the same way)."""
    info = t._view
    vc = t._vc
    if info.version == vc.version:
        return
    info.version = vc.version
    base = t._base
    if base._requires_grad and _grad_mode.enabled:
        v = replay_view(base, info.chain)
        t._grad_fn = v._grad_fn
        t._output_nr = 0
        t._requires_grad = True


def replay_view(base, chain):
    """The view ops of ``chain`` applied again to ``base`` (a new view with a fresh history)."""
    v = base
    for op, params, shape, dtype in chain:
        v = apply1(op, v, params)
    return v


def _raise_modified(t, fn, version, expected):
    """torch's error for a saved tensor that an in-place op changed after it was saved."""
    shape = "[" + ", ".join(str(s) for s in t._data.shape) + "]"
    which = ""
    if fn is not None:
        name = fn.name()
        while name and name[-1].isdigit():
            name = name[:-1]
        if name.endswith("Backward"):
            name = name[: -len("Backward")]
        which = f", which is output {t._output_nr} of {name},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.type()} {shape}]{which} is at version {version}; expected version "
        f"{expected} instead. Hint: enable anomaly detection to find the operation that failed "
        "to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


INTERNAL = ["_apply_view", "_refresh_view", "_raise_modified"]
