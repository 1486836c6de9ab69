"""op_db rows of the rest of torch.linalg (mytorch/_ops/linalg_more.py), of eig's derivatives,
lstsq on rank-deficient matrices, and det at singular matrices.

As in op_db_linalg2: inputs are made well-conditioned inside each row (``_wc`` adds 3 I);
eigenvalues are compared through functions that do not depend on their order.
"""

from op_db import OpInfo, _nograd, _unary, _vjp, cycle

F32 = {"float32": dict(rtol=2e-3, atol=2e-3)}
CPU = ("cpu",)
SQ = [((3, 3),), ((2, 3, 3),)]


def _wc(T, x):
    return x + 3 * T.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def _rank_deficient(T, x):
    """x with its last column twice its first (rank n - 1 for a tall x). NOTE: twice, not a copy:
    gelsy's pivoting would have to choose between two columns of equal norm, which the order of
    the BLAS's sums decides (two valid basic solutions, in torch and here alike)."""
    return T.cat([x[..., :-1], x[..., :1] * 2], -1)


def _eig_abs(T, x):
    """|eigenvalues| in ascending order (a complex pair shares one modulus)."""
    return T.linalg.eigvals(x).abs().sort(-1)[0]


def _eig_vec_abs(T, x):
    """Per eigenvector (unit norm, phase-free): its squared moduli weighted by row, with its
    eigenvalue's modulus, summed; sorted (LAPACK's order is not torch's)."""
    w, v = T.linalg.eig(x)
    rows = T.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    per = ((v.abs() ** 2) * rows.unsqueeze(-1)).sum(-2) + w.abs()
    return per.sort(-1)[0]


# A rank-2 3 x 3 matrix (row 2 = 2 row 1): det is 0 there, its cofactors are not.
RANK2 = cycle(1, 2, 3, 2, 4, 6, 1, 0, 1)

LINALG3 = [
    # det at singular matrices: under create_graph (as the table takes derivatives) torch's
    # cofactors through the SVD, and their derivatives
    OpInfo(
        "det_singular",
        lambda T, x: T.linalg.det(x),
        [((3, 3),)],
        RANK2,
        op="linalg_det",
        smooth=False,
        tol=F32,
    ),
    OpInfo(
        "det_singular_batched",
        lambda T, x: T.linalg.det(T.stack([x, _wc(T, x)])),
        [((3, 3),)],
        RANK2,
        op="linalg_det",
        smooth=False,
        tol=F32,
    ),
    _unary("cond", lambda T, x: T.linalg.cond(_wc(T, x)), shapes=SQ, op="linalg_svd", tol=F32),
    _unary(
        "cond_rect",
        lambda T, x: T.linalg.cond(x) * T.linalg.cond(x, -2),
        shapes=[((3, 2),), ((2, 2, 3),)],
        op="linalg_svd",
        tol=F32,
    ),
    # cond through inv (fro, inf, -inf, 1, -1): torch's backward raises (its cond writes into
    # inv_ex's output in place), so the rows compare values only (mytorch's are differentiable)
    _nograd(
        "cond_fro",
        lambda T, x: (T.linalg.cond(_wc(T, x), "fro") + T.linalg.cond(_wc(T, x), 1)).detach(),
        SQ,
        op="linalg_inv",
        tol=F32,
    ),
    _nograd(
        "cond_inf",
        lambda T, x: T.stack(
            [T.linalg.cond(_wc(T, x), p) for p in (float("inf"), -float("inf"), -1)]
        ).detach(),
        [((3, 3),)],
        op="linalg_inv",
        tol=F32,
    ),
    _unary(
        "cond_nuc",
        lambda T, x: T.linalg.cond(_wc(T, x), "nuc"),
        shapes=[((3, 3),)],
        op="linalg_svd",
        tol=F32,
    ),
    _unary(
        "linalg_diagonal",
        lambda T, x: T.linalg.diagonal(x, offset=1).sum() * T.linalg.diagonal(x, dim1=0, dim2=-1),
        shapes=[((3, 3, 3),)],
        op="diagonal",
    ),
    OpInfo("linalg_matmul", lambda T, x, y: T.linalg.matmul(x, y), [((2, 3), (3, 2))], op="matmul"),
    OpInfo(
        "vecdot",
        lambda T, x, y: T.linalg.vecdot(x, y) + T.linalg.vecdot(x, y, dim=0).sum(),
        [((2, 3), (2, 3)), ((2, 3), (3,))],
        op="mul",
    ),
    OpInfo(
        "solve_ex",
        lambda T, a, b: T.linalg.solve_ex(_wc(T, a), b).result,
        [((3, 3), (3, 2)), ((2, 3, 3), (3,))],
        op="linalg_solve",
        tol=F32,
    ),
    _unary(
        "lu_factor_ex",
        lambda T, x: T.linalg.lu_factor_ex(x).LU,
        shapes=SQ,
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _nograd(
        "lu_factor_ex_info",
        lambda T, x: T.linalg.lu_factor_ex(x[..., :1] * x).info,
        [((3, 3),)],
        op="linalg_lu_factor",
        devices=CPU,
    ),
    _unary(
        "linalg_lu",
        lambda T, x: T.cat([p.flatten(-2) for p in T.linalg.lu(x)], -1),
        shapes=SQ,
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "linalg_lu_wide",
        lambda T, x: T.linalg.lu(x).U * 2 + T.linalg.lu(x).L.sum(),
        shapes=[((2, 4),), ((2, 3, 4),)],
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "linalg_lu_tall",
        lambda T, x: T.linalg.lu(x).L * 2 + T.linalg.lu(x).U.sum(),
        shapes=[((4, 2),), ((2, 4, 3),)],
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "lu_unpack",
        lambda T, x: T.cat([p.flatten(-2) for p in T.lu_unpack(*T.linalg.lu_factor(x))], -1),
        shapes=SQ + [((4, 3),)],
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "torch_lu",
        lambda T, x: T.lu(x)[0] + x.lu(get_infos=True)[0],
        shapes=[((3, 3),)],
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "tensorinv",
        lambda T, x: T.linalg.tensorinv(_wc(T, x.reshape(6, 6)).reshape(2, 3, 6), ind=2),
        shapes=[((36,),)],
        op="linalg_inv",
        tol=F32,
    ),
    OpInfo(
        "tensorsolve",
        lambda T, a, b: T.linalg.tensorsolve(
            _wc(T, a.reshape(6, 6)).reshape(6, 2, 3), b, dims=(0,)
        ),
        [((36,), (2, 3))],
        op="linalg_solve",
        tol=F32,
    ),
    # NOTE: lstsq's default driver (gelsy) on a rank-deficient matrix is compared with torch in
    # tests/ops/test_linalg3.py (fixed matrices); an op_db row of it here gave run-dependent basic
    # solutions (the pivoting's choice), in torch and here alike.
    OpInfo(
        "lstsq_gelsd",
        lambda T, a, b: (
            T.linalg.lstsq(a, b, driver="gelsd").solution
            + T.linalg.lstsq(a, b, driver="gelsd").residuals.sum()
        ),
        [((5, 3), (5, 2))],
        op="linalg_pinv",
        tol=F32,
        devices=CPU,
    ),
    OpInfo(
        "lstsq_gelss_vector",
        lambda T, a, b: T.linalg.lstsq(_rank_deficient(T, a), b, driver="gelss").solution,
        [((2, 4, 3), (2, 4))],
        op="linalg_pinv",
        tol=F32,
        devices=CPU,
    ),
    # eig: first derivatives only (see linalg_decomp._eig_vjp)
    OpInfo(
        "eigvals_abs",
        _eig_abs,
        [((3, 3),), ((2, 4, 4),)],
        op="linalg_eig",
        gradgrad=False,
        tol=F32,
        devices=CPU,
    ),
    OpInfo(
        "eig_vectors_abs",
        _eig_vec_abs,
        [((3, 3),)],
        op="linalg_eig",
        gradgrad=False,
        tol=F32,
        devices=CPU,
    ),
    _nograd(
        "eig_backward",
        lambda T, x: _vjp(T, lambda y: _eig_vec_abs(T, y), x.detach())[0],
        [((3, 3),)],
        op="linalg_eig_backward",
        tol=F32,
        devices=CPU,
    ),
    # LDL: no derivatives in torch either
    _nograd(
        "ldl_factor",
        lambda T, x: T.linalg.ldl_factor(x + x.mT).LD,
        [((3, 3),), ((2, 4, 4),)],
        op="linalg_ldl_factor",
        tol=F32,
        devices=CPU,
    ),
    _nograd(
        "ldl_factor_pivots",
        lambda T, x: T.linalg.ldl_factor_ex(x + x.mT, hermitian=True).pivots,
        [((2, 4, 4),)],
        op="linalg_ldl_factor",
        devices=CPU,
    ),
    _nograd(
        "ldl_solve",
        lambda T, a, b: T.linalg.ldl_solve(*T.linalg.ldl_factor(a + a.mT), b),
        [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))],
        op="linalg_ldl_solve",
        tol=F32,
        devices=CPU,
    ),
]

ROWS = LINALG3
