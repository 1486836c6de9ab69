"""op_db rows of the products (mytorch/_ops/products.py) and of torch.linalg
(mytorch/_ops/linalg_ops.py, linalg_decomp.py).

Inputs are made well-conditioned inside each row from the random input: ``_wc`` adds 3 I (a
matrix of uniform [-1.5, 1.5] entries plus 3 I is far from singular), ``_spd`` is A A^T + n I,
``_sym`` is A + A^T. Decompositions with sign or order choices (eigh, svd) are compared
through gauge-invariant functions of their factors (squared entries, U Vh). Float32 rows of
decompositions compare with looser tolerances (LAPACK's float32 rounding differs between
NumPy's and torch's builds).
"""

from op_db import OpInfo, _nograd, _unary

F32 = {"float32": dict(rtol=2e-3, atol=2e-3)}
CPU = ("cpu",)


def _eye(T, x):
    return T.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def _wc(T, x):
    return x + 3 * _eye(T, x)


def _spd(T, x):
    return x @ x.mT + x.shape[-1] * _eye(T, x)


def _sym(T, x):
    return x + x.mT


def _flat(T, *pieces):
    """The pieces side by side along a last dim (each flattened past its batch dims)."""
    b = pieces[0].ndim - 2 if pieces[0].ndim >= 2 else 0
    return T.cat([p.reshape(*p.shape[:b], -1) for p in pieces], -1)


def _eigh_mix(T, x):
    lam, v = T.linalg.eigh(_sym(T, x))
    return _flat(T, lam.unsqueeze(-2) * v * v, v * v)


def _svd_mix(T, x):
    u, s, vh = T.linalg.svd(x, full_matrices=False)
    return _flat(T, u @ vh, u * u * s.unsqueeze(-2), vh * vh, s.unsqueeze(-2))


def _lu_solve(T, a, b):
    lu, piv = T.linalg.lu_factor(_wc(T, a))
    return T.linalg.lu_solve(lu, piv, b)


def _row(name, fn, shapes, **kw):
    return OpInfo(name, fn, shapes, **kw)


SQ = [((3, 3),), ((2, 3, 3),)]

PRODUCTS = [
    _row(
        "einsum_bmm",
        lambda T, x, y: T.einsum("bij,bjk->bik", x, y),
        [((2, 2, 3), (2, 3, 2))],
        grad_fn=None,
        op="einsum",
    ),
    _row(
        "einsum_implicit", lambda T, x, y: T.einsum("ij,jk", x, y), [((2, 3), (3, 4))], op="einsum"
    ),
    _row(
        "einsum_ellipsis",
        lambda T, x, y: T.einsum("...ij,...jk->...ik", x, y),
        [((2, 2, 3), (3, 2))],
        op="einsum",
    ),
    _row(
        "einsum_three",
        lambda T, x, y, z: T.einsum("ij,jk,kl->il", x, y, z),
        [((2, 3), (3, 4), (4, 2))],
        op="einsum",
    ),
    _row(
        "einsum_sum_out",
        lambda T, x, y: T.einsum("ij,j->", x, y) * T.einsum("ij->j", x),
        [((2, 3), (3,))],
        op="einsum",
    ),
    _row(
        "einsum_outer_list",
        lambda T, x, y: T.einsum("i,j->ij", [x, y]),
        [((3,), (2,))],
        op="einsum",
    ),
    _unary(
        "einsum_diagonal",
        lambda T, x: T.einsum("ii->i", x) * T.einsum("ii", x),
        shapes=[((3, 3),)],
        op="einsum",
    ),
    _unary(
        "einsum_transpose", lambda T, x: T.einsum("ijk->kji", x), shapes=[((2, 3, 2),)], op="einsum"
    ),
    _row("mv", lambda T, x, y: T.mv(x, y) * x.mv(y), [((2, 3), (3,))], op="matmul"),
    _row("vdot", lambda T, x, y: T.vdot(x, y) * x.vdot(y), [((3,), (3,))], op="matmul"),
    _row("inner", lambda T, x, y: T.inner(x, y), [((2, 3), (4, 3)), ((3,), (3,))], op="einsum"),
    _row("inner_scalar", lambda T, x, y: x.inner(y), [((), (3,))], op="mul"),
    _row(
        "addmm",
        lambda T, x, y, z: T.addmm(x, y, z, beta=0.5, alpha=2),
        [((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))],
        op="matmul",
    ),
    _row(
        "addmm_method_beta0",
        lambda T, x, y, z: x.addmm(y, z, beta=0) * y.sum(),
        [((2, 4), (2, 3), (3, 4))],
        op="matmul",
    ),
    _row(
        "addmm_inplace",
        lambda T, x, y, z: (x * 1).addmm_(y, z),
        [((2, 4), (2, 3), (3, 4))],
        op="matmul",
    ),
    _row(
        "addbmm",
        lambda T, x, y, z: T.addbmm(x, y, z, alpha=0.5),
        [((2, 4), (3, 2, 3), (3, 3, 4))],
        op="matmul",
    ),
    _row(
        "baddbmm",
        lambda T, x, y, z: T.baddbmm(x, y, z, beta=2),
        [((3, 2, 4), (3, 2, 3), (3, 3, 4))],
        op="matmul",
    ),
    _row("addmv", lambda T, x, y, z: x.addmv(y, z, alpha=3), [((2,), (2, 3), (3,))], op="matmul"),
    _row("addr", lambda T, x, y, z: T.addr(x, y, z), [((2, 3), (2,), (3,))], op="mul"),
    _row("tensordot", lambda T, x, y: T.tensordot(x, y, 2), [((2, 3, 4), (3, 4, 2))], op="einsum"),
    _row(
        "tensordot_lists",
        lambda T, x, y: T.tensordot(x, y, dims=([0, 2], [1, 0])),
        [((2, 3, 4), (4, 2))],
        op="einsum",
    ),
    _row("kron", lambda T, x, y: T.kron(x, y), [((2, 3), (2, 2)), ((3,), (2, 2))], op="mul"),
    _row(
        "linalg_cross",
        lambda T, x, y: T.linalg.cross(x, y),
        [((2, 3), (2, 3)), ((2, 3), (1, 3))],
        op="mul",
    ),
    _row(
        "cross_dim",
        lambda T, x, y: T.cross(x, y, dim=0) * x.cross(y, 0),
        [((3, 2), (3, 2))],
        op="mul",
    ),
    _row(
        "multi_dot",
        lambda T, x, y, z: T.linalg.multi_dot([x, y, z]),
        [((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4,)), ((3,), (3, 2), (2, 2))],
        op="matmul",
    ),
    _unary("matrix_power", lambda T, x: T.linalg.matrix_power(x, 3), shapes=SQ, op="matmul"),
    _unary(
        "matrix_power_method",
        lambda T, x: x.matrix_power(2) * T.matrix_power(x, 1),
        shapes=[((3, 3),)],
        op="matmul",
    ),
    _unary(
        "matrix_power_negative",
        lambda T, x: T.linalg.matrix_power(_wc(T, x), -2),
        shapes=SQ,
        op="linalg_inv",
    ),
    _unary("matrix_power_zero", lambda T, x: T.linalg.matrix_power(x, 0) + x, shapes=SQ, op="add"),
]

LINALG = [
    _unary("inv", lambda T, x: T.linalg.inv(_wc(T, x)), shapes=SQ, op="linalg_inv", tol=F32),
    _unary(
        "inverse_method",
        lambda T, x: _wc(T, x).inverse(),
        shapes=[((3, 3),)],
        op="linalg_inv",
        tol=F32,
    ),
    _unary(
        "inv_ex",
        lambda T, x: T.linalg.inv_ex(_wc(T, x)).inverse,
        shapes=SQ,
        op="linalg_inv",
        tol=F32,
    ),
    _nograd("inv_ex_info", lambda T, x: T.linalg.inv_ex(_wc(T, x)).info, SQ, op="linalg_inv"),
    _unary("det", lambda T, x: T.linalg.det(x), shapes=SQ, op="linalg_det", tol=F32),
    _unary(
        "det_method",
        lambda T, x: _wc(T, x).det() * T.det(x),
        shapes=[((3, 3),)],
        op="linalg_det",
        tol=F32,
    ),
    _unary(
        "slogdet",
        lambda T, x: T.linalg.slogdet(x).logabsdet * T.slogdet(x)[0],
        shapes=SQ,
        op="linalg_slogdet",
        tol=F32,
    ),
    _unary(
        "logdet",
        lambda T, x: T.logdet(_spd(T, x)) * _spd(T, x).logdet(),
        shapes=SQ,
        op="linalg_slogdet",
        tol=F32,
    ),
    _row(
        "solve",
        lambda T, a, b: T.linalg.solve(_wc(T, a), b),
        [((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (2, 3))],
        op="linalg_solve",
        tol=F32,
    ),
    _row(
        "solve_left_false",
        lambda T, a, b: T.linalg.solve(_wc(T, a), b, left=False),
        [((3, 3), (2, 3))],
        op="linalg_solve",
        tol=F32,
    ),
    _row(
        "solve_triangular_upper",
        lambda T, a, b: T.linalg.solve_triangular(_wc(T, a), b, upper=True),
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))],
        op="linalg_solve_triangular",
        tol=F32,
    ),
    _row(
        "solve_triangular_lower_unit",
        lambda T, a, b: T.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
        [((3, 3), (3, 2))],
        op="linalg_solve_triangular",
        tol=F32,
    ),
    _row(
        "solve_triangular_right",
        lambda T, a, b: T.linalg.solve_triangular(_wc(T, a), b, upper=True, left=False),
        [((3, 3), (2, 3))],
        op="linalg_solve_triangular",
        tol=F32,
    ),
    _unary(
        "cholesky",
        lambda T, x: T.linalg.cholesky(_spd(T, x)),
        shapes=SQ,
        op="linalg_cholesky",
        tol=F32,
    ),
    _unary(
        "cholesky_upper",
        lambda T, x: T.linalg.cholesky(_spd(T, x), upper=True),
        shapes=[((3, 3),)],
        op="linalg_cholesky",
        tol=F32,
    ),
    _unary(
        "cholesky_ex",
        lambda T, x: T.linalg.cholesky_ex(_spd(T, x)).L,
        shapes=SQ,
        op="linalg_cholesky",
        tol=F32,
    ),
    _unary("eigh", lambda T, x: _eigh_mix(T, x), shapes=SQ, op="linalg_eigh", tol=F32),
    _unary(
        "eigh_upper",
        lambda T, x: T.linalg.eigh(_sym(T, x), UPLO="U")[0],
        shapes=SQ,
        op="linalg_eigh",
        tol=F32,
    ),
    _unary(
        "eigvalsh", lambda T, x: T.linalg.eigvalsh(_sym(T, x)), shapes=SQ, op="linalg_eigh", tol=F32
    ),
    _unary(
        "svd",
        lambda T, x: _svd_mix(T, x),
        shapes=[((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)],
        op="linalg_svd",
        tol=F32,
    ),
    _unary(
        "svdvals",
        lambda T, x: T.linalg.svdvals(x),
        shapes=[((3, 2),), ((2, 2, 3),)],
        op="linalg_svd",
        tol=F32,
    ),
    _unary(
        "svd_torch",
        lambda T, x: _flat(T, *(lambda u, s, v: (u @ v.mT, s))(*T.svd(x))),
        shapes=[((3, 2),)],
        op="linalg_svd",
        tol=F32,
    ),
    _unary(
        "qr",
        lambda T, x: _flat(T, *T.linalg.qr(x)),
        shapes=[((3, 3),), ((4, 2),), ((2, 4, 3),)],
        op="linalg_qr",
        tol=F32,
    ),
    _unary(
        "qr_wide",
        lambda T, x: _flat(T, *T.linalg.qr(x)),
        shapes=[((2, 4),)],
        op="linalg_qr",
        tol=F32,
    ),
    _unary(
        "qr_complete_square",
        lambda T, x: _flat(T, *x.qr(some=False)),
        shapes=[((3, 3),)],
        op="linalg_qr",
        tol=F32,
    ),
    _unary(
        "pinv",
        lambda T, x: T.linalg.pinv(x),
        shapes=[((3, 2),), ((2, 3),), ((2, 3, 2),)],
        op="linalg_pinv",
        tol=F32,
    ),
    _unary(
        "pinv_hermitian",
        lambda T, x: T.linalg.pinv(_spd(T, x), hermitian=True),
        shapes=[((3, 3),)],
        op="linalg_pinv",
        tol=F32,
    ),
    _unary("pinverse", lambda T, x: x.pinverse(), shapes=[((3, 2),)], op="linalg_pinv", tol=F32),
    _nograd(
        "matrix_rank",
        lambda T, x: T.linalg.matrix_rank(x),
        [((3, 3),), ((2, 4, 3),)],
        op="linalg_svd",
    ),
    _nograd(
        "matrix_rank_deficient",
        lambda T, x: T.linalg.matrix_rank(x[..., :1] * x),
        [((3, 3),)],
        op="linalg_svd",
    ),
    _row(
        "lstsq",
        lambda T, a, b: T.linalg.lstsq(a, b).solution,
        [((4, 3), (4, 2))],
        op="linalg_pinv",
        tol=F32,
    ),
    _unary("vander", lambda T, x: T.linalg.vander(x), shapes=[((3,),), ((2, 4),)], op="mul"),
    _unary("vander_n", lambda T, x: T.linalg.vander(x, N=2), shapes=[((3,),)], op="mul"),
    _row(
        "householder_product",
        lambda T, a, t: T.linalg.householder_product(a, t),
        [((4, 3), (3,)), ((2, 3, 3), (2, 2))],
        op="matmul",
        tol=F32,
    ),
    _unary(
        "matrix_exp",
        lambda T, x: T.linalg.matrix_exp(x),
        shapes=SQ,
        op="linalg_matrix_exp",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "matrix_exp_method",
        lambda T, x: x.matrix_exp() * T.matrix_exp(x),
        shapes=[((2, 2),)],
        op="linalg_matrix_exp",
        tol=F32,
        devices=CPU,
    ),
    _unary(
        "lu_factor",
        lambda T, x: T.linalg.lu_factor(x).LU,
        shapes=SQ,
        op="linalg_lu_factor",
        tol=F32,
        devices=CPU,
    ),
    _nograd(
        "lu_factor_pivots",
        lambda T, x: T.linalg.lu_factor(x).pivots,
        SQ + [((4, 3),)],
        op="linalg_lu_factor",
        devices=CPU,
    ),
    _row(
        "lu_solve",
        _lu_solve,
        [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))],
        op="linalg_solve_triangular",
        tol=F32,
        devices=CPU,
    ),
    _row(
        "lu_solve_adjoint",
        lambda T, a, b: T.linalg.lu_solve(*T.linalg.lu_factor(_wc(T, a)), b, adjoint=True),
        [((3, 3), (3, 2))],
        op="linalg_solve_triangular",
        tol=F32,
        devices=CPU,
    ),
    _nograd(
        "eigvals",
        lambda T, x: T.linalg.eigvals(_sym(T, x)),
        SQ,
        op="linalg_eig",
        tol=F32,
        devices=CPU,
    ),
]

ROWS = PRODUCTS + LINALG
