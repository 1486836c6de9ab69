"""Pointwise ops: arithmetic, unary math, comparisons, bitwise, rounding, where, and copies
(clone, dtype casts, device moves).

Each table line declares a primitive once: torch name = kernel name, what its Node saves, and
its VJP in mytorch ops (so it differentiates again). Broadcasting is the engine's business: it
sums every gradient down to its input's shape.
"""

import numbers as _numbers

from mytorch import _backends
from mytorch import _device
from mytorch import _dtype as D
from mytorch._core import (
    KIND_BINARY,
    KIND_COMPARE,
    KIND_DIV,
    KIND_FLOAT,
    SAVE_OUT,
    SAVE_X,
    SAVE_XY,
    TensorBase,
    _full_like,
    _wrap,
    apply1,
    apply2,
)
from mytorch._applyn import applyn
from mytorch._out import check_out, same_dtype, with_out, write_out
from mytorch._ops._declare import declare, defop, unary
from mytorch._registry import Op
from mytorch._promotion import binary_dtype, check_sub, operand
from mytorch._ops.fused import relu_backward, sigmoid_backward, tanh_backward


def _pow_vjp(n, g):
    x, y = n.inputs
    if isinstance(y, TensorBase):
        # d(x**y)/dx = y * x**(y - 1), taken as 0 where y == 0 (PyTorch's mask: 0 ** -1 is inf).
        gx = where(y == 0, 0.0, g * y * x ** (y - 1)) if n.needs_x else None
        gy = None
        if n.needs_y:
            # NOTE: d(x**y)/dy = x**y * log(x), taken as 0 where x == 0 and y >= 0 (PyTorch's mask).
            # The mask is on the factor, so the derivative with respect to g is 0 there too.
            gy = g * where((x == 0) & (y >= 0), 0.0, n.out * log(x))
        return gx, gy
    if y == 0:
        return g * 0.0, None
    if y == 2:
        return g * (2 * x), None
    return g * (y * x ** (y - 1)), None


def _extremum_vjp(n, g, x_loses, y_loses):
    """maximum/minimum (PyTorch's rule): each input gets the gradient except where it loses,
    half of it where x == y."""
    share = where(n.x == n.y, g * 0.5, g)
    gx = where(x_loses, 0.0, share) if n.needs_x else None
    gy = where(y_loses, 0.0, share) if n.needs_y else None
    return gx, gy


def _div_vjp(n, g):
    # d(x/y)/dy = -out / y, so both gradients share g / y.
    gx = g / n.y
    return (gx if n.needs_x else None), (-(gx * n.out) if n.needs_y else None)


def _within(x, lo, hi):
    """1 where lo <= x <= hi (bounds may be None), else 0: clamp's derivative (PyTorch's: the
    bounds themselves pass the gradient)."""
    x = x.detach()
    inside = (x >= lo) if lo is not None else None
    if hi is not None:
        inside = (x <= hi) if inside is None else inside & (x <= hi)
    return inside


def _zero_vjp(n, g):
    """The gradient of a step function (floor, sign, ...): zeros, as in PyTorch."""
    return _full_like(g, 0)


def _to_device_vjp(n, g):
    dst, src = n.params
    return apply1(TO_DEVICE, g, (src, dst))


# fmt: off
# name               VJP: (node n, output gradient g) -> gradient per input
ADD      = defop("add",      lambda n, g: (g, g),                                               kind=KIND_BINARY)
SUB      = defop("sub",      lambda n, g: (g, -g if n.needs_y else None),                       kind=KIND_BINARY)
RSUB     = defop("rsub",     lambda n, g: (g, -g if n.needs_y else None),                       kind=KIND_BINARY, node_name="RsubBackward1", kernel="sub")
MUL      = defop("mul",      lambda n, g: (g * n.y if n.needs_x else None, g * n.x if n.needs_y else None), SAVE_XY, KIND_BINARY)
DIV      = defop("div",      _div_vjp,                                                          SAVE_XY | SAVE_OUT, KIND_DIV)
DIV_MODE = defop("div_mode", lambda n, g: (_full_like(g, 0) if n.needs_x else None, _full_like(g, 0) if n.needs_y else None), kind=KIND_BINARY, node_name="DivBackward2")
POW      = defop("pow",      _pow_vjp,                                                          SAVE_XY | SAVE_OUT, KIND_BINARY)
POW_T    = POW.variant("PowBackward1")
POW_S    = POW.variant("PowBackward2")
NEG      = defop("neg",      lambda n, g: -g,                                                   ew=True)
SIGN     = defop("sign",     _zero_vjp,                                                         ew=True, xp="sign")
FLOOR    = defop("floor",    _zero_vjp,                                                         ew=True, xp="floor")
CEIL     = defop("ceil",     _zero_vjp,                                                         ew=True, xp="ceil")
ROUND    = defop("round",    _zero_vjp,                                                         ew=True, xp="rint")
TRUNC    = defop("trunc",    _zero_vjp,                                                         ew=True, xp="trunc")
MAXIMUM  = defop("maximum",  lambda n, g: _extremum_vjp(n, g, n.x < n.y, n.x > n.y),           SAVE_XY, KIND_BINARY, xp="maximum")
MINIMUM  = defop("minimum",  lambda n, g: _extremum_vjp(n, g, n.x > n.y, n.x < n.y),           SAVE_XY, KIND_BINARY, xp="minimum")
WHERE    = defop("where",    lambda n, g: (None, where(n.x, g, 0.0), where(n.x, 0.0, g)),       SAVE_X)
CLONE    = defop("clone",    lambda n, g: g,                                                    ew=True)
TO_DTYPE = defop("to_dtype", lambda n, g: to_dtype(g, n.dtypes[0]),                             node_name="ToCopyBackward0")
TO_DEVICE = defop("to_device", _to_device_vjp,                                                  node_name="ToCopyBackward0")
CLAMP    = defop("clamp",    lambda n, g: g * _within(n.x, *n.params),                          SAVE_X, node_name="ClampBackward1", ew=True)
CLAMP_MIN = CLAMP.variant("ClampMinBackward0")
CLAMP_MAX = CLAMP.variant("ClampMaxBackward0")
NONZERO  = defop("nonzero",  None)
FILL     = defop("fill",     _zero_vjp,                                       node_name="FillBackward2", ew=True)
ZERO     = FILL.variant("ZeroBackward0")
COPY     = defop("copy",     lambda n, g: (_full_like(g, 0) if n.needs_x else None, g if n.needs_y else None), node_name="torch::autograd::CopyBackwards")
LT = defop("lt", None, kind=KIND_COMPARE)
LE = defop("le", None, kind=KIND_COMPARE)
GT = defop("gt", None, kind=KIND_COMPARE)
GE = defop("ge", None, kind=KIND_COMPARE)
EQ = defop("eq", None, kind=KIND_COMPARE)
NE = defop("ne", None, kind=KIND_COMPARE)
# Bitwise ops take bool and integer tensors only, so they never record a Node.
BITWISE_AND = defop("bitwise_and", None, kind=KIND_BINARY, xp="bitwise_and")
BITWISE_OR  = defop("bitwise_or",  None, kind=KIND_BINARY, xp="bitwise_or")
BITWISE_XOR = defop("bitwise_xor", None, kind=KIND_BINARY, xp="bitwise_xor")
BITWISE_NOT = defop("bitwise_not", None, xp="invert")
# fmt: on

# One-input elementwise ops, each declared once: from the line come the function, the Tensor
# method, the in-place method, out= and the reference kernel (xp.<name>, or the backend's
# method of that name where it has one: tanh, sigmoid and relu have their own).
# fmt: off
# name               VJP: (node n, output gradient g) -> gradient of the input
exp     = unary("exp",     lambda n, g: g * n.out,                      SAVE_OUT, KIND_FLOAT)
log     = unary("log",     lambda n, g: g / n.x,                        SAVE_X,   KIND_FLOAT)
sin     = unary("sin",     lambda n, g: g * cos(n.x),                   SAVE_X,   KIND_FLOAT)
cos     = unary("cos",     lambda n, g: -g * sin(n.x),                  SAVE_X,   KIND_FLOAT)
tan     = unary("tan",     lambda n, g: g * (1 + n.out * n.out),        SAVE_OUT, KIND_FLOAT)
tanh    = unary("tanh",    lambda n, g: tanh_backward(g, n.out),        SAVE_OUT, KIND_FLOAT)
sigmoid = unary("sigmoid", lambda n, g: sigmoid_backward(g, n.out),     SAVE_OUT, KIND_FLOAT)
relu    = unary("relu",    lambda n, g: relu_backward(g, n.out),        SAVE_OUT)
sqrt    = unary("sqrt",    lambda n, g: g / (2 * n.out),                SAVE_OUT, KIND_FLOAT)
abs     = unary("abs",     lambda n, g: g * apply1(SIGN, n.x),          SAVE_X, xp="absolute")
expm1   = unary("expm1",   lambda n, g: g * (n.out + 1),                SAVE_OUT, KIND_FLOAT, namespace=("torch", "special"))
# fmt: on
absolute = declare(abs, name="absolute", method=True, inplace=True, out=True)


# --- arithmetic ---------------------------------------------------------------------------
def add(input, other, alpha=1, *, out=None):
    """Matches torch.add."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, TensorBase) else other * alpha
    if out is not None:
        check_out("add", out, (input, other))
        return write_out(out, apply2(ADD, input, other))
    return apply2(ADD, input, other)


def sub(input, other, alpha=1, *, out=None):
    """Matches torch.sub."""
    if alpha != 1:
        check_sub(operand(input), operand(other))  # bool operands, before other is scaled
        other = mul(other, alpha) if isinstance(other, TensorBase) else other * alpha
    if out is not None:
        check_out("sub", out, (input, other))
        return write_out(out, apply2(SUB, input, other))
    return apply2(SUB, input, other)


_RSUB_TENSORS = RSUB.variant("RsubBackward0")  # PyTorch's overload for two tensors


def rsub(input, other):
    """other - input. Matches torch.rsub."""
    return apply2(_RSUB_TENSORS if isinstance(other, TensorBase) else RSUB, other, input)


def mul(input, other, *, out=None):
    """Matches torch.mul."""
    if out is not None:
        check_out("mul", out, (input, other))
        return write_out(out, apply2(MUL, input, other))
    return apply2(MUL, input, other)


def div(input, other, rounding_mode=None, *, out=None):
    """Matches torch.div (true division; rounding modes 'trunc' and 'floor' are not
    differentiable)."""
    if out is not None:
        check_out("div", out, (input, other))
        return write_out(out, div(input, other, rounding_mode))
    if rounding_mode is None:
        return apply2(DIV, input, other)
    if rounding_mode not in ("trunc", "floor"):
        if not isinstance(rounding_mode, str):
            raise TypeError(
                f"div(): argument 'rounding_mode' must be str, not {type(rounding_mode).__name__}"
            )
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    return div_mode(input, other, rounding_mode)


def div_mode(input, other, rounding_mode):
    """div with rounding: a step function of both inputs, so its gradients are zeros (torch's
    div.Tensor_mode overload)."""
    return apply2(DIV_MODE, input, other, (rounding_mode,))


def pow(input, exponent, *, out=None):
    """Matches torch.pow."""
    if out is not None:
        check_out("pow", out, (input, exponent))
        return write_out(out, pow(input, exponent))
    if isinstance(exponent, TensorBase):
        if not isinstance(input, TensorBase):
            # NOTE: the scalar base promotes like a Python scalar (2.0 ** int tensor is float32).
            dt = binary_dtype(input, exponent)
            d = exponent._data
            input = _wrap(_backends.for_array(d).full((), input, dt.np))
            return apply2(POW_S, input, exponent)
        return apply2(POW_T, input, exponent)
    return apply2(POW, input, exponent)


@with_out("neg")
def neg(input):
    """Matches torch.neg."""
    return apply1(NEG, input)


negative = neg
divide = declare(div, name="divide", method=True, inplace=True, out=True)
true_divide = declare(div, name="true_divide", method=True, inplace=True, out=True)
multiply = declare(mul, name="multiply", method=True, inplace=True, out=True)
subtract = declare(sub, name="subtract", method=True, inplace=True, out=True)


# --- unary math ---------------------------------------------------------------------------
@with_out("sign")
def sign(input):
    """Matches torch.sign (gradient zero)."""
    if isinstance(input, TensorBase) and input.dtype.is_complex:
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
            "torch.sgn instead."
        )
    return apply1(SIGN, input)


def _rounding(op, input):
    if isinstance(input, TensorBase) and input.dtype is D.bool_:
        raise NotImplementedError(f"\"{op.name}_vml_cpu\" not implemented for 'Bool'")
    if isinstance(input, TensorBase) and input.dtype.category < D.FLOAT:
        return clone(input)  # NOTE: integers are already whole; NumPy would return floats
    return apply1(op, input)


@with_out("floor")
def floor(input):
    """Matches torch.floor (gradient zero)."""
    return _rounding(FLOOR, input)


@with_out("ceil")
def ceil(input):
    """Matches torch.ceil (gradient zero)."""
    return _rounding(CEIL, input)


# round(x, decimals=d): xp.round(x, d), which scales by 10 ** |d| as torch does
_ROUND_DECIMALS = Op("round", "round_decimals", _zero_vjp, 0, 0, "RoundBackward1", True, 0, "round")


@with_out("round")
def round(input, *, decimals=0):
    """Matches torch.round: halves to even (gradient zero); ``decimals`` digits kept."""
    if decimals:
        if isinstance(input, TensorBase) and input.dtype.category < D.FLOAT:
            raise NotImplementedError(f"\"round_cpu\" not implemented for '{input.dtype.title}'")
        return apply1(_ROUND_DECIMALS, input, (decimals,))
    return _rounding(ROUND, input)


@with_out("trunc")
def trunc(input):
    """Matches torch.trunc (gradient zero)."""
    return _rounding(TRUNC, input)


fix = trunc


def _two_tensors(name, input, other):
    """torch.maximum and torch.minimum take tensors only (no Python scalars)."""
    for arg, pos, v in (("input", 1, input), ("other", 2, other)):
        if not isinstance(v, TensorBase):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                f"{type(v).__name__}"
            )


@with_out("maximum")
def maximum(input, other):
    """Matches torch.maximum (where the two tie, each gets half the gradient)."""
    _two_tensors("maximum", input, other)
    return apply2(MAXIMUM, input, other)


@with_out("minimum")
def minimum(input, other):
    """Matches torch.minimum (where the two tie, each gets half the gradient)."""
    _two_tensors("minimum", input, other)
    return apply2(MINIMUM, input, other)


# --- comparisons (no gradient) ------------------------------------------------------------
@with_out("lt")
def lt(input, other):
    """Matches torch.lt."""
    return apply2(LT, input, other)


@with_out("le")
def le(input, other):
    """Matches torch.le."""
    return apply2(LE, input, other)


@with_out("gt")
def gt(input, other):
    """Matches torch.gt."""
    return apply2(GT, input, other)


@with_out("ge")
def ge(input, other):
    """Matches torch.ge."""
    return apply2(GE, input, other)


@with_out("eq")
def eq(input, other):
    """Matches torch.eq."""
    return apply2(EQ, input, other)


@with_out("ne")
def ne(input, other):
    """Matches torch.ne."""
    return apply2(NE, input, other)


less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


# --- bitwise (bool and integer tensors) ---------------------------------------------------
def _check_bitwise(name, *operands):
    for v in operands:
        dt = v.dtype if isinstance(v, TensorBase) else D.scalar_dtype(v)
        if dt.category > D.INT:
            title = "ComplexFloat" if dt.category == D.COMPLEX else "Float"
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{title}'")


@with_out("bitwise_and")
def bitwise_and(input, other):
    """Matches torch.bitwise_and (the ``&`` operator)."""
    _check_bitwise("bitwise_and", input, other)
    return apply2(BITWISE_AND, input, other)


@with_out("bitwise_or")
def bitwise_or(input, other):
    """Matches torch.bitwise_or (the ``|`` operator)."""
    _check_bitwise("bitwise_or", input, other)
    return apply2(BITWISE_OR, input, other)


@with_out("bitwise_xor")
def bitwise_xor(input, other):
    """Matches torch.bitwise_xor (the ``^`` operator)."""
    _check_bitwise("bitwise_xor", input, other)
    return apply2(BITWISE_XOR, input, other)


@with_out("bitwise_not")
def bitwise_not(input):
    """Matches torch.bitwise_not (the ``~`` operator)."""
    if input.dtype.category > D.INT:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return apply1(BITWISE_NOT, input)


# --- selection and copies -----------------------------------------------------------------
@with_out("where", same_dtype)
def where(condition, input=None, other=None):
    """Matches torch.where(condition, input, other), and where(condition) as
    nonzero(condition, as_tuple=True)."""
    if input is None and other is None and isinstance(condition, TensorBase):
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, TensorBase):
        raise TypeError(
            "where(): argument 'condition' (position 1) must be Tensor, not "
            f"{type(condition).__name__}"
        )
    if condition.dtype is not D.bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype.title}"
        )
    a = operand(input)
    b = operand(other)
    dt = binary_dtype(a, b)
    a = to_dtype(a, dt) if isinstance(a, TensorBase) else a
    b = to_dtype(b, dt) if isinstance(b, TensorBase) else b
    if not isinstance(a, TensorBase) and not isinstance(b, TensorBase):
        d = condition._data
        a = _wrap(_backends.for_array(d).full((), a, dt.np))
    elif dt.np.kind == "V":  # bfloat16: NumPy would take a Python scalar beside it as float32
        d = condition._data
        if not isinstance(a, TensorBase):
            a = _wrap(_backends.for_array(d).full((), a, dt.np))
        if not isinstance(b, TensorBase):
            b = _wrap(_backends.for_array(d).full((), b, dt.np))
    return applyn(WHERE, (condition, a, b))


def fill(input, value):
    """A tensor of ``input``'s shape, dtype and device filled with ``value``, with a zero
    gradient to ``input`` (what ``fill_`` writes; a tensor value is copied)."""
    if isinstance(value, TensorBase):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        return copy(input, value)
    return apply1(FILL, input, (value,))


def zero(input):
    """Zeros like ``input`` with a zero gradient to it (what ``zero_`` writes)."""
    return apply1(ZERO, input, (0,))


def copy(input, src):
    """``src`` broadcast to ``input``'s shape in its dtype, with a zero gradient to ``input``
    (what ``copy_`` writes)."""
    if isinstance(src, TensorBase) and src.device != input.device:
        src = to_device(src, input.device)
    return apply2(COPY, input, src)


_NUMBER = (_numbers.Number,)


@with_out("clamp", same_dtype)
def clamp(input, min=None, max=None):
    """Matches torch.clamp (tensor bounds broadcast and get gradients too)."""
    if isinstance(min, TensorBase) or isinstance(max, TensorBase):
        if not all(b is None or isinstance(b, TensorBase) for b in (min, max)):
            raise TypeError(
                "clamp() received an invalid combination of arguments: the bounds must be both "
                "tensors or both numbers"
            )
        return _clamp_tensors(input, min, max)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for b in (min, max):
        if b is not None and not isinstance(b, _NUMBER):
            raise TypeError(
                f"clamp() received an invalid combination of arguments - got (Tensor, "
                f"{type(b).__name__}): the bounds must be numbers or tensors"
            )
    return apply1(CLAMP, input, (min, max))


def _clamp_tensors(input, lo, hi):
    """clamp with tensor bounds (either may be None). The gradient follows PyTorch's rule: to
    input where lo <= input <= hi, to lo where input < lo < hi, to hi where input > hi or
    hi < lo; nowhere where input < lo == hi."""
    x = input.detach()
    lo_d = None if lo is None else lo.detach()
    hi_d = None if hi is None else hi.detach()
    value = x
    if lo is not None:
        value = maximum(value, lo_d)
    if hi is not None:
        value = minimum(value, hi_d)
    if not any(t is not None and t.requires_grad for t in (input, lo, hi)):
        return value
    # Three disjoint masks pick the differentiable source; elsewhere the detached value.
    out = value
    take_x = None
    if hi is not None:
        take_hi = (x > hi_d) if lo is None else (x > hi_d) | (hi_d < lo_d)
        out = where(take_hi, hi, out)
        take_x = x <= hi_d
    if lo is not None:
        take_lo = (x < lo_d) if hi is None else (x < lo_d) & (lo_d < hi_d)
        out = where(take_lo, lo, out)
        take_x = (x >= lo_d) if take_x is None else take_x & (x >= lo_d)
    return where(take_x, input, out)


@with_out("clamp_min", same_dtype)
def clamp_min(input, min):
    """Matches torch.clamp_min."""
    if isinstance(min, TensorBase):
        return _clamp_tensors(input, min, None)
    return apply1(CLAMP_MIN, input, (min, None))


@with_out("clamp_max", same_dtype)
def clamp_max(input, max):
    """Matches torch.clamp_max."""
    if isinstance(max, TensorBase):
        return _clamp_tensors(input, None, max)
    return apply1(CLAMP_MAX, input, (None, max))


clip = clamp


def nonzero(input, as_tuple=False):
    """Matches torch.nonzero: the indices of the nonzero elements (int64, one row each)."""
    if as_tuple is not True and as_tuple is not False:
        raise TypeError(
            f"nonzero(): argument 'as_tuple' must be bool, not {type(as_tuple).__name__}"
        )
    out = apply1(NONZERO, input)
    if not as_tuple:
        return out
    if input.ndim == 0:  # torch: one index tensor, [0] when the scalar is nonzero
        return (out.new_zeros(out.shape[0]),)
    return tuple(out[:, i].clone() for i in range(input.ndim))


def clone(input, memory_format=None):
    """Matches torch.clone."""
    return apply1(CLONE, input)


def to_dtype(input, dtype):
    """Cast to a dtype (mytorch or NumPy); differentiable between float dtypes."""
    npdt = dtype.np if isinstance(dtype, D.dtype) else D.from_numpy_dtype(dtype).np
    if input._data.dtype == npdt:
        return input
    return apply1(TO_DTYPE, input, (npdt,))


def to_device(input, device):
    """A differentiable copy on ``device`` (``input`` itself when it is there already)."""
    dev = _device.device(device)
    src = _backends.for_array(input._data)
    dst = _backends.for_device(dev)
    if src is dst:
        return input
    return apply1(TO_DEVICE, input, (dst, src))


__all__ = [
    "add", "sub", "rsub", "mul", "div", "pow", "neg", "negative", "sign", "floor", "ceil",
    "round", "trunc", "fix", "maximum", "minimum", "lt", "le", "gt", "ge", "eq", "ne", "less",
    "less_equal", "greater", "greater_equal", "not_equal", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "where", "clamp", "clip", "clamp_min", "clamp_max", "nonzero",
    "clone", "fill",
]  # fmt: skip
INTERNAL = ["to_dtype", "to_device", "div_mode", "zero", "copy"]
