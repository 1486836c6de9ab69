"""Ops over several tensors (cat, stack, where, ...): applyn, on one device, with one Node."""

from mytorch import _promotion as P
from mytorch._core import (
    _CPU,
    SAVE_OUT,
    SAVE_XY,
    Node,
    TensorBase,
    _edge,
    _F,
    _grad_mode,
    _wrap,
)


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
    return out


def applyn(op, inputs, params=()):
    """Run an op over a tuple of tensors and scalars (cat, stack, where, ...), all on one device."""
    tensors = [t for t in inputs if isinstance(t, TensorBase)]
    for t in tensors:
        if t._view is not None:
            _F._refresh_view(t)
    be, arrays = P.common_backend(tensors)
    it = iter(arrays)
    values = [next(it) if isinstance(t, TensorBase) else t for t in inputs]
    kernel = op.kernel if be is _CPU else getattr(be, op.kname)
    out = kernel(*values, *params)
    if _grad_mode.enabled and out.dtype.kind in "fc":
        for t in tensors:
            if t._requires_grad:
                return _record(op, out, tuple(inputs), params)
    return _wrap(out)
