"""Tensor's fields and hot operators, the graph Node, and op application (apply1, apply2): the
per-op hot path. Ops over several tensors or with several outputs are in mytorch._applyn, the
slow path (promotion, devices) in mytorch._promotion, views in mytorch._views.

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
from mytorch._grad_mode import _grad_mode, _grad_on, _set_grad_enabled, is_grad_enabled  # noqa: F401
from mytorch._hooks import NH_POST, NH_PRE, PackedSaved, node_hooks  # Node's hooks (below it)
from mytorch import _registry
from mytorch._registry import F as _F

# What a Node saves (SAVE_*) and how an op picks its result dtype (KIND_*): see _registry.
from mytorch._registry import (
    KIND_BINARY, KIND_COMPARE, KIND_DIV, KIND_FLOAT, KIND_MATMUL, KIND_SAME,  # noqa: F401
    SAVE_NONE, SAVE_OUT, SAVE_X, SAVE_XY, SAVE_Y,  # noqa: F401
)  # fmt: skip
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
# The slow path (promotion, views), provided by mytorch._promotion and mytorch._views.
_CORE = _registry.CORE

# The same numbers as C ints for the hot path (declared in _core.pxd): comparing an Op's field
# with a module global boxes the field and looks the global up on every op.
_K_BINARY = KIND_BINARY
_K_DIV = KIND_DIV
_K_COMPARE = KIND_COMPARE
_K_FLOAT = KIND_FLOAT
_S_XY = SAVE_XY
_S_OUT = SAVE_OUT
_live_nodes = lambda: _mt_live_nodes() if _COMPILED else -1  # noqa: E731, F821  (see _core.pxd)
_FW = _registry.FORWARD_AD  # [hook]: forward AD's op hook while a dual level is open


class Node:
    """One recorded op application (a grad_fn): edges to its inputs' nodes, what its VJP needs."""

    __slots__ = (
        "op", "next", "saved", "out_data", "params", "shapes", "dtypes", "retained", "variable",
        "hooks", "freed", "wanted", "versions", "out_vc", "out_version", "next_nr", "n_outputs",
        "node_hooks", "trace", "__weakref__",
    )  # fmt: skip

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
        self.versions = None  # versions of the saved inputs when saved (None: all at 0)
        self.out_vc = None  # the version counter of the saved output, once it has one
        self.out_version = 0
        self.next_nr = None  # the output number of each edge (None: all 0)
        self.n_outputs = 1
        self.node_hooks = self.trace = None  # NodeHooks once hooked; trace: see anomaly_mode

    def __cinit__(self):  # counts the live Nodes, in the compiled build only: autograd.graph
        _mt_live_add(1)  # noqa: F821  (declared in _core.pxd)

    def __dealloc__(self):
        _mt_live_add(-1)  # noqa: F821

    # --- what a VJP reads -------------------------------------------------------------
    @property
    def x(self):
        """The first saved input."""
        return self._saved(0)

    @property
    def y(self):
        """The second saved input."""
        return self._saved(1)

    def _saved(self, i):
        """Saved input ``i``, checked against the version it had when it was saved."""
        if self.freed:
            _CORE.raise_freed()
        t = self.saved[i]
        if isinstance(t, TensorBase):
            tb = t
            vc = tb._vc
            if vc is not None:
                expected = 0 if self.versions is None else self.versions[i]
                if vc.version != expected:
                    _CORE.raise_modified(t, t._grad_fn, vc.version, expected)
        return t

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
            _CORE.raise_freed()
        if type(self.saved) is not tuple:
            return tuple(self.saved)  # packed by saved_tensors_hooks: unpacked and checked
        for i in range(len(self.saved)):
            self._saved(i)
        return self.saved

    @property
    def out(self):
        """The op's result, as a Tensor whose grad_fn is this node (so it differentiates again)."""
        if self.freed:
            _CORE.raise_freed()
        vc = self.out_vc
        if isinstance(self.out_data, PackedSaved):
            return self.out_data.unpack_out(self)  # packed by saved_tensors_hooks
        t = _wrap(self.out_data)
        t._grad_fn = self
        t._requires_grad = True
        if vc is not None and vc.version != self.out_version:
            _CORE.raise_modified(t, self, vc.version, self.out_version)
        return t

    # --- PyTorch's grad_fn interface --------------------------------------------------
    def name(self):
        if self.variable is not None:
            return "AccumulateGrad"
        return self.op.node_name

    @property
    def next_functions(self):
        nr = self.next_nr
        if nr is None:
            return tuple((n, 0) for n in self.next)
        return tuple((n, k) for n, k in zip(self.next, nr))

    @property
    def metadata(self):
        return node_hooks(self).metadata

    def register_hook(self, fn):  # fn(grad_inputs, grad_outputs), see mytorch._hooks
        return node_hooks(self).add(NH_POST, fn)

    def register_prehook(self, fn):  # fn(grad_outputs)
        return node_hooks(self).add(NH_PRE, fn)

    def __call__(self, *grads):
        return self.op.vjp(self, *grads)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


class VersionCounter:
    """How often a tensor's memory was written in place: shared by a base, its views and its
    detach()ed aliases (torch's version counter). Made when first needed."""

    __slots__ = ("version",)

    def __init__(self):
        self.version = 0


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
        "_vc",
        "_base",
        "_view",
        "_output_nr",
        "__weakref__",
    )

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) or torch.Tensor(*sizes): legacy constructor, default float dtype.
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._acc = None
        self._retains_grad = False
        self._vc = None
        self._base = None
        self._view = None
        self._output_nr = 0
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
        """Matches torch.Tensor.detach: shares data and the version counter, not the graph."""
        t = _wrap(_shared_data(self))
        t._vc = _ensure_vc(self)
        return t

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
        return _F.pow(other if type(other) is float else _F._numpy_operand(other), self)

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
        t._vc = None
        t._base = None
        t._view = None
        t._output_nr = 0
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
    if t._acc is not None:
        return t._acc
    return t._accumulate_node()


def _ensure_vc(t):
    """The version counter of ``t``, made on first need. NOTE: a Node that saved ``t``'s data as
    its output learns the counter here, so a later in-place write fails its version check."""
    vc = t._vc
    if vc is None:
        vc = VersionCounter() if not _COMPILED else VersionCounter.__new__(VersionCounter)
        t._vc = vc
        fn = t._grad_fn
        if fn is not None and fn.out_vc is None and fn.out_data is t._data:
            fn.out_vc = vc
    return vc


def _shared_data(t):
    """``t``'s data as memory an alias can share (detach, .data, a view). NOTE: a 0-d CPU result is
    an immutable NumPy scalar (cheap arithmetic); before a second tensor shares it, it becomes a 0-d
    array seen by both (and by a Node that saved the scalar as its output, for version checks)."""
    d = t._data
    if type(d) is ndarray or not _is_cpu(d):
        return d
    a = _CPU.array(d)
    t._data = a
    fn = t._grad_fn
    if fn is not None and fn.out_data is d:
        fn.out_data = a
    return a


def _is_cpu(x):
    """Whether array ``x`` is host NumPy data (the fast path): an ndarray or a NumPy scalar."""
    tx = type(x)
    return tx is ndarray or tx is _f32 or tx is _f64 or isinstance(x, _np_generic)


def _kernel(op, x):
    """The kernel of ``op`` for the backend that owns array ``x``."""
    if _is_cpu(x):
        return op.kernel
    return op.kernel_on(_backends.for_array(x))


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
    if _FW[0] is not None:
        return _FW[0](apply2, op, (a, b), params)
    x = None
    y = None
    kernel = op.kernel
    # Whether each tensor operand has the result's shape and dtype (then the Node skips the
    # engine's unbroadcast and cast of its gradients). Known only on the fast paths below.
    same = False
    # Fast paths (host data only): two tensors of one float dtype, or a float tensor and a
    # Python float/int. Elementwise: operands of one shape give a result of that shape.
    ew = op.kind == _K_BINARY or op.kind == _K_DIV
    if isinstance(a, TensorBase):
        if a._view is not None:
            _CORE.refresh_view(a)
        x = a._data
        if isinstance(b, TensorBase):
            if b._view is not None:
                _CORE.refresh_view(b)
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
        a, b, kernel, x, y = _CORE.promote2(op, a, b)
    try:
        if params:
            out = kernel(x, y, *params)
        else:
            out = kernel(x, y)
    except ValueError:
        raise _CORE.broadcast_error(op, x, y) from None
    # NOTE: the pure build reads grad mode's attribute itself (a call costs it more).
    if op.kind == _K_COMPARE or not (_grad_on() if _COMPILED else _grad_mode.enabled):
        return _wrap(out)
    ra = False
    rb = False
    if isinstance(a, TensorBase):
        at = a
        ra = at._requires_grad
    if isinstance(b, TensorBase):
        bt = b
        rb = bt._requires_grad
    if ra or rb:
        if same:  # a float result of the operands' shape and dtype
            return _record2(op, out, a, b, ra, rb, params, False)
        if out.dtype.kind in "fcV":
            return _record2(op, out, a, b, ra, rb, params, True)
    return _wrap(out)


def apply1(op, a, params=()):
    """Run a one-input op: call its kernel, record a Node if grad mode asks."""
    if _FW[0] is not None:
        return _FW[0](apply1, op, (a,), params)
    if not isinstance(a, TensorBase):
        raise TypeError(
            f"{op.name}(): argument 'input' (position 1) must be Tensor, not {type(a).__name__}"
        )
    t = a
    if t._view is not None:
        _CORE.refresh_view(t)
    x = t._data
    kernel = _kernel(op, x)
    if op.view:
        _shared_data(t)
        return _CORE.apply_view(op, t, kernel, params)
    if op.kind == _K_FLOAT and _ftype(x) == 0 and x.dtype.kind in "biu":
        x = _backends.for_array(x).to_dtype(x, D.get_default_dtype().np)  # on x's device
    if params:
        out = kernel(x, *params)
    else:
        out = kernel(x)
    # NOTE: a tensor that requires grad is float or complex, so an elementwise result is too.
    if (
        t._requires_grad
        and (_grad_on() if _COMPILED else _grad_mode.enabled)
        and (op.elementwise or out.dtype.kind in "fcV")  # V: bfloat16
    ):
        return _record1(op, out, t, params)
    return _wrap(out)


def _record1(op, out, t, params):
    node = _new_node(op, params)
    node.next = (_edge(t),)
    if t._output_nr != 0:
        node.next_nr = (t._output_nr,)
    if not op.elementwise:
        node.shapes = (t._data.shape,)
        node.dtypes = (t._data.dtype,)
    if op.save & _S_XY:
        node.saved = (t,)
        if t._vc is not None:
            node.versions = (t._vc.version,)
    if op.save & _S_OUT:
        node.out_data = out
    return _wrap_result(out, node)


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
    return out if _CORE.saved_pack is None else _CORE.saved_pack(node, out)  # saved_tensors_hooks


def _record2(op, out_data, a, b, ra, rb, params, fit):
    """Record the Node of a two-input op (one or both operands may be Python scalars).

    Without ``fit`` (every tensor operand has the result's shape and dtype) the Node keeps no
    input shapes and dtypes, and the engine passes its gradients on as the VJP returns them.
    """
    at = a if isinstance(a, TensorBase) else None  # typed locals: see _core.pxd
    bt = b if isinstance(b, TensorBase) else None
    node = _new_node(op, params)
    node.next = (_edge(at) if ra else None, _edge(bt) if rb else None)
    if fit:
        node.shapes = (
            at._data.shape if at is not None else None,
            bt._data.shape if bt is not None else None,
        )
        node.dtypes = (
            at._data.dtype if at is not None else None,
            bt._data.dtype if bt is not None else None,
        )
    if op.save & _S_XY:
        node.saved = (a, b)
        va = at._vc if at is not None else None
        vb = bt._vc if bt is not None else None
        if va is not None or vb is not None:
            node.versions = (0 if va is None else va.version, 0 if vb is None else vb.version)
    if op.save & _S_OUT:
        node.out_data = out_data
    if (ra and at._output_nr != 0) or (rb and bt._output_nr != 0):
        node.next_nr = (at._output_nr if ra else 0, bt._output_nr if rb else 0)
    return _wrap_result(out_data, node)
