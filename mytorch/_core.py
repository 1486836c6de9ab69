"""Tensor, graph Node and op application (apply1/apply2/applyn): the per-op hot path.

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
from mytorch import _promotion as P
from mytorch import _registry
from mytorch._registry import F as _F
from mytorch._size import Size
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
_HOT = _registry.HOT  # the operators' ops, filled as mytorch._ops declares them

# Which inputs and outputs a Node keeps for its VJP.
SAVE_NONE = 0
SAVE_X = 1
SAVE_Y = 2
SAVE_XY = 3
SAVE_OUT = 4

# How an op picks its result dtype from its inputs' (PyTorch's rules, see _dtype.result_type).
KIND_SAME = 0  # dtype of the first input (neg, reshape, sum_to, ...)
KIND_BINARY = 1  # promoted dtype of both inputs (add, mul, ...)
KIND_FLOAT = (
    2  # like SAME, but integers and bool compute in the default float dtype (exp, sin, ...)
)
KIND_DIV = 3  # like BINARY, then integers and bool go to the default float dtype
KIND_COMPARE = 4  # promoted like BINARY to compute, result is bool, never differentiable
KIND_MATMUL = 5  # both inputs must share one dtype (PyTorch does not promote in matmul)


class Node:
    """One recorded op application (a grad_fn): edges to its inputs' nodes, what its VJP needs."""

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


class TensorBase(TensorMethods):
    """A Tensor's fields, its core properties and its hot operators (compiled).

    The rest of Tensor's methods live in its base classes, mytorch._tensor.TensorMethods and
    mytorch._tensor_ops.OpMethods, which stand below the op families.
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

    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    def detach(self):
        """Matches torch.Tensor.detach: shares data, not the graph."""
        return _wrap(self._data)

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

    # --- hot operators: straight to their Op -------------------------------------------
    def __add__(self, other):
        return apply2(_HOT.add, self, other)

    def __radd__(self, other):
        return apply2(_HOT.add, other, self)

    def __sub__(self, other):
        return apply2(_HOT.sub, self, other)

    def __rsub__(self, other):
        return apply2(_HOT.rsub, other, self)

    def __mul__(self, other):
        return apply2(_HOT.mul, self, other)

    def __rmul__(self, other):
        return apply2(_HOT.mul, other, self)

    def __truediv__(self, other):
        return apply2(_HOT.div, self, other)

    def __rtruediv__(self, other):
        return apply2(_HOT.div, other, self)

    def __neg__(self):
        return apply1(_HOT.neg, self)

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
        return apply2(_HOT.lt, self, other)

    def __le__(self, other):
        return apply2(_HOT.le, self, other)

    def __gt__(self, other):
        return apply2(_HOT.gt, self, other)

    def __ge__(self, other):
        return apply2(_HOT.ge, self, other)

    def __eq__(self, other):
        if other is None:
            return False
        return apply2(_HOT.eq, self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return apply2(_HOT.ne, self, other)


class Tensor(TensorBase):
    """An n-dimensional array that records the ops applied to it. Matches torch.Tensor."""

    __slots__ = ()


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
    raise TypeError(f"unsupported operand type: expected Tensor or number, got {type(v).__name__}")


def _promote2(op, a, b):
    """The slow path of apply2: PyTorch's promotion and device rules for any mix of tensors
    and scalars. Returns the operands, the kernel to run and both values in the compute dtype.
    """
    a = _operand(a)
    b = _operand(b)
    ta = isinstance(a, TensorBase)
    tb = isinstance(b, TensorBase)
    dt = P.binary_dtype(a, b)
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
        be, arrays = P.common_backend((a, b))
        x = arrays[0]
        y = arrays[1]
        if be is not _CPU:
            kernel = getattr(be, op.kname)
    elif ta:
        kernel = _kernel(op, x)
    elif tb:
        kernel = _kernel(op, y)
    return a, b, kernel, P.cast(x, npdt), P.cast(y, npdt)


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
        raise P.broadcast_error(op, x, y) from None
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
    be, arrays = P.common_backend(tensors)
    it = iter(arrays)
    values = [next(it) if isinstance(t, TensorBase) else t for t in inputs]
    kernel = op.kernel if be is _CPU else getattr(be, op.kname)
    out = kernel(*values, *params)
    if _grad_mode.enabled and out.dtype.kind in "fc":
        for t in tensors:
            if t._requires_grad:
                return _record(op, out, tuple(inputs), params)
    return _wrap(out)
