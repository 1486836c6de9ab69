"""Ops over several tensors (cat, stack, where, ...): applyn, on one device, with one Node; and
ops with several outputs (max along a dim, sort, split, ...): apply_multi, with one Node."""

from mytorch import _backends
from mytorch import _promotion as P
from mytorch._core import (
    _CPU,
    SAVE_OUT,
    SAVE_XY,
    Node,
    TensorBase,
    _FW,
    _edge,
    _wrap,
)
from mytorch._grad_mode import _grad_on
from mytorch._registry import CORE as _CORE


def _record(op, out_data, inputs, params):
    """Wrap a result and, as grad mode asks, record the Node that produced it."""
    out = _wrap(out_data)
    node = Node()
    node.op = op
    nxt = []
    shapes = []
    dtypes = []
    for t in inputs:
        if isinstance(t, TensorBase):
            tt = t
            nxt.append(_edge(tt) if tt._requires_grad else None)
            shapes.append(tt._data.shape)
            dtypes.append(tt._data.dtype)
        else:
            nxt.append(None)
            shapes.append(None)
            dtypes.append(None)
    node.next = tuple(nxt)
    node.shapes = tuple(shapes)
    node.dtypes = tuple(dtypes)
    node.params = params
    nrs = tuple(t._output_nr if isinstance(t, TensorBase) else 0 for t in inputs)
    if any(nrs):
        node.next_nr = nrs
    save = op.save
    if save & SAVE_XY:
        node.saved = inputs
        vs = tuple(
            t._vc.version if isinstance(t, TensorBase) and t._vc is not None else 0 for t in inputs
        )
        if any(vs):
            node.versions = vs
    if save & SAVE_OUT:
        node.out_data = out_data
    out._grad_fn = node
    out._requires_grad = True
    return out if _CORE.saved_pack is None else _CORE.saved_pack(node, out)  # saved_tensors_hooks


def applyn(op, inputs, params=()):
    """Run an op over a tuple of tensors and scalars (cat, stack, where, ...), all on one device."""
    if _FW[0] is not None:
        return _FW[0](applyn, op, inputs, params)
    tensors = [t for t in inputs if isinstance(t, TensorBase)]
    for t in tensors:
        if t._view is not None:
            _CORE.refresh_view(t)
    be, arrays = P.common_backend(tensors)
    it = iter(arrays)
    values = [next(it) if isinstance(t, TensorBase) else t for t in inputs]
    kernel = op.kernel if be is _CPU else op.kernel_on(be)
    try:
        out = kernel(*values, *params)
    except ValueError:
        # operands that do not broadcast (where): torch's RuntimeError naming the first pair
        shaped = [v for v in values if hasattr(v, "shape")]
        for i in range(len(shaped)):
            for j in range(i + 1, len(shaped)):
                e = P.broadcast_error(op, shaped[i], shaped[j])
                if "must match" in str(e):
                    raise e from None
        raise
    if _grad_on() and out.dtype.kind in "fcV":
        for t in tensors:
            if t._requires_grad:
                return _record(op, out, tuple(inputs), params)
    return _wrap(out)


def apply_multi(op, input, params=(), kernel=None, save=()):
    """Run a one-input op with several outputs (max along a dim, sort, split, ...).

    The kernel (``op``'s, or ``kernel`` when given) returns a tuple of arrays. With grad mode on
    and ``input`` requiring grad, ONE Node records the application: ``n_outputs`` is the number
    of outputs, each float output has that Node as its grad_fn and its position as its output
    number, integer outputs (indices) never require grad. The outputs at positions ``save``
    are kept in ``node.saved`` for the VJP, which is called with one gradient per output (None
    where an output received none: VJPs materialise what they need, see ``materialize``).
    """
    if _FW[0] is not None:
        return _FW[0](apply_multi, op, (input,), params, kernel, save)
    t = input
    if t._view is not None:
        _CORE.refresh_view(t)
    x = t._data
    if kernel is None:
        be = _backends.for_array(x)
        kernel = op.kernel if be is _CPU else op.kernel_on(be)
    arrays = kernel(x, *params)
    outs = tuple(_wrap(a) for a in arrays)
    if not (t._requires_grad and _grad_on()):
        return outs
    node = Node()
    node.op = op
    node.params = params
    node.next = (_edge(t),)
    if t._output_nr != 0:
        node.next_nr = (t._output_nr,)
    node.shapes = (x.shape,)
    node.dtypes = (x.dtype,)
    node.n_outputs = len(outs)
    for i in range(len(outs)):
        out = outs[i]
        if out._data.dtype.kind in "fcV":
            out._grad_fn = node
            out._requires_grad = True
            out._output_nr = i
    if save:
        node.saved = tuple(outs[i] for i in save)
    if _CORE.saved_pack is not None:
        _CORE.saved_pack(node, None)  # saved_tensors_hooks, anomaly mode
    return outs


def materialize(grads, metas):
    """The gradients a multi-output VJP receives, with zeros for the outputs that received
    none; ``metas`` gives each output's (shape, NumPy dtype, backend), None for an output that
    gets no zeros (not a tensor). Called from inside the VJP, as torch's backward formulas
    (and, for autograd.Function, its ``materialize_grads``) fill in undefined gradients."""
    out = []
    for g, m in zip(grads, metas):
        if g is None and m is not None:
            shape, npdt, be = m
            g = _wrap(be.full(shape, 0, npdt))
        out.append(g)
    return tuple(out)


def applyn_multi(op, inputs, params=()):
    """Run an op over several tensors (one device) with several outputs (an RNN cell's step:
    (h, c) from gates and c), recording ONE Node. Its VJP reads the inputs (the op saves them:
    ``node.inputs``, version-checked) and is called with one gradient per output (None where
    one received none)."""
    if _FW[0] is not None:
        return _FW[0](applyn_multi, op, inputs, params)
    for t in inputs:
        if t._view is not None:
            _CORE.refresh_view(t)
    be, arrays = P.common_backend(inputs)
    kernel = op.kernel if be is _CPU else op.kernel_on(be)
    outs = tuple(_wrap(a) for a in kernel(*arrays, *params))
    if not _grad_on() or not any(t._requires_grad for t in inputs):
        return outs
    node = _record(op, outs[0]._data, tuple(inputs), params)._grad_fn
    node.n_outputs = len(outs)
    for i in range(len(outs)):
        out = outs[i]
        out._grad_fn = node
        out._requires_grad = True
        out._output_nr = i
    return outs
