"""User-defined differentiable functions: mytorch.autograd.Function (as torch.autograd.Function)."""

from mytorch import _core
from mytorch._core import KIND_SAME, SAVE_NONE, Node, TensorBase, _edge
from mytorch._registry import Op
from mytorch._grad_mode import _set_grad_enabled, is_grad_enabled


class FunctionCtx:
    """The ``ctx`` passed to forward and backward."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = value


def _function_vjp(node, g):
    cls, ctx, n_inputs = node.params
    grads = cls.backward(ctx, g)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != n_inputs:
        raise RuntimeError(
            f"function {cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {n_inputs}, got {len(grads)})"
        )
    return grads


class Function:
    """Matches torch.autograd.Function: subclass with static ``forward(ctx, ...)`` and
    ``backward(ctx, grad)``.

    ``backward`` written with mytorch ops is differentiable again, like any built-in VJP.
    Single-tensor outputs only.
    """

    _op = None

    def __init__(self, *args, **kwargs):
        pass

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a.requires_grad for a in args)
        prev = _set_grad_enabled(False)
        try:
            out = cls.forward(ctx, *args)
        finally:
            _set_grad_enabled(prev)
        if not isinstance(out, TensorBase):
            raise NotImplementedError(
                "mytorch: autograd.Function.forward must return a single Tensor"
            )
        if not (is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        op = cls.__dict__.get("_op")
        if op is None:
            op = Op(
                cls.__name__, None, _function_vjp, SAVE_NONE, KIND_SAME, cls.__name__ + "Backward"
            )
            cls._op = op
        res = _core._wrap(out._data)
        node = Node()
        node.op = op
        node.next = tuple(
            _edge(a) if isinstance(a, TensorBase) and a.requires_grad else None for a in args
        )
        node.shapes = tuple(a._data.shape if isinstance(a, TensorBase) else None for a in args)
        node.dtypes = tuple(a._data.dtype if isinstance(a, TensorBase) else None for a in args)
        node.params = (cls, ctx, len(args))
        res._grad_fn = node
        res._requires_grad = True
        return res

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )
