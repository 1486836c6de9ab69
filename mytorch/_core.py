"""Tensor, graph Node, Op and op application (apply1/apply2/applyn): the per-op hot path.

This file is plain Python. When Cython is available the build compiles it, with the C types
declared in ``_core.pxd`` beside it; otherwise it is imported as it is (the pure-Python build).
Both builds run the same lines, so they give identical results.
"""

import numpy as np

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._grad_mode import _grad_mode, _set_grad_enabled, is_grad_enabled  # noqa: F401
from mytorch import _registry
from mytorch._registry import F as _F
from mytorch._tensor import TensorMethods

# Array types of the CPU fast path (an exact type check each; other arrays go to their backend).
ndarray = np.ndarray
_np_generic = np.generic
_f32 = np.float32
_f64 = np.float64
_DT32 = np.dtype(np.float32)
_DT64 = np.dtype(np.float64)
_FROM_NP = D.FROM_NP
_PY_SCALARS = (float, int, bool)
_CPU = _backends.CPU
OPS = _registry.OPS  # op name -> Op, filled as mytorch._ops declares them

# Which inputs and outputs a Node keeps for its VJP.
SAVE_NONE = 0
SAVE_X = 1
SAVE_Y = 2
SAVE_XY = 3
SAVE_OUT = 4

# How an op picks its result dtype from its inputs' (PyTorch's rules, see _dtype.result_type).
KIND_SAME = 0  # dtype of the first input (neg, reshape, sum_to, ...)
KIND_BINARY = 1  # promoted dtype of both inputs (add, mul, ...)
KIND_FLOAT = 2  # like SAME, but integers and bool compute in the default float dtype (exp, sin, ...)
KIND_DIV = 3  # like BINARY, then integers and bool go to the default float dtype
KIND_COMPARE = 4  # promoted like BINARY to compute, result is bool, never differentiable
KIND_MATMUL = 5  # both inputs must share one dtype (PyTorch does not promote in matmul)


class Size(tuple):
    """A tensor shape. Matches torch.Size (a tuple subclass printed as ``torch.Size([2, 3])``)."""

    __slots__ = ()

    def __repr__(self):
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class Op:
    """A differentiable primitive: its kernel, what its Node saves, and its VJP.

    ``kname`` names the kernel every backend supplies; ``kernel`` is the CPU backend's, bound
    once. ``vjp(node, grad)`` returns one gradient per input (a Tensor or None) and is written
    with mytorch ops only, so the backward pass can itself be differentiated.
    """

    __slots__ = ("name", "kname", "kernel", "vjp", "save", "kind", "node_name", "elementwise")

    def __init__(self, name, kname, vjp, save, kind, node_name, elementwise=False):
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

    def variant(self, node_name):
        """The same primitive under another grad_fn name (PyTorch names overloads apart)."""
        return Op(
            self.name, self.kname, self.vjp, self.save, self.kind, node_name, self.elementwise
        )

    def __repr__(self):
        return f"<mytorch op {self.name}>"


class Node:
    """One recorded op application (a grad_fn): edges to its inputs' nodes and what its VJP needs."""

    __slots__ = (
        "op",
        "next",
        "saved",
        "out_data",
        "params",
        "shapes",
        "dtypes",
        "retained",
        "variable",
        "hooks",
        "freed",
        "wanted",
        "__weakref__",
    )

    def __init__(self):
        self.op = None
        self.next = ()
        self.saved = None
        self.out_data = None
        self.params = ()
        self.shapes = None  # None: the inputs have the output's shape and dtype (see _record2)
        self.dtypes = None
        self.retained = None
        self.variable = None
        self.hooks = None
        self.freed = False
        self.wanted = None

    # --- what a VJP reads -------------------------------------------------------------
    @property
    def x(self):
        """The first saved input."""
        if self.freed:
            _raise_freed()
        return self.saved[0]

    @property
    def y(self):
        """The second saved input."""
        if self.freed:
            _raise_freed()
        return self.saved[1]

    @property
    def needs_x(self):
        """Whether the engine wants the gradient of the first input (skip it otherwise)."""
        return self._wants(0)

    @property
    def needs_y(self):
        """Whether the engine wants the gradient of the second input."""
        return self._wants(1)

    def _wants(self, i):
        nxt = self.next[i]
        return nxt is not None and (self.wanted is None or nxt in self.wanted)

    @property
    def inputs(self):
        """All saved inputs."""
        if self.freed:
            _raise_freed()
        return self.saved

    @property
    def out(self):
        """The op's result, as a Tensor whose grad_fn is this node (so it differentiates again)."""
        if self.freed:
            _raise_freed()
        t = _wrap(self.out_data)
        t._grad_fn = self
        t._requires_grad = True
        return t

    # --- PyTorch's grad_fn interface --------------------------------------------------
    def name(self):
        if self.variable is not None:
            return "AccumulateGrad"
        return self.op.node_name

    @property
    def next_functions(self):
        return tuple((n, 0) for n in self.next)

    @property
    def metadata(self):
        return {}

    def register_hook(self, fn):
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(fn)

    def __call__(self, *grads):
        return self.op.vjp(self, *grads)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


def _raise_freed():
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        "calling backward."
    )


class TensorBase:
    """A Tensor's fields, its core properties and its hot operators (compiled).

    The rest of Tensor's methods live in mytorch._tensor.TensorMethods; ``Tensor`` below joins
    the two.
    """

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad",
        "_grad_fn",
        "_acc",
        "_retains_grad",
        "__weakref__",
    )

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) or torch.Tensor(*sizes): legacy constructor, default float dtype.
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._acc = None
        self._retains_grad = False
        npdt = D.get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], int):
            a = args[0]
            if isinstance(a, TensorBase):
                a = _backends.for_array(a._data).to_numpy(a._data)
            self._data = _CPU.array(a, npdt)
        else:
            shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
            self._data = _CPU.full(shape, 0, npdt)

    # --- metadata ---------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """Matches torch.Tensor.size."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def nelement(self):
        return int(self._data.size)

    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    @property
    def device(self):
        """Matches torch.Tensor.device: derived from the array (``cuda:0`` with its index)."""
        d = self._data
        return _backends.for_array(d).device(d)

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(
            value, "only Tensors of floating point dtype can require gradients"
        )

    def _set_requires_grad(self, value, message):
        value = bool(value)
        if self._grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and _FROM_NP[self._data.dtype].category < D.FLOAT:
            raise RuntimeError(message)
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Matches torch.Tensor.requires_grad_."""
        self._set_requires_grad(
            requires_grad, "only Tensors of floating point dtype can require gradients"
        )
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, TensorBase):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value._data.shape)} "
                    f"vs {list(self._data.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype} vs {self.dtype}"
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, TensorBase):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Matches torch.Tensor.retain_grad: a non-leaf keeps its .grad after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None:
            return
        self._retains_grad = True
        self._grad_fn.retained = self

    def detach(self):
        """Matches torch.Tensor.detach: shares data, not the graph."""
        return _wrap(self._data)

    def detach_(self):
        if self._grad_fn is not None and self._grad_fn.retained is self:
            self._grad_fn.retained = None
        self._grad_fn = None
        self._requires_grad = False
        return self

    def register_hook(self, hook):
        """Matches torch.Tensor.register_hook: ``hook(grad)`` may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        node = _edge(self)
        node.register_hook(hook)
        return _Handle(node, hook)

    def _accumulate_node(self):
        """The AccumulateGrad node of a leaf that requires grad, made once."""
        acc = self._acc
        if acc is None:
            acc = Node()
            acc.variable = self
            acc.shapes = (self._data.shape,)
            acc.dtypes = (self._data.dtype,)
            self._acc = acc
        return acc

    def __hash__(self):
        return id(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # Python's number protocol on one-element tensors.
    def item(self):
        """Matches torch.Tensor.item."""
        d = self._data
        if d.size != 1:
            raise RuntimeError(f"a Tensor with {d.size} elements cannot be converted to Scalar")
        return d.item() if d.ndim == 0 else d.reshape(()).item()

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if _FROM_NP[self._data.dtype].category > D.INT:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __complex__(self):
        return complex(self.item())

    # --- hot operators: straight to their Op (the registry is filled by mytorch._ops) ----
    def __add__(self, other):
        return apply2(OPS["add"], self, other)

    def __radd__(self, other):
        return apply2(OPS["add"], other, self)

    def __sub__(self, other):
        return apply2(OPS["sub"], self, other)

    def __rsub__(self, other):
        return apply2(OPS["rsub"], other, self)

    def __mul__(self, other):
        return apply2(OPS["mul"], self, other)

    def __rmul__(self, other):
        return apply2(OPS["mul"], other, self)

    def __truediv__(self, other):
        return apply2(OPS["div"], self, other)

    def __rtruediv__(self, other):
        return apply2(OPS["div"], other, self)

    def __neg__(self):
        return apply1(OPS["neg"], self)

    def __pow__(self, other):
        return _F.pow(self, other)

    def __rpow__(self, other):
        return _F.pow(other, self)

    def __matmul__(self, other):
        return _F.matmul(self, other)

    def __rmatmul__(self, other):
        return _F.matmul(other, self)

    def __getitem__(self, index):
        return _F.getitem(self, index)

    def __lt__(self, other):
        return apply2(OPS["lt"], self, other)

    def __le__(self, other):
        return apply2(OPS["le"], self, other)

    def __gt__(self, other):
        return apply2(OPS["gt"], self, other)

    def __ge__(self, other):
        return apply2(OPS["ge"], self, other)

    def __eq__(self, other):
        if other is None:
            return False
        return apply2(OPS["eq"], self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return apply2(OPS["ne"], self, other)


class Tensor(TensorBase, TensorMethods):
    """An n-dimensional array that records the ops applied to it. Matches torch.Tensor."""

    __slots__ = ()


class _Handle:
    """What register_hook returns: ``remove()`` takes the hook off again."""

    def __init__(self, node, hook):
        self._node = node
        self._hook = hook

    def remove(self):
        hooks = self._node.hooks
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)


def _wrap(data, requires_grad=False):
    """A new Tensor around an array (or NumPy scalar) with no history."""
    if _COMPILED:
        t = _mt_tp_new(Tensor, ())  # noqa: F821  (declared in _core.pxd)
    else:
        t = Tensor.__new__(Tensor)
    t._data = data
    t._requires_grad = requires_grad
    if not _COMPILED:  # a cdef class starts with these fields at None/False already
        t._grad = None
        t._grad_fn = None
        t._acc = None
        t._retains_grad = False
    return t


def _full_like(t, value):
    """A Tensor of ``t``'s shape, dtype and device filled with ``value`` (no history)."""
    d = t._data
    return _wrap(_backends.for_array(d).full(d.shape, value, d.dtype))


def _wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; IndexError otherwise (PyTorch's message)."""
    n = ndim if ndim > 0 else 1
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + ndim if dim < 0 else dim


def _edge(t):
    """The node a gradient for tensor ``t`` flows into."""
    fn = t._grad_fn
    if fn is not None:
        return fn
    return t._accumulate_node()


def _is_cpu(x):
    """Whether array ``x`` is host NumPy data (the fast path): an ndarray or a NumPy scalar."""
    tx = type(x)
    return tx is ndarray or tx is _f32 or tx is _f64 or isinstance(x, _np_generic)


def _kernel(op, x):
    """The kernel of ``op`` for the backend that owns array ``x``."""
    if _is_cpu(x):
        return op.kernel
    return getattr(_backends.for_array(x), op.kname)


def _device_error(a, b):
    return RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{a} and {b}!"
    )


def _common_backend(tensors):
    """The one backend of ``tensors`` and their arrays on it.

    A 0-d CPU tensor that needs no gradient is a scalar that may join any device (PyTorch's
    rule); any other mix of devices raises PyTorch's RuntimeError, naming the first non-CPU
    device first as PyTorch does.
    """
    be = _CPU
    first = None
    for t in tensors:
        d = t._data
        if not _is_cpu(d):
            tb = _backends.for_array(d)
            if first is None:
                be = tb
                first = d
            elif tb is not be or tb.device(d) != be.device(first):
                raise _device_error(be.device(first), tb.device(d))
    if first is None:
        return _CPU, [t._data for t in tensors]
    arrays = []
    for t in tensors:
        d = t._data
        if _is_cpu(d):
            if d.ndim != 0 or t._requires_grad:
                raise _device_error(be.device(first), "cpu")
            d = be.from_numpy(_CPU.to_numpy(d))
        arrays.append(d)
    return be, arrays


def _record(op, out_data, inputs, params):
    """Wrap a result and, as grad mode asks, record the Node that produced it."""
    out = _wrap(out_data)
    node = Node()
    node.op = op
    nxt = []
    shapes = []
    dtypes = []
    for t in inputs:
        if isinstance(t, TensorBase):
            tt = t
            nxt.append(_edge(tt) if tt._requires_grad else None)
            shapes.append(tt._data.shape)
            dtypes.append(tt._data.dtype)
        else:
            nxt.append(None)
            shapes.append(None)
            dtypes.append(None)
    node.next = tuple(nxt)
    node.shapes = tuple(shapes)
    node.dtypes = tuple(dtypes)
    node.params = params
    save = op.save
    if save & SAVE_XY:
        node.saved = inputs
    if save & SAVE_OUT:
        node.out_data = out_data
    out._grad_fn = node
    out._requires_grad = True
    return out


def _cast(x, npdt):
    """Convert an operand (array, NumPy scalar or Python scalar) to a NumPy dtype."""
    tx = type(x)
    if tx is float or tx is int or tx is bool:
        return x
    if x.dtype is npdt:
        return x
    return x.astype(npdt)


def _broadcast_error(op, x, y):
    sx = list(getattr(x, "shape", ()))
    sy = list(getattr(y, "shape", ()))
    n = max(len(sx), len(sy))
    px = [1] * (n - len(sx)) + sx
    py = [1] * (n - len(sy)) + sy
    for i in range(n - 1, -1, -1):
        if px[i] != py[i] and px[i] != 1 and py[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({px[i]}) must match the size of tensor b ({py[i]}) at "
                f"non-singleton dimension {i}"
            )
    return RuntimeError(f"{op.name}: shapes {sx} and {sy} cannot be broadcast together")


def _operand(v):
    """A Tensor or Python scalar operand, converting NumPy values and arrays to tensors."""
    if isinstance(v, TensorBase) or type(v) in _PY_SCALARS:
        return v
    if isinstance(v, _np_generic):
        if v.ndim == 0 and v.dtype.kind in "biuf":
            return v.item()
        return _wrap(_CPU.array(v, None))
    if isinstance(v, (float, int, bool, complex)):
        return v
    if isinstance(v, ndarray):
        D.from_numpy_dtype(v.dtype)
        return _wrap(v)
    raise TypeError(
        f"unsupported operand type: expected Tensor or number, got {type(v).__name__}"
    )


def _binary_dtype(a, b):
    """PyTorch's result dtype for two operands (Tensor or Python scalar), as a mytorch dtype."""
    dims = []
    zeros = []
    scalars = []
    for v in (a, b):
        if isinstance(v, TensorBase):
            d = _FROM_NP[v._data.dtype]
            if v._data.ndim:
                dims.append(d)
            else:
                zeros.append(d)
        else:
            scalars.append(v)
    return D.result_type(dims, zeros, scalars)


def _promote2(op, a, b):
    """The slow path of apply2: PyTorch's promotion and device rules for any mix of tensors
    and scalars. Returns the operands, the kernel to run and both values in the compute dtype.
    """
    a = _operand(a)
    b = _operand(b)
    ta = isinstance(a, TensorBase)
    tb = isinstance(b, TensorBase)
    dt = _binary_dtype(a, b)
    if op.kind == KIND_MATMUL and ta and tb and a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}"
        )
    if op.kind == KIND_DIV and dt.category < D.FLOAT:
        dt = D.get_default_dtype()
    npdt = dt.np
    x = a._data if ta else a
    y = b._data if tb else b
    kernel = op.kernel
    if ta and tb:
        be, arrays = _common_backend((a, b))
        x = arrays[0]
        y = arrays[1]
        if be is not _CPU:
            kernel = getattr(be, op.kname)
    elif ta:
        kernel = _kernel(op, x)
    elif tb:
        kernel = _kernel(op, y)
    return a, b, kernel, _cast(x, npdt), _cast(y, npdt)


def _ftype(x):
    """1 for float32, 2 for float64 data (a NumPy scalar or native-order array), else 0."""
    tx = type(x)
    if tx is _f32:
        return 1
    if tx is _f64:
        return 2
    if tx is ndarray:
        if _COMPILED:
            return _mt_array_ftype(x)  # noqa: F821  (declared in _core.pxd: no attribute lookups)
        dt = x.dtype
        return 1 if dt is _DT32 else (2 if dt is _DT64 else 0)
    return 0


def _same_shape(x, y):
    """Whether two tensors' data (NumPy scalars or arrays) have one shape."""
    tx = type(x)
    ty = type(y)
    if tx is not ndarray and ty is not ndarray:
        return True  # two NumPy scalars
    if _COMPILED and tx is ndarray and ty is ndarray:
        return _mt_same_shape(x, y)  # noqa: F821  (declared in _core.pxd)
    return x.shape == y.shape


def apply2(op, a, b, params=()):
    """Run a two-input op: promote dtypes, call its kernel, record a Node if grad mode asks."""
    x = None
    y = None
    kernel = op.kernel
    # Whether each tensor operand has the result's shape and dtype (then the Node skips the
    # engine's unbroadcast and cast of its gradients). Known only on the fast paths below.
    same = False
    # Fast paths (host data only): two tensors of one float dtype, or a float tensor and a
    # Python float/int. Elementwise: operands of one shape give a result of that shape.
    ew = op.kind == KIND_BINARY or op.kind == KIND_DIV
    if isinstance(a, TensorBase):
        x = a._data
        if isinstance(b, TensorBase):
            y = b._data
            k = _ftype(x)
            if k != 0 and k == _ftype(y):
                same = ew and _same_shape(x, y)
            else:
                x = None
        elif (type(b) is float or type(b) is int) and _ftype(x) != 0:
            y = b
            same = ew
        else:
            x = None
    elif isinstance(b, TensorBase) and (type(a) is float or type(a) is int):
        y = b._data
        if _ftype(y) != 0:
            x = a
            same = ew
        else:
            y = None
    if x is None or y is None:
        a, b, kernel, x, y = _promote2(op, a, b)
    try:
        if params:
            out = kernel(x, y, *params)
        else:
            out = kernel(x, y)
    except ValueError:
        raise _broadcast_error(op, x, y) from None
    if op.kind == KIND_COMPARE or not _grad_mode.enabled:
        return _wrap(out)
    ra = isinstance(a, TensorBase) and a._requires_grad
    rb = isinstance(b, TensorBase) and b._requires_grad
    if ra or rb:
        if same:  # a float result of the operands' shape and dtype
            return _record2(op, out, a, b, ra, rb, params, False)
        if out.dtype.kind in "fc":
            return _record2(op, out, a, b, ra, rb, params, True)
    return _wrap(out)


def apply1(op, a, params=()):
    """Run a one-input op: call its kernel, record a Node if grad mode asks."""
    if not isinstance(a, TensorBase):
        raise TypeError(
            f"{op.name}(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}"
        )
    t = a
    x = t._data
    kernel = _kernel(op, x)
    if op.kind == KIND_FLOAT and _ftype(x) == 0 and x.dtype.kind in "biu":
        x = x.astype(D.get_default_dtype().np)
    if params:
        out = kernel(x, *params)
    else:
        out = kernel(x)
    # NOTE: a tensor that requires grad is float or complex, so an elementwise result is too.
    if t._requires_grad and _grad_mode.enabled and (op.elementwise or out.dtype.kind in "fc"):
        node = _new_node(op, params)
        node.next = (_edge(t),)
        if not op.elementwise:
            node.shapes = (t._data.shape,)
            node.dtypes = (t._data.dtype,)
        if op.save & SAVE_XY:
            node.saved = (t,)
        if op.save & SAVE_OUT:
            node.out_data = out
        return _wrap_result(out, node)
    return _wrap(out)


def _new_node(op, params):
    # A cdef class starts with every field None/False, so the compiled build skips __init__.
    node = Node.__new__(Node) if _COMPILED else Node()
    node.op = op
    node.params = params
    return node


def _wrap_result(out_data, node):
    out = _wrap(out_data)
    out._grad_fn = node
    out._requires_grad = True
    return out


def _record2(op, out_data, a, b, ra, rb, params, fit):
    """Record the Node of a two-input op (one or both operands may be Python scalars).

    Without ``fit`` (every tensor operand has the result's shape and dtype) the Node keeps no
    input shapes and dtypes, and the engine passes its gradients on as the VJP returns them.
    """
    node = _new_node(op, params)
    node.next = (_edge(a) if ra else None, _edge(b) if rb else None)
    if fit:
        ta = isinstance(a, TensorBase)
        tb = isinstance(b, TensorBase)
        node.shapes = (a._data.shape if ta else None, b._data.shape if tb else None)
        node.dtypes = (a._data.dtype if ta else None, b._data.dtype if tb else None)
    if op.save & SAVE_XY:
        node.saved = (a, b)
    if op.save & SAVE_OUT:
        node.out_data = out_data
    return _wrap_result(out_data, node)


def applyn(op, inputs, params=()):
    """Run an op over a tuple of tensors and scalars (cat, stack, where, ...), all on one device."""
    tensors = [t for t in inputs if isinstance(t, TensorBase)]
    be, arrays = _common_backend(tensors)
    it = iter(arrays)
    values = [next(it) if isinstance(t, TensorBase) else t for t in inputs]
    kernel = op.kernel if be is _CPU else getattr(be, op.kname)
    out = kernel(*values, *params)
    if _grad_mode.enabled and out.dtype.kind in "fc":
        for t in tensors:
            if t._requires_grad:
                return _record(op, out, tuple(inputs), params)
    return _wrap(out)
