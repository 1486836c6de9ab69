"""How an op family declares an op, once: ``defop`` makes a primitive (kernel, saves, VJP);
``unary`` and ``binary`` make a primitive and every form of it; ``declare`` gives a function
written by hand (or a composite of other ops) its forms.

The forms of a declaration:

- the function, published in its namespaces (``"torch"``, ``"nn.functional"``, ``"linalg"``,
  ``"special"``, ``"fft"``: mytorch.<name>, mytorch.nn.functional.<name>, ...);
- the Tensor method (``t.expm1()``) and the in-place method (``t.expm1_()``);
- ``out=`` (the result written into a tensor the caller gives);
- the reference kernel: the array module's function of the op's name (``numpy.expm1``, on a
  GPU ``cupy.expm1``), unless a backend has a kernel method of that name.
"""

from mytorch import _registry
from mytorch._core import KIND_SAME, SAVE_NONE, apply1, apply2
from mytorch._core import TensorBase as _TensorBase
from mytorch._out import check_out, write_out
from mytorch._registry import Op, register_op
from mytorch._tensor_ops import add_method, remove_method
from mytorch._views import _commit_inplace

TORCH = "torch"
TENSOR = "Tensor"  # a Tensor method only (Tensor.unfold): no function is published
NAMESPACES = tuple(_registry.NAMESPACE_PATHS) + (TENSOR,)


class Declaration:
    """What one declaration made: its function, namespaces, methods, primitive (None for a
    composite) and whether it takes ``out=``."""

    __slots__ = ("name", "fn", "namespaces", "method", "inplace", "out", "op", "composite")

    def __init__(self, name, fn, namespaces, method, inplace, out, op, composite):
        self.name = name
        self.fn = fn
        self.namespaces = namespaces
        self.method = method  # the Tensor method's name, or None
        self.inplace = inplace  # the in-place method's name, or None
        self.out = out
        self.op = op
        self.composite = composite

    def __repr__(self):
        return f"<mytorch declaration {self.name} in {', '.join(self.namespaces)}>"


DECLARATIONS = {}  # (namespace of the function, name) -> Declaration


def defop(
    name, vjp, save=SAVE_NONE, kind=KIND_SAME, node_name=None, kernel=None, ew=False, view=0,
    xp=None,
):  # fmt: skip
    """Declare and register a primitive: name = PyTorch's name = kernel name (unless ``kernel``).

    ``vjp(node, grad)`` is written in mytorch ops; ``save`` says what the Node keeps (SAVE_X,
    SAVE_XY, SAVE_OUT); ``kind`` picks the result dtype; ``ew`` marks a one-input op whose
    result has its input's shape (its Node then keeps no input shape); ``view`` marks a view op
    (1: always a view of its input; 2: a view when the kernel did not have to copy); ``xp``
    names the array module's function that is the reference kernel (when no backend method of
    the kernel's name exists).
    """
    if node_name is None:
        node_name = name.capitalize() + "Backward0"
    return register_op(Op(name, kernel or name, vjp, save, kind, node_name, ew, view, xp))


def declare(
    fn, *, name=None, namespace=TORCH, method=False, inplace=False, out=False, op=None,
    composite=False,
):  # fmt: skip
    """Give function ``fn`` its forms: published as ``name`` (default: its own) in
    ``namespace`` (one or a tuple); ``method=True`` (or a name) makes it a Tensor method;
    ``inplace=True`` adds ``t.<name>_()``, which writes the result into ``t``. ``out`` says
    that ``fn`` takes ``out=`` (``unary``/``binary`` make it; a hand-written function handles
    it with mytorch._out.write_out). ``composite=True`` marks a function written in other ops,
    with no primitive of its own. Returns ``fn``.
    """
    name = name or fn.__name__
    namespaces = _check_free(name, namespace)
    mname = (name if method is True else method) or None
    iname = (name + "_" if inplace is True else inplace) or None
    decl = Declaration(name, fn, namespaces, mname, iname, out, op, composite)
    for ns in namespaces:
        DECLARATIONS[(ns, name)] = decl
        if ns != TENSOR:
            _registry.publish(ns, name, fn)
    if TORCH in namespaces:
        _registry.register_functions({name: fn}, [name])
    if mname is not None:
        add_method(mname, fn)
    if iname is not None:
        add_method(iname, _inplace_method(fn, iname))
    return fn


def composite(namespace=TORCH, method=False, inplace=False, out=False, name=None):
    """``declare`` as a decorator, for a function written in other ops (no primitive, no VJP of
    its own: its gradients are its ops')."""

    def declare_composite(fn):
        return declare(
            fn, name=name, namespace=namespace, method=method, inplace=inplace, out=out,
            composite=True,
        )  # fmt: skip

    return declare_composite


def _check_free(name, namespace):
    """The namespaces named (one or a tuple), none of which has ``name`` declared yet."""
    namespaces = (namespace,) if isinstance(namespace, str) else tuple(namespace)
    for ns in namespaces:
        if ns not in _registry.NAMESPACE_PATHS and ns != TENSOR:
            raise ValueError(f"unknown namespace {ns!r}: one of {', '.join(NAMESPACES)}")
        if (ns, name) in DECLARATIONS:
            path = _registry.NAMESPACE_PATHS.get(ns, "mytorch.Tensor")
            raise RuntimeError(f"{path}.{name} is declared twice")
    return namespaces


def _inplace_method(fn, name):
    def method(self, *args, **kwargs):
        return _commit_inplace(self, fn(self, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: writes {fn.__name__}(self, ...) into self."
    return method


def unary(name, vjp, save=SAVE_NONE, kind=KIND_SAME, **forms):
    """Declare a one-input elementwise primitive (result of its input's shape) and every form of
    it. The kernel is ``xp.<xp or name>`` unless a backend has a method of the kernel's name.
    ``forms``: xp, kernel, node_name, namespace, method, inplace, out, and for ``binary``
    ``tensors`` (the positions, 0 and/or 1, where torch takes no Python scalar)."""
    return _primitive(name, vjp, save, kind, True, _unary_function, **forms)


def binary(name, vjp, save=SAVE_NONE, kind=KIND_SAME, **forms):
    """Declare a two-input broadcasting primitive (``input``, ``other``: tensors or scalars)
    and every form of it."""
    return _primitive(name, vjp, save, kind, False, _binary_function, **forms)


def _primitive(
    name, vjp, save, kind, ew, make_function, *, xp=None, kernel=None, node_name=None,
    namespace=TORCH, method=True, inplace=True, out=True, tensors=(),
):  # fmt: skip
    _check_free(name, namespace)  # before the primitive is registered: nothing half-declared
    op = defop(name, vjp, save, kind, node_name, kernel, ew, 0, xp or name)
    fn = make_function(op, name, out)
    if tensors:
        fn = _tensors_only(fn, name, tensors)
    return declare(
        fn,
        namespace=namespace, method=method, inplace=inplace, out=out, op=op,
    )  # fmt: skip


def _tensors_only(fn, name, positions):
    """``fn`` refusing a Python scalar at the argument ``positions`` (0: input, 1: other), with
    torch's TypeError (torch has no Scalar overload there)."""
    args = ("input", "other")

    def checked(*operands, **kwargs):
        for i in positions:
            if i < len(operands) and not isinstance(operands[i], _TensorBase):
                raise TypeError(
                    f"{name}(): argument '{args[i]}' (position {i + 1}) must be Tensor, not "
                    f"{type(operands[i]).__name__}"
                )
        return fn(*operands, **kwargs)

    checked.__name__ = checked.__qualname__ = name
    checked.__doc__ = fn.__doc__
    return checked


def _unary_function(op, name, with_out):
    if with_out:

        def fn(input, *, out=None):
            if out is None:
                return apply1(op, input)
            check_out(name, out, (input,))
            return write_out(out, apply1(op, input))
    else:

        def fn(input):
            return apply1(op, input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name}."
    return fn


def _binary_function(op, name, with_out):
    if with_out:

        def fn(input, other, *, out=None):
            if out is None:
                return apply2(op, input, other)
            check_out(name, out, (input, other))
            return write_out(out, apply2(op, input, other))
    else:

        def fn(input, other):
            return apply2(op, input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name}."
    return fn


def undeclare(name, namespace=TORCH):
    """Take a declaration away again, with its forms and primitive (for tests that declare an op
    of their own)."""
    decl = DECLARATIONS.get((namespace, name))
    if decl is None:
        return
    for ns in decl.namespaces:
        DECLARATIONS.pop((ns, name), None)
        if ns != TENSOR:
            _registry.withdraw(ns, name)
    if TORCH in decl.namespaces:
        _registry.unregister_function(name)
    for m in (decl.method, decl.inplace):
        if m is not None:
            remove_method(m)
    if decl.op is not None:
        _registry.OPS.pop(decl.op.name, None)
