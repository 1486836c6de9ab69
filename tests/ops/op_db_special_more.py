"""op_db rows of mytorch._ops.special_more: the Bessel and Airy functions and the polynomials
(forward only: torch records no graph for them), erfcx, igamma/igammac and zeta (values, first
and second derivatives in their differentiable argument). CPU only (``CPU``): on the stand-in
device the rows check that the op refuses with NotImplementedError."""

from op_db import ANY, INT, POS, BINARY_SHAPES, UNARY_SHAPES, OpInfo, _nograd, _unary, cycle

CPU = ("cpu",)
SJ0 = lambda T, x: T.special.spherical_bessel_j0(x)  # noqa: E731
WIDE = lambda rng, shape: rng.uniform(-6.0, 6.0, shape)  # noqa: E731
# degrees: negative (0), 0, 1, small, past torch's switch to the trigonometric forms (> 6, > 8)
DEGREES = cycle(3, 0, 1, 2, -1, 5, 7, 9, 12, 25, 4, 6)
# |x| below, at and above 1, and 0 (the closed forms torch takes there)
POINTS = cycle(0.3, -1, 1, 0, 1.7, -2.5, 0.5, -0.8, 0.95, -0.2, 2.0, 1.1)
R12 = [((12,), (12,)), ((3, 4), (4,))]


# torch's Airy and J/Y Bessel kernels are off by up to ~7e-7 (absolute) near x = 5 and
# x = -2.3 (SciPy's, used here, agree with mpmath there): the rows stay below those points,
# at a looser tolerance.
LOOSE = {"float64": dict(rtol=1e-5, atol=1e-6), "float32": dict(rtol=1e-4, atol=5e-6)}


def _bessel(name, domain=ANY, fn=None, tol=None, scale=3):
    return _nograd(
        name, fn or (lambda T, x: getattr(T.special, name)(x * scale)), UNARY_SHAPES, domain,
        devices=CPU, tol=tol, op=name.removesuffix("_zero"),
    )  # fmt: skip


def _cpu(name, fn, domain=ANY, **kw):
    return _unary(name, fn, domain, devices=CPU, **kw)


def _poly(name):
    return [
        OpInfo(
            name, lambda T, x, n: getattr(T.special, name)(x, n), R12, grad=False,
            gradgrad=False, domains=[POINTS, DEGREES], devices=CPU,
        ),
        OpInfo(
            name + "_int_n", lambda T, x, n: getattr(T.special, name)(x, n), [((12,), (12,))],
            grad=False, gradgrad=False, domains=[WIDE, INT], devices=CPU, op=name,
        ),
        _nograd(
            name + "_scalar_n", lambda T, x: getattr(T.special, name)(x * 2, 9), UNARY_SHAPES,
            devices=CPU, op=name,
        ),
        OpInfo(
            name + "_scalar_x", lambda T, n: getattr(T.special, name)(0.75, n), [((12,),)],
            grad=False, gradgrad=False, domains=[DEGREES], devices=CPU, op=name,
        ),
    ]  # fmt: skip


IGC = "IgammacBackward0"
ZETA = "SpecialZetaBackward0"
POLYNOMIALS = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
]  # fmt: skip

ROWS = [
    _bessel("airy_ai", tol=LOOSE, scale=1),
    _bessel("bessel_j0", tol=LOOSE),
    _bessel("bessel_j1", tol=LOOSE),
    _bessel("bessel_y0", POS, tol=LOOSE, scale=2),
    _bessel("bessel_y1", POS, tol=LOOSE, scale=2),
    _bessel("modified_bessel_i0"),
    _bessel("modified_bessel_i1"),
    _bessel("modified_bessel_k0", POS),
    _bessel("modified_bessel_k1", POS),
    _bessel("scaled_modified_bessel_k0", POS),
    _bessel("scaled_modified_bessel_k1", POS),
    _bessel("spherical_bessel_j0"),
    _bessel("spherical_bessel_j0_zero", cycle(0, 1e-5, -2), SJ0),
    _cpu("erfcx", lambda T, x: T.special.erfcx(x * 3), grad_fn="SpecialErfcxBackward0"),
    _cpu("igamma", lambda T, x: T.igamma(T.full_like(x, 2.5), x), POS, grad_fn="IgammaBackward0"),
    _cpu("gammainc", lambda T, x: T.special.gammainc(T.full_like(x, 0.8), x), POS, op="igamma"),
    _cpu("igammac", lambda T, x: T.igammac(T.full_like(x, 1.5), x * 2), POS, grad_fn=IGC),
    _cpu("igammac_method", lambda T, x: T.full_like(x, 0.7).igammac(x) * x, POS, op="igammac"),
    _cpu("zeta", lambda T, x: T.special.zeta(T.full_like(x, 2.5), x), POS, grad_fn=ZETA),
    _cpu("zeta_scalar", lambda T, x: T.special.zeta(3.0, x + 1), POS, op="zeta"),
    OpInfo(
        "zeta_forward", lambda T, x, q: T.special.zeta(x * 2 + 1, q), BINARY_SHAPES, grad=False,
        gradgrad=False, domains=[POS, POS], devices=CPU, op="zeta",
    ),
    OpInfo(
        "igamma_forward", lambda T, a, x: T.igamma(a, x) + T.special.gammaincc(a, x), BINARY_SHAPES,
        grad=False, gradgrad=False, domains=[POS, POS], devices=CPU, op="igamma",
    ),
] + [row for name in POLYNOMIALS for row in _poly(name)]  # fmt: skip
