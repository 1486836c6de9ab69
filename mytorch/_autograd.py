"""The engine's entry points, autograd.backward and autograd.grad (compiled with the hot path)."""

import os
import warnings

from mytorch import _backends
from mytorch._core import TensorBase, _full_like, _wrap
from mytorch._engine import run_backward
from mytorch._grad_mode import is_grad_enabled
from mytorch._ops.pointwise import to_device
from mytorch._registry import CORE as _CORE
from mytorch._registry import VMAP as _VMAP
from mytorch._registry import provide

_SCALAR_ONES = _backends.CPU.SCALAR_ONES

# What ``autograd.grad(create_graph=None)`` means, process-wide (a C int in the compiled build):
# 1, mytorch's default: the grad mode (gradients stay differentiable); 0: False, as torch.
# MYTORCH_CREATE_GRAPH_DEFAULT=0 at import selects torch's meaning.
_CG_DEFAULT = 1
_CG_ENV = os.environ.get("MYTORCH_CREATE_GRAPH_DEFAULT", "").strip().lower()
if _CG_ENV in ("0", "false", "no", "off", "torch"):
    _CG_DEFAULT = 0
elif _CG_ENV not in ("", "1", "true", "yes", "on", "mytorch"):
    warnings.warn(
        f"MYTORCH_CREATE_GRAPH_DEFAULT={_CG_ENV!r} is not 0 or 1: keeping mytorch's default (1)",
        RuntimeWarning,
        stacklevel=2,
    )

# Called after each backward pass when the graph-growth guard is on (mytorch.autograd.graph).
_AFTER_BACKWARD = None


def set_create_graph_default(mode):
    """What ``autograd.grad(create_graph=None)`` means from now on, in every thread: True (mytorch's
    default) builds the backward graph whenever grad mode is on; False is torch's detached default.
    Returns the previous setting."""
    global _CG_DEFAULT
    prev = _CG_DEFAULT != 0
    _CG_DEFAULT = 1 if mode else 0
    return prev


def get_create_graph_default():
    """The current meaning of ``create_graph=None`` (see set_create_graph_default)."""
    return _CG_DEFAULT != 0


def _set_after_backward(fn):
    """Install (or remove, with None) the function called after each backward pass."""
    global _AFTER_BACKWARD
    _AFTER_BACKWARD = fn


def _as_tuple(x):
    """The tensors given (one or a sequence), each brought up to date (a view whose base was
    written in place since has its history replayed before backward starts from it)."""
    if isinstance(x, TensorBase):
        t = x
        if t._view is not None:
            _CORE.refresh_view(t)
        return (t,)
    x = tuple(x)
    for v in x:
        if isinstance(v, TensorBase):
            t = v
            if t._view is not None:
                _CORE.refresh_view(t)
    return x


def _make_grads(outputs, grads):
    """The seed gradient of each output: given, or ones for a scalar that requires grad."""
    if grads is None:
        return [_ones_seed(t) for t in outputs]
    grads = _as_tuple(grads) if not isinstance(grads, (int, float)) else (grads,)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grads)} gradients for "
            f"{len(outputs)} outputs"
        )
    return [_given_seed(i, t, g) for i, (t, g) in enumerate(zip(outputs, grads))]


def _ones_seed(t):
    """The implicit seed of a one-element output: a one of its dtype."""
    one = _SCALAR_ONES.get(type(t._data))  # a NumPy scalar's one
    if one is not None:
        return _wrap(one)
    if t._requires_grad and t._data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    return _full_like(t, 1)


def _given_seed(i, t, g):
    """Output ``i``'s seed from the gradient ``g`` the caller gave (None: implicit)."""
    if g is None:
        return _ones_seed(t)
    if not isinstance(g, TensorBase):
        return _full_like(t, g)
    if g.device != t.device and (g._data.ndim != 0 or g.device.type != "cpu"):
        raise RuntimeError(
            f"invalid gradient at index {i} - expected device {t.device} but got {g.device}"
        )
    if g._data.shape != t._data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
            f"has a shape of {t.shape}."
        )
    if g.device != t.device:
        g = to_device(g, t.device)  # a 0-d CPU gradient is a scalar: moved, as torch
    if g._data.dtype != t._data.dtype:
        # As PyTorch's engine does: the seed takes its output's dtype (the engine relies on
        # every gradient having its tensor's dtype).
        g = g.to(t.dtype)
    return g


def backward(
    tensors,
    grad_tensors=None,
    retain_graph=None,
    create_graph=False,
    grad_variables=None,
    inputs=None,
):
    """Matches torch.autograd.backward: leaves accumulate gradients into ``.grad``."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grad_tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(outputs, grads, retain_graph, create_graph, inputs, True)
    if _AFTER_BACKWARD is not None:
        _AFTER_BACKWARD(outputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=None,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Matches torch.autograd.grad, with one deliberate default.

    NOTE: ``create_graph=None`` (the default) means "build the backward graph when grad mode is
    on", so the returned gradients can be differentiated again without asking. Pass
    ``create_graph=False`` for PyTorch's detached result, or make None mean False everywhere, as
    in PyTorch, with ``set_create_graph_default(False)`` (or MYTORCH_CREATE_GRAPH_DEFAULT=0).
    ``retain_graph`` defaults to the resolved ``create_graph``, as in PyTorch.
    """
    if is_grads_batched:
        raise NotImplementedError("mytorch: is_grads_batched is not supported")
    if _VMAP[2] is not None:  # inside vmap: batched outputs or inputs (mytorch.func)
        kw = dict(retain_graph=retain_graph, create_graph=create_graph, allow_unused=allow_unused,
                  materialize_grads=materialize_grads)  # fmt: skip
        r = _VMAP[2](grad, _as_tuple(outputs), _as_tuple(inputs), grad_outputs, kw)
        if r is not NotImplemented:
            return r
    if create_graph is None:
        create_graph = _CG_DEFAULT != 0 and is_grad_enabled()
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not isinstance(t, TensorBase):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, grad_outputs)
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs, False)
    if _AFTER_BACKWARD is not None:
        _AFTER_BACKWARD(outputs)
    for i, g in enumerate(result):
        if g is None:
            if materialize_grads:
                result[i] = _full_like(inputs[i], 0)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
    return tuple(result)


provide(backward=backward)  # Tensor.backward's way to the engine
