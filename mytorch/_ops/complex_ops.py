"""Complex numbers: real, imag (views), conj, conj_physical, resolve_conj, resolve_neg,
is_conj, is_neg, angle, polar, complex, view_as_real, view_as_complex, Tensor.cfloat/cdouble.

mytorch has complex dtypes but its autograd does not differentiate through complex tensors:
the primitives here on complex inputs raise in backward. On real tensors the functions behave
as torch's (real and conj return the tensor itself, angle is 0 or pi with zero gradient).
mytorch keeps no lazy conjugate or negative bit: conj is computed at once, and is_conj and
is_neg are always False.
"""

import math as _m

from mytorch import _dtype as D
from mytorch._core import TensorBase, apply1
from mytorch._ops._declare import TENSOR, composite, declare, defop
from mytorch._out import write_out
from mytorch._registry import F
from mytorch._views import _commit_inplace


def _no_complex_grad(n, g):
    raise RuntimeError(
        f"mytorch does not differentiate through complex tensors ({n.op.name} of a complex tensor)"
    )


REAL = defop("real", _no_complex_grad, node_name="SelectBackward0", view=2, xp="real")
IMAG = defop("imag", _no_complex_grad, node_name="SelectBackward0", view=2, xp="imag")
CONJ = defop("conj_physical", _no_complex_grad, node_name="ConjPhysicalBackward0",
             xp="conjugate")  # fmt: skip
ANGLE = defop("angle", _no_complex_grad, node_name="AngleBackward0", xp="angle")


def _is_complex(t):
    return t.dtype.category == D.COMPLEX


@composite()
def real(input):
    """Matches torch.real: the real part, a view (the tensor itself when it is real)."""
    return apply1(REAL, input) if _is_complex(input) else input


@composite()
def imag(input):
    """Matches torch.imag: the imaginary part, a view (complex tensors only)."""
    if not _is_complex(input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return apply1(IMAG, input)


@composite(method=True)
def conj_physical(input, *, out=None):
    """Matches torch.conj_physical: the complex conjugate, computed (the tensor itself when it
    is real)."""
    r = apply1(CONJ, input) if _is_complex(input) else input
    return r if out is None else write_out(out, r)


@composite(method=True)
def conj(input):
    """Matches torch.conj: the complex conjugate (the tensor itself when it is real; mytorch
    computes it at once, torch marks a lazy view)."""
    return apply1(CONJ, input) if _is_complex(input) else input


def conj_physical_(input):
    """Matches torch.conj_physical_: the conjugate written in place."""
    return _commit_inplace(input, conj_physical(input)) if _is_complex(input) else input


declare(conj_physical_)
declare(conj_physical_, name="conj_physical_", namespace=TENSOR, method=True)


@composite(method=True)
def resolve_conj(input):
    """Matches torch.resolve_conj: ``input`` (mytorch has no lazy conjugates)."""
    return input


@composite(method=True)
def resolve_neg(input):
    """Matches torch.resolve_neg: ``input`` (mytorch has no lazy negations)."""
    return input


@composite(method=True)
def is_conj(input):
    """Matches torch.is_conj: False (mytorch has no lazy conjugates)."""
    return False


@composite(method=True)
def is_neg(input):
    """Matches torch.is_neg: False (mytorch has no lazy negations)."""
    return False


@composite(method=True, out=True)
def angle(input, *, out=None):
    """Matches torch.angle: the argument of each element (for real tensors pi below zero, else
    0, NaN kept; a float result; zero gradient)."""
    if out is not None:
        return write_out(out, angle(input))
    if _is_complex(input):
        return apply1(ANGLE, input)
    x = input if input.dtype.category == D.FLOAT else input.to(D.get_default_dtype())
    d = x.detach()
    r = F.where(F.isnan(d), d, F.where(d < 0, F.full_like(d, _m.pi), F.zeros_like(d)))
    # torch's zero gradient (its graph records the op): a term that is 0, also at inf and NaN
    return r + F.where(F.isfinite(d), x, 0.0) * 0 if x.requires_grad else r


def _float_pair(name, a, b):
    for v in (a, b):
        if not isinstance(v, TensorBase):
            raise TypeError(f"{name}(): argument must be Tensor, not {type(v).__name__}")
    if a.dtype.category != D.FLOAT or b.dtype.category != D.FLOAT:
        raise RuntimeError(
            f"Expected both inputs to be Half, Float or Double tensors but got "
            f"{a.dtype.title} and {b.dtype.title}"
        )
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"Expected object of scalar type {a.dtype.title} but got scalar type "
            f"{b.dtype.title} for second argument"
        )


@composite(out=True)
def complex(real, imag, *, out=None):
    """Matches torch.complex: real + i imag (complex64 from float32, complex128 from
    float64)."""
    _float_pair("complex", real, imag)
    r = real + imag * 1j  # recorded, as torch's; mytorch's backward refuses complex values
    r = r.to(real.dtype.to_complex())
    return r if out is None else write_out(out, r)


@composite(out=True)
def polar(abs, angle, *, out=None):
    """Matches torch.polar: abs (cos angle + i sin angle)."""
    _float_pair("polar", abs, angle)
    return complex(abs * F.cos(angle), abs * F.sin(angle), out=out)


@composite()
def view_as_real(input):
    """Matches torch.view_as_real: the real and imaginary parts along a new last dim of size
    2 (mytorch: a copy, not a view)."""
    if not _is_complex(input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return F.stack([real(input), imag(input)], -1)


@composite()
def view_as_complex(input):
    """Matches torch.view_as_complex: a last dim of size 2 read as (real, imaginary) (mytorch:
    a copy, not a view)."""
    if input.dtype.category != D.FLOAT:
        raise RuntimeError(
            "view_as_complex is only supported for half, float and double tensors, but got a "
            f"tensor of scalar type: {input.dtype.title}"
        )
    if input.dim() == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    return complex(input[..., 0], input[..., 1])


@composite(namespace=TENSOR, method=True)
def cfloat(input):
    """Matches Tensor.cfloat: the values as complex64."""
    return input.to(D.complex64)


@composite(namespace=TENSOR, method=True)
def cdouble(input):
    """Matches Tensor.cdouble: the values as complex128."""
    return input.to(D.complex128)


__all__ = []
INTERNAL = []
