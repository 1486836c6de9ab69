"""mytorch.nn.modules._hooks: the handle a hook registration returns, and the machinery of a
Module's full backward hooks (identity autograd Functions around its inputs and outputs)."""

import itertools
import weakref

from mytorch.autograd import Function
from mytorch._core import TensorBase

__all__ = ["RemovableHandle", "BackwardHook"]


class RemovableHandle:
    """What a hook registration returns: ``remove()`` (or leaving a ``with`` block) takes the
    hook off again. Matches torch.utils.hooks.RemovableHandle."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _Identity(Function):
    """Passes its tensors through; its backward hands their gradients to ``ctx.on_grads``,
    which may replace them."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


def _tensor_slots(values):
    """The positions of the tensors in a tuple."""
    return [i for i, v in enumerate(values) if isinstance(v, TensorBase)]


def _replace(values, slots, tensors):
    out = list(values)
    for i, t in zip(slots, tensors):
        out[i] = t
    return tuple(out)


def _check_grads(new, old, what):
    if not isinstance(new, tuple):
        new = tuple(new) if isinstance(new, list) else (new,)
    if len(new) != len(old):
        raise RuntimeError(
            f"Backward hook returned an invalid number of {what} (expected {len(old)}, "
            f"got {len(new)})"
        )
    return new


class BackwardHook:
    """One call's full backward hooks: ``setup_input_hook`` wraps the tensor arguments,
    ``setup_output_hook`` the tensor outputs. The output side runs the pre-hooks (which may
    replace grad_output); the input side runs the hooks with grad_input and grad_output (they
    may replace grad_input). Where no input needs a gradient, the hooks run on the output side
    with grad_input all None, as torch's do."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = 0
        self.input_wrapped = False
        self.grad_outputs = None

    def _run_hooks(self, grad_inputs):
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                grad_inputs = _check_grads(result, grad_inputs, "grad_input")
        return grad_inputs

    def setup_input_hook(self, args):
        slots = _tensor_slots(args)
        self.n_inputs = len(slots)
        tensors = [args[i] for i in slots]
        if not any(t.requires_grad for t in tensors) or not self.hooks:
            return args
        self.input_wrapped = True
        wrapped = _Identity.apply(self._on_input_grads, *tensors)
        return _replace(args, slots, wrapped)

    def _on_input_grads(self, grads):
        grads = self._run_hooks(tuple(grads))
        self.grad_outputs = None
        return grads

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        outs = result if is_tuple else (result,)
        slots = _tensor_slots(outs)
        tensors = [outs[i] for i in slots]
        if not any(t.requires_grad for t in tensors):
            return result
        wrapped = _Identity.apply(self._on_output_grads, *tensors)
        outs = _replace(outs, slots, wrapped)
        return outs if is_tuple else outs[0]

    def _on_output_grads(self, grads):
        grads = tuple(grads)
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                grads = _check_grads(result, grads, "grad_output")
        self.grad_outputs = grads
        if not self.input_wrapped and self.hooks:
            self._run_hooks((None,) * self.n_inputs)
            self.grad_outputs = None
        return grads
