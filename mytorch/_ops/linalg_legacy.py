"""torch's older linear-algebra functions, written over torch.linalg's: cholesky (deprecated),
cholesky_inverse, cholesky_solve, triangular_solve (deprecated), orgqr, ormqr, and the
adjoint (Tensor.adjoint, mH, H).

Their gradients are those of the ops they are written in; cholesky_inverse and cholesky_solve
read the whole factor (as torch's gradients do), the triangular solves only its triangle.
"""

import warnings

from mytorch import _dtype as D
from mytorch._ops._declare import composite
from mytorch._ops.linalg_decomp import householder_product
from mytorch._ops.linalg_ops import _float_check, _result, cholesky as _cholesky
from mytorch._ops.linalg_ops import inv, solve, solve_triangular
from mytorch._out import can_cast, write_out, write_outs
from mytorch._registry import F

_TRIANGULAR_SOLVE = _result("triangular_solve", ["solution", "cloned_coefficient"])


def _square(name, A, what="A"):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: {what} must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )


@composite(method=True)
def cholesky(input, upper=False, *, out=None):
    """Matches torch.cholesky (deprecated, with torch's warning): the Cholesky factor, lower
    (or upper with ``upper``)."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
        "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
        "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
        "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results "
        "for all valid (symmetric positive definite) inputs.",
        UserWarning,
        stacklevel=2,
    )
    _square("cholesky", input)
    r = _cholesky(input, upper=upper)
    if out is not None:
        return write_out(out, r)
    return r


def _gram(L, upper):
    """L L^H (U^H U with ``upper``): the matrix a Cholesky factor factors."""
    return L.mT @ L if upper else L @ L.mT


@composite(method=True)
def cholesky_inverse(input, upper=False, *, out=None):
    """Matches torch.cholesky_inverse: the inverse of L L^T from its Cholesky factor L."""
    _float_check("cholesky_inverse", input)
    _square("cholesky_inverse", input)
    r = inv(_gram(input, upper))
    r = (r + r.mT) * 0.5  # exactly symmetric, as LAPACK's potri
    if out is not None:
        return write_out(out, r)
    return r


@composite(method=True)
def cholesky_solve(input, input2, upper=False, *, out=None):
    """Matches torch.cholesky_solve: X with (L L^T) X = input, L = input2 a Cholesky factor."""
    _float_check("cholesky_solve", input, input2)
    _square("cholesky_solve", input2)
    if input.dim() < 2:
        raise RuntimeError("b should have at least 2 dimensions, but has 1 dimensions instead")
    r = solve(_gram(input2, upper), input)
    if out is not None:
        return write_out(out, r)
    return r


@composite(method=True)
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Matches torch.triangular_solve (deprecated, with torch's warning): (solution of
    op(A) X = input with A triangular, a copy of A)."""
    warnings.warn(
        "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will "
        "be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
        "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
        "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).",
        UserWarning,
        stacklevel=2,
    )
    _square("triangular_solve", A)
    if input.dim() < 2:
        raise RuntimeError(
            "torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
            f"{input.dim()} dimensions instead"
        )
    a = A.mT if transpose else A
    x = solve_triangular(a, input, upper=bool(upper) != bool(transpose),
                         unitriangular=unitriangular)  # fmt: skip
    result = _TRIANGULAR_SOLVE(x, A.clone())
    if out is not None:
        return _TRIANGULAR_SOLVE(*write_outs(out, result, (can_cast, can_cast)))
    return result


@composite(method=True)
def orgqr(input, tau):
    """Matches torch.orgqr: torch.linalg.householder_product (the Q of geqrf's reflectors)."""
    return householder_product(input, tau)


@composite(method=True)
def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """Matches torch.ormqr: ``other`` multiplied by Q (or Q^T with ``transpose``; from the
    left, or from the right), Q the full product of the Householder reflectors in ``input``."""
    _float_check("ormqr", input, tau, other)
    m, n = input.shape[-2:]
    k = other.shape[-2] if left else other.shape[-1]
    if k != m:
        which = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"torch.ormqr: {which} must be equal to input.shape[-2]")
    if tau.shape[-1] != min(k, n):
        which = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(
            f"torch.ormqr: tau.shape[-1] must be equal to min({which}, input.shape[-1])"
        )
    pad = F.zeros((*input.shape[:-1], m - n), dtype=input.dtype, device=input.device)
    tpad = F.zeros((*tau.shape[:-1], m - tau.shape[-1]), dtype=tau.dtype, device=tau.device)
    q = householder_product(F.cat([input, pad], -1), F.cat([tau, tpad], -1))
    if transpose:
        q = q.mT
    r = q @ other if left else other @ q
    if out is not None:
        return write_out(out, r)
    return r


_GEQRF = _result("geqrf", ["a", "tau"])


@composite(method=True)
def geqrf(input, *, out=None):
    """Matches torch.geqrf: LAPACK's QR in Householder form, (R above the diagonal and the
    reflectors' vectors below it, their factors tau), computed column by column as LAPACK's
    geqrf (beta = -sign(alpha) ||x||, tau = (beta - alpha) / beta; tau = 0 where the column
    below the diagonal is zero). Forward only, as torch's."""
    if input.dim() < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{input.dtype.title}'")
    a = input.detach().clone()
    m, n = a.shape[-2:]
    taus = []
    for k in range(min(m, n)):
        x = a[..., k:, k]
        alpha = x[..., 0]
        tail = x[..., 1:]
        xn = F.sqrt((tail * tail).sum(-1))
        beta = -F.copysign(F.hypot(alpha, xn), alpha)
        flat = xn == 0
        tau = F.where(flat, 0.0, (beta - alpha) / F.where(flat, 1.0, beta))
        scale = F.where(flat, 0.0, 1 / F.where(flat, 1.0, alpha - beta))
        v = F.cat([F.ones_like(alpha).unsqueeze(-1), tail * scale.unsqueeze(-1)], -1)
        a[..., k, k] = F.where(flat, alpha, beta)
        a[..., k + 1 :, k] = v[..., 1:]
        if k + 1 < n:
            sub = a[..., k:, k + 1 :]
            w = (v.unsqueeze(-1) * sub).sum(-2)
            a[..., k:, k + 1 :] = sub - tau[..., None, None] * v.unsqueeze(-1) * w.unsqueeze(-2)
        taus.append(tau)
    shape = (*a.shape[:-2], 0)
    tau = F.stack(taus, -1) if taus else F.zeros(shape, dtype=a.dtype, device=a.device)
    if out is not None:
        return _GEQRF(*write_outs(out, (a, tau), (can_cast, can_cast)))
    return _GEQRF(a, tau)


# --- the adjoint ----------------------------------------------------------------------------
@composite(method=True)
def adjoint(input):
    """Matches torch.adjoint: the conjugate transpose of the last two dims (for a real tensor
    the transposed view)."""
    if input.dim() < 2:
        raise RuntimeError(
            "tensor.adjoint() is only supported on matrices or batches of matrices. Got "
            f"{input.dim()}-D tensor."
        )
    t = input.transpose(-2, -1)
    return F.conj(t) if input.dtype.category == D.COMPLEX else t


__all__ = []
INTERNAL = []
