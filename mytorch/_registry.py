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

    ``kname`` names the kernel: a backend method of that name where the backend has one (the
    NumPy reference's own kernels, the compiled overrides), else the function ``xp`` of the
    backend's array module (``xp="expm1"``: ``numpy.expm1`` on the CPU, ``cupy.expm1`` on a
    GPU). ``kernel`` is the CPU backend's, bound once. ``vjp(node, grad)`` returns one gradient
    per input (a Tensor or None) and is written with mytorch ops only, so the backward pass can
    itself be differentiated.
    """

    __slots__ = (
        "name", "kname", "kernel", "vjp", "save", "kind", "node_name", "elementwise", "view", "xp"
    )  # fmt: skip

    def __init__(self, name, kname, vjp, save, kind, node_name, elementwise=False, view=0, xp=None):
        self.name = name
        self.kname = kname
        self.xp = xp
        self.kernel = self.kernel_on(_CPU) if kname is not None else None
        self.vjp = vjp
        self.save = save
        self.kind = kind
        self.node_name = node_name
        # A one-input op whose result has its input's shape and, for a float input, dtype:
        # its Node keeps no input shape and dtype (see _record2).
        self.elementwise = elementwise
        # 1: the result is a view of the input; 2: it is when the kernel did not copy.
        self.view = view

    def kernel_on(self, backend):
        """This op's kernel on ``backend``: its method named ``kname``, else its array module's
        function ``xp``."""
        k = getattr(backend, self.kname, None)
        if k is None and self.xp is not None:
            k = backend.xp_kernel(self.xp)
        if k is None:
            raise NotImplementedError(
                f"mytorch: the {backend.name} backend has no kernel for {self.name}"
            )
        return k

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
            self.xp,
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
                 "raise_modified", "backward", "saved_pack")  # fmt: skip

    def __init__(self):
        for name in CoreHooks.__slots__:
            setattr(self, name, None)


CORE = CoreHooks()

# Forward AD's op hook, [None] unless a dual level is open: every op application checks it
# (mytorch.autograd.forward_ad sets it on entering a level).
FORWARD_AD = [None]
# vmap's state while a vmap level is active (mytorch.func): [the op hook under vmap's (forward
# AD's, below vmap's in FORWARD_AD[0]), the hook of random draws, autograd.grad's hook for
# batched tensors]; else [None, None, None].
VMAP = [None, None, None]


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


# The namespaces a declaration can name, as torch's paths: "torch" is mytorch itself.
NAMESPACE_PATHS = {
    "torch": "mytorch",
    "nn.functional": "mytorch.nn.functional",
    "linalg": "mytorch.linalg",
    "special": "mytorch.special",
    "fft": "mytorch.fft",
}
NAMESPACES = {ns: {} for ns in NAMESPACE_PATHS}  # namespace -> {name: function}
_open = {}  # namespace -> the globals of its module, once that module has opened it


def publish(namespace, name, fn):
    """Export ``fn`` as ``name`` in ``namespace`` (the only way a function reaches a public
    namespace module; a namespace module opened later receives it then)."""
    if namespace not in NAMESPACES:
        raise ValueError(f"unknown namespace {namespace!r}: one of {sorted(NAMESPACE_PATHS)}")
    table = NAMESPACES[namespace]
    if table.get(name, fn) is not fn:
        raise RuntimeError(f"{NAMESPACE_PATHS[namespace]}.{name} is declared twice")
    table[name] = fn
    target = _open.get(namespace)
    if target is not None:
        target[name] = fn


def withdraw(namespace, name):
    """Undo ``publish`` (tests use it to take a test-declared op away again)."""
    NAMESPACES[namespace].pop(name, None)
    target = _open.get(namespace)
    if target is not None:
        target.pop(name, None)


def open_namespace(namespace, module_globals):
    """Called by a namespace module (mytorch, mytorch.special, ...) with its own globals: it
    receives every function published in ``namespace``, now and later."""
    _open[namespace] = module_globals
    module_globals.update(NAMESPACES[namespace])


def unregister_function(name):
    """Undo ``register_functions`` for one name (test-declared ops)."""
    if hasattr(F, name):
        delattr(F, name)


def register_functions(namespace, names):
    """Record the functions of those names from a module's namespace (``globals()``): an op
    family's __all__ and internals, or a module's own INTERNAL list."""
    for name in names:
        fn = namespace[name]
        if hasattr(F, name) and getattr(F, name) is not fn:
            raise RuntimeError(f"function {name!r} is exported by two op families")
        setattr(F, name, fn)
