"""The op table: every differentiable primitive, declared once (kernel + what it saves + VJP),
and the torch-named functions that apply them.

A VJP receives the Node and the output gradient and returns one gradient per input, written
only with mytorch ops, so that backward passes can be differentiated again. Unbroadcasting is
not a VJP's business: the engine sums each gradient down to its input's shape.
"""

import builtins

import numpy as np

from mytorch import _core
from mytorch import _dtype as D
from mytorch._backends import kernels as K
from mytorch._core import (
    KIND_BINARY,
    KIND_COMPARE,
    KIND_DIV,
    KIND_FLOAT,
    KIND_MATMUL,
    KIND_SAME,
    SAVE_NONE,
    SAVE_OUT,
    SAVE_X,
    SAVE_XY,
    Op,
    TensorBase,
    _wrap,
    _wrap_dim,
    apply1,
    apply2,
    applyn,
)

_OPS = {}


def defop(name, vjp, save=SAVE_NONE, kind=KIND_SAME, node_name=None, kernel=None):
    """Declare a primitive: name = PyTorch's name = kernel name."""
    if kernel is None:
        kernel = getattr(K, name)
    if node_name is None:
        node_name = name.capitalize() + "Backward0"
    op = Op(name, kernel, vjp, save, kind, node_name, name in _ELEMENTWISE)
    _OPS[name] = op
    return op


def variant(op, node_name):
    """The same primitive under another grad_fn name (PyTorch names overloads apart)."""
    return Op(op.name, op.kernel, op.vjp, op.save, op.kind, node_name, op.elementwise)


# One-input primitives whose result has the input's shape (and a float input's dtype).
_ELEMENTWISE = frozenset(
    ("neg", "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs", "sign", "clone")
)


def _reduced_back(g, shape, dim, keepdim):
    """Broadcast a reduced gradient back to the reduced input's shape."""
    if dim is not None and not keepdim:
        kshape = list(shape)
        for d in dim:
            kshape[d] = 1
        g = reshape(g, tuple(kshape))
    return expand(g, shape)


def _pow_vjp(n, g):
    x, y = n.inputs
    if isinstance(y, TensorBase):
        gx = g * y * x ** (y - 1) if n.needs_x else None
        gy = None
        if n.needs_y:
            # NOTE: d(x**y)/dy = x**y * log(x), taken as 0 where x == 0 and y >= 0 (PyTorch's mask).
            gy = where((x == 0) & (y >= 0), 0.0, g * n.out * log(x))
        return gx, gy
    if y == 0:
        return g * 0.0, None
    if y == 2:
        return g * (2 * x), None
    return g * (y * x ** (y - 1)), None


def _div_vjp(n, g):
    # d(x/y)/dy = -out / y, so both gradients share g / y.
    gx = g / n.y
    return (gx if n.needs_x else None), (-(gx * n.out) if n.needs_y else None)


def _matmul_vjp(n, g):
    x, y = n.inputs
    xd, yd = x.ndim, y.ndim
    if xd == 1 and yd == 1:
        return g * y, g * x
    g1 = unsqueeze(g, -2) if xd == 1 else (unsqueeze(g, -1) if yd == 1 else g)
    x1 = unsqueeze(x, 0) if xd == 1 else x
    y1 = unsqueeze(y, -1) if yd == 1 else y
    gx = gy = None
    if n.needs_x:
        gx = matmul(g1, transpose(y1, -1, -2))
        if xd == 1:
            gx = squeeze(gx, -2)
    if n.needs_y:
        gy = matmul(transpose(x1, -1, -2), g1)
        if yd == 1:
            gy = squeeze(gy, -1)
    return gx, gy


def _sign_of(t):
    return t.sign()


def _getitem_kernel(x, index, basic):
    # NOTE: the Node keeps ``basic`` for the VJP's scatter; the kernel itself only needs the index.
    return K.getitem(x, index)


# fmt: off
# name             VJP: (node n, output gradient g) -> gradient per input
ADD       = defop("add",       lambda n, g: (g, g),                               kind=KIND_BINARY)
SUB       = defop("sub",       lambda n, g: (g, -g if n.needs_y else None),       kind=KIND_BINARY)
RSUB      = variant(SUB, "RsubBackward1")
MUL       = defop("mul",       lambda n, g: (g * n.y if n.needs_x else None, g * n.x if n.needs_y else None),
                  SAVE_XY, KIND_BINARY)
DIV       = defop("div",       _div_vjp,                                          SAVE_XY | SAVE_OUT, KIND_DIV)
POW       = defop("pow",       _pow_vjp,                                          SAVE_XY | SAVE_OUT, KIND_BINARY)
POW_T     = variant(POW, "PowBackward1")
POW_S     = variant(POW, "PowBackward2")
NEG       = defop("neg",       lambda n, g: -g)
EXP       = defop("exp",       lambda n, g: g * n.out,                            SAVE_OUT, KIND_FLOAT)
LOG       = defop("log",       lambda n, g: g / n.x,                              SAVE_X, KIND_FLOAT)
SIN       = defop("sin",       lambda n, g: g * cos(n.x),                         SAVE_X, KIND_FLOAT)
COS       = defop("cos",       lambda n, g: -g * sin(n.x),                        SAVE_X, KIND_FLOAT)
TAN       = defop("tan",       lambda n, g: g * (1 + n.out * n.out),              SAVE_OUT, KIND_FLOAT)
TANH      = defop("tanh",      lambda n, g: g * (1 - n.out * n.out),              SAVE_OUT, KIND_FLOAT)
SIGMOID   = defop("sigmoid",   lambda n, g: g * n.out * (1 - n.out),              SAVE_OUT, KIND_FLOAT)
RELU      = defop("relu",      lambda n, g: g * (n.out > 0),                      SAVE_OUT)
SQRT      = defop("sqrt",      lambda n, g: g / (2 * n.out),                      SAVE_OUT, KIND_FLOAT)
ABS       = defop("abs",       lambda n, g: g * _sign_of(n.x),                    SAVE_X)
SIGN      = defop("sign",      lambda n, g: None)
MAXIMUM   = defop("maximum",   lambda n, g: (g * (n.x >= n.y), g * (n.x < n.y)),  SAVE_XY, KIND_BINARY)
MINIMUM   = defop("minimum",   lambda n, g: (g * (n.x <= n.y), g * (n.x > n.y)),  SAVE_XY, KIND_BINARY)
SUM       = defop("sum",       lambda n, g: _reduced_back(g, n.shapes[0], *n.params))
SUM_DIM   = variant(SUM, "SumBackward1")
MEAN      = defop("mean",      lambda n, g: _reduced_back(g, n.shapes[0], *n.params) / _count(n.shapes[0], n.params[0]),
                  kind=KIND_FLOAT)
MEAN_DIM  = variant(MEAN, "MeanBackward1")
SUM_TO    = defop("sum_to",    lambda n, g: expand(g, n.shapes[0]),               node_name="SumToBackward0")
EXPAND    = defop("expand",    lambda n, g: sum_to(g, n.shapes[0]))
RESHAPE   = defop("reshape",   lambda n, g: reshape(g, n.shapes[0]),              node_name="ViewBackward0")
UNSQUEEZE = variant(RESHAPE, "UnsqueezeBackward0")
SQUEEZE   = variant(RESHAPE, "SqueezeBackward1")
TRANSPOSE = defop("transpose", lambda n, g: transpose(g, *n.params))
PERMUTE   = defop("permute",   lambda n, g: permute(g, tuple(np.argsort(n.params[0]).tolist())))
MATMUL    = defop("matmul",    _matmul_vjp,                                       SAVE_XY, KIND_MATMUL, "MmBackward0")
GETITEM   = defop("getitem",   lambda n, g: index_backward(g, n.shapes[0], *n.params), node_name="IndexBackward0",
                  kernel=_getitem_kernel)
INDEX_BWD = defop("index_backward", lambda n, g: getitem(g, n.params[1]),         node_name="IndexBackwardBackward0")
TO_DTYPE  = defop("to_dtype",  lambda n, g: to_dtype(g, n.dtypes[0]),             node_name="ToCopyBackward0")
CLONE     = defop("clone",     lambda n, g: g)
WHERE     = defop("where",     lambda n, g: (None, where(n.x, g, 0.0), where(n.x, 0.0, g)), SAVE_X, node_name="WhereBackward0")
CAT       = defop("cat",       lambda n, g: _split_back(g, n), node_name="CatBackward0")
STACK     = defop("stack",     lambda n, g: tuple(select(g, n.params[0], i) for i in range(len(n.next))))
AMAX      = defop("amax",      lambda n, g: _minmax_back(n, g),                   SAVE_X | SAVE_OUT)
AMIN      = defop("amin",      lambda n, g: _minmax_back(n, g),                   SAVE_X | SAVE_OUT)
LT = defop("lt", None, kind=KIND_COMPARE)
LE = defop("le", None, kind=KIND_COMPARE)
GT = defop("gt", None, kind=KIND_COMPARE)
GE = defop("ge", None, kind=KIND_COMPARE)
EQ = defop("eq", None, kind=KIND_COMPARE)
NE = defop("ne", None, kind=KIND_COMPARE)
# fmt: on

_MATMUL_NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0", (1, 2): "SqueezeBackward4"}
_MATMUL_VARIANTS = {k: variant(MATMUL, v) for k, v in _MATMUL_NAMES.items()}
_MATMUL_BATCHED = variant(MATMUL, "BmmBackward0")
_MATMUL_OTHER = variant(MATMUL, "UnsafeViewBackward0")
_INDEX_NAMES = {
    "select": variant(GETITEM, "SelectBackward0"),
    "slice": variant(GETITEM, "SliceBackward0"),
    "unsqueeze": variant(GETITEM, "UnsqueezeBackward0"),
    "alias": variant(GETITEM, "AliasBackward0"),
    "index": GETITEM,
}


def _count(shape, dim):
    n = 1
    if dim is None:
        for s in shape:
            n *= s
    else:
        for d in dim:
            n *= shape[d]
    return n


def _minmax_back(n, g):
    """Gradient of amax/amin: split evenly among the tied extrema (PyTorch's rule)."""
    dim, keepdim = n.params
    shape = n.shapes[0]
    out = _reduced_back(n.out.detach(), shape, dim, keepdim)
    mask = (n.x.detach() == out).to(g.dtype)
    count = mask.sum(dim=dim, keepdim=True) if dim is not None else mask.sum()
    return _reduced_back(g, shape, dim, keepdim) * mask / count


def _split_back(g, n):
    dim = n.params[0]
    grads = []
    start = 0
    for shape in n.shapes:
        size = shape[dim]
        grads.append(narrow(g, dim, start, size))
        start += size
    return tuple(grads)


# ----------------------------------------------------------------------------------------
# torch-named functions
# ----------------------------------------------------------------------------------------


def _check_tensor(name, t):
    if not isinstance(t, TensorBase):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(t).__name__}")


def add(input, other, alpha=1):
    """Matches torch.add."""
    if alpha != 1:
        other = mul(other, alpha)
    return apply2(ADD, input, other)


def sub(input, other, alpha=1):
    """Matches torch.sub."""
    if alpha != 1:
        other = mul(other, alpha)
    return apply2(SUB, input, other)


def rsub(input, other):
    """other - input. Matches torch.rsub."""
    return apply2(RSUB, other, input)


def mul(input, other):
    """Matches torch.mul."""
    return apply2(MUL, input, other)


def div(input, other, rounding_mode=None):
    """Matches torch.div (true division; rounding modes 'trunc' and 'floor' are not differentiable)."""
    if rounding_mode is None:
        return apply2(DIV, input, other)
    q = apply2(DIV, input, other).detach()
    r = q.trunc() if rounding_mode == "trunc" else q.floor()
    dt = _binary_result_dtype(input, other)
    return r.to(dt) if dt.category < D.FLOAT else r


def _binary_result_dtype(a, b):
    from mytorch._core import _binary_dtype, _operand

    return _binary_dtype(_operand(a), _operand(b))


def pow(input, exponent):
    """Matches torch.pow."""
    if isinstance(exponent, TensorBase):
        if not isinstance(input, TensorBase):
            # NOTE: the scalar base promotes like a Python scalar (2.0 ** int tensor is float32).
            input = _wrap(np.asarray(input, dtype=_binary_result_dtype(input, exponent).np))
            return apply2(POW_S, input, exponent)
        return apply2(POW_T, input, exponent)
    return apply2(POW, input, exponent)


def neg(input):
    """Matches torch.neg."""
    return apply1(NEG, input)


negative = neg


def exp(input):
    """Matches torch.exp."""
    return apply1(EXP, input)


def log(input):
    """Matches torch.log."""
    return apply1(LOG, input)


def sin(input):
    """Matches torch.sin."""
    return apply1(SIN, input)


def cos(input):
    """Matches torch.cos."""
    return apply1(COS, input)


def tan(input):
    """Matches torch.tan."""
    return apply1(TAN, input)


def tanh(input):
    """Matches torch.tanh."""
    return apply1(TANH, input)


def sigmoid(input):
    """Matches torch.sigmoid."""
    return apply1(SIGMOID, input)


def relu(input):
    """Matches torch.relu."""
    return apply1(RELU, input)


def sqrt(input):
    """Matches torch.sqrt."""
    return apply1(SQRT, input)


def abs(input):
    """Matches torch.abs."""
    return apply1(ABS, input)


absolute = abs


def sign(input):
    """Matches torch.sign (gradient zero)."""
    return apply1(SIGN, input)


def maximum(input, other):
    """Matches torch.maximum (the gradient goes to input where the two tie)."""
    return apply2(MAXIMUM, input, other)


def minimum(input, other):
    """Matches torch.minimum (the gradient goes to input where the two tie)."""
    return apply2(MINIMUM, input, other)


def _dims(dim, ndim):
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative axes, or None."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    dims = tuple(sorted(_wrap_dim(int(d), ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return dims if dims else None


def sum(input, dim=None, keepdim=False, dtype=None):
    """Matches torch.sum."""
    _check_tensor("sum", input)
    if dtype is not None:
        input = input.to(dtype)
    dims = _dims(dim, input.ndim)
    return apply1(SUM if dim is None else SUM_DIM, input, (dims, bool(keepdim)))


def mean(input, dim=None, keepdim=False, dtype=None):
    """Matches torch.mean (floating-point inputs only, as in PyTorch)."""
    _check_tensor("mean", input)
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_dtype_title(input.dtype)}"
        )
    dims = _dims(dim, input.ndim)
    return apply1(MEAN if dim is None else MEAN_DIM, input, (dims, bool(keepdim)))


def _dtype_title(dt):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        dt.name, dt.name
    )


def sum_to(input, shape):
    """Sum ``input`` down to ``shape`` (the engine's unbroadcast; its VJP is expand)."""
    shape = tuple(shape)
    if input._data.shape == shape:
        return input
    return apply1(SUM_TO, input, (shape,))


def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _broadcast_shape_check(src, shape):
    nd = len(shape) - len(src)
    if nd < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(src)})"
        )
    out = list(shape)
    for i, s in enumerate(src):
        t = shape[i + nd]
        if t == -1:
            out[i + nd] = s
        elif s != t and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {i + nd}.  Target sizes: {list(shape)}.  Tensor sizes: {list(src)}"
            )
    return tuple(out)


def expand(input, *sizes):
    """Matches torch.Tensor.expand (a broadcast view)."""
    shape = _broadcast_shape_check(input._data.shape, _sizes(sizes))
    if input._data.shape == shape:
        return input
    return apply1(EXPAND, input, (shape,))


def broadcast_to(input, size):
    """Matches torch.broadcast_to."""
    return expand(input, tuple(size))


def _infer_shape(shape, numel, src):
    shape = [int(s) for s in shape]
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def reshape(input, *shape):
    """Matches torch.reshape."""
    shape = _infer_shape(_sizes(shape), input._data.size, input._data.shape)
    if shape == input._data.shape:
        return apply1(RESHAPE, input, (shape,)) if input.requires_grad else _wrap(input._data)
    return apply1(RESHAPE, input, (shape,))


def unsqueeze(input, dim):
    """Matches torch.unsqueeze."""
    nd = input._data.ndim
    d = _wrap_dim(dim, nd + 1)
    shape = input._data.shape[:d] + (1,) + input._data.shape[d:]
    return apply1(UNSQUEEZE, input, (shape,))


def squeeze(input, dim=None):
    """Matches torch.squeeze."""
    s = input._data.shape
    if dim is None:
        shape = tuple(x for x in s if x != 1)
    else:
        dims = _dims(dim, input._data.ndim) or ()
        shape = tuple(x for i, x in enumerate(s) if not (i in dims and x == 1))
    return apply1(SQUEEZE, input, (shape,))


def flatten(input, start_dim=0, end_dim=-1):
    """Matches torch.flatten."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, (1,))
    s = _wrap_dim(start_dim, nd)
    e = _wrap_dim(end_dim, nd)
    shape = input._data.shape
    mid = 1
    for x in shape[s : e + 1]:
        mid *= x
    return reshape(input, shape[:s] + (mid,) + shape[e + 1 :])


def transpose(input, dim0, dim1):
    """Matches torch.transpose."""
    nd = input._data.ndim
    d0 = _wrap_dim(dim0, nd)
    d1 = _wrap_dim(dim1, nd)
    return apply1(TRANSPOSE, input, (d0, d1))


swapaxes = transpose


def t(input):
    """Matches torch.t (0-D and 1-D unchanged, 2-D transposed)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    if input._data.ndim < 2:
        return input
    return transpose(input, 0, 1)


def permute(input, *dims):
    """Matches torch.permute."""
    nd = input._data.ndim
    dims = tuple(_wrap_dim(d, nd) for d in _sizes(dims))
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    if sorted(dims) != list(range(nd)):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply1(PERMUTE, input, (dims,))


def matmul(input, other):
    """Matches torch.matmul: 1-D, 2-D and batched with broadcast batch dims."""
    _check_tensor("matmul", input)
    if not isinstance(other, TensorBase):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    xs, ys = input._data.shape, other._data.shape
    xd, yd = len(xs), len(ys)
    if xd == 0 or yd == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {xd}D and {yd}D"
        )
    kx = xs[-1]
    ky = ys[0] if yd == 1 else ys[-2]
    if kx != ky:
        if xd == 1 and yd == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{kx}] and src [{ky}] to have the same "
                f"number of elements, but got {kx} and {ky} elements respectively"
            )
        a = "x".join(str(s) for s in ((xs[-2] if xd > 1 else 1), kx)) if xd <= 2 else "x".join(map(str, xs))
        b = "x".join(str(s) for s in ((ky, ys[-1]) if yd > 1 else (ky, 1)))
        if xd <= 2 and yd <= 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a} and {b})")
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{xs[0] if xd > 2 else 1}, "
            f"{kx}] but got: [{ys[0] if yd > 2 else 1}, {ky}]."
        )
    op = _MATMUL_VARIANTS.get((xd, yd))
    if op is None:
        op = _MATMUL_BATCHED if xd == yd == 3 and xs[0] == ys[0] else _MATMUL_OTHER
    return apply2(op, input, other)


def mm(input, mat2):
    """Matches torch.mm (2-D only)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("self must be a matrix" if input.ndim != 2 else "mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Matches torch.bmm (3-D only)."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor")
    return matmul(input, mat2)


def dot(input, other):
    """Matches torch.dot (1-D only)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors"
        )
    return matmul(input, other)


def _normalize_index(index, shape):
    """Index as a tuple NumPy understands, a 'basic' flag, and the PyTorch grad_fn kind."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    kind = "alias"
    for i in index:
        if isinstance(i, TensorBase):
            i = i._data
            if i.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            basic = False
            kind = "index"
        elif isinstance(i, (list, np.ndarray)):
            i = np.asarray(i)
            basic = False
            kind = "index"
        elif isinstance(i, bool):
            basic = False
            kind = "index"
        elif isinstance(i, (int, np.integer)):
            i = int(i)
            if basic:
                kind = "select"
        elif isinstance(i, slice):
            if basic:
                kind = "slice"
        elif i is None:
            if basic:
                kind = "unsqueeze"
        elif i is Ellipsis:
            pass
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got " + type(i).__name__ + ")"
            )
        out.append(i)
    _check_index_bounds(out, shape)
    return tuple(out), basic, kind


def _check_index_bounds(index, shape):
    """IndexError with PyTorch's message for an integer index out of range."""
    dim = 0
    n_real = builtins.sum(1 for i in index if i is not None and i is not Ellipsis and not (isinstance(i, np.ndarray) and i.dtype == np.bool_))
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for i in index:
        if i is Ellipsis:
            dim = len(shape) - builtins.sum(1 for j in index[index.index(Ellipsis) + 1 :] if j is not None)
            continue
        if i is None:
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            size = shape[dim]
            if i < -size or i >= size:
                raise IndexError(
                    f"index {i} is out of bounds for dimension {dim} with size {size}"
                )
        dim += 1


def getitem(input, index):
    """input[index] with ints, slices, None, Ellipsis, and integer or bool tensors."""
    idx, basic, kind = _normalize_index(index, input._data.shape)
    try:
        return apply1(_INDEX_NAMES[kind], input, (idx, basic))
    except IndexError as e:
        raise IndexError(str(e)) from None


def index_backward(grad, shape, index, basic):
    """Scatter ``grad`` into zeros of ``shape`` at ``index`` (getitem's VJP; its own VJP is getitem)."""
    return apply1(INDEX_BWD, grad, (shape, index, basic))


def select(input, dim, index):
    """Matches torch.select."""
    d = _wrap_dim(dim, input.ndim)
    return getitem(input, (slice(None),) * d + (index,))


def narrow(input, dim, start, length):
    """Matches torch.narrow."""
    d = _wrap_dim(dim, input.ndim)
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


def to_dtype(input, dtype):
    """Cast to a dtype (mytorch or NumPy); differentiable between float dtypes."""
    npdt = dtype.np if isinstance(dtype, D.dtype) else np.dtype(dtype)
    if input._data.dtype == npdt:
        return input
    return apply1(TO_DTYPE, input, (npdt,))


def clone(input, memory_format=None):
    """Matches torch.clone."""
    return apply1(CLONE, input)


def where(condition, input, other):
    """Matches torch.where(condition, input, other)."""
    if not isinstance(condition, TensorBase):
        condition = _wrap(np.asarray(condition, dtype=bool))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
    from mytorch._core import _operand

    a = _operand(input)
    b = _operand(other)
    dt = _binary_result_dtype(a, b)
    a = to_dtype(a, dt) if isinstance(a, TensorBase) else a
    b = to_dtype(b, dt) if isinstance(b, TensorBase) else b
    return applyn(WHERE, (condition, a, b))


def cat(tensors, dim=0):
    """Matches torch.cat."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")  # ValueError, as torch
    nd = tensors[0].ndim
    d = _wrap_dim(dim, nd)
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    tensors = [to_dtype(t, dt) for t in tensors]
    for k, t in enumerate(tensors[1:], 1):
        if t.ndim != nd:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t.ndim}"
            )
        for i in range(nd):
            if i != d and t.shape[i] != tensors[0].shape[i]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{tensors[0].shape[i]} but got size {t.shape[i]} for tensor number "
                    f"{k} in the list."  # NOTE: not tensors.index(t), whose == is elementwise
                )
    return applyn(CAT, tuple(tensors), (d,))


concat = cat


def stack(tensors, dim=0):
    """Matches torch.stack."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    d = _wrap_dim(dim, tensors[0].ndim + 1)
    for i, t in enumerate(tensors[1:]):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i + 1}"
            )
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    tensors = [to_dtype(t, dt) for t in tensors]
    return applyn(STACK, tuple(tensors), (d,))


def amax(input, dim=(), keepdim=False):
    """Matches torch.amax (ties share the gradient evenly)."""
    dims = _dims(dim, input.ndim) if dim != () else None
    return apply1(AMAX, input, (dims, bool(keepdim)))


def amin(input, dim=(), keepdim=False):
    """Matches torch.amin (ties share the gradient evenly)."""
    dims = _dims(dim, input.ndim) if dim != () else None
    return apply1(AMIN, input, (dims, bool(keepdim)))


def _compare(op, input, other):
    return apply2(op, input, other)


def lt(input, other):
    return apply2(LT, input, other)


def le(input, other):
    return apply2(LE, input, other)


def gt(input, other):
    return apply2(GT, input, other)


def ge(input, other):
    return apply2(GE, input, other)


def eq(input, other):
    return apply2(EQ, input, other)


def ne(input, other):
    return apply2(NE, input, other)


_core._bind_engine_ops(ADD, sum_to, to_dtype)
