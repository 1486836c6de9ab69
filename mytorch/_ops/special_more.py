"""More of torch.special: the Bessel and Airy functions, erfcx, the regularized incomplete
gamma functions (torch.igamma/igammac), the Hurwitz zeta function and the orthogonal
polynomials (Chebyshev, Hermite, Laguerre, Legendre).

Their kernels (mytorch._backends._special_kernels) run on the CPU only. As in torch, the Bessel
and Airy functions and the polynomials are not differentiable: their results never require
grad. erfcx is differentiable; gammainc/gammaincc and zeta are differentiable in their second
argument, and their backward raises torch's NotImplementedError for the first.
"""

import math as _m

from mytorch._core import KIND_BINARY, KIND_DIV, KIND_FLOAT, SAVE_OUT, SAVE_X, SAVE_XY, apply1
from mytorch._core import TensorBase as _TensorBase
from mytorch._core import apply2
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import binary, declare, defop, unary
from mytorch._ops.pointwise import exp, log
from mytorch._ops.special_fns import lgamma
from mytorch._out import check_out, with_out, write_out

SPECIAL = "special"
TWO_OVER_SQRT_PI = 2 / _m.sqrt(_m.pi)


def _not_differentiable(n, g):
    raise RuntimeError(f"mytorch: {n.op.name} is not differentiable")  # never reached: no graph


def _nograd_function(op, name, args):
    """The function of a primitive whose result never requires grad (torch records no graph for
    it), with ``out=`` (allowed even when an input requires grad)."""
    apply = apply1 if len(args) == 1 else apply2

    def fn(*operands, out=None):
        if len(args) == 2 and not any(isinstance(a, _TensorBase) for a in operands):
            types = ", ".join(type(a).__name__ for a in operands)
            raise TypeError(
                f"special_{name}() received an invalid combination of arguments - got "
                f"({types}), but expected one of: (Tensor {args[0]}, Tensor {args[1]}), "
                f"(Number {args[0]}, Tensor {args[1]}), (Tensor {args[0]}, Number {args[1]})"
            )
        if len(args) == 1 and not isinstance(operands[0], _TensorBase):
            raise TypeError(
                f"special_{name}(): argument '{args[0]}' (position 1) must be Tensor, not "
                f"{type(operands[0]).__name__}"
            )
        with no_grad():
            result = apply(op, *operands)
        if out is None:
            return result
        check_out(name, out)
        return write_out(out, result)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.special.{name} (not differentiable; CPU only)."
    return declare(fn, namespace=SPECIAL, out=True, op=op)


def _nograd1(name, kernel=None, arg="input"):
    op = defop(name, _not_differentiable, kind=KIND_FLOAT, kernel=kernel, ew=True)
    return _nograd_function(op, name, (arg,))


def _polynomial(name):
    op = defop(name, _not_differentiable, kind=KIND_DIV)
    return _nograd_function(op, name, ("x", "n"))


airy_ai = _nograd1("airy_ai", arg="x")
bessel_j0 = _nograd1("bessel_j0")
bessel_j1 = _nograd1("bessel_j1")
bessel_y0 = _nograd1("bessel_y0", arg="x")
bessel_y1 = _nograd1("bessel_y1", arg="x")
modified_bessel_i0 = _nograd1("modified_bessel_i0", kernel="i0")
modified_bessel_i1 = _nograd1("modified_bessel_i1", kernel="i1")
modified_bessel_k0 = _nograd1("modified_bessel_k0")
modified_bessel_k1 = _nograd1("modified_bessel_k1")
scaled_modified_bessel_k0 = _nograd1("scaled_modified_bessel_k0", arg="x")
scaled_modified_bessel_k1 = _nograd1("scaled_modified_bessel_k1", arg="x")
spherical_bessel_j0 = _nograd1("spherical_bessel_j0", arg="x")

chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")


# --- differentiable ---------------------------------------------------------------------------
erfcx = unary(
    "erfcx",
    lambda n, g: g * (2 * n.x * n.out - TWO_OVER_SQRT_PI),
    SAVE_X | SAVE_OUT,
    KIND_FLOAT,
    namespace=SPECIAL,
    node_name="SpecialErfcxBackward0",
    method=False,
    inplace=False,
)


def _igamma_vjp(name, sign):
    def vjp(n, g):
        a, x = n.x, n.y
        if n.needs_x:
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        d = exp((a - 1) * log(x) - x - lgamma(a))
        return None, (g * d if sign > 0 else -(g * d))

    return vjp


def _zeta_vjp(n, g):
    if n.needs_x:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    x, q = n.x, n.y
    return None, g * -x * zeta(x + 1, q)


# gammainc/gammaincc take tensors only (torch has no Scalar overload); zeta takes a number on
# either side.
igamma = binary("igamma", _igamma_vjp("igamma", 1), SAVE_XY, KIND_BINARY, tensors=(0, 1))
igammac = binary("igammac", _igamma_vjp("igammac", -1), SAVE_XY, KIND_BINARY, tensors=(0, 1))
gammainc = declare(igamma, name="gammainc", namespace=SPECIAL, out=True)
gammaincc = declare(igammac, name="gammaincc", namespace=SPECIAL, out=True)
ZETA = defop("zeta", _zeta_vjp, SAVE_XY, KIND_DIV, node_name="SpecialZetaBackward0")


@with_out("zeta")
def zeta(input, other):
    """Matches torch.special.zeta: the Hurwitz zeta function (a number on either side)."""
    if not isinstance(input, _TensorBase) and not isinstance(other, _TensorBase):
        raise TypeError(
            f"special_zeta() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of: "
            "(Tensor input, Tensor other), (Number self, Tensor other), (Tensor input, Number other)"
        )
    return apply2(ZETA, input, other)


declare(zeta, namespace=SPECIAL, out=True, op=ZETA)

__all__ = []
INTERNAL = []
