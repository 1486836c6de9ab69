"""Elementwise math: exponentials and logarithms in other bases, hyperbolic and inverse
trigonometric functions, two-input functions (atan2, hypot, fmax, fmod, logaddexp, copysign,
...), predicates (isnan, isclose, signbit, ...), logical ops, nan_to_num, lerp, float_power and
floor_divide.

Each primitive is declared once (mytorch._ops._declare), with its VJP in mytorch ops; the
derivatives at ties and kinks are PyTorch's.
"""

import builtins
import math as _m

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
    apply1,
    apply2,
)
from mytorch._ops._declare import binary, composite, declare, defop, unary
from mytorch._ops.pointwise import (
    abs,
    cos,
    div_mode,
    exp,
    pow,
    sin,
    to_dtype,
    where,
)
from mytorch._out import C_NAMES, check_out, with_out, write_out

LN2 = _m.log(2.0)
LN10 = _m.log(10.0)
PI = _m.pi


def _zero_vjp(n, g):
    return _full_like(g, 0)


def _sinc_vjp(n, g):
    x = n.x
    px = x * PI
    d = (px * cos(px) - sin(px)) / (px * x)
    return g * where(x == 0, 0.0, d)


# fmt: off
# name                  VJP: (node n, output gradient g) -> gradient of the input
exp2    = unary("exp2",    lambda n, g: g * n.out * LN2,               SAVE_OUT, KIND_FLOAT, namespace=("torch", "special"))
log2    = unary("log2",    lambda n, g: g / (n.x * LN2),               SAVE_X,   KIND_FLOAT)
log10   = unary("log10",   lambda n, g: g / (n.x * LN10),              SAVE_X,   KIND_FLOAT)
log1p   = unary("log1p",   lambda n, g: g / (n.x + 1),                 SAVE_X,   KIND_FLOAT, namespace=("torch", "special"), node_name="Log1PBackward0")
rsqrt   = unary("rsqrt",   lambda n, g: -0.5 * g * n.out ** 3,         SAVE_OUT, KIND_FLOAT)
reciprocal = unary("reciprocal", lambda n, g: -g * (n.out * n.out),    SAVE_OUT, KIND_FLOAT)
sgn     = unary("sgn",     _zero_vjp,                                  xp="sign")
frac    = unary("frac",    lambda n, g: g)
sinh    = unary("sinh",    lambda n, g: g * cosh(n.x),                 SAVE_X,   KIND_FLOAT)
cosh    = unary("cosh",    lambda n, g: g * sinh(n.x),                 SAVE_X,   KIND_FLOAT)
asin    = unary("asin",    lambda n, g: g * rsqrt(1 - n.x * n.x),      SAVE_X,   KIND_FLOAT, xp="arcsin")
acos    = unary("acos",    lambda n, g: g * -rsqrt(1 - n.x * n.x),     SAVE_X,   KIND_FLOAT, xp="arccos")
atan    = unary("atan",    lambda n, g: g / (n.x * n.x + 1),           SAVE_X,   KIND_FLOAT, xp="arctan")
asinh   = unary("asinh",   lambda n, g: g * rsqrt(n.x * n.x + 1),      SAVE_X,   KIND_FLOAT, xp="arcsinh")
acosh   = unary("acosh",   lambda n, g: g * rsqrt(n.x * n.x - 1),      SAVE_X,   KIND_FLOAT, xp="arccosh")
atanh   = unary("atanh",   lambda n, g: g / (1 - n.x * n.x),           SAVE_X,   KIND_FLOAT, xp="arctanh")
deg2rad = unary("deg2rad", lambda n, g: g * (PI / 180),                kind=KIND_FLOAT, node_name="Deg2RadBackward0")
rad2deg = unary("rad2deg", lambda n, g: g * (180 / PI),                kind=KIND_FLOAT, node_name="Rad2DegBackward0")
sinc    = unary("sinc",    _sinc_vjp,                                  SAVE_X,   KIND_FLOAT, namespace=("torch", "special"))
# fmt: on

arcsin = declare(asin, name="arcsin", method=True, inplace=True, out=True)
arccos = declare(acos, name="arccos", method=True, inplace=True, out=True)
arctan = declare(atan, name="arctan", method=True, inplace=True, out=True)
arcsinh = declare(asinh, name="arcsinh", method=True, inplace=True, out=True)
arccosh = declare(acosh, name="arccosh", method=True, inplace=True, out=True)
arctanh = declare(atanh, name="arctanh", method=True, inplace=True, out=True)


# --- two inputs -----------------------------------------------------------------------------
def _atan2_vjp(n, g):
    x, y = n.x, n.y  # atan2(x, y): x is the sine side
    r = 1 / (x * x + y * y)
    r = where(isinf(r), 0.0, r)  # torch's rule: zero gradients at the origin
    return (g * y * r if n.needs_x else None), (g * -x * r if n.needs_y else None)


def _fmax_vjp(n, g, x_wins):
    x_wins = x_wins | isnan(n.y)
    gx = where(x_wins, g, 0.0) if n.needs_x else None
    gy = where(x_wins, 0.0, g) if n.needs_y else None
    return gx, gy


def _logaddexp_vjp(n, g, e):
    gx = g / (1 + e(n.y - n.x)) if n.needs_x else None
    gy = g / (1 + e(n.x - n.y)) if n.needs_y else None
    return gx, gy


def _copysign_vjp(n, g):
    x = n.x
    gx = g * where(x == 0, 0.0, n.out / x) if n.needs_x else None
    return gx, (_full_like(g, 0) if n.needs_y else None)


def _rounded_quotient_vjp(mode):
    def vjp(n, g):
        gy = -g * div_mode(n.x, n.y, mode) if n.needs_y else None
        return (g if n.needs_x else None), gy

    return vjp


# fmt: off
# name                VJP: (node n, output gradient g) -> gradient per input
atan2     = binary("atan2",     _atan2_vjp,                                     SAVE_XY, KIND_DIV, xp="arctan2", tensors=(0, 1))
hypot     = binary("hypot",     lambda n, g: (g * n.x / n.out if n.needs_x else None, g * n.y / n.out if n.needs_y else None), SAVE_XY | SAVE_OUT, KIND_BINARY, tensors=(0, 1))
fmax      = binary("fmax",      lambda n, g: _fmax_vjp(n, g, n.x >= n.y),       SAVE_XY, KIND_BINARY, inplace=False, tensors=(0, 1))
fmin      = binary("fmin",      lambda n, g: _fmax_vjp(n, g, n.x <= n.y),       SAVE_XY, KIND_BINARY, inplace=False, tensors=(0, 1))
logaddexp = binary("logaddexp", lambda n, g: _logaddexp_vjp(n, g, exp),         SAVE_XY, KIND_BINARY, inplace=False, tensors=(0, 1))
logaddexp2 = binary("logaddexp2", lambda n, g: _logaddexp_vjp(n, g, exp2),      SAVE_XY, KIND_BINARY, inplace=False, tensors=(0, 1))
copysign  = binary("copysign",  _copysign_vjp,                                  SAVE_XY | SAVE_OUT, KIND_DIV, tensors=(0,))
logical_and = binary("logical_and", None, kind=KIND_COMPARE, tensors=(0, 1))
logical_or  = binary("logical_or",  None, kind=KIND_COMPARE, tensors=(0, 1))
logical_xor = binary("logical_xor", None, kind=KIND_COMPARE, tensors=(0, 1))
# fmt: on
arctan2 = declare(atan2, name="arctan2", method=True, inplace=True, out=True)

FMOD = defop(
    "fmod", _rounded_quotient_vjp("trunc"), SAVE_XY, KIND_BINARY, "FmodBackward1", xp="fmod"
)
FMOD_SCALAR = FMOD.variant("FmodBackward0")
REMAINDER = defop(
    "remainder",
    _rounded_quotient_vjp("floor"),
    SAVE_XY,
    KIND_BINARY,
    "RemainderBackward1",
    xp="remainder",
)
REMAINDER_SCALAR = REMAINDER.variant("RemainderBackward0")


@with_out("fmod")
def fmod(input, other):
    """Matches torch.fmod: the remainder of input / other rounded toward zero (input's sign)."""
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"fmod(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return apply2(FMOD if isinstance(other, TensorBase) else FMOD_SCALAR, input, other)


@with_out("remainder")
def remainder(input, other):
    """Matches torch.remainder: the remainder of input / other rounded down (other's sign)."""
    return apply2(REMAINDER if isinstance(other, TensorBase) else REMAINDER_SCALAR, input, other)


declare(fmod, method=True, inplace=True, out=True)
declare(remainder, method=True, inplace=True, out=True)


def _no_derivative(n, g):
    raise RuntimeError(f"derivative for aten::{n.op.name} is not implemented")


FLOOR_DIVIDE = defop(
    "floor_divide",
    _no_derivative,
    kind=KIND_BINARY,
    node_name="torch::autograd::NotImplemented",
    kernel="div_mode",
)


@with_out("floor_divide")
def floor_divide(input, other):
    """Matches torch.floor_divide: input / other rounded down (torch has no derivative)."""
    return apply2(FLOOR_DIVIDE, input, other, ("floor",))


declare(floor_divide, method=True, inplace=True, out=True)


# --- predicates: bool results, never differentiable -----------------------------------------
def _predicate(name, out):
    op = defop(name, None, xp=name)

    def fn(input):
        return apply1(op, input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name} (a bool tensor)."
    if out:
        fn = with_out(name)(fn)
    return declare(fn, method=True, out=out)


isnan = _predicate("isnan", False)
isinf = _predicate("isinf", False)
isfinite = _predicate("isfinite", False)
isneginf = _predicate("isneginf", True)
isposinf = _predicate("isposinf", True)
signbit = _predicate("signbit", True)
LOGICAL_NOT = defop("logical_not", None, xp="logical_not")


@with_out("logical_not")
def logical_not(input):
    """Matches torch.logical_not."""
    return apply1(LOGICAL_NOT, input)


declare(logical_not, method=True, inplace=True, out=True)


@composite(method=True)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Matches torch.isclose: |input - other| <= atol + rtol * |other|, equal infinities
    close, NaNs close to each other only with ``equal_nan``."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    a = input.detach()
    b = other.detach()
    close = a == b
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    if a.dtype.category >= D.FLOAT:
        err = abs(a - b)
        close = close | (isfinite(err) & (err <= atol + abs(b * rtol)))
    return close


# --- with parameters ------------------------------------------------------------------------
NAN_TO_NUM = defop(
    "nan_to_num", lambda n, g: g * isfinite(n.x), SAVE_X, node_name="NanToNumBackward0", ew=True,
    xp="nan_to_num",
)  # fmt: skip


@with_out("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Matches torch.nan_to_num: NaN, +inf and -inf replaced (by default with 0 and the
    dtype's largest and smallest finite values)."""
    return apply1(NAN_TO_NUM, input, (True, nan, posinf, neginf))


declare(nan_to_num, method=True, inplace=True, out=True)


@composite(method=True, inplace=True, out=True)
def lerp(input, end, weight, *, out=None):
    """Matches torch.lerp: input + weight * (end - input), computed from the nearer end as
    torch does."""
    if out is not None:
        check_out("lerp", out, (input, end, weight))
        return write_out(out, lerp(input, end, weight))
    for arg, t in (("end", end), ("weight", weight)):
        if isinstance(t, TensorBase) and t.dtype is not input.dtype:
            raise RuntimeError(
                f"expected dtype {C_NAMES.get(input.dtype, input.dtype.title)} for `{arg}` but "
                f"got dtype {C_NAMES.get(t.dtype, t.dtype.title)}"
            )
    d = end - input
    if not isinstance(weight, TensorBase):
        return input + weight * d if builtins.abs(weight) < 0.5 else end - d * (1 - weight)
    w = weight
    return where(abs(w.detach()) < 0.5, input + w * d, end - d * (1 - w))


def _to_wide(v, complex_):
    dt = D.complex128 if complex_ else D.float64
    return to_dtype(v, dt) if isinstance(v, TensorBase) else v


@composite(method=True, out=True)
def float_power(input, exponent, *, out=None):
    """Matches torch.float_power: pow computed in float64 (complex128 for complex operands)."""
    cplx = any(
        (v.dtype.category == D.COMPLEX) if isinstance(v, TensorBase) else isinstance(v, complex)
        for v in (input, exponent)
    )
    if out is not None:
        check_out("float_power", out, (input, exponent))
        want = D.complex128 if cplx else D.float64
        if out.dtype is not want:
            raise RuntimeError(
                f"the output given to float_power has dtype {out.dtype.title} but the "
                f"operation's result requires dtype {want.title}"
            )
        return write_out(out, float_power(input, exponent))
    return pow(_to_wide(input, cplx), _to_wide(exponent, cplx))


__all__ = []
INTERNAL = []
