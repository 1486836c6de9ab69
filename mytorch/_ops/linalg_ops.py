"""torch.linalg: inverses, determinants, solves and decompositions, batched over leading dims.

Each decomposition is a primitive whose kernel is one batched call of the backend
(mytorch._backends._linalg) and whose VJP is written in mytorch ops (so its own derivatives
exist), with the formulas of the matrix-calculus literature as torch's derivatives.yaml uses
them. Everything else (inv_ex, eigvalsh, svdvals, pinv, lstsq, matrix_rank, lu_solve, vander,
householder_product, torch's older aliases) is written in these primitives.
"""

import functools
from collections import namedtuple

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._applyn import apply_multi
from mytorch._backends.base import _LinAlgError
from mytorch._core import SAVE_OUT, SAVE_X, SAVE_XY, TensorBase, _wrap, apply1, apply2
from mytorch._grad_mode import is_grad_enabled, no_grad
from mytorch._ops._declare import declare, defop
from mytorch._out import can_cast, check_out, check_outs, same_dtype, write_out, write_outs
from mytorch._ops.indexing import cat
from mytorch._ops.linalg import matmul
from mytorch._ops.pointwise import where
from mytorch._ops.shape import squeeze, unsqueeze
from mytorch._ops.strided import diagonal


# --- helpers in mytorch ops ---------------------------------------------------------------------
def _be(t):
    return _backends.for_array(t._data)


def _eye(t, n=None):
    """The identity of ``t``'s matrix size (or n), dtype and device."""
    n = t.shape[-1] if n is None else n
    return _wrap(_be(t).eye(n, n, t._data.dtype))


def _tri(t, lower, k=0):
    """The 0/1 mask of a triangle of ``t``'s last two dims: lower (j - i <= k) or upper
    (j - i >= k), in ``t``'s dtype and on its device."""
    m, n = t.shape[-2:]
    be = _be(t)
    i = unsqueeze(_wrap(be.arange(0, m, 1, D.int64.np)), 1)
    j = unsqueeze(_wrap(be.arange(0, n, 1, D.int64.np)), 0)
    mask = (j - i <= k) if lower else (j - i >= k)
    return mask.to(t.dtype)


def _tril(t, k=0):
    return t * _tri(t, True, k)


def _triu(t, k=0):
    return t * _tri(t, False, k)


def _mT(t):
    return t.transpose(-1, -2)


def _diag_embed(v):
    return unsqueeze(v, -1) * _eye(v, v.shape[-1])


def _float_check(name, *ts):
    for t in ts:
        if not isinstance(t, TensorBase):
            raise TypeError(f"{name}(): argument must be Tensor, not {type(t).__name__}")
        if t.dtype.category != D.FLOAT and not t.dtype.is_complex:
            raise RuntimeError(
                f"{name}: Expected a floating point or complex tensor as input. Got {t.dtype.title}"
            )


def _square_check(name, a, what="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: {what} must be batches of square matrices, but they are "
            f"{a.shape[-2]} by {a.shape[-1]} matrices"
        )


def _result(name, fields):
    base = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": "mytorch.return_types"})  # fmt: skip


# --- out= ---------------------------------------------------------------------------------------
def _castable(name, what="result"):
    """torch's rule for a linalg function computed out of place then copied: out's dtype must
    not be of a lower category (float32 takes a float64 result)."""

    def rule(result, out):
        if can_cast(result, out) is not None:
            return RuntimeError(
                f"{name}: Expected {what} to be safely castable from {result.title} dtype, but "
                f"got {what} with dtype {out.title}"
            )
        return None

    return rule


def _scalar_type(result, out):
    """solve_triangular's rule: out of the result's dtype, in its message's words."""
    if result is not out:
        return RuntimeError(
            f"expected scalar type {result.title} but found {out.title}"
        )  # fmt: skip
    return None


def _tensors(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _tensors(a)
        elif isinstance(a, TensorBase):
            yield a


def linalg_out(name, rules=same_dtype, fields=None):
    """Give a linalg function torch's ``out=``: one tensor (``rules`` one dtype rule) or, for
    a function of several results, a tuple (``rules`` one rule per result, ``fields`` the
    names of torch's ``<name>_out`` named tuple it returns). Checked before anything runs
    (a Tensor or a tuple of them, nothing requiring grad), computed out of place, written."""
    many = isinstance(rules, tuple)
    result_type = _result(name + "_out", fields) if many else None

    def wrap(fn):
        @functools.wraps(fn)
        def fn_out(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            tensors = tuple(_tensors((*args, *kwargs.values())))
            if not many:
                check_out(name, out, tensors)
                return write_out(out, fn(*args, **kwargs), rules)
            check_outs(name, out, len(rules), tensors)
            return result_type(*write_outs(out, tuple(fn(*args, **kwargs)), rules))

        return fn_out

    return wrap


def _keep_input(outs, a):
    """Keep input ``a`` first in the Node of a multi-output op (the VJP reads it as n.x)."""
    for o in outs:
        node = o._grad_fn
        if node is not None:
            node.saved = (a, *(node.saved or ()))
            if a._vc is not None:
                node.versions = (a._vc.version,) + (0,) * (len(node.saved) - 1)
            break
    return outs


def _zeros(t, shape):
    return _wrap(_be(t).full(tuple(shape), 0, t._data.dtype))


def _gap(values, squared):
    """E_ij = v_j - v_i (of the squares when ``squared``), 1 on the diagonal."""
    v = values * values if squared else values
    return unsqueeze(v, -2) - unsqueeze(v, -1) + _eye(values, values.shape[-1])


def _skew(x):
    return x - _mT(x)


# --- svd ----------------------------------------------------------------------------------------
def _svd_vjp(n, g_u, g_s, g_vh):
    u, s, vh = n.saved
    (full_matrices,) = n.params
    m, k, ncols = u.shape[-2], s.shape[-1], vh.shape[-1]
    if g_u is None and g_vh is None:
        return matmul(u * unsqueeze(g_s, -2), vh)
    if full_matrices and m != ncols:
        raise RuntimeError(
            "linalg_svd_backward: The singular vectors in the complete SVD are not "
            "well-defined. Please use full_matrices=False."
        )
    v = _mT(vh)
    g_u = _zeros(u, u.shape) if g_u is None else g_u
    g_v = _zeros(v, v.shape) if g_vh is None else _mT(g_vh)
    u, v, g_u, g_v = u[..., :k], v[..., :k], g_u[..., :k], g_v[..., :k]
    e = _gap(s, True)
    s_row = unsqueeze(s, -2)  # scales columns
    utgu = matmul(_mT(u), g_u)
    vtgv = matmul(_mT(v), g_v)
    inner = _skew(utgu) / e * s_row + unsqueeze(s, -1) * (_skew(vtgv) / e)
    if g_s is not None:
        inner = inner + _diag_embed(g_s)
    ga = matmul(matmul(u, inner), _mT(v))
    if m > k:
        ga = ga + matmul((g_u - matmul(u, utgu)) / s_row, _mT(v))
    if ncols > k:
        ga = ga + matmul(u, _mT((g_v - matmul(v, vtgv)) / s_row))
    return ga


SVD = defop("linalg_svd", _svd_vjp, node_name="LinalgSvdBackward0")
_SVD = _result("linalg_svd", ["U", "S", "Vh"])
_TORCH_SVD = _result("svd", ["U", "S", "V"])


@linalg_out("linalg_svd", (same_dtype, same_dtype, same_dtype), ["U", "S", "Vh"])
def svd(A, full_matrices=True, *, driver=None):
    """Matches torch.linalg.svd: A = U diag(S) Vh, S descending."""
    _float_check("linalg.svd", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if driver is not None and A.device.type == "cpu":
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
            "cuSOLVER backend."
        )
    return _SVD(*apply_multi(SVD, A, (bool(full_matrices),), save=(0, 1, 2)))


@linalg_out("linalg_svdvals")
def svdvals(A, *, driver=None):
    """Matches torch.linalg.svdvals (its gradient svd's)."""
    return svd(A, full_matrices=False, driver=driver).S


@linalg_out("svd", (same_dtype, same_dtype, same_dtype), ["U", "S", "V"])
def _torch_svd(input, some=True, compute_uv=True):
    """Matches torch.svd: (U, S, V) with V = Vh^T; compute_uv=False: zero U and V."""
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return _TORCH_SVD(u.detach() * 0, s, _mT(vh).detach() * 0)
    return _TORCH_SVD(u, s, _mT(vh))


declare(svd, namespace="linalg", op=SVD, out=True)
declare(svdvals, namespace="linalg", composite=True, out=True)
declare(_torch_svd, name="svd", method=True, composite=True, out=True)


# --- inv, det, slogdet --------------------------------------------------------------------------
def _inv_vjp(n, g):
    ai_t = _mT(n.out)
    return -matmul(matmul(ai_t, g), ai_t)


def _excl_prod(s):
    """p_i = prod_{j != i} s_j along the last dim, in multiplications only (so its derivatives
    stay finite where some s_j are 0)."""
    n = s.shape[-1]
    eye = _eye(s, n)
    p = s * 0 + 1
    for j in range(n):
        p = p * (s[..., j : j + 1] * (1 - eye[j]) + eye[j])
    return p


def _cofactors_svd(a):
    """The matrix of cofactors (adj(a)^T) of every matrix, singular or not, through the SVD:
    a = U S Vh, cof(a) = det(U) det(Vh) U diag(prod_{j != i} S_j) Vh (torch's formula)."""
    u, s, vh = svd(a)
    with no_grad():
        sign = det(u) * det(vh)
    p = _excl_prod(s) * unsqueeze(sign, -1)
    return matmul(u * unsqueeze(p, -2), vh)


def _singular(a, d):
    """A bool mask of the matrices whose determinant ``d`` is 0, and ``a`` with the identity
    in their place (safe to invert)."""
    bad = unsqueeze(unsqueeze(d == 0, -1), -1)
    return bad, where(bad, _eye(a), a)


def _det_vjp(n, g):
    """torch's linalg_det_backward: under create_graph the cofactors through the SVD (defined at
    singular matrices, and differentiable again); otherwise det(A) A^-T, which is 0 where det
    is exactly 0 (torch solves with a perturbed LU there: 0 times a finite inverse)."""
    a, d = n.x, n.out
    gd = unsqueeze(unsqueeze(g, -1), -1)
    if is_grad_enabled():
        return gd * _cofactors_svd(a)
    bad, fixed = _singular(a, d)
    return gd * unsqueeze(unsqueeze(d, -1), -1) * _mT(inv(fixed))


def _slogdet_vjp(n, g_sign, g_logabsdet):
    """g A^-T; at a singular matrix cof(A) / 0, infinite as torch's (whose LU solve divides by
    the zero pivot). No host sync: the singular branch is the SVD of A where A is singular and
    of diag(1, ..., n) elsewhere (distinct singular values, so its own derivatives are finite)."""
    if g_logabsdet is None:
        return None
    a, sign = n.saved
    gl = unsqueeze(unsqueeze(g_logabsdet, -1), -1)
    bad, fixed = _singular(a, sign)
    k = a.shape[-1]
    steps = _wrap(_be(a).arange(1, k + 1, 1, a._data.dtype))
    cof = _cofactors_svd(where(bad, a, _diag_embed(steps)))
    zero = where(bad, 0.0, 1.0)
    return gl * where(bad, cof / zero, _mT(inv(fixed)))


INV = defop("linalg_inv", _inv_vjp, SAVE_OUT, node_name="LinalgInvExBackward0")
DET = defop("linalg_det", _det_vjp, SAVE_X | SAVE_OUT, node_name="LinalgDetBackward0")
SLOGDET = defop("linalg_slogdet", _slogdet_vjp, node_name="LinalgSlogdetBackward0")
_SLOGDET = _result("linalg_slogdet", ["sign", "logabsdet"])
_INV_EX = _result("linalg_inv_ex", ["inverse", "info"])


@linalg_out("linalg_inv")
def inv(A):
    """Matches torch.linalg.inv; a singular matrix raises torch.linalg.LinAlgError."""
    _float_check("linalg.inv", A)
    _square_check("linalg.inv", A)
    return apply1(INV, A)


@linalg_out("linalg_inv_ex", (same_dtype, same_dtype), ["inverse", "info"])
def inv_ex(A, *, check_errors=False):
    """Matches torch.linalg.inv_ex: (inverse, info), info > 0 where a matrix is singular."""
    _float_check("linalg.inv_ex", A)
    _square_check("linalg.inv_ex", A)
    info = _wrap(_be(A).full(A.shape[:-2], 0, D.int32.np))
    try:
        return _INV_EX(inv(A), info)
    except _LinAlgError:
        if check_errors:
            raise
    with no_grad():
        sign = slogdet(A)[0]
    bad = unsqueeze(unsqueeze(sign == 0, -1), -1)
    fixed = where(bad, _eye(A), A)
    return _INV_EX(where(bad, float("nan"), inv(fixed)), _singular_info(A, sign))


def _singular_info(A, sign):
    """LAPACK's info: the first zero on U's diagonal (1-based), 0 where A is invertible; off
    the CPU (no LU kernel) 1 marks a singular matrix."""
    zero = (sign == 0).to(D.int32)
    try:
        lu = _wrap(_be(A).linalg_lu_factor(A._data)[0])
    except NotImplementedError:
        return zero
    d = diagonal(lu, 0, -2, -1) == 0
    n = d.shape[-1]
    first = (d.to(D.int32) * _wrap(_be(A).arange(n, 0, -1, D.int32.np))).argmax(-1)
    return (first.to(D.int32) + 1) * zero


@linalg_out("linalg_det")
def det(A):
    """Matches torch.linalg.det (also torch.det and Tensor.det)."""
    _float_check("linalg.det", A)
    _square_check("linalg.det", A)
    return apply1(DET, A)


@linalg_out("linalg_slogdet", (same_dtype, same_dtype), ["sign", "logabsdet"])
def slogdet(A):
    """Matches torch.linalg.slogdet: (sign, log |det|), the gradient through log |det|."""
    _float_check("linalg.slogdet", A)
    _square_check("linalg.slogdet", A)
    return _SLOGDET(*_keep_input(apply_multi(SLOGDET, A, save=(0,)), A))


def logdet(input):
    """Matches torch.logdet: log det, NaN where det < 0 (-inf where it is 0)."""
    sign, logabsdet = slogdet(input)
    return where(sign >= 0, logabsdet, float("nan"))


declare(inv, namespace="linalg", op=INV, out=True)
declare(inv_ex, namespace="linalg", composite=True, out=True)
declare(det, namespace="linalg", op=DET, out=True)


def _torch_det(input):
    """Matches torch.det and Tensor.det: linalg.det without ``out=`` (torch has none there)."""
    return det(input)


_torch_det.__name__ = _torch_det.__qualname__ = "det"
declare(_torch_det, name="det", method=True, composite=True)
declare(slogdet, namespace=("torch", "linalg"), method=True, op=SLOGDET, out=True)
declare(logdet, method=True, composite=True)


@linalg_out("inverse")
def inverse(input):
    """Matches torch.inverse (linalg.inv)."""
    return inv(input)


declare(inverse, method=True, composite=True, out=True)


# --- solve, solve_triangular --------------------------------------------------------------------
def _solve_vjp(n, g):
    a, b = n.x, n.y
    gb = solve(_mT(a), g)
    ga = None
    if n.needs_x:
        ga = -matmul(gb, _mT(solve(a, b)))
    return ga, gb if n.needs_y else None


SOLVE = defop("linalg_solve", _solve_vjp, SAVE_XY, node_name="LinalgSolveExBackward0")


def _vector_rhs(A, B):
    """torch's rule: B is a batch of vectors if it is 1-D or has A's batch shape plus one dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


@linalg_out("linalg_solve")
def solve(A, B, *, left=True):
    """Matches torch.linalg.solve: A X = B (left=False: X A = B); B of vectors or matrices,
    batch dims broadcast."""
    _float_check("linalg.solve", A, B)
    _square_check("linalg.solve", A)
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.title} and B of type {B.dtype.title} instead"
        )
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    vec = _vector_rhs(A, B)
    b = unsqueeze(B, -1) if vec else B
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})"
        )
    x = apply2(SOLVE, A, b)
    return squeeze(x, -1) if vec else x


def _solve_tri_vjp(n, g):
    a, b = n.x, n.y
    upper, unit = n.params
    gb = _solve_tri(_mT(a), g, not upper, unit)
    ga = None
    if n.needs_x:
        ga = -matmul(gb, _mT(_solve_tri(a, b, upper, unit)))
        ga = _triu(ga, 1 if unit else 0) if upper else _tril(ga, -1 if unit else 0)
    return ga, gb if n.needs_y else None


SOLVE_TRI = defop(
    "linalg_solve_triangular", _solve_tri_vjp, SAVE_XY, node_name="LinalgSolveTriangularBackward0"
)


def _solve_tri(a, b, upper, unit):
    return apply2(SOLVE_TRI, a, b, (upper, unit))


@linalg_out("linalg_solve_triangular", _scalar_type)
def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """Matches torch.linalg.solve_triangular: A X = B (left=False: X A = B), A triangular."""
    _float_check("linalg.solve_triangular", A, B)
    _square_check("linalg.solve_triangular", A)
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    if not left:
        return _mT(_solve_tri(_mT(A), _mT(B), not upper, bool(unitriangular)))
    return _solve_tri(A, B, bool(upper), bool(unitriangular))


declare(solve, namespace="linalg", op=SOLVE, out=True)
declare(solve_triangular, namespace="linalg", op=SOLVE_TRI, out=True)


# --- cholesky -----------------------------------------------------------------------------------
def _cholesky_vjp(n, g):
    (upper,) = n.params
    low = _mT(n.out) if upper else n.out
    gl = _mT(g) if upper else g
    p = _tril(matmul(_mT(low), gl))
    s = (p + _mT(_tril(p, -1))) * 0.5  # symmetric, its lower triangle P's, the diagonal halved
    # gA = L^-T S L^-1
    return solve(_mT(low), _mT(solve(_mT(low), _mT(s))))


CHOLESKY = defop("linalg_cholesky", _cholesky_vjp, SAVE_OUT, node_name="LinalgCholeskyExBackward0")
_CHOLESKY_EX = _result("linalg_cholesky_ex", ["L", "info"])


@linalg_out("linalg_cholesky")
def cholesky(A, *, upper=False):
    """Matches torch.linalg.cholesky (A symmetric positive-definite; its lower triangle read)."""
    _float_check("linalg.cholesky", A)
    _square_check("linalg.cholesky", A)
    return apply1(CHOLESKY, A, (bool(upper),))


def _not_pd_order(A):
    """The order of the first leading minor of each matrix that is not positive (0: none)."""
    n = A.shape[-1]
    info = _wrap(_be(A).full(A.shape[:-2], 0, D.int32.np))
    with no_grad():
        for k in range(n, 0, -1):
            sign, _ = slogdet(A[..., :k, :k])
            info = info * (sign > 0).to(D.int32) + k * (sign <= 0).to(D.int32)
    return info


@linalg_out("linalg_cholesky_ex", (same_dtype, same_dtype), ["L", "info"])
def cholesky_ex(A, *, upper=False, check_errors=False):
    """Matches torch.linalg.cholesky_ex: (L, info), info the order of the first leading minor
    that is not positive-definite."""
    try:
        return _CHOLESKY_EX(
            cholesky(A, upper=upper), _wrap(_be(A).full(A.shape[:-2], 0, D.int32.np))
        )
    except _LinAlgError:
        if check_errors:
            raise
    info = _not_pd_order(A)
    ok = (info == 0).to(A.dtype)[..., None, None]
    fixed = A * ok + _eye(A) * (1 - ok)
    return _CHOLESKY_EX(cholesky(fixed, upper=upper) * ok, info)


declare(cholesky, namespace="linalg", op=CHOLESKY, out=True)
declare(cholesky_ex, namespace="linalg", composite=True, out=True)


# --- matrix_exp ---------------------------------------------------------------------------------
def _matrix_exp_vjp(n, g):
    # The Frechet derivative of exp at A^T in direction g: the upper right block of
    # exp([[A^T, g], [0, A^T]]).
    at = _mT(n.x)
    k = at.shape[-1]
    top = cat([at, g], -1)
    bottom = cat([g * 0, at], -1)
    return matrix_exp(cat([top, bottom], -2))[..., :k, k:]


MATRIX_EXP = defop(
    "linalg_matrix_exp", _matrix_exp_vjp, SAVE_X, node_name="LinalgMatrixExpBackward0"
)


def matrix_exp(A):
    """Matches torch.linalg.matrix_exp (CPU: SciPy's expm, batched)."""
    _float_check("linalg.matrix_exp", A)
    _square_check("linalg.matrix_exp", A)
    return apply1(MATRIX_EXP, A)


declare(matrix_exp, namespace=("torch", "linalg"), method=True, op=MATRIX_EXP)


__all__ = []
INTERNAL = []
