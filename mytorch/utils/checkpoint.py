"""mytorch.utils.checkpoint: activation checkpointing (torch.utils.checkpoint).

``checkpoint(function, *args, use_reentrant=False)`` runs ``function`` keeping none of its
intermediate results for backward: backward runs it again (with the RNG state and the autocast
state of the first run, so dropout draws the same mask) and differentiates that recomputation.
The gradients are those of the plain call, for the tensors given as arguments and for every
tensor requiring grad that ``function`` reaches otherwise (a module's parameters, tensors in
a closure): the first run records its graph once to find them, then drops it.

Both ``use_reentrant`` values give these semantics (the non-reentrant one's: ``backward`` and
``autograd.grad`` both work, inputs need not require grad). As in torch, leaving
``use_reentrant`` out warns. Not supported: higher-order gradients through the recomputation,
``context_fn`` other than the default, and ``early_stop``/``determinism_check`` (accepted).
"""

import contextlib
import warnings

from mytorch import _random
from mytorch._autocast import STATE as _AUTOCAST
from mytorch._autograd import grad as _grad
from mytorch._core import Tensor
from mytorch._grad_mode import enable_grad, is_grad_enabled, no_grad
from mytorch.autograd.function import Function

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    """Matches torch.utils.checkpoint.noop_context_fn."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _rng_states():
    return [(g, g.get_state()) for g in list(_random._defaults.values())]


def _set_rng_states(states):
    for g, s in states:
        g.set_state(s)


def _leaves(outputs, skip):
    """The tensors requiring grad at the leaves of the graph behind ``outputs`` (those in
    ``skip``, by id, excepted)."""
    found, seen, todo = [], set(), []
    for o in outputs:
        if o._grad_fn is not None:
            todo.append(o._grad_fn)
        elif o._requires_grad and id(o) not in skip:
            found.append(o)
            seen.add(id(o))
    visited = set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        var = node.variable
        if var is not None:
            if id(var) not in skip and id(var) not in seen:
                seen.add(id(var))
                found.append(var)
            continue
        todo.extend(node.next or ())
    return found


class _Checkpoint(Function):
    """Node of a checkpointed call: inputs = (run, info, *args, *leaves); outputs = the
    outputs of the first run, detached."""

    @staticmethod
    def forward(ctx, run, info, *tensors):
        ctx.run, ctx.info, ctx.tensors = run, info, tensors
        return info["outputs"]

    @staticmethod
    def backward(ctx, *grads):
        info, tensors = ctx.info, ctx.tensors
        nargs = info["nargs"]
        args = [
            t.detach().requires_grad_(t.requires_grad) if isinstance(t, Tensor) else t
            for t in tensors[:nargs]
        ]
        leaves = tensors[nargs:]
        now = _rng_states() if info["rng"] is not None else None
        prev_autocast = (dict(_AUTOCAST.dtypes), _AUTOCAST.on)
        try:
            if info["rng"] is not None:
                _set_rng_states(info["rng"])
            _AUTOCAST.dtypes, _AUTOCAST.on = dict(info["autocast"][0]), info["autocast"][1]
            with enable_grad():
                out = ctx.run(*args)
        finally:
            if now is not None:
                _set_rng_states(now)
            _AUTOCAST.dtypes, _AUTOCAST.on = prev_autocast
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [
            (o, g)
            for o, g in zip(outs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        wanted = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        wanted += [(nargs + j, p) for j, p in enumerate(leaves)]
        result = [None] * len(tensors)
        if pairs and wanted:
            gs = _grad(
                [o for o, _ in pairs],
                [t for _, t in wanted],
                [g for _, g in pairs],
                allow_unused=True,
            )
            for (i, _), g in zip(wanted, gs):
                result[i] = g
        return (None, None, *result)


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=noop_context_fn,
    determinism_check="default",
    debug=False,
    early_stop=True,
    **kwargs,
):
    """Matches torch.utils.checkpoint.checkpoint (see the module's notes)."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if context_fn is not noop_context_fn:
        raise NotImplementedError("mytorch's checkpoint takes no context_fn")
    keys = list(kwargs)
    flat = list(args) + [kwargs[k] for k in keys]
    nargs, npos = len(flat), len(args)

    def run(*xs):
        return function(*xs[:npos], **dict(zip(keys, xs[npos:])))

    if not is_grad_enabled():
        return run(*flat)
    rng = _rng_states() if preserve else None
    autocast = (dict(_AUTOCAST.dtypes), _AUTOCAST.on)
    detached = [
        a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in flat
    ]
    with enable_grad():
        out = run(*detached)  # recorded once, to find the leaves it reaches
    outs = out if isinstance(out, tuple) else (out,)
    tensor_outs = [o for o in outs if isinstance(o, Tensor)]
    leaves = _leaves(tensor_outs, {id(a) for a in detached})
    needs = any(isinstance(a, Tensor) and a.requires_grad for a in flat) or leaves
    if not needs:
        return out
    with no_grad():
        plain = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)
    del out, outs, tensor_outs, detached
    info = {
        "nargs": nargs,
        "rng": rng,
        "autocast": autocast,
        "outputs": plain if len(plain) != 1 or not isinstance(plain[0], Tensor) else plain[0],
    }
    result = _Checkpoint.apply(run, info, *flat, *leaves)
    info["outputs"] = None
    return result


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Matches torch.utils.checkpoint.checkpoint_sequential: ``functions`` (a Sequential or a
    list of modules/functions) in ``segments`` chunks, each but the last checkpointed."""
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)

    def run_segment(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(
            run_segment(start, end),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_segment(end + 1, len(functions) - 1)(input)
