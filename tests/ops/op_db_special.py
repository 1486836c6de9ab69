"""op_db rows of mytorch._ops.special_fns: values, first and second derivatives against torch.
The SciPy kernels run on the CPU only (``CPU``): on the stand-in device those rows check that
the op refuses with NotImplementedError."""

from op_db import ANY, NONZERO, POS, OpInfo, _kink, _unary, cycle

CPU = ("cpu",)


def uniform(lo, hi):
    """A domain: uniform in [lo, hi]."""
    return lambda rng, shape: rng.uniform(lo, hi, shape)


INSIDE = uniform(-0.8, 0.8)  # erfinv
PROB = uniform(0.1, 0.9)  # logit, ndtri
# digamma's derivative (trigamma): torch's series is off by ~5e-10 below 10 (SciPy agrees with
# mpmath there), so the rows that take it compare where both are exact.
LARGE = uniform(10.0, 20.0)


def _scipy(name, fn, domain=ANY, **kw):
    return _unary(name, fn, domain, devices=CPU, **kw)


ROWS = [
    _scipy("erf", lambda T, x: T.erf(x), grad_fn="ErfBackward0"),
    _scipy("erf_special", lambda T, x: T.special.erf(x) * x, op="erf"),
    _scipy("erfc", lambda T, x: T.special.erfc(x), grad_fn="ErfcBackward0"),
    _scipy("erfinv", lambda T, x: x.erfinv(), INSIDE, grad_fn="ErfinvBackward0"),
    _scipy("lgamma", lambda T, x: T.lgamma(x), POS, grad_fn="LgammaBackward0"),
    _scipy("gammaln", lambda T, x: T.special.gammaln(x * 3), POS, op="lgamma"),
    _scipy("digamma", lambda T, x: x.digamma(), LARGE, grad_fn="DigammaBackward0"),
    _scipy("psi", lambda T, x: T.special.psi(x) * x, LARGE, op="digamma"),
    _scipy("polygamma", lambda T, x: T.polygamma(1, x), LARGE, grad_fn="PolygammaBackward0"),
    _scipy("polygamma_2", lambda T, x: T.special.polygamma(2, x), POS, op="polygamma"),
    _scipy("polygamma_method", lambda T, x: x.polygamma(3) * x, POS, op="polygamma"),
    _scipy("mvlgamma", lambda T, x: T.mvlgamma(x + 1, 3), POS, op="lgamma"),
    _scipy("multigammaln", lambda T, x: T.special.multigammaln(x * 2, 2), POS, op="lgamma"),
    _scipy("i0", lambda T, x: T.i0(x), grad_fn="I0Backward0"),
    _scipy("i0_special", lambda T, x: T.special.i0(x) * x, op="i0"),
    _scipy("i0e", lambda T, x: T.special.i0e(x), NONZERO, grad_fn="SpecialI0EBackward0"),
    _scipy("i1", lambda T, x: T.special.i1(x), grad_fn="SpecialI1Backward0"),
    _scipy("i1e", lambda T, x: T.special.i1e(x), NONZERO, grad_fn="SpecialI1EBackward0"),
    _kink("i1_zero", lambda T, x: T.special.i1(x), cycle(0, 1e-30, 1), op="i1", devices=CPU),
    _kink("i1e_zero", lambda T, x: T.special.i1e(x), cycle(0, -1e-30, -1), op="i1e", devices=CPU),
    _scipy("ndtr", lambda T, x: T.special.ndtr(x), grad_fn=None),
    _scipy("ndtri", lambda T, x: T.special.ndtri(x), PROB, grad_fn="SpecialNdtriBackward0"),
    _scipy("log_ndtr", lambda T, x: T.special.log_ndtr(x * 3), grad_fn=None),
    _unary("entr", lambda T, x: T.special.entr(x), POS, grad_fn="SpecialEntrBackward0"),
    _kink("entr_kinks", lambda T, x: T.special.entr(x), cycle(0, -1, 1), op="entr", gradgrad=False),
    _unary("expit", lambda T, x: T.special.expit(x), grad_fn="SigmoidBackward0", op="sigmoid"),
    _unary("logit", lambda T, x: T.logit(x), PROB, grad_fn="LogitBackward0"),
    _unary("logit_special", lambda T, x: T.special.logit(x, eps=0.2), PROB, op="logit"),
    _kink("logit_eps", lambda T, x: x.logit(0.1), cycle(0.05, 0.1, 0.5, 0.95), op="logit"),
    _kink("logit_outside", lambda T, x: T.logit(x), cycle(0, 0.5, 1.2), op="logit"),
    OpInfo(
        "xlogy",
        lambda T, x, y: T.xlogy(x, y),
        [((3,), (3,)), ((2, 3), (3,))],
        domains=[ANY, POS],
        grad_fn="XlogyBackward0",
    ),
    OpInfo(
        "xlogy_special",
        lambda T, x, y: T.special.xlogy(x, y) * x,
        [((2, 1), (1, 3))],
        domains=[ANY, POS],
        op="xlogy",
    ),
    _unary("xlogy_scalar", lambda T, x: T.xlogy(2.0, x) + x.xlogy(3.0), POS, op="xlogy"),
    OpInfo(
        "xlogy_zero",
        lambda T, x, y: T.xlogy(x, y),
        [((4,), (4,))],
        domains=[cycle(0, 0, 2, 0), cycle(0, 1, 3, -1)],
        smooth=False,
        op="xlogy",
    ),
    OpInfo(
        "xlog1py",
        lambda T, x, y: T.special.xlog1py(x, y),
        [((3,), (3,)), ((2, 3), (3,))],
        domains=[ANY, POS],
        grad_fn="SpecialXlog1PyBackward0",
    ),
    OpInfo(
        "xlog1py_zero",
        lambda T, x, y: T.special.xlog1py(x, y),
        [((4,), (4,))],
        domains=[cycle(0, 0, 2, 0), cycle(-1, 1, 3, -2)],
        smooth=False,
        op="xlog1py",
    ),
    _unary("special_round", lambda T, x: T.special.round(x * 3, decimals=1) * x, op="round"),
]
