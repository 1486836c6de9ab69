"""Views and in-place writes: how a view shares its base's memory and version counter, how its
history is replayed after the base changes, and how an in-place op rewrites the history of the
tensor it writes to (and of that tensor's base, torch's CopySlices).
"""

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False

import numpy as np

from mytorch import _backends
from mytorch._applyn import applyn
from mytorch._core import (
    _FW,
    Node,
    TensorBase,
    _full_like,
    _ensure_vc,
    _record1,
    _wrap,
    apply1,
)
from mytorch._grad_mode import _grad_mode, _grad_on, _set_grad_enabled
from mytorch import _registry
from mytorch._registry import OPS
from mytorch._registry import F as _F


class ViewInfo:
    """How a view was made from its base: the view ops from the base (op, params, input shape,
    input dtype), the counter version its grad_fn was made at, and, for a piece of split,
    chunk or unbind, the grad_fn name that forbids in-place writes to it."""

    __slots__ = ("chain", "version", "multi", "no_grad")

    def __init__(self, chain, version, multi, no_grad=False):
        self.chain = chain
        self.version = version
        self.multi = multi
        self.no_grad = no_grad  # made with grad mode off from a base that requires grad


def make_view(op, t, out, params):
    """Mark result ``out`` of view op ``op`` on ``t`` as a view: it shares ``t``'s base, memory
    and version counter, and remembers the view ops that made it from the base."""
    base = t._base if t._base is not None else t
    vc = _ensure_vc(base)
    out._base = base
    out._vc = vc
    step = ((op, params, t._data.shape, t._data.dtype),)
    info = t._view
    no_grad = (not (_grad_on() if _COMPILED else _grad_mode.enabled) and base._requires_grad) or (
        info is not None and info.no_grad
    )
    # A view of a piece of split/chunk/unbind is one too: torch names its own op in the error.
    multi = None
    if info is not None and info.multi is not None:
        multi = op.node_name.replace("Backward0", "").replace("Backward", "")
    out._view = ViewInfo(step if info is None else info.chain + step, vc.version, multi, no_grad)
    return out


def _apply_view(op, t, kernel, params):
    """apply1 for a view op: the result shares memory with ``t`` when the kernel made a view
    (reshape copies when it must, and is then no view)."""
    x = t._data
    out = kernel(x, *params) if params else kernel(x)
    if t._requires_grad and (_grad_on() if _COMPILED else _grad_mode.enabled):
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
    if info.multi is not None and t._grad_fn is not None:
        raise RuntimeError(
            f"Output {t._output_nr} of {info.multi} is a view and its base or another view of its "
            "base has been modified inplace. This view is the output of a function that returns "
            "multiple views. Such functions do not allow the output views to be modified "
            "inplace. You should replace the inplace operation by an out-of-place one."
        )
    info.version = vc.version
    base = t._base
    if base._requires_grad and (_grad_on() if _COMPILED else _grad_mode.enabled):
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


def _raise_freed():
    """torch's error for a saved tensor read after backward freed it."""
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward."
    )


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


# --- in-place writes ------------------------------------------------------------------------
def _unview(x, chain):
    """Scatter ``x`` (a view's shape) into its base's shape through the VJPs of the view ops
    (differentiable, so the history of an in-place write through a view stays exact)."""
    for op, params, shape, dtype in reversed(chain):
        n = Node()
        n.op = op
        n.params = params
        n.shapes = (shape,)
        n.dtypes = (dtype,)
        x = op.vjp(n, x)
        if isinstance(x, tuple):
            x = x[0]
    return x


def _snapshot(s):
    """A copy of saved tensor ``s``'s values with its history (what an in-place op's own Node
    must keep of the tensor it overwrites)."""
    d = s._data
    c = _wrap(_backends.for_array(d).copy_array(d))
    c._grad_fn = s._grad_fn
    c._requires_grad = s._requires_grad
    c._output_nr = s._output_nr
    return c


def _aliases(s, t):
    return s is t or (t._vc is not None and s._vc is t._vc)


def _check_writable(t, grad):
    """torch's errors for an in-place write that cannot keep gradients right."""
    d = t._data
    for n, st in zip(d.shape, getattr(d, "strides", ())):
        if st == 0 and n > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
    if not grad:
        return
    base = t._base
    if base is not None and t._view.no_grad:
        raise RuntimeError(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You "
            "can clarify your code by moving both the view and the inplace either both inside the "
            "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
            "want the inplace to be tracked)."
        )
    if base is None:
        if t._grad_fn is None and t._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        return
    multi = t._view.multi
    if multi is not None and t._requires_grad:
        raise RuntimeError(
            f"Output {t._output_nr} of {multi} is a view and is being modified inplace. This "
            "view is the output of a function that returns multiple views. Such functions do "
            "not allow the output views to be modified inplace. You should replace the inplace "
            "operation by an out-of-place one."
        )
    if base._grad_fn is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def _commit_inplace(t, r):
    """Make ``t`` hold ``r``, its new value computed out of place from its old one: r's values
    are written into t's memory, the version counter moves on, and with grad mode on t's
    history becomes r's (through its base's for a view, torch's CopySlices)."""
    if t._view is not None:
        _refresh_view(t)
    if r._data.shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t._data.shape)} doesn't match the broadcast shape "
            f"{list(r._data.shape)}"
        )
    if r.dtype is not t.dtype:
        if r.dtype.category > t.dtype.category:
            raise RuntimeError(
                f"result type {r.dtype.title} can't be cast to the desired output type "
                f"{t.dtype.title}"
            )
    grad = (_grad_on() if _COMPILED else _grad_mode.enabled) and (
        t._requires_grad or r._requires_grad or (t._base is not None and t._base._requires_grad)
    )
    _check_writable(t, grad)
    if grad:
        if not r._requires_grad:
            r = _F.copy(t, r)  # a new value that ignores the old one: zero gradient to it
        node = r._grad_fn
        if node is not None and node.saved is not None:
            saved = list(node.saved)
            for i, s in enumerate(saved):
                if hasattr(s, "_vc") and _aliases(s, t):
                    saved[i] = _snapshot(s)
                    if node.versions is not None:
                        vs = list(node.versions)
                        vs[i] = 0
                        node.versions = tuple(vs)
            node.saved = tuple(saved)
        if r.dtype is not t.dtype:
            r = _F.to_dtype(r, t.dtype)
    d = t._data
    rd = r._data
    if rd.dtype != d.dtype:
        rd = _backends.for_array(rd).to_dtype(rd, d.dtype)  # a kernel: on rd's device
    t._data = _backends.for_array(d).assign(d, rd)
    vc = _ensure_vc(t)
    vc.version += 1
    if grad:
        if t._base is None:
            node = r._grad_fn
            t._grad_fn = node
            t._output_nr = r._output_nr
            t._requires_grad = True
            if node is not None and node.out_data is r._data:
                node.out_data = t._data  # the Node's saved output is t's memory from now on
                node.out_vc = vc
                node.out_version = vc.version
        else:
            _copy_slices(t, r)
    if _FW[0] is not None:  # forward AD: t's tangent becomes r's
        _FW[0].inplace(t, r)
    return t


def _copy_slices(v, r):
    """The history of an in-place write of ``r`` through view ``v``: the base becomes its old
    self with the view's region replaced by ``r`` (torch's CopySlices), and ``v`` the same view
    of the new base."""
    base = v._base
    chain = v._view.chain
    prev = _set_grad_enabled(False)
    try:
        mask = _F.ne(_unview(_full_like(v, 1), chain), 0)
    finally:
        _set_grad_enabled(prev)
    old = _wrap(base._data)
    old._grad_fn = base._grad_fn
    old._requires_grad = base._requires_grad
    old._output_nr = base._output_nr
    new = applyn(_copy_slices_op(), (mask, _unview(r, chain), old))
    base._grad_fn = new._grad_fn
    base._output_nr = 0
    base._requires_grad = True
    w = replay_view(base, chain)
    v._grad_fn = w._grad_fn
    v._output_nr = 0
    v._requires_grad = True
    v._view.version = base._vc.version


_ops = {}


def _copy_slices_op():
    """The grad_fn of a base written through one of its views: where(region, new, old)."""
    op = _ops.get("CopySlices")
    if op is None:
        op = _ops["CopySlices"] = OPS["where"].variant("torch::autograd::CopySlices")
    return op


_PLAIN = (np.dtype(np.float32), np.dtype(np.float64))


def _inplace_ufunc(t, other, name):
    """``t <op>= other`` in one pass when it needs no history (grad mode off, or nothing that
    requires grad) and is plainly NumPy's ufunc ``name`` writing into t's memory: t a CPU
    float32/float64 array not a view, ``other`` a Python number or a tensor of t's dtype and
    shape (or 0-d) that is not a view. True when done; False leaves it to _commit_inplace (an
    out-of-place result copied in)."""
    if t._view is not None or t._base is not None:
        return False
    d = t._data
    if type(d) is not np.ndarray or d.dtype not in _PLAIN or not d.flags.writeable:
        return False
    if not (d.flags.c_contiguous or d.flags.f_contiguous):
        return False
    grad_on = _grad_on() if _COMPILED else _grad_mode.enabled
    if isinstance(other, TensorBase):
        if other._view is not None or (grad_on and other._requires_grad):
            return False
        od = other._data
        if type(od) is not np.ndarray or od.dtype != d.dtype:
            return False
        if od.shape != d.shape and od.ndim != 0:
            return False
    elif type(other) is float or type(other) is int:
        od = other
    else:
        return False
    if grad_on and t._requires_grad:
        return False
    _backends.for_array(d).binary_into(name, d, od)
    _ensure_vc(t).version += 1
    return True


def _bump_version(t):
    """Count a write into ``t``'s memory that needs no history (grad mode off)."""
    _ensure_vc(t).version += 1


# mytorch._core reaches these through the registry (it stands below this module); Tensor's
# in-place methods reach the rest as F._commit_inplace and so on.
_registry.provide(
    refresh_view=_refresh_view,
    apply_view=_apply_view,
    raise_freed=_raise_freed,
    raise_modified=_raise_modified,
)
INTERNAL = ["_commit_inplace", "_check_writable", "_bump_version", "_inplace_ufunc"]
_registry.register_functions(globals(), INTERNAL)
