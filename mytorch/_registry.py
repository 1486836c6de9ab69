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

# Which inputs and outputs a Node keeps for its VJP.
SAVE_NONE = 0
SAVE_X = 1
SAVE_Y = 2
SAVE_XY = 3
SAVE_OUT = 4

# How an op picks its result dtype from its inputs' (PyTorch's rules, see _dtype.result_type).
KIND_SAME = 0  # dtype of the first input (neg, reshape, sum_to, ...)
KIND_BINARY = 1  # promoted dtype of both inputs (add, mul, ...)
KIND_FLOAT = 2  # like SAME, but integers and bool compute in the default float type (exp, ...)
KIND_DIV = 3  # like BINARY, then integers and bool go to the default float dtype
KIND_COMPARE = 4  # promoted like BINARY to compute, result is bool, never differentiable
KIND_MATMUL = 5  # both inputs must share one dtype (PyTorch does not promote in matmul)


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


class CoreHooks:
    """The functions of the op-application slow path that mytorch._core calls but cannot import
    (their modules stand above it). Each is provided once, by the module that owns it."""

    __slots__ = ("promote2", "broadcast_error", "refresh_view", "apply_view", "raise_freed",
                 "raise_modified", "backward")  # fmt: skip

    def __init__(self):
        for name in CoreHooks.__slots__:
            setattr(self, name, None)


CORE = CoreHooks()


def sync(t):
    """The one door to a tensor's state for code outside the op hot path: a view whose base (or
    a sibling view) was written in place since its history was made has that history replayed
    from its base first. Every reader of a tensor's history (grad_fn, requires_grad, the
    engine's seeds and inputs, printing, numpy()) goes through here or through apply."""
    if t._view is not None:
        CORE.refresh_view(t)
    return t


def provide(**functions):
    """Fill entries of CORE (``provide(refresh_view=fn)``); each entry is provided once."""
    for name, fn in functions.items():
        if getattr(CORE, name) is not None:
            raise RuntimeError(f"core hook {name!r} is provided twice")
        setattr(CORE, name, fn)


def register_op(op):
    """Record a primitive under its name; a name is declared once."""
    if op.name in OPS:
        raise RuntimeError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    if op.name in HotOps.__slots__:
        setattr(HOT, op.name, op)
    return op


def register_functions(namespace, names):
    """Record the functions of those names from a module's namespace (``globals()``): an op
    family's __all__ and internals, or a module's own INTERNAL list."""
    for name in names:
        fn = namespace[name]
        if hasattr(F, name) and getattr(F, name) is not fn:
            raise RuntimeError(f"function {name!r} is exported by two op families")
        setattr(F, name, fn)
