"""The registry: what an op is (Op), every primitive by name, and every torch-named function
by name.

The op families (mytorch._ops.*) declare their primitives with ``register_op`` and list their
functions in ``__all__``; mytorch._ops registers those. Tensor methods and operators reach ops
and functions through this module at call time, which keeps the package's imports one-way:
the families stand on mytorch._core, and mytorch._core never imports a family.
"""

from mytorch import _backends

_CPU = _backends.CPU

OPS = {}  # op name -> Op


class Op:
    """A differentiable primitive: its kernel, what its Node saves, and its VJP.

    ``kname`` names the kernel every backend supplies; ``kernel`` is the CPU backend's, bound
    once. ``vjp(node, grad)`` returns one gradient per input (a Tensor or None) and is written
    with mytorch ops only, so the backward pass can itself be differentiated.
    """

    __slots__ = (
        "name", "kname", "kernel", "vjp", "save", "kind", "node_name", "elementwise", "view"
    )  # fmt: skip

    def __init__(self, name, kname, vjp, save, kind, node_name, elementwise=False, view=0):
        self.name = name
        self.kname = kname
        self.kernel = getattr(_CPU, kname) if kname is not None else None
        self.vjp = vjp
        self.save = save
        self.kind = kind
        self.node_name = node_name
        # A one-input op whose result has its input's shape and, for a float input, dtype:
        # its Node keeps no input shape and dtype (see _record2).
        self.elementwise = elementwise
        # 1: the result is a view of the input; 2: it is when the kernel did not copy.
        self.view = view

    def variant(self, node_name, view=None):
        """The same primitive under another grad_fn name (PyTorch names overloads apart)."""
        return Op(
            self.name,
            self.kname,
            self.vjp,
            self.save,
            self.kind,
            node_name,
            self.elementwise,
            self.view if view is None else view,
        )

    def __repr__(self):
        return f"<mytorch op {self.name}>"


class _Functions:
    """The torch-named functions as attributes: ``F.sum(x, 1)`` is ``mytorch.sum(x, 1)``."""

    def __repr__(self):
        return f"<mytorch functions: {len(vars(self))} registered>"


F = _Functions()


class HotOps:
    """The ops behind Tensor's arithmetic and comparison operators, in C fields of one object,
    so that ``x + y`` reaches its Op without a dictionary lookup."""

    __slots__ = ("add", "sub", "rsub", "mul", "div", "neg", "lt", "le", "gt", "ge", "eq", "ne")


HOT = HotOps()


def register_op(op):
    """Record a primitive under its name; a name is declared once."""
    if op.name in OPS:
        raise RuntimeError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    if op.name in HotOps.__slots__:
        setattr(HOT, op.name, op)
    return op


def register_functions(module, names):
    """Record ``module``'s functions of those names (a family's __all__ and internals)."""
    for name in names:
        if hasattr(F, name) and getattr(F, name) is not getattr(module, name):
            raise RuntimeError(f"function {name!r} is exported by two op families")
        setattr(F, name, getattr(module, name))
