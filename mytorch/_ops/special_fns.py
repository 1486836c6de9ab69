"""Special functions (torch.special and their torch aliases): erf and its kin, the gamma family,
modified Bessel functions, the normal distribution's ndtr/ndtri/log_ndtr, logit/expit, xlogy,
xlog1py, entr, multigammaln.

The kernels of erf, the gamma family, the Bessel functions and ndtr are SciPy's (CPU only; on
another device they raise NotImplementedError); the rest are written against ``xp`` and run on
every device. Each VJP is written in mytorch ops, so derivatives of any order work.
"""

import math as _m

from mytorch import _dtype as D
from mytorch._core import KIND_DIV, KIND_FLOAT, SAVE_OUT, SAVE_X, SAVE_XY, apply1
from mytorch._ops._declare import binary, composite, declare, defop, unary
from mytorch._ops.math import reciprocal, sgn
from mytorch._ops.pointwise import exp, log, round, sigmoid, where
from mytorch._out import with_out

SQRT_PI = _m.sqrt(_m.pi)
SQRT_2PI = _m.sqrt(2 * _m.pi)
TORCH_SPECIAL = ("torch", "special")


def _eps(x):
    """The machine epsilon of x's float dtype."""
    return 1.1920928955078125e-07 if x.dtype is D.float32 else 2.220446049250313e-16


def _bessel1_vjp(n, g, order0, scaled):
    """i1's and i1e's derivatives: i0(x) - i1(x) / x (scaled: i0e(x) - i1e(x) * (sgn(x) + 1 /
    x)), and 0.5 where |x| is below epsilon (torch's rule: the limit at 0)."""
    x = n.x
    eps = _eps(x)
    big = x.abs() > eps
    safe = where(big, x, eps)
    inv = reciprocal(safe)
    d = order0(safe) - n.out * ((sgn(safe) + inv) if scaled else inv)
    return g * where(big, d, 0.5)


# fmt: off
# name                 VJP: (node n, output gradient g) -> gradient of the input
erf      = unary("erf",      lambda n, g: g * (2 / SQRT_PI) * exp(-n.x * n.x),  SAVE_X,   KIND_FLOAT, namespace=TORCH_SPECIAL)
erfc     = unary("erfc",     lambda n, g: g * (-2 / SQRT_PI) * exp(-n.x * n.x), SAVE_X,   KIND_FLOAT, namespace=TORCH_SPECIAL)
erfinv   = unary("erfinv",   lambda n, g: g * (SQRT_PI / 2) * exp(n.out * n.out), SAVE_OUT, KIND_FLOAT, namespace=TORCH_SPECIAL)
lgamma   = unary("lgamma",   lambda n, g: g * digamma(n.x),                      SAVE_X,   KIND_FLOAT, kernel="gammaln")
digamma  = unary("digamma",  lambda n, g: g * polygamma(1, n.x),                 SAVE_X,   KIND_FLOAT, namespace=TORCH_SPECIAL)
i0       = unary("i0",       lambda n, g: g * i1(n.x),                           SAVE_X,   KIND_FLOAT, namespace=TORCH_SPECIAL)
i0e      = unary("i0e",      lambda n, g: g * (i1e(n.x) - sgn(n.x) * n.out),     SAVE_X | SAVE_OUT, KIND_FLOAT, namespace="special", node_name="SpecialI0EBackward0")
i1       = unary("i1",       lambda n, g: _bessel1_vjp(n, g, i0, False),         SAVE_X | SAVE_OUT, KIND_FLOAT, namespace="special", node_name="SpecialI1Backward0")
i1e      = unary("i1e",      lambda n, g: _bessel1_vjp(n, g, i0e, True),         SAVE_X | SAVE_OUT, KIND_FLOAT, namespace="special", node_name="SpecialI1EBackward0")
ndtr     = unary("ndtr",     lambda n, g: g * exp(-0.5 * n.x * n.x) / SQRT_2PI,  SAVE_X,   KIND_FLOAT, namespace="special", node_name="SpecialNdtrBackward0")
ndtri    = unary("ndtri",    lambda n, g: g * SQRT_2PI * exp(0.5 * n.out * n.out), SAVE_OUT, KIND_FLOAT, namespace="special", node_name="SpecialNdtriBackward0")
log_ndtr = unary("log_ndtr", lambda n, g: g * exp(-(n.out + 0.5 * n.x * n.x)) / SQRT_2PI, SAVE_X | SAVE_OUT, KIND_FLOAT, namespace="special", node_name="SpecialLogNdtrBackward0")
entr     = unary("entr",     lambda n, g: g * -(1 + log(n.x)),                   SAVE_X,   KIND_FLOAT, namespace="special", node_name="SpecialEntrBackward0")
# fmt: on

gammaln = declare(lgamma, name="gammaln", namespace="special", out=True)
psi = declare(digamma, name="psi", namespace="special", out=True)
expit = declare(sigmoid, name="expit", namespace="special", out=True)
declare(round, name="round", namespace="special", out=True)


# --- two inputs -----------------------------------------------------------------------------
def _xlogy_vjp(n, g, f, below):
    """xlogy's and xlog1py's derivatives (torch's masks: none to x where x == 0 and y is at or
    below the pole)."""
    x, y = n.x, n.y
    gx = where((x == 0) & (y <= below), 0.0, f(g, y)) if n.needs_x else None
    gy = (g * x / (y + 1 if below else y)) if n.needs_y else None
    return gx, gy


# fmt: off
xlogy   = binary("xlogy",   lambda n, g: _xlogy_vjp(n, g, xlogy, 0),    SAVE_XY, KIND_DIV, namespace=TORCH_SPECIAL)
xlog1py = binary("xlog1py", lambda n, g: _xlogy_vjp(n, g, xlog1py, -1), SAVE_XY, KIND_DIV, namespace="special", node_name="SpecialXlog1PyBackward0", method=False, inplace=False)
# fmt: on


# --- with parameters ------------------------------------------------------------------------
def _logit_vjp(n, g):
    x = n.x
    (eps,) = n.params
    d = g / (x * (1 - x))
    if eps is None:
        return where((x < 0) | (x > 1), float("nan"), d)
    return where((x < eps) | (x > 1 - eps), 0.0, d)


LOGIT = defop("logit", _logit_vjp, SAVE_X, KIND_FLOAT, ew=True)


@with_out("logit")
def logit(input, eps=None):
    """Matches torch.logit: log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    return apply1(LOGIT, input, (eps,))


declare(logit, namespace=TORCH_SPECIAL, method=True, inplace=True, out=True)

POLYGAMMA = defop(
    "polygamma", lambda n, g: g * polygamma(n.params[0] + 1, n.x), SAVE_X, KIND_FLOAT, ew=True
)


@with_out("polygamma")
def polygamma(n, input):
    """Matches torch.polygamma: the n-th derivative of digamma."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(
            f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return apply1(POLYGAMMA, input, (n,))


def _polygamma_method(self, n):
    return polygamma(n, self)


declare(polygamma, namespace=TORCH_SPECIAL, out=True)
declare(_polygamma_method, name="polygamma", namespace=(), method=True, inplace=True)


def _mvlgamma(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    r = lgamma(input)
    for i in range(1, p):
        r = r + lgamma(input - i / 2)
    return r + p * (p - 1) / 4 * _m.log(_m.pi)


@composite(method=True, inplace=True, out=True)
@with_out("mvlgamma")
def mvlgamma(input, p):
    """Matches torch.mvlgamma: the multivariate log-gamma function of dimension p."""
    return _mvlgamma(input, p)


@composite(namespace="special", out=True)
@with_out("multigammaln")
def multigammaln(input, p):
    """Matches torch.special.multigammaln (torch.mvlgamma)."""
    return _mvlgamma(input, p)


__all__ = []
INTERNAL = []
