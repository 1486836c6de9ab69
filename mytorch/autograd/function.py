"""User-defined differentiable functions: mytorch.autograd.Function (as torch.autograd.Function)."""

from mytorch import _backends
from mytorch._applyn import materialize
from mytorch._core import KIND_SAME, SAVE_NONE, Node, TensorBase, _edge, _wrap
from mytorch._registry import FORWARD_AD as _FW
from mytorch._registry import Op
from mytorch._grad_mode import _set_grad_enabled, is_grad_enabled


class FunctionCtx:
    """The ``ctx`` passed to forward and backward."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True
        self._node = None  # the Node recorded for this application, once there is one

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    @property
    def saved_tensors(self):
        """The tensors given to save_for_backward (an output of forward as that output, with
        its history); checked, as torch's, against in-place changes since and against a
        backward pass that freed them."""
        node = self._node
        if node is None:
            return self.to_save
        return node.inputs

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def _function_vjp(node, *grads):
    cls, ctx, n_inputs, metas = node.params
    if ctx.materialize_grads:
        grads = materialize(grads, metas)
    out = cls.backward(ctx, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    if len(out) > n_inputs and all(g is None for g in out[n_inputs:]):
        out = out[:n_inputs]  # as torch: trailing Nones beyond the inputs are dropped
    if len(out) != n_inputs:
        raise RuntimeError(
            f"function {cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {n_inputs}, got {len(out)})"
        )
    for i in range(n_inputs):
        g = out[i]
        if g is None:
            continue
        shape = node.shapes[i]
        if shape is None:
            raise RuntimeError(
                f"function {cls.__name__}Backward returned a gradient different than None at "
                f"position {i + 1}, but the corresponding forward input was not a Variable"
            )
        if node.next[i] is not None and not _expandable(shape, g._data.shape):
            raise RuntimeError(
                f"Function {cls.__name__}Backward returned an invalid gradient at index {i} - "
                f"got {list(g._data.shape)} but expected shape compatible with {list(shape)}"
            )
    return out


def _expandable(shape, target):
    """Whether ``shape`` broadcasts to ``target`` (the engine then sums the gradient down)."""
    if len(shape) > len(target):
        return False
    for s, t in zip(reversed(shape), reversed(target)):
        if s != t and s != 1:
            return False
    return True


class Function:
    """Matches torch.autograd.Function: subclass with static ``forward(ctx, ...)`` and
    ``backward(ctx, *grads)``.

    ``forward`` may return one tensor or a tuple (tensors and other objects); ``backward`` then
    gets one gradient per output (zeros, or None after ``ctx.set_materialize_grads(False)``,
    for outputs that received none; ``ctx.mark_non_differentiable`` outputs and integer ones
    do not require grad). ``backward`` written with mytorch ops is differentiable again, like
    any built-in VJP.
    """

    _op = None

    def __init__(self, *args, **kwargs):
        pass

    @classmethod
    def apply(cls, *args, _ctx=None):
        if _FW[0] is not None and _ctx is None:  # forward AD: through the class's jvp
            return _FW[0].function(cls, args)
        ctx = FunctionCtx() if _ctx is None else _ctx
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a.requires_grad for a in args)
        prev = _set_grad_enabled(False)
        try:
            out = cls.forward(ctx, *args)
        finally:
            _set_grad_enabled(prev)
        if not (is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        is_tuple = isinstance(out, tuple)
        outs = out if is_tuple else (out,)
        if not is_tuple and not isinstance(out, TensorBase):
            raise TypeError(
                "mytorch: autograd.Function.forward must return a Tensor or a tuple, got "
                f"{type(out).__name__}"
            )
        op = cls.__dict__.get("_op")
        if op is None:
            op = Op(
                cls.__name__, None, _function_vjp, SAVE_NONE, KIND_SAME, cls.__name__ + "Backward"
            )
            cls._op = op
        node = Node()
        node.op = op
        node.next = tuple(
            _edge(a) if isinstance(a, TensorBase) and a.requires_grad else None for a in args
        )
        nrs = tuple(a._output_nr if isinstance(a, TensorBase) else 0 for a in args)
        if any(nrs):
            node.next_nr = nrs
        node.shapes = tuple(a._data.shape if isinstance(a, TensorBase) else None for a in args)
        node.dtypes = tuple(a._data.dtype if isinstance(a, TensorBase) else None for a in args)
        node.n_outputs = len(outs)
        nondiff = {id(t) for t in ctx.non_differentiable}
        results = []
        metas = []
        for i, o in enumerate(outs):
            if not isinstance(o, TensorBase):
                results.append(o)  # not a tensor: passed through, its gradient is None
                metas.append(None)
                continue
            d = o._data
            r = _wrap(d)
            metas.append((d.shape, d.dtype, _backends.for_array(d)))
            if id(o) not in nondiff and d.dtype.kind in "fcV":
                r._grad_fn = node
                r._requires_grad = True
                r._output_nr = i
            results.append(r)
        node.params = (cls, ctx, len(args), tuple(metas))
        # The saved tensors live in the Node (freed by a backward pass that does not retain the
        # graph); an output saved in forward is saved as that output, with its history.
        by_id = {id(o): r for o, r in zip(outs, results) if isinstance(o, TensorBase)}
        saved = tuple(by_id.get(id(t), t) for t in ctx.to_save)
        node.saved = saved
        versions = tuple(
            t._vc.version if isinstance(t, TensorBase) and t._vc is not None else 0 for t in saved
        )
        if any(versions):
            node.versions = versions
        ctx._node = node
        return tuple(results) if is_tuple else results[0]

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )
