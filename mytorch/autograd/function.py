"""User-defined differentiable functions: mytorch.autograd.Function (as torch.autograd.Function)."""

import functools

from mytorch import _backends
from mytorch._applyn import materialize
from mytorch._core import KIND_SAME, SAVE_NONE, Node, TensorBase, _edge, _ensure_vc, _wrap
from mytorch._registry import CORE as _CORE
from mytorch._registry import Op
from mytorch._grad_mode import _set_grad_enabled, is_grad_enabled, no_grad


class FunctionCtx:
    """The ``ctx`` passed to forward and backward."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.dirty_tensors = ()
        self.saved_for_forward = None
        self.materialize_grads = True
        self._node = None  # the Node recorded for this application, once there is one

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        """Keeps ``tensors`` for the Function's ``jvp`` (forward mode), as torch does."""
        for t in tensors:
            if not (isinstance(t, TensorBase) or t is None):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should "
                    "save non-tensors as attributes on ctx."
                )
        self.saved_for_forward = tensors

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
        """The inputs that forward modified in place (and returns): they take the Function's
        node as their history, and their version counters are bumped once more."""
        self.dirty_tensors = tensors

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
    ``backward(ctx, *grads)``, or with ``forward(*args)`` and a static
    ``setup_context(ctx, inputs, output)`` that fills ``ctx`` afterwards.

    ``forward`` may return one tensor or a tuple (tensors and other objects); ``backward`` then
    gets one gradient per output (zeros, or None after ``ctx.set_materialize_grads(False)``,
    for outputs that received none; ``ctx.mark_non_differentiable`` outputs and integer ones
    do not require grad). ``backward`` written with mytorch ops is differentiable again, like
    any built-in VJP (unless it is decorated with ``once_differentiable``). An input marked
    with ``ctx.mark_dirty`` was modified in place: it is returned itself, with the Function's
    node as its history. ``jvp`` and ``vmap`` (or ``generate_vmap_rule = True``) are kept on
    the class for forward mode and vmap.
    """

    _op = None
    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        pass

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a.requires_grad for a in args)
        prev = _set_grad_enabled(False)
        try:
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args)
            else:
                out = cls.forward(*args)
                cls.setup_context(ctx, args, out)
        finally:
            _set_grad_enabled(prev)
        if ctx.saved_for_forward is not None:
            # As torch: read during the application only (forward mode's jvp will read it).
            ctx._for_forward = ctx.saved_for_forward
            ctx.saved_for_forward = None
        if not (is_grad_enabled() and any(ctx.needs_input_grad)):
            for t in ctx.dirty_tensors:
                _ensure_vc(t).version += 1
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
        dirty = _check_dirty(ctx.dirty_tensors, args, outs)
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
            if id(o) in dirty:
                r = o  # modified in place: the input itself takes the new history
                _ensure_vc(r).version += 1
            else:
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
        versions = tuple(
            t._vc.version if isinstance(t, TensorBase) and t._vc is not None else 0 for t in saved
        )
        if any(versions):
            node.versions = versions
        node.saved = saved
        if _CORE.saved_pack is not None:
            _CORE.saved_pack(node, None)  # saved_tensors_hooks (mytorch.autograd.graph)
        ctx._node = node
        return tuple(results) if is_tuple else results[0]

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod "
            "or set generate_vmap_rule=True."
        )


def _check_dirty(dirty, args, outs):
    """The ids of the tensors marked dirty, checked as torch checks them: each is an input that
    forward returns, and none is a leaf that requires grad."""
    ids = set()
    inputs = {id(a) for a in args if isinstance(a, TensorBase)}
    returned = {id(o) for o in outs if isinstance(o, TensorBase)}
    for t in dirty:
        if id(t) not in inputs:
            raise RuntimeError("mark_dirty can only be called on input tensors")
        if id(t) not in returned:
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as "
                "output. The inputs that are modified inplace must all be outputs of the Function."
            )
        if t._grad_fn is None and t._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation."
            )
        if t._base is not None:
            raise NotImplementedError(
                "mytorch: autograd.Function.mark_dirty on a view is not supported"
            )
        ids.add(id(t))
    return ids


class _DelayedError(Function):
    """The node behind the gradients a ``once_differentiable`` backward returns while a graph
    is recorded: differentiating through it raises torch's error."""

    @staticmethod
    def forward(ctx, *tensors):
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


_DelayedError._op = Op("DelayedError", None, _function_vjp, SAVE_NONE, KIND_SAME, "DelayedError")


def once_differentiable(fn):
    """Matches torch.autograd.function.once_differentiable: ``backward`` runs under no_grad;
    when a graph is being recorded its gradients lead to a node that raises if it is
    differentiated again."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not is_grad_enabled():
            return outputs
        if not any(isinstance(a, TensorBase) and a.requires_grad for a in args):
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        aliases = []
        for o in outs:
            if isinstance(o, TensorBase):
                o = o.detach()
                o.requires_grad_(True)
            aliases.append(o)
        wrapped = _DelayedError.apply(*aliases)
        return wrapped if isinstance(outputs, tuple) else wrapped[0]

    return wrapper
