"""mytorch.autograd.graph (as torch.autograd.graph): the public Node base of every grad_fn, and
the hooks on tensors saved for backward (saved_tensors_hooks, save_on_cpu,
disable_saved_tensors_hooks); and mytorch's own graph-growth guard (live_nodes,
warn_on_graph_growth: see mytorch.autograd._growth).

While a ``saved_tensors_hooks(pack_hook, unpack_hook)`` block is active, every tensor a new
Node saves for its backward (an op's saved inputs and output, an autograd.Function's
``save_for_backward`` tensors) is replaced in the Node by ``pack_hook(tensor)``; the backward
pass reads it back through ``unpack_hook(packed)``, as a tensor with the history of the one
saved (so it differentiates again); as in torch, in-place changes of the saved tensor since are
not checked (the hooks own what was saved). Blocks nest: the innermost one packs.
"""

import abc

from mytorch._core import Node as _Node
from mytorch._core import PackedSaved, TensorBase, _wrap
from mytorch._registry import CORE as _CORE
from mytorch.autograd._growth import (
    GraphGrowthWarning,
    is_graph_growth_warning_enabled,
    live_nodes,
    warn_on_graph_growth,
)

__all__ = [
    "Node",
    "saved_tensors_hooks",
    "save_on_cpu",
    "disable_saved_tensors_hooks",
    "live_nodes",
    "warn_on_graph_growth",
    "is_graph_growth_warning_enabled",
    "GraphGrowthWarning",
]


class Node(abc.ABC):
    """The public base of grad_fn objects: ``isinstance(y.grad_fn, Node)`` holds for every node
    the engine records (AccumulateGrad nodes included). Matches torch.autograd.graph.Node."""

    @abc.abstractmethod
    def name(self):
        """The node's name (``MulBackward0``)."""

    @property
    @abc.abstractmethod
    def next_functions(self):
        """``((node, output_nr), ...)``: where the node's gradients flow."""

    @property
    @abc.abstractmethod
    def metadata(self):
        """A dict for the user's own data."""

    @abc.abstractmethod
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after the node runs; returns a removable handle."""

    @abc.abstractmethod
    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node runs; returns a removable handle."""


Node.register(_Node)


# --- saved tensors hooks --------------------------------------------------------------------
_stack = []  # the active (pack_hook, unpack_hook) pairs, innermost last
_disabled = []  # the error messages of the active disable_saved_tensors_hooks blocks


class _Entry:
    """One saved tensor, packed: what unpacks it and the history it is given back with."""

    __slots__ = ("packed", "unpack", "grad_fn", "requires_grad", "nr", "acc")

    def __init__(self, t, pack, unpack):
        self.grad_fn = t._grad_fn
        self.requires_grad = t._requires_grad
        self.nr = t._output_nr
        self.acc = t._accumulate_node() if t._requires_grad and t._grad_fn is None else None
        self.unpack = unpack
        self.packed = pack(t)

    def get(self):
        r = self.unpack(self.packed)
        if not isinstance(r, TensorBase):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(r).__name__}"
            )
        # NOTE: as torch, the saved tensor's version is not checked: the hooks own what was saved
        # (a packed copy is right after an in-place write to the original).
        t = _wrap(r._data)  # the unpacked values, with the saved tensor's history
        t._grad_fn = self.grad_fn
        t._requires_grad = self.requires_grad
        t._output_nr = self.nr
        t._acc = self.acc
        return t


class _PackedTuple(PackedSaved):
    """A Node's saved inputs with the tensors among them packed: indexing or iterating unpacks
    (Node._saved and Node.inputs read them so)."""

    __slots__ = ("items",)

    def __init__(self, saved, pack, unpack):
        self.items = tuple(
            _Entry(t, pack, unpack) if isinstance(t, TensorBase) else t for t in saved
        )

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        x = self.items[i]
        return x.get() if isinstance(x, _Entry) else x

    def __iter__(self):
        for i in range(len(self.items)):
            yield self[i]


class _PackedOut(PackedSaved):
    """A Node's saved output, packed (Node.out unpacks it)."""

    __slots__ = ("entry",)

    def __init__(self, out, pack, unpack):
        self.entry = _Entry(out, pack, unpack)

    def unpack_out(self, node):
        return self.entry.get()


def _pack_node(node, out):
    """Pack what ``node`` saved (CORE.saved_pack while a saved_tensors_hooks block is active);
    ``out`` is the node's output (None when the node saves no output of its own)."""
    pack, unpack = _stack[-1]
    saved = node.saved
    if type(saved) is tuple and any(isinstance(t, TensorBase) for t in saved):
        node.saved = _PackedTuple(saved, pack, unpack)
    if out is not None and node.out_data is not None:
        node.out_data = _PackedOut(out, pack, unpack)
    return out


# [recorder]: anomaly mode's (mytorch.autograd.anomaly_mode) while it is on: it sees every new
# Node first, then packs as _pack_node does while hooks are active.
RECORDER = [None]


def _set_active():
    # NOTE: CORE.saved_pack is not a provide()d entry: it is on only while hooks are active or
    # anomaly mode is on, so that recording a Node costs one pointer test otherwise.
    rec = RECORDER[0]
    _CORE.saved_pack = rec if rec is not None else (_pack_node if _stack else None)


class saved_tensors_hooks:
    """Matches torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _disabled:
            raise RuntimeError(_disabled[-1])
        _stack.append((self.pack_hook, self.unpack_hook))
        _set_active()
        return self

    def __exit__(self, *exc):
        _stack.pop()
        _set_active()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Matches torch.autograd.graph.save_on_cpu: saved tensors are kept on the CPU and moved
    back to their device when backward reads them."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            return (t.device, t.detach().cpu().clone())

        def unpack(packed):
            device, t = packed
            return t.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Matches torch.autograd.graph.disable_saved_tensors_hooks(error_message): inside it, using
    saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        if _stack:
            raise RuntimeError(self.error_message)
        _disabled.append(self.error_message)
        return self

    def __exit__(self, *exc):
        _disabled.pop()
        return False
