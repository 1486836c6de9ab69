"""The hooks of a graph Node (below mytorch._core, which stores them): Node.register_hook and
register_prehook (torch's node hooks), a leaf's post-accumulate-grad hooks, their removable
handles, and the base of what saved_tensors_hooks leaves in a Node.

A node post-hook is called ``fn(grad_inputs, grad_outputs)`` after the node's backward (the
gradients it passes to its inputs, and those it received) and may return replacement
grad_inputs; a pre-hook ``fn(grad_outputs)`` before it, and may return replacement
grad_outputs. The engine runs them (mytorch._engine).
"""

NH_PRE = 0
NH_POST = 1
NH_ACC = 2


class NodeHooks:
    """A node's own hooks, each list in registration order: pre-hooks, post-hooks, and (on an
    AccumulateGrad node) its leaf's post-accumulate-grad hooks. The engine's tensor hooks stay
    in ``Node.hooks``."""

    __slots__ = ("lists", "metadata")

    def __init__(self):
        self.lists = ([], [], [])
        self.metadata = {}  # Node.metadata: the user's own

    def add(self, kind, fn):
        entry = [fn]  # a fresh object per registration: the handle removes exactly this one
        self.lists[kind].append(entry)
        return HookHandle(self.lists[kind], entry)


def node_hooks(node):
    nh = node.node_hooks
    if nh is None:
        nh = NodeHooks()
        node.node_hooks = nh
    return nh


class HookHandle:
    """What a hook registration returns: ``remove()`` (or leaving a ``with`` block) takes the
    hook off again, as torch.utils.hooks.RemovableHandle does."""

    __slots__ = ("_hooks", "_entry")

    def __init__(self, hooks, entry):
        self._hooks = hooks
        self._entry = entry

    def remove(self):
        hooks = self._hooks
        for i in range(len(hooks)):
            if hooks[i] is self._entry:
                del hooks[i]
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class PackedSaved:
    """Base of what saved_tensors_hooks (mytorch.autograd.graph) leaves in a Node's ``saved``
    or ``out_data``: it unpacks on access."""

    __slots__ = ()
