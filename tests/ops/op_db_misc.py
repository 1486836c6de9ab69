"""op_db rows of the in-place forms (mytorch/_ops/inplace_forms.py) and the miscellaneous ops
(mytorch/_ops/misc_ops.py, linalg_legacy.py): values, first and second derivatives against
torch on every device."""

import numpy as np
from op_db import ANY, BINARY_SHAPES, INT, NONZERO, POS, TIES, OpInfo, _nograd, _unary, cycle

R23 = [((2, 3),)]
SHIFTS = lambda rng, shape: np.resize(np.array([1, 2, 64, 70, -1, 0, 5]), shape)  # noqa: E731
F32 = {"float32": dict(rtol=2e-3, atol=2e-3)}
SQ = [((3, 3),), ((2, 3, 3),)]
FREXP = lambda rng, shape: np.resize(np.array([0.75, -3.0, 1e-3, 5.5, 1000.0, -0.3]), shape)  # noqa: E731
INTS = lambda rng, shape: np.resize(np.array([1, -8, 3, 5, -1, 0, 7]), shape)  # noqa: E731


def _two(name, fn, shapes, domains, **kw):
    return OpInfo(name, fn, shapes, domains=list(domains), **kw)


ROWS = [
    # --- torch.<op>_ and Tensor in-place forms (composites of other families' ops) ---------
    _unary("torch_exp_", lambda T, x: T.exp_(x * 1), op="exp"),
    _unary("torch_clamp_", lambda T, x: T.clamp_(x * 1, -0.5, 0.5), op="clamp"),
    _unary("torch_fill_", lambda T, x: T.fill_(x * 1, 2.0) * x, op="fill"),
    _unary("torch_zero_", lambda T, x: T.zero_(x * 1) + x, op="fill"),
    _unary("torch_xlogy_", lambda T, x: T.xlogy_(x * 1, x), POS, op="xlogy"),
    _unary("sign_", lambda T, x: (x * 1).sign_() * x, NONZERO, op="sign"),
    _unary("clamp_min_", lambda T, x: (x * 1).clamp_min_(0.2), op="clamp"),
    _unary("clamp_max_", lambda T, x: T.clamp_max_(x * 1, 0.2), op="clamp"),
    _unary("negative_", lambda T, x: T.negative_(x * 1), op="neg"),
    _unary("fix_", lambda T, x: T.fix_(x * 3) * x, op="trunc"),
    _unary("float_power_", lambda T, x: (x.double() * 1).float_power_(2), POS, op="pow"),
    _unary("lt_", lambda T, x: (x * 1).lt_(0.1) * x, op="copy"),
    _unary(
        "fill_diagonal_",
        lambda T, x: (x * 1).fill_diagonal_(3.0),
        shapes=[((3, 2),), ((2, 3),)],
        op="where",
    ),
    _unary(
        "fill_diagonal_wrap",
        lambda T, x: (x * 1).fill_diagonal_(3.0, wrap=True),
        shapes=[((7, 2),)],
        op="where",
    ),
    _unary(
        "fill_diagonal_3d",
        lambda T, x: (x * 1).fill_diagonal_(-1.0),
        shapes=[((2, 2, 2),)],
        op="where",
    ),
    _unary("squeeze_", lambda T, x: (x * 1).squeeze_(1), shapes=[((2, 1, 3),)], op="reshape"),
    _unary("unsqueeze_", lambda T, x: (x * 1).unsqueeze_(-1), op="reshape"),
    _unary("t_", lambda T, x: (x * 1).t_() * 2, shapes=R23, op="transpose"),
    _unary("transpose_", lambda T, x: (x * 1).transpose_(0, 1)[1:], shapes=R23, op="transpose"),
    # --- shifts: integers only ----------------------------------------------------------------
    _two(
        "bitwise_left_shift",
        lambda T, x, y: T.bitwise_left_shift(x, y),
        [((7,), (7,)), ((2, 7), (7,))],
        (INTS, SHIFTS),
        grad=False,
        gradgrad=False,
    ),
    _two(
        "bitwise_right_shift",
        lambda T, x, y: x >> y,
        [((7,), (7,)), ((2, 7), (7,))],
        (INTS, SHIFTS),
        grad=False,
        gradgrad=False,
    ),
    _nograd(
        "lshift_scalar",
        lambda T, x: (x << 3) + (2 << x.clamp(0, 5)),
        R23,
        INT,
        op="bitwise_left_shift",
    ),
    # --- misc_ops: primitives without derivatives ---------------------------------------------
    _two(
        "heaviside",
        lambda T, x, y: T.heaviside(x, y),
        BINARY_SHAPES[:3],
        (TIES, ANY),
        grad=False,
        gradgrad=False,
    ),  # fmt: skip
    _two(
        "gcd",
        lambda T, x, y: T.gcd(x, y),
        BINARY_SHAPES[:3],
        (INT, INT),
        grad=False,
        gradgrad=False,
    ),  # fmt: skip
    _two(
        "lcm", lambda T, x, y: x.lcm(y), BINARY_SHAPES[:3], (INT, INT), grad=False, gradgrad=False
    ),  # fmt: skip
    _two(
        "nextafter",
        lambda T, x, y: T.nextafter(x, y),
        BINARY_SHAPES[:3],
        (ANY, TIES),
        grad=False,
        gradgrad=False,
    ),  # fmt: skip
    # --- misc_ops: composites -----------------------------------------------------------------
    OpInfo(
        "addcmul",
        lambda T, a, b, c: T.addcmul(a, b, c, value=0.5),
        [((2, 3), (3,), (2, 1)), ((3,), (3,), (3,))],
    ),  # fmt: skip
    OpInfo(
        "addcdiv",
        lambda T, a, b, c: a.addcdiv(b, c, value=-2),
        [((2, 3), (3,), (2, 1))],
        domains=[ANY, ANY, NONZERO],
    ),  # fmt: skip
    OpInfo(
        "addcdiv_",
        lambda T, a, b, c: (a * 1).addcdiv_(b, c),
        [((2, 3), (3,), (2, 3))],
        domains=[ANY, ANY, NONZERO],
    ),  # fmt: skip
    _two("ldexp", lambda T, x, e: T.ldexp(x, e), [((2, 3), (3,))], (ANY, TIES)),
    _nograd("ldexp_int", lambda T, x: T.ldexp(x, x), R23, INT, op="pow"),
    _unary("frexp_mantissa", lambda T, x: T.frexp(x)[0], FREXP, shapes=R23),
    _nograd("frexp_exponent", lambda T, x: T.frexp(x).exponent, R23, FREXP, op="floor"),
    _unary("renorm", lambda T, x: T.renorm(x, 2, 0, 1.2), shapes=[((3, 2),), ((2, 2, 2),)]),
    _unary("renorm_1", lambda T, x: x.renorm(1, -1, 1.5), shapes=[((2, 3),)]),
    _unary("sum_to_size", lambda T, x: x.sum_to_size(3, 1), shapes=[((2, 3, 2),)]),
    _unary("type_as", lambda T, x: x.type_as(T.zeros(1, dtype=T.float64)) * 2, op="mul"),
    _unary("ravel", lambda T, x: T.ravel(x.mT), shapes=R23),
    _unary("positive", lambda T, x: T.positive(x) * x, op="mul"),
    _unary("unsafe_split", lambda T, x: T.unsafe_split(x, 2, 1)[1] * 2, shapes=R23),
    _unary("unsafe_chunk", lambda T, x: x.unsafe_chunk(2)[0], shapes=[((5,),)]),
    _unary("split_with_sizes", lambda T, x: T.split_with_sizes(x, [1, 2], 1)[1], shapes=R23),
    _unary(
        "unsafe_split_with_sizes", lambda T, x: x.unsafe_split_with_sizes([2, 1], 1)[0], shapes=R23
    ),  # fmt: skip
    # --- misc_numeric ---------------------------------------------------------------------
    _unary("cumulative_trapezoid", lambda T, x: T.cumulative_trapezoid(x, dx=0.5), shapes=R23),
    _two(
        "cumulative_trapezoid_x",
        lambda T, y, x: T.cumulative_trapezoid(y, x, dim=0),
        [((3, 2), (3,)), ((3, 2), (3, 2))],
        (ANY, ANY),
    ),  # fmt: skip
    _unary("gradient", lambda T, x: T.gradient(x)[0], shapes=[((5,),)]),
    _unary(
        "gradient_2d",
        lambda T, x: T.cat(T.gradient(x, spacing=[2.0, 0.5], edge_order=2), 1),
        shapes=[((3, 4),)],
    ),  # fmt: skip
    _unary(
        "gradient_coords",
        lambda T, x: T.gradient(
            x, spacing=(T.tensor([0.0, 1, 1.5, 3.5], dtype=x.dtype, device=x.device),), dim=1
        )[0],
        shapes=[((2, 4),)],
    ),  # fmt: skip
    _unary(
        "gradient_coords2",
        lambda T, x: T.gradient(
            x, spacing=(T.tensor([0.0, 1, 1.5, 3.5], dtype=x.dtype, device=x.device),), edge_order=2
        )[0],
        shapes=[((4,),)],
    ),  # fmt: skip
    # torch 2.13's vander has no working backward (its cumprod is written in place): values only
    _nograd("torch_vander", lambda T, x: T.vander(x.detach()), [((3,),)]),
    _nograd("torch_vander_n", lambda T, x: T.vander(x.detach(), 4, increasing=True), [((3,),)]),
    _nograd("torch_vander_int", lambda T, x: T.vander(x, 3), [((3,),)], INT),
    # --- linalg_legacy ----------------------------------------------------------------------
    _unary("torch_cholesky", lambda T, x: T.cholesky(_spd(T, x)), shapes=SQ, tol=F32),
    _unary(
        "torch_cholesky_upper",
        lambda T, x: _spd(T, x).cholesky(upper=True),
        shapes=SQ,
        tol=F32,
    ),  # fmt: skip
    _unary("cholesky_inverse", lambda T, x: T.cholesky_inverse(_low(T, x)), shapes=SQ, tol=F32),
    _unary(
        "cholesky_inverse_upper",
        lambda T, x: T.cholesky_inverse(_low(T, x).mT, True),
        shapes=SQ,
        tol=F32,
    ),  # fmt: skip
    _two(
        "cholesky_solve",
        lambda T, b, x: T.cholesky_solve(b, _low(T, x)),
        [((3, 2), (3, 3)), ((2, 3, 1), (2, 3, 3))],
        (ANY, ANY),
        tol=F32,
    ),  # fmt: skip
    _two(
        "cholesky_solve_upper",
        lambda T, b, x: b.cholesky_solve(_low(T, x).mT, upper=True),
        [((3, 2), (3, 3))],
        (ANY, ANY),
        tol=F32,
    ),  # fmt: skip
    _two(
        "triangular_solve",
        lambda T, b, x: T.triangular_solve(b, _low(T, x).mT)[0],
        [((3, 2), (3, 3))],
        (ANY, ANY),
        tol=F32,
    ),  # fmt: skip
    _two(
        "triangular_solve_t",
        lambda T, b, x: T.cat(
            T.triangular_solve(b, _low(T, x), upper=False, transpose=True, unitriangular=True), -1
        ),
        [((3, 3), (3, 3)), ((2, 3, 3), (2, 3, 3))],
        (ANY, ANY),
        tol=F32,
    ),  # fmt: skip
    _two("orgqr", lambda T, a, t: T.orgqr(a, t), [((4, 3), (3,))], (ANY, ANY), tol=F32),
    _two(
        "ormqr",
        lambda T, a, t: T.ormqr(a, t, a @ a.mT),
        [((3, 2), (2,))],
        (ANY, ANY),
        tol=F32,
    ),  # fmt: skip
    OpInfo(
        "ormqr_right_t",
        lambda T, a, t, c: T.ormqr(a, t, c, left=False, transpose=True),
        [((4, 2), (2,), (3, 4))],
        tol=F32,
    ),  # fmt: skip
    _nograd("geqrf", lambda T, x: T.geqrf(x.detach()).a, [((3, 2),), ((2, 2, 3),)], tol=F32),
    _nograd("geqrf_tau", lambda T, x: T.geqrf(x.detach()).tau, [((4, 3),)], tol=F32),
    _unary("adjoint", lambda T, x: T.adjoint(x) * 2, shapes=[((2, 3),), ((2, 2, 3),)]),
    _unary("mH", lambda T, x: x.mH.exp(), shapes=[((2, 2, 3),)]),
    _unary("H", lambda T, x: x.H + 1, shapes=[((2, 3),)]),
    # --- complex_ops: values (mytorch's autograd does not go through complex tensors) ----------
    _nograd("real", lambda T, x: T.real(T.complex(x, x * 2)), R23),
    _nograd("imag", lambda T, x: T.imag(T.complex(x, x * 2)) * 1, R23),
    _nograd(
        "conj_physical", lambda T, x: T.view_as_real(T.conj_physical(T.complex(x, -x))) * 1, R23
    ),
    _nograd("angle", lambda T, x: T.angle(T.polar(x.abs() + 0.5, x)), R23),
    _nograd(
        "view_as_complex",
        lambda T, x: T.view_as_real(T.view_as_complex(x) * 2) * 1,
        [((3, 2),)],
        op="mul",
    ),
    _unary(
        "angle_real",
        lambda T, x: T.angle(x) + x,
        cycle(-1.0, 0.0, 2.0, -0.0, -3.0, 1.0),
        op="where",
        smooth=False,
    ),
    _unary(
        "real_of_real", lambda T, x: T.real(x).conj().resolve_conj().resolve_neg() * 2, op="mul"
    ),
]


def _spd(T, x):
    return x @ x.mT + x.shape[-1] * T.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def _low(T, x):
    """A well-conditioned lower triangular factor (its diagonal 2.5 to 4)."""
    return T.tril(x) + 3 * T.eye(x.shape[-1], dtype=x.dtype, device=x.device)
