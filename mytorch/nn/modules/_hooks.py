"""mytorch.nn.modules._hooks: Module's hook registration methods, the handle a registration
returns, and the machinery of full backward hooks (identity autograd Functions around a
module's inputs and outputs)."""

import functools
import itertools
import weakref
from collections import OrderedDict

from mytorch.autograd import Function
from mytorch._core import TensorBase

__all__ = [
    "RemovableHandle",
    "BackwardHook",
    "HookMethods",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]


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


# --- the hooks common to all modules (torch.nn.modules.module's register_module_*) ----------
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()
_global_buffer_registration_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()


def _add_global(hooks, hook, extra_dict=None):
    handle = RemovableHandle(hooks, extra_dict=extra_dict)
    hooks[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """``hook(module, args)`` runs before every module's forward (before the module's own
    pre-hooks). Matches torch.nn.modules.module.register_module_forward_pre_hook."""
    return _add_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """``hook(module, args, output)`` (or ``(module, args, kwargs, output)``) runs after every
    module's forward. Matches torch.nn.modules.module.register_module_forward_hook."""
    handle = _add_global(
        _global_forward_hooks,
        hook,
        extra_dict=[_global_forward_hooks_with_kwargs, _global_forward_hooks_always_called],
    )
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook):
    """``hook(module, grad_output)`` for every module, before the module's own backward
    pre-hooks. Matches torch.nn.modules.module.register_module_full_backward_pre_hook."""
    return _add_global(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """``hook(module, grad_input, grad_output)`` for every module, before the module's own
    backward hooks. Matches torch.nn.modules.module.register_module_full_backward_hook."""
    return _add_global(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook):
    """``hook(module, name, buffer)`` runs whenever a buffer is registered; it may return a
    replacement. Matches torch.nn.modules.module.register_module_buffer_registration_hook."""
    return _add_global(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """``hook(module, name, submodule)`` runs whenever a submodule is registered; it may return
    a replacement. Matches torch.nn.modules.module.register_module_module_registration_hook."""
    return _add_global(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """``hook(module, name, param)`` runs whenever a parameter is registered; it may return a
    replacement. Matches torch's register_module_parameter_registration_hook."""
    return _add_global(_global_parameter_registration_hooks, hook)


def _registered(hooks, module, name, value):
    """``value`` as the registration hooks leave it."""
    for hook in hooks.values():
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


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


class _PublicPostHook:
    """A state_dict post hook registered through the public API (it must return None)."""

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, *args):
        return self.hook(*args)


class HookMethods:
    """Module's hook registration methods (Module derives from this class)."""

    # --- hooks ---------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``(module, args, kwargs)`` with ``with_kwargs``) runs
        before forward; it may return new args. Matches torch's."""
        handle = RemovableHandle(
            self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs
        )
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(
        self, hook, *, prepend=False, with_kwargs=False, always_call=False
    ):  # fmt: skip
        """``hook(module, args, output)`` (or ``(module, args, kwargs, output)``) runs after
        forward; it may return a new output. Matches torch's."""
        handle = RemovableHandle(
            self._forward_hooks,
            extra_dict=[self._forward_hooks_with_kwargs, self._forward_hooks_always_called],
        )
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _check_hook_kind(self, full):
        if self._is_full_backward_hook is not None and self._is_full_backward_hook != full:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them."
            )
        self._is_full_backward_hook = full

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are
        known; it may return new ones. Matches torch's."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients of the module's
        tensor inputs are known; it may return new ones. Matches torch's."""
        self._check_hook_kind(True)
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before state_dict. Matches torch's."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after state_dict (it
        edits ``state_dict`` in place). Matches torch's."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = _PublicPostHook(hook)
        return handle

    def _register_state_dict_hook(self, hook):
        """The older form of the post hook: a hook that returns a dict replaces the result."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before a module loads. Matches torch's."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = (
            functools.partial(hook, self) if with_module else hook
        )
        return handle

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after a module loaded; it may edit the
        key lists in place. Matches torch's."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle
