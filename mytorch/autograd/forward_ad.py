"""mytorch.autograd.forward_ad: forward-mode AD through dual tensors, as torch's.

A dual tensor is a tensor with a tangent at the open dual level (one level at a time, as in
torch). While a level is open, every op application (apply1, apply2, applyn, apply_multi,
applyn_multi in mytorch._core and mytorch._applyn) goes through ``_Hook``: the op runs as usual
and, when one of its inputs has a tangent, the output's tangent is computed

- by a rule of its own for the cheap cases: linear ops (views, sum, mean, cat, ...: the op
  itself on the tangents), add/sub/mul/div/matmul, and ops with a diagonal Jacobian (the
  elementwise one- and two-input ops: there the VJP applied to the tangent is the JVP);
- elsewhere by transposing the op's VJP: with ``u`` a cotangent that requires grad,
  ``g = vjp(u)`` is built with a graph and the tangent is ``d <g, t> / du``.

Tangents are written in mytorch ops, so they are differentiable (reverse over forward) with
respect to the primals and the tangents they came from. When no level is open, the only cost
to an op is the check of one module global (``mytorch._core._FW``).

A custom ``autograd.Function`` gives its tangents by its ``jvp`` staticmethod, as in torch.
Not supported: complex tensors (their tangents follow no conjugation convention here), and an
in-place write through a view of a dual tensor that has no tangent of its own updates only the
view's tangent. Composites that return a detached value when no input requires grad (clamp
with tensor bounds) or take their value from a no_grad computation (lstsq) give such values no
or a wrong tangent (tests/ops/test_op_db_forward_ad.py lists them).
"""

import weakref
from typing import NamedTuple

from mytorch import _backends
from mytorch._applyn import apply_multi, applyn, applyn_multi
from mytorch._autograd import grad
from mytorch._core import (
    _FW,
    SAVE_OUT,
    SAVE_XY,
    Node,
    TensorBase,
    _edge,
    _ensure_vc,
    _wrap,
    apply1,
    apply2,
)
from mytorch._grad_mode import _grad_on, _set_grad_enabled
from mytorch._registry import KIND_BINARY, KIND_DIV
from mytorch._registry import VMAP as _VMAP
from mytorch._registry import F as _F
from mytorch.autograd.function import FunctionCtx

__all__ = [
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "dual_level",
]


class UnpackedDualTensor(NamedTuple):
    """What unpack_dual returns: the primal (a view without tangent) and its tangent."""

    primal: object
    tangent: object


_state = {"level": -1}
# id(tensor) -> (weak reference to the tensor, its tangent) at the open level.
_TANGENTS = {}


def _set_hook(hook):
    """Install forward AD's op hook in the hot path (None: none); returns the previous one.
    While vmap is active its hook stays first and forward AD's goes under it."""
    slot = _FW if _VMAP[1] is None else _VMAP
    prev = slot[0]
    slot[0] = hook
    return prev


def _tangent(t):
    e = _TANGENTS.get(id(t))
    if e is not None and e[0]() is t:
        return e[1]
    # A Node's saved output read back by its VJP (node.out) is a new tensor over the output's
    # data: it finds the output's tangent through the Node.
    fn = t._grad_fn
    if fn is not None and fn.out_data is t._data:
        e = _TANGENTS.get(id(fn))
        if e is not None and e[0]() is fn:
            return e[1]
    return None


def _set_tangent(t, tangent):
    """Give ``t`` (a tensor, or a Node for its saved output) its tangent at the open level."""
    key = id(t)

    def drop(ref, key=key):
        e = _TANGENTS.get(key)
        if e is not None and e[0] is ref:
            del _TANGENTS[key]

    _TANGENTS[key] = (weakref.ref(t, drop), tangent)


# --- the public API ---------------------------------------------------------------------------
def enter_dual_level():
    """Matches torch.autograd.forward_ad.enter_dual_level (one level at a time)."""
    if _state["level"] >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state["level"] = 0
    _set_hook(_HOOK)
    return 0


def exit_dual_level(*, level=None):
    """Matches torch.autograd.forward_ad.exit_dual_level: the tangents of the level go."""
    current = _state["level"]
    if level is None:
        level = current
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != current:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    _set_hook(None)
    _TANGENTS.clear()
    _state["level"] = -1


class dual_level:
    """Matches torch.autograd.forward_ad.dual_level: a context manager (or decorator) that
    opens a dual level for its block."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


def _is_fc(t):
    return t.dtype.is_floating_point or t.dtype.is_complex


def _alias(t):
    """A view of ``t`` (differentiable to it) made with forward AD paused: no tangent."""
    prev = _set_hook(None)
    try:
        return t.view_as(t)
    finally:
        _set_hook(prev)


def make_dual(tensor, tangent, *, level=None):
    """Matches torch.autograd.forward_ad.make_dual: a view of ``tensor`` carrying ``tangent``."""
    if level is None:
        level = _state["level"]
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    if not _is_fc(tensor):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not _is_fc(tangent):
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )
    if level != _state["level"]:
        raise RuntimeError("Invalid level given to _make_dual")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    if _tangent(tensor) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {level} is not supported."
        )
    if tangent.device != tensor.device:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different device than that of the "
            "original Tensor, this is not supported."
        )
    out = _alias(tensor)
    _set_tangent(out, tangent)
    return out


def unpack_dual(tensor, *, level=None):
    """Matches torch.autograd.forward_ad.unpack_dual: (primal view, tangent or None)."""
    if level is None:
        level = _state["level"]
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, TensorBase):
        raise TypeError(
            "_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
            f"{type(tensor).__name__}"
        )
    return UnpackedDualTensor(_alias(tensor), _tangent(tensor))


# --- the op hook ----------------------------------------------------------------------------
class _Hook:
    """Runs an op with forward AD paused, then gives its outputs their tangents."""

    def __call__(self, fn, op, inputs, params, kernel=None, save=()):
        tans = [_tangent(x) if isinstance(x, TensorBase) else None for x in inputs]
        prev = _set_hook(None)
        try:
            if fn is apply1:
                out = apply1(op, inputs[0], params)
            elif fn is apply2:
                out = apply2(op, inputs[0], inputs[1], params)
            elif fn is apply_multi:
                out = apply_multi(op, inputs[0], params, kernel, save)
            else:
                out = fn(op, inputs, params)
            for t in tans:
                if t is not None:
                    _propagate(fn, op, tuple(inputs), params, (kernel, save), out, tans)
                    break
        finally:
            _set_hook(prev)
        return out

    def function(self, cls, args):
        """A custom autograd.Function: its forward runs on the primals (forward AD paused) and
        its ``jvp(ctx, *tangents)`` gives the outputs' tangents (zeros for tensor inputs
        without one, None for other arguments), as torch's."""
        tans = [_tangent(a) if isinstance(a, TensorBase) else None for a in args]
        ctx = FunctionCtx()
        prev = _set_hook(None)
        try:
            out = cls.apply(*args, _ctx=ctx)
            if all(t is None for t in tans):
                return out
            full = [
                t if t is not None else (_F.zeros_like(a) if isinstance(a, TensorBase) else None)
                for a, t in zip(args, tans)
            ]
            touts = cls.jvp(ctx, *full)
            outs = out if isinstance(out, tuple) else (out,)
            touts = touts if isinstance(touts, tuple) else (touts,)
            for o, t in zip(outs, touts):
                if isinstance(o, TensorBase) and isinstance(t, TensorBase) and _float(o):
                    _set_tangent(o, _fit(t, o))
        finally:
            _set_hook(prev)
        return out

    def inplace_view(self, t, v):
        """``t`` becomes its view ``v`` in place (squeeze_, t_, ...): so does its tangent."""
        if _tangent(t) is not None:
            _set_tangent(t, _tangent(v))

    def inplace(self, t, r):
        """``t`` was overwritten in place with ``r``'s values: its tangent becomes r's."""
        rt = _tangent(r)
        tt = _tangent(t)
        if rt is None and tt is None:
            return
        prev = _set_hook(None)
        try:
            if rt is None:
                rt = _F.zeros_like(t)
            elif rt.shape != t.shape or rt.dtype != t.dtype:
                rt = _fit(rt, t)
            if tt is None:
                _set_tangent(t, rt)
                return
            # Written into the tangent's memory, so views of it (the tangents of t's views
            # and of its base) see the write too.
            d = tt._data
            tt._data = _backends.for_array(d).assign(d, rt._data)
            _ensure_vc(tt).version += 1
        finally:
            _set_hook(prev)


_HOOK = _Hook()


def _fit(tan, out):
    """A tangent of ``out``'s dtype and shape."""
    if tan.dtype != out.dtype:
        tan = _F.to_dtype(tan, out.dtype)
    if tan.shape != out.shape:
        tan = _F.expand(tan, out.shape)
    return tan


def _float(t):
    return isinstance(t, TensorBase) and t._data.dtype.kind in "fV"


def _propagate(fn, op, inputs, params, extra, out, tans):
    kernel, save = extra
    multi = isinstance(out, tuple)
    outs = out if multi else (out,)
    if not any(_float(o) for o in outs):
        return
    # The tangents keep a graph only where one can be wanted (grad mode on and a primal or a
    # tangent requiring grad): the VJPs below run on stand-ins that require grad.
    graph = _grad_on() and (
        any(t is not None and t._requires_grad for t in tans)
        or any(isinstance(x, TensorBase) and x._requires_grad for x in inputs)
    )
    res = None
    if fn is apply_multi and op.name in _LINEAR_MULTI:
        res = list(apply_multi(op, tans[0], params, kernel, save))
    elif not multi:
        r = _rule(fn, op, inputs, params, out, tans)
        if r is not None:
            res = [r]
    if res is None:
        res = _transposed(fn, op, inputs, params, save, outs, tans, graph)
    for o, t in zip(outs, res):
        if t is not None and _float(o):
            t = _fit(t, o)
            if not graph and t._requires_grad:
                t = t.detach()
            _set_tangent(o, t)
            fn = o._grad_fn
            if fn is not None and fn.out_data is o._data:
                _set_tangent(fn, t)


# One-input ops that are linear in their input: the tangent is the op on the tangent.
_LINEAR1 = {
    "neg", "sum", "mean", "clone", "to_dtype", "to_device", "getitem", "cumsum", "flip", "roll",
    "tril", "triu", "sum_to", "conj_physical", "real", "imag", "diagonal", "permute",
    "transpose", "expand", "reshape", "unfold",
}  # fmt: skip
_LINEAR_N = {"cat", "stack", "where"}
_LINEAR_MULTI = {"split", "unbind"}
# Multi-output ops whose function puts the input first in the Node's saved tensors.
_SAVES_INPUT_FIRST = {"linalg_slogdet"}
# Two-input ops whose result dtype follows the binary rule but that are not pointwise (their
# VJP is not diagonal): the convolution primitives.
_NOT_DIAGONAL2 = {"conv_forward", "conv_input_grad", "conv_weight_grad"}


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _rule(fn, op, inputs, params, out, tans):
    """The tangent by a rule of the op's own, or None where it has none."""
    name = op.name
    if fn is apply1:
        ta = tans[0]
        if op.view == 1 or name in _LINEAR1:
            return apply1(op, ta, params)
        if op.elementwise and not out.dtype.is_complex:
            node = _node(fn, op, inputs, params, (), (out,), tans)
            g = op.vjp(node, ta)
            return g[0] if isinstance(g, tuple) else g
        return None
    if fn is apply2:
        a, b = inputs
        ta, tb = tans
        if name == "add":
            return _add(ta, tb)
        if name in ("sub", "rsub"):
            return _add(ta, None if tb is None else -tb)
        if name == "mul":
            return _add(None if ta is None else ta * b, None if tb is None else a * tb)
        if name == "div":
            num = _add(ta, None if tb is None else -(out * tb))
            return num / b
        if name == "matmul":
            return _add(
                None if ta is None else apply2(op, ta, b, params),
                None if tb is None else apply2(op, a, tb, params),
            )
        if op.kind in (KIND_BINARY, KIND_DIV) and name not in _NOT_DIAGONAL2:
            if out.dtype.is_complex:
                return None
            node = _node(fn, op, inputs, params, (), (out,), tans)
            res = None
            for k, t in enumerate(tans):
                if t is None:
                    continue
                if t.shape != out.shape:
                    t = _F.expand(t, out.shape)
                g = op.vjp(node, t)[k]
                if g is None or g.shape != out.shape:
                    return None  # its VJP reduces: transposed instead
                res = _add(res, g)
            return res
        return None
    if fn is applyn and op.name in _LINEAR_N:
        args = []
        for x, t in zip(inputs, tans):
            if t is not None:
                args.append(t)
            elif _float(x):
                args.append(_F.zeros_like(x))
            elif isinstance(x, (bool, int, float)):
                args.append(0.0)  # a constant operand of where
            else:
                args.append(x)
        return applyn(op, tuple(args), params)
    return None


def _stand_in(x):
    """A tensor with ``x``'s data that requires grad, wired into ``x``'s history when ``x``
    has one (so the VJP built on it differentiates back to ``x``), else into its own."""
    a = _wrap(x._data, True)
    if x._requires_grad:
        e = _edge(x)
        if e.variable is not None:
            a._acc = e
        else:
            a._grad_fn = e
            a._output_nr = x._output_nr
    return a


def _node(fn, op, inputs, params, save, outs, tans):
    """A Node of the op's application as its recording would make it, with an edge for every
    floating input (so its VJP gives each one a gradient)."""
    node = Node()
    node.op = op
    node.params = params
    stand = []
    nxt = []
    nrs = []
    shapes = []
    dtypes = []
    for x, t in zip(inputs, tans):
        if t is not None:
            s = _stand_in(x)
            stand.append(s)
            nxt.append(_edge(s))
            nrs.append(s._output_nr)
        else:
            stand.append(x)
            nxt.append(None)
            nrs.append(0)
        if isinstance(x, TensorBase):
            shapes.append(x._data.shape)
            dtypes.append(x._data.dtype)
        else:
            shapes.append(None)
            dtypes.append(None)
    node.next = tuple(nxt)
    if any(nrs):
        node.next_nr = tuple(nrs)
    if not (fn is apply1 and op.elementwise):
        node.shapes = tuple(shapes)
        node.dtypes = tuple(dtypes)
    if fn is apply_multi:
        node.n_outputs = len(outs)
        saved = []
        for i in save:
            o = _wrap(outs[i]._data)
            if _float(outs[i]):
                o._grad_fn = node
                o._requires_grad = True
                o._output_nr = i
            saved.append(o)
        if op.name in _SAVES_INPUT_FIRST:
            saved.insert(0, stand[0])
        if saved:
            node.saved = tuple(saved)
        return node
    if fn is applyn_multi:
        node.n_outputs = len(outs)
    if op.save & SAVE_XY:
        node.saved = tuple(stand)
    if op.save & SAVE_OUT:
        node.out_data = outs[0]._data
    return node


def _transposed(fn, op, inputs, params, save, outs, tans, graph):
    """The tangents of the outputs by transposing the op's VJP: d <vjp(u), t> / du."""
    node = _node(fn, op, inputs, params, save, outs, tans)
    prev = _set_grad_enabled(True)
    try:
        us = [_F.zeros_like(o).requires_grad_() if _float(o) else None for o in outs]
        if fn is apply_multi or fn is applyn_multi:
            grads = op.vjp(node, *us)
        else:
            grads = op.vjp(node, us[0])
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        s = None
        for g, t in zip(grads, tans):
            if g is None or t is None:
                continue
            s = _add(s, (g * t).sum())
        live = [u for u in us if u is not None]
        if s is None or not s._requires_grad:
            return [None] * len(outs)
        got = grad(s, live, create_graph=graph, retain_graph=graph, allow_unused=True)
    finally:
        _set_grad_enabled(prev)
    it = iter(got)
    res = []
    for u in us:
        g = next(it) if u is not None else None
        res.append(g)
    return res
