"""torch.linalg's decompositions (eigh, svd, qr, lu_factor, eig) and what is written in them
(eigvalsh, svdvals, pinv, matrix_rank, lstsq, lu_solve, householder_product, vander,
matrix_power, torch.svd, torch.qr, torch.pinverse).

VJPs (real inputs), after the matrix-calculus literature (Giles 2008; Townsend 2016 for the SVD;
Walter and Lehmann 2018 for QR), as torch's derivatives.yaml states them:

- eigh: gA = V (diag(gL) + (K - K^T) / 2 / E) V^T, K = V^T gV, E_ij = L_j - L_i;
- svd: gA = U [(skew(U^T gU) / E) S + diag(gS) + S (skew(V^T gV) / E)] V^T
  + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T), E_ij = S_j^2 - S_i^2;
- qr (m >= n): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q;
- lu_factor (square): gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T.
"""

from mytorch import _dtype as D
from mytorch._applyn import apply_multi, applyn
from mytorch._core import SAVE_OUT, SAVE_X, _wrap, apply1
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import declare, defop
from mytorch._ops.indexing import cat, stack
from mytorch._ops.linalg import matmul
from mytorch._ops.linalg_ops import (
    _be,
    _gap,
    _skew,
    _zeros,
    svdvals,
    _diag_embed,
    _eye,
    _float_check,
    _mT,
    _result,
    _solve_tri,
    _square_check,
    _castable,
    _tril,
    _triu,
    inv,
    linalg_out,
)
from mytorch._out import same_dtype
from mytorch._ops.shape import unsqueeze
from mytorch._ops.strided import diagonal as _diagonal


# --- eigh ---------------------------------------------------------------------------------------
def _eigh_vjp(n, g_l, g_v):
    lam, v = n.saved
    if g_v is None:
        return matmul(v * unsqueeze(g_l, -2), _mT(v))
    inner = _skew(matmul(_mT(v), g_v)) * 0.5 / _gap(lam, False)
    if g_l is not None:
        inner = inner + _diag_embed(g_l)
    return matmul(matmul(v, inner), _mT(v))


EIGH = defop("linalg_eigh", _eigh_vjp, node_name="LinalgEighBackward0")
_EIGH = _result("linalg_eigh", ["eigenvalues", "eigenvectors"])


@linalg_out("linalg_eigh", (same_dtype, same_dtype), ["eigenvalues", "eigenvectors"])
def eigh(A, UPLO="L"):
    """Matches torch.linalg.eigh: ascending eigenvalues and orthonormal eigenvectors of a
    symmetric matrix (the triangle UPLO read)."""
    _float_check("linalg.eigh", A)
    _square_check("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _EIGH(*apply_multi(EIGH, A, (UPLO,), save=(0, 1)))


@linalg_out("linalg_eigvalsh")
def eigvalsh(A, UPLO="L"):
    """Matches torch.linalg.eigvalsh (its gradient eigh's)."""
    return eigh(A, UPLO).eigenvalues


declare(eigh, namespace="linalg", op=EIGH, out=True)
declare(eigvalsh, namespace="linalg", composite=True, out=True)


# --- qr -----------------------------------------------------------------------------------------
def _qr_back_tall(q, r, g_q, g_r):
    m_ = matmul(r, _mT(g_r)) - matmul(_mT(g_q), q)
    copyltu = _tril(m_) + _mT(_tril(m_, -1))
    b = g_q + matmul(q, copyltu)
    # b R^-T = (R^-1 b^T)^T
    return _mT(_solve_tri(r, _mT(b), True, False))


def _qr_vjp(n, g_q, g_r):
    q, r = n.saved
    (mode,) = n.params
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )
    m, ncols = q.shape[-2], r.shape[-1]
    if mode == "complete" and m > ncols:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    g_q = _zeros(q, q.shape) if g_q is None else g_q
    g_r = _zeros(r, r.shape) if g_r is None else g_r
    if m >= ncols:
        return _qr_back_tall(q, r, g_q, g_r)
    r1, g_r1, g_r2 = r[..., :, :m], g_r[..., :, :m], g_r[..., :, m:]
    y = matmul(q, r[..., :, m:])  # the trailing columns of A
    g_x = _qr_back_tall(q, r1, g_q + matmul(y, _mT(g_r2)), g_r1)
    return cat([g_x, matmul(q, g_r2)], -1)


QR = defop("linalg_qr", _qr_vjp, node_name="LinalgQrBackward0")
_QR = _result("linalg_qr", ["Q", "R"])
_TORCH_QR = _result("qr", ["Q", "R"])


@linalg_out("linalg_qr", (same_dtype, same_dtype), ["Q", "R"])
def qr(A, mode="reduced"):
    """Matches torch.linalg.qr: A = Q R, mode 'reduced', 'complete' or 'r' (Q empty)."""
    _float_check("linalg.qr", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return _QR(*apply_multi(QR, A, (mode,), save=(0, 1)))


@linalg_out("qr", (same_dtype, same_dtype), ["Q", "R"])
def _torch_qr(input, some=True):
    """Matches torch.qr (some=False: the complete Q)."""
    return _TORCH_QR(*qr(input, "reduced" if some else "complete"))


declare(qr, namespace="linalg", op=QR, out=True)
declare(_torch_qr, name="qr", method=True, composite=True, out=True)


# --- pinv, matrix_rank, lstsq -------------------------------------------------------------------
_EPS = {D.float32: 2.0**-23, D.float64: 2.0**-52}


def _cutoff(s, atol, rtol, m, n):
    eps = _EPS.get(s.dtype, _EPS[D.float64])
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else max(m, n) * eps
    smax = s[..., :1] if s.shape[-1] else s
    tol = smax * rtol
    if atol is not None:
        tol = tol.clamp_min(atol)
    return tol


def _pinv_vjp(n, g):
    """torch's pinv_backward (the derivative of the pseudo-inverse P of A on a neighbourhood of
    constant rank): gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    a, p = n.x, n.out
    pt, gt = _mT(p), _mT(g)
    if a.shape[-2] <= a.shape[-1]:
        k = matmul(gt, p)
        kpt = matmul(k, pt)
        return (
            -_mT(matmul(p, k))
            + kpt
            - matmul(matmul(a, p), kpt)
            + matmul(matmul(pt, p), gt - matmul(k, a))
        )
    k = matmul(p, gt)
    ptk = matmul(pt, k)
    return (
        -_mT(matmul(k, p))
        + matmul(matmul(gt - matmul(a, k), p), pt)
        + ptk
        - matmul(matmul(ptk, p), a)
    )


PINV = defop("linalg_pinv", _pinv_vjp, SAVE_X | SAVE_OUT, node_name="LinalgPinvBackward0")


@linalg_out("linalg_pinv", _castable("linalg.pinv"))
def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Matches torch.linalg.pinv: through the SVD (eigh when hermitian), singular values at
    or below max(atol, rtol * the largest) dropped (rtol defaults to max(m, n) * eps, or 0
    when atol > 0); its derivative torch's pinv_backward."""
    _float_check("linalg.pinv", A)
    m, n = A.shape[-2:]
    if rtol is None:
        eps = _EPS.get(A.dtype, _EPS[D.float64])
        rtol = 0.0 if (atol is not None and atol > 0) else max(m, n) * eps
    atol = 0.0 if atol is None else float(atol)
    return apply1(PINV, A, (atol, float(rtol), bool(hermitian)))


@linalg_out("linalg_matrix_rank", _castable("torch.linalg.matrix_rank"))
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """Matches torch.linalg.matrix_rank: the singular values above the cutoff, counted."""
    _float_check("linalg.matrix_rank", A)
    m, n = A.shape[-2:]
    with no_grad():
        s = eigvalsh(A).abs().sort(-1, descending=True)[0] if hermitian else svdvals(A)
        return (s > _cutoff(s, atol, rtol, m, n)).sum(-1)


_LSTSQ = _result("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """Matches torch.linalg.lstsq (CPU drivers; 'gelsy' by default, LAPACK's through SciPy;
    gelsd, gelss and gels, and every driver off the CPU, through the pseudo-inverse with the
    singular values at or below rcond * the largest cut off: rcond None is eps * max(m, n);
    gels cuts nothing). Its derivatives are torch's: pinv(A) B's. What torch fills per driver: rank (all but gels), singular_values (gelsd,
    gelss), residuals (all but gelsy, where m > n and every matrix has full rank)."""
    _float_check("linalg.lstsq", A, B)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A.dtype != B.dtype:
        raise RuntimeError(
            "torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {A.dtype.title} and other's dtype {B.dtype.title}"
        )
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    if driver in ("gelsd", "gelss") and A.device.type != "cpu":
        raise NotImplementedError(
            f"linalg.lstsq(driver='{driver}') runs on the CPU only (its rank and residuals "
            "are read on the host)"
        )
    vec = B.ndim == A.ndim - 1
    b = unsqueeze(B, -1) if vec else B
    m, n = A.shape[-2:]
    if b.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    eps = _EPS.get(A.dtype, _EPS[D.float64])
    rtol = max(m, n) * eps if rcond is None or rcond < 0 else float(rcond)
    # The value is the driver's; the derivatives are torch's: those of pinv(A) B (default rtol).
    y = matmul(pinv(A), b)
    empty = _zeros(A, (0,))
    with no_grad():
        s = svdvals(A)
        rank = (s > _cutoff(s, None, rtol, m, n)).sum(-1) if s.shape[-1] else s.sum(-1).long()
        if driver == "gelsy" and A.device.type == "cpu":
            x, r = _be(A).linalg_lstsq_gelsy(A._data, b._data, rtol)
            x, rank = _wrap(x), _wrap(r)
        else:
            x = matmul(pinv(A, rtol=0.0 if driver == "gels" else rtol), b)
    x = x + (y - y.detach()) if y.requires_grad else x
    res, sv = empty, empty
    if driver in ("gelsd", "gelss"):
        sv = s
    if driver != "gelsy" and m > n and (driver == "gels" or bool((rank == n).all())):
        r = matmul(A, x) - b
        res = (r * r).sum(-2)
    if driver == "gels":
        rank = _wrap(_be(A).full((0,), 0, D.int64.np))
    if vec:
        x = x[..., 0]
    return _LSTSQ(x, res, rank, sv)


declare(pinv, namespace="linalg", op=PINV, out=True)
declare(matrix_rank, namespace="linalg", composite=True, out=True)
declare(lstsq, namespace="linalg", composite=True)


def pinverse(input, rcond=1e-15):
    """Matches torch.pinverse (linalg.pinv with rtol=rcond)."""
    return pinv(input, rtol=rcond)


declare(pinverse, method=True, composite=True)


# --- lu_factor, lu_solve ------------------------------------------------------------------------
def _perm_matrix(piv, m, like):
    """P (m x m) with A = P L U for the LAPACK pivots."""
    perm = _wrap(_be(like).lu_pivots_to_perm(piv._data, m))
    rows = _wrap(_be(like).arange(0, m, 1, D.int64.np))
    return (unsqueeze(rows, -1) == unsqueeze(perm, -2)).to(like.dtype)


def _lu_square_back(low, up, g_l, g_u):
    """L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T: the square LU's VJP before P."""
    inner = _tril(matmul(_mT(low), g_l), -1) + _triu(matmul(g_u, _mT(up)))
    x = _solve_tri(_mT(low), inner, True, True)  # L^-T inner
    return _mT(_solve_tri(up, _mT(x), True, False))  # ... U^-T


def _lu_factor_vjp(n, g_lu, g_piv):
    """Square: P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T. Wide (m < n, U = [U1 U2] with
    U2 = L^-1 P^T A2): gA2 = P L^-T gU2, and gL takes -L^-T gU2 U2^T. Tall (m > n, L = [L1; L2]
    with L2 = (P^T A)_2 U^-1): g(P^T A)_2 = gL2 U^-T, and gU takes -L2^T gL2 U^-T."""
    lu, piv = n.saved
    m, k = lu.shape[-2:]
    p = _perm_matrix(piv, m, lu)
    if m <= k:
        low = _tril(lu[..., :, :m], -1) + _eye(lu, m)
        up = _triu(lu[..., :, :m])
        g_l, g_u = _tril(g_lu[..., :, :m], -1), _triu(g_lu[..., :, :m])
        if m == k:
            return matmul(p, _lu_square_back(low, up, g_l, g_u))
        ga2 = _solve_tri(_mT(low), g_lu[..., :, m:], True, True)
        g_l = g_l - _tril(matmul(ga2, _mT(lu[..., :, m:])), -1)
        return matmul(p, cat([_lu_square_back(low, up, g_l, g_u), ga2], -1))
    low1 = _tril(lu[..., :k, :], -1) + _eye(lu, k)
    up = _triu(lu[..., :k, :])
    gb2 = _mT(_solve_tri(up, _mT(g_lu[..., k:, :]), True, False))  # gL2 U^-T
    g_u = _triu(g_lu[..., :k, :]) - _triu(matmul(_mT(lu[..., k:, :]), gb2))
    gb1 = _lu_square_back(low1, up, _tril(g_lu[..., :k, :], -1), g_u)
    return matmul(p, cat([gb1, gb2], -2))


def _lu_info(lu):
    """getrf's info: the first zero on U's diagonal, 1-based (0: none)."""
    with no_grad():
        d = _diagonal(lu, 0, -2, -1) == 0
        k = d.shape[-1]
        if k == 0:
            return _wrap(_be(lu).full(lu.shape[:-2], 0, D.int32.np))
        first = (d.to(D.int32) * _wrap(_be(lu).arange(k, 0, -1, D.int32.np))).argmax(-1)
        return ((first + 1) * d.any(-1).to(D.int64)).to(D.int32)


def _raise_singular(name, info):
    if bool((info > 0).any()):
        i = int(info[info > 0][0])
        raise RuntimeError(
            f"{name}: U[{i},{i}] is zero and using it on lu_solve would result in a division "
            "by zero. If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )


LU_FACTOR = defop("linalg_lu_factor", _lu_factor_vjp, node_name="LinalgLuFactorExBackward0")
_LU_FACTOR = _result("linalg_lu_factor", ["LU", "pivots"])


@linalg_out("linalg_lu_factor", (same_dtype, same_dtype), ["LU", "pivots"])
def lu_factor(A, *, pivot=True):
    """Matches torch.linalg.lu_factor: (LU packed, int32 pivots) of A = P L U (CPU)."""
    _float_check("linalg.lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv = apply_multi(LU_FACTOR, A, save=(0, 1))
    _raise_singular("torch.linalg.lu_factor", _lu_info(lu))
    return _LU_FACTOR(lu, piv)


@linalg_out("linalg_lu_solve")
def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """Matches torch.linalg.lu_solve: A X = B from A's LU factors (adjoint: A^T X = B; left
    False: X A = B); written in solve_triangular, so its gradients are those of the solves."""
    _float_check("linalg.lu_solve", LU, B)
    if not left:
        return _mT(lu_solve(LU, pivots, _mT(B), adjoint=not adjoint))
    p = _perm_matrix(pivots, LU.shape[-1], LU)
    if adjoint:  # A^T = U^T L^T P^T
        y = _solve_tri(_mT(LU), B, False, False)
        return matmul(p, _solve_tri(_mT(LU), y, True, True))
    y = _solve_tri(LU, matmul(_mT(p), B), False, True)
    return _solve_tri(LU, y, True, False)


declare(lu_factor, namespace="linalg", op=LU_FACTOR, out=True)
declare(lu_solve, namespace="linalg", composite=True, out=True)


# --- eig (values and vectors, forward) ---------------------------------------------------------
def _eig_vjp(n, g_w, g_v):
    """torch's linalg_eig_backward (one kernel, mytorch._backends._linalg); its own derivative
    (second order) is not implemented: mytorch's complex autograd cannot carry it."""
    w, v = n.saved
    real = not n.params[0]
    gw = g_w if g_w is not None else w * 0
    gv = g_v if g_v is not None else v * 0
    return linalg_eig_backward(w, v, gw, gv, g_w is not None, g_v is not None, real)


def linalg_eig_backward(w, v, gw, gv, has_w, has_v, real):
    """eig's VJP as one primitive (its kernel mytorch._backends._linalg's)."""
    return applyn(EIG_BACKWARD, (w, v, gw, gv), (has_w, has_v, real))


def _eig_backward_vjp(n, g):
    raise NotImplementedError(
        "linalg.eig: second derivatives (the derivative of eig's backward) are not implemented "
        "in mytorch (its complex autograd cannot carry them)"
    )


EIG = defop("linalg_eig", _eig_vjp, node_name="LinalgEigBackward0")
EIG_BACKWARD = defop(
    "linalg_eig_backward", _eig_backward_vjp, node_name="LinalgEigBackwardBackward0"
)
_EIG = _result("linalg_eig", ["eigenvalues", "eigenvectors"])
_EIG_RULE = _castable("torch.linalg.eig", "eigenvalues")


@linalg_out("linalg_eig", (_EIG_RULE, _EIG_RULE), ["eigenvalues", "eigenvectors"])
def eig(A):
    """Matches torch.linalg.eig: complex eigenvalues and eigenvectors (CPU); first derivatives
    only."""
    _float_check("linalg.eig", A)
    _square_check("linalg.eig", A)
    return _EIG(*apply_multi(EIG, A, (A.dtype.is_complex,), save=(0, 1)))


@linalg_out("linalg_eigvals", _castable("torch.linalg.eigvals", "eigenvalues"))
def eigvals(A):
    """Matches torch.linalg.eigvals (CPU; first derivatives only)."""
    return eig(A).eigenvalues


declare(eig, namespace="linalg", op=EIG, out=True)
declare(eigvals, namespace="linalg", composite=True, out=True)


def _matrix_power_rule(result, out):
    """matrix_power's out: castable (n == 0 copies), else of the result's dtype."""
    return _castable("matrix_power")(result, out) or same_dtype(result, out)


# --- householder_product, vander, matrix_power ------------------------------------------------
@linalg_out("linalg_householder_product", _castable("torch.linalg.householder_product"))
def householder_product(A, tau):
    """Matches torch.linalg.householder_product: the first n columns of H_1 ... H_k, with
    H_i = I - tau_i v_i v_i^T and v_i the i-th column of A below a unit diagonal."""
    _float_check("linalg.householder_product", A, tau)
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if n > m or k > n:
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-2] must be greater than or equal "
            "to input.shape[-1]" if n > m else "torch.linalg.householder_product: input.shape[-1]"
            " must be greater than or equal to tau.shape[-1]"
        )  # fmt: skip
    vs = _tril(A, -1) + _wrap(_be(A).eye(m, n, A._data.dtype))
    q = _wrap(_be(A).eye(m, m, A._data.dtype))
    for i in range(k):
        v = vs[..., :, i : i + 1]
        q = q - matmul(matmul(q, v) * unsqueeze(unsqueeze(tau[..., i], -1), -1), _mT(v))
    return q[..., :, :n]


def vander(x, *, N=None):
    """Matches torch.linalg.vander: the powers x^0 ... x^(N-1) along a new last dim."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        if n < 1:
            raise RuntimeError("N must be greater than 1.")
        return unsqueeze(x * 0 + 1, -1)
    cols = [x * 0 + 1, x]
    for _ in range(2, n):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


@linalg_out("linalg_matrix_power", _matrix_power_rule)
def matrix_power(A, n):
    """Matches torch.linalg.matrix_power (and torch.matrix_power): by repeated squaring;
    n < 0 powers the inverse."""
    _square_check("linalg.matrix_power", A)
    if n == 0:
        return (A * 0).detach() + _eye(A) if A.requires_grad else A * 0 + _eye(A)
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


declare(householder_product, namespace="linalg", composite=True, out=True)
declare(vander, namespace="linalg", composite=True)
declare(matrix_power, namespace=("torch", "linalg"), method=True, composite=True, out=True)


__all__ = []
INTERNAL = ["linalg_eig_backward"]  # the primitive of eig's VJP
