"""op_db rows of mytorch._ops.math (and round's decimals): values, first and second
derivatives against torch on every device, at smooth points and at torch's ties and kinks."""

import numpy as np
from op_db import (
    ANY,
    BINARY_SHAPES,
    INT,
    NONZERO,
    POS,
    SIGNS,
    ZEROS,
    OpInfo,
    _kink,
    _nograd,
    _tie2,
    _unary,
    cycle,
)

NAN = float("nan")
INF = float("inf")
R23 = [((2, 3),)]
DIVISORS = lambda rng, shape: np.resize(np.array([3, -2, 4]), shape)  # noqa: E731
B3 = BINARY_SHAPES[:3]
SPECIALS = cycle(NAN, INF, -INF, 1.5, -0.0, 0.0)  # every predicate's cases


def uniform(lo, hi):
    """A domain: uniform in [lo, hi]."""
    return lambda rng, shape: rng.uniform(lo, hi, shape)


INSIDE = uniform(-0.8, 0.8)  # asin, acos, atanh: away from the poles at +-1
ABOVE1 = uniform(1.2, 2.5)  # acosh


def _binary(name, fn, domains=(ANY, ANY), shapes=B3, **kw):
    return OpInfo(name, fn, shapes, domains=list(domains), **kw)


ROWS = [
    # --- one input --------------------------------------------------------------------------
    _unary("exp2", lambda T, x: T.exp2(x), grad_fn="Exp2Backward0"),
    _unary("exp2_special", lambda T, x: T.special.exp2(x) * x, op="exp2"),
    _unary("log2", lambda T, x: T.log2(x), POS, grad_fn="Log2Backward0"),
    _unary("log10", lambda T, x: x.log10(), POS, grad_fn="Log10Backward0"),
    _unary("log1p", lambda T, x: T.log1p(x), POS, grad_fn="Log1PBackward0"),
    _unary("log1p_special", lambda T, x: T.special.log1p(x * x), op="log1p"),
    _unary("rsqrt", lambda T, x: T.rsqrt(x), POS, grad_fn="RsqrtBackward0"),
    _unary("reciprocal", lambda T, x: x.reciprocal(), NONZERO, grad_fn="ReciprocalBackward0"),
    _unary("sgn", lambda T, x: T.sgn(x) * x, NONZERO),
    _unary("sgn_node", lambda T, x: T.sgn(x), NONZERO, grad_fn="SgnBackward0", op="sgn"),
    _kink("sgn_zero", lambda T, x: x.sgn() * x, SIGNS, op="sgn"),
    _unary("frac", lambda T, x: T.frac(x * 3), grad_fn=None),
    _unary("frac_node", lambda T, x: x.frac(), grad_fn="FracBackward0", op="frac"),
    _unary("sinh", lambda T, x: T.sinh(x), grad_fn="SinhBackward0"),
    _unary("cosh", lambda T, x: x.cosh(), grad_fn="CoshBackward0"),
    _unary("asin", lambda T, x: T.asin(x), INSIDE, grad_fn="AsinBackward0"),
    _unary("arcsin", lambda T, x: T.arcsin(x) * x, INSIDE, op="asin"),
    _unary("acos", lambda T, x: T.acos(x), INSIDE, grad_fn="AcosBackward0"),
    _unary("atan", lambda T, x: T.arctan(x), grad_fn="AtanBackward0"),
    _unary("asinh", lambda T, x: x.asinh(), grad_fn="AsinhBackward0"),
    _unary("acosh", lambda T, x: T.arccosh(x), ABOVE1, grad_fn="AcoshBackward0"),
    _unary("atanh", lambda T, x: T.atanh(x), INSIDE, grad_fn="AtanhBackward0"),
    _unary("deg2rad", lambda T, x: T.deg2rad(x), grad_fn="Deg2RadBackward0"),
    _unary("rad2deg", lambda T, x: x.rad2deg(), grad_fn="Rad2DegBackward0"),
    _unary("sinc", lambda T, x: T.sinc(x), grad_fn="SincBackward0"),
    _unary("sinc_special", lambda T, x: T.special.sinc(x * 2) * x, op="sinc"),
    _kink("sinc_zero", lambda T, x: T.sinc(x), cycle(0, 1, -0.5), op="sinc", gradgrad=False),
    _kink(
        "nan_to_num",
        lambda T, x: T.nan_to_num(x * 2),
        cycle(NAN, INF, -INF, 0.5),
        grad_fn=None,
        gradgrad=False,
    ),
    _kink(
        "nan_to_num_values",
        lambda T, x: x.nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0) * x,
        cycle(NAN, INF, -INF, 0.5),
        op="nan_to_num",
    ),
    _unary(
        "nan_to_num_smooth",
        lambda T, x: T.nan_to_num(x),
        grad_fn="NanToNumBackward0",
        op="nan_to_num",
    ),
    _unary("round_decimals", lambda T, x: T.round(x * 100, decimals=-1), op="round"),
    _unary(
        "round_decimals_node",
        lambda T, x: x.round(decimals=2),
        grad_fn="RoundBackward1",
        op="round",
    ),
    _nograd(
        "round_decimals_values", lambda T, x: T.round(x * 10, decimals=2), R23, ANY, op="round"
    ),
    # --- two inputs -------------------------------------------------------------------------
    _binary("atan2", lambda T, x, y: T.atan2(x, y), grad_fn="Atan2Backward0"),
    _binary(
        "arctan2_scalar",
        lambda T, x: T.arctan2(x, x.detach() * 0 + 2.0),
        [ANY],
        [((2, 3),)],
        op="atan2",
    ),
    _tie2("atan2_origin", lambda T, x, y: T.atan2(x, y), [((3,), (3,))], ZEROS, ZEROS, op="atan2"),
    _binary("hypot", lambda T, x, y: T.hypot(x, y), (NONZERO, NONZERO), grad_fn="HypotBackward0"),
    _binary("fmax", lambda T, x, y: T.fmax(x, y), grad_fn="FmaxBackward0"),
    _binary("fmin", lambda T, x, y: x.fmin(y), grad_fn="FminBackward0"),
    _tie2("fmax_ties", lambda T, x, y: T.fmax(x, y), B3, SIGNS, ZEROS, op="fmax"),
    _tie2("fmin_ties", lambda T, x, y: T.fmin(x, y), B3, SIGNS, ZEROS, op="fmin"),
    _tie2(
        "fmax_nan",
        lambda T, x, y: T.fmax(x, y),
        [((3,), (3,))],
        cycle(NAN, 1, NAN),
        cycle(1, NAN, NAN),
        op="fmax",
    ),
    _tie2(
        "fmin_nan",
        lambda T, x, y: T.fmin(x, y),
        [((3,), (3,))],
        cycle(NAN, 1, NAN),
        cycle(1, NAN, NAN),
        op="fmin",
    ),
    _binary("fmod", lambda T, x, y: T.fmod(x, y), (ANY, NONZERO), grad_fn="FmodBackward1"),
    _binary("fmod_scalar", lambda T, x: x.fmod(0.7), [ANY], [((2, 3),)], op="fmod"),
    _binary(
        "remainder", lambda T, x, y: T.remainder(x, y), (ANY, NONZERO), grad_fn="RemainderBackward1"
    ),
    _binary(
        "remainder_scalar", lambda T, x: T.remainder(x, -0.7), [ANY], [((2, 3),)], op="remainder"
    ),
    _binary("logaddexp", lambda T, x, y: T.logaddexp(x, y), grad_fn="LogaddexpBackward0"),
    _binary("logaddexp2", lambda T, x, y: x.logaddexp2(y), grad_fn="Logaddexp2Backward0"),
    _binary("copysign", lambda T, x, y: T.copysign(x, y), (NONZERO, NONZERO), grad_fn=None),
    _binary(
        "copysign_scalar", lambda T, x: x.copysign(-1.0) * x, [NONZERO], [((2, 3),)], op="copysign"
    ),
    _tie2(
        "copysign_zero",
        lambda T, x, y: T.copysign(x, y),
        [((3,), (3,))],
        cycle(0, -1, 2),
        cycle(1, -1, -1),
        op="copysign",
    ),
    _nograd(
        "fmod_int",
        lambda T, x, y: T.fmod(x, y),
        [((2, 3), (3,))],
        domains=[INT, DIVISORS],
        op="fmod",
    ),
    _nograd(
        "remainder_int",
        lambda T, x, y: x.remainder(y),
        [((2, 3), (3,))],
        domains=[INT, DIVISORS],
        op="remainder",
    ),
    _nograd("floor_divide", lambda T, x, y: T.floor_divide(x, y), B3, domains=[ANY, NONZERO]),
    _nograd(
        "floor_divide_int",
        lambda T, x, y: x.floor_divide(y),
        [((2, 3), (3,))],
        domains=[INT, DIVISORS],
        op="floor_divide",
    ),
    # --- predicates and logical ops (bool results) -----------------------------------------
    _nograd("isnan", lambda T, x: T.isnan(x), R23, SPECIALS),
    _nograd("isinf", lambda T, x: x.isinf(), R23, SPECIALS),
    _nograd("isfinite", lambda T, x: T.isfinite(x), R23, SPECIALS),
    _nograd("isneginf", lambda T, x: T.isneginf(x), R23, SPECIALS),
    _nograd("isposinf", lambda T, x: x.isposinf(), R23, SPECIALS),
    _nograd("signbit", lambda T, x: T.signbit(x), R23, SPECIALS),
    _nograd("isnan_int", lambda T, x: T.isfinite(x) & ~x.isnan(), R23, INT, op="isnan"),
    _nograd("signbit_int", lambda T, x: x.signbit(), R23, INT, op="signbit"),
    _nograd("logical_and", lambda T, x, y: T.logical_and(x, y), B3, domains=[SIGNS, ZEROS]),
    _nograd("logical_or", lambda T, x, y: T.logical_or(x, y), B3, domains=[SIGNS, ZEROS]),
    _nograd("logical_xor", lambda T, x, y: x.logical_xor(y), B3, domains=[SIGNS, cycle(1, 0)]),
    _nograd("logical_not", lambda T, x: T.logical_not(x), R23, SIGNS),
    _nograd(
        "logical_int", lambda T, x, y: T.logical_and(x, y), [((2, 3), (3,))], INT, op="logical_and"
    ),
    _nograd(
        "isclose",
        lambda T, x, y: T.isclose(x, y),
        [((6,), (6,))],
        domains=[cycle(NAN, INF, 1.0, 1.0, 0.0, -INF), cycle(NAN, INF, 1.0 + 1e-6, 1.1, 1e-9, INF)],
        op="eq",
    ),
    _nograd(
        "isclose_nan",
        lambda T, x, y: x.isclose(y, rtol=0.1, atol=0.0, equal_nan=True),
        [((6,), (6,))],
        domains=[cycle(NAN, INF, 1.0, 1.0, 0.0, -INF), cycle(NAN, INF, 1.05, 1.2, 1e-9, INF)],
        op="eq",
    ),
    # --- composites ----------------------------------------------------------------------------
    OpInfo("lerp", lambda T, x, y: T.lerp(x, y, 0.3), B3, op="add"),
    OpInfo("lerp_far", lambda T, x, y: x.lerp(y, 0.8), B3, op="sub"),
    OpInfo("lerp_tensor", lambda T, x, y, w: T.lerp(x, y, w), [((2, 3), (3,), (2, 3))], op="where"),
    OpInfo("float_power", lambda T, x, y: T.float_power(x, y), B3, domains=[POS, ANY], op="pow"),
    _unary("float_power_scalar", lambda T, x: x.float_power(2), op="pow"),
    _unary("float_power_base", lambda T, x: T.float_power(2, x), op="pow"),
]
