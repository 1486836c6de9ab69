"""torch.linalg's out= forms, eig's derivatives, det and slogdet at singular matrices, lstsq's
drivers and the functions of mytorch/_ops/linalg_more.py, against torch (values and
derivatives of smooth cases are the op_db rows in op_db_linalg3.py)."""

import warnings

import numpy as np
import pytest
from helpers import assert_matches, raises_like, to_numpy

import mytorch

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
A3 = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
SPD = A3 @ A3.T + 3 * np.eye(3)
B32 = RNG.standard_normal((3, 2))
TALL = RNG.standard_normal((5, 3))
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
TENSOR4 = RNG.standard_normal((4, 6, 8, 3))


def _t(T, a, **kw):
    return T.tensor(a, **kw)


def _e(T, dtype="float64"):
    return T.empty(0, dtype=getattr(T, dtype))


# (id, fn(T, out) -> result, the out(s) (dtype names: a str or a tuple), one bad out)
OUT_CASES = [
    ("inv", lambda T, o: T.linalg.inv(_t(T, A3), out=o), "float64", "float32"),
    ("inv_ex", lambda T, o: T.linalg.inv_ex(_t(T, A3), out=o), ("float64", "int32"),
     ("float64", "int64")),
    ("det", lambda T, o: T.linalg.det(_t(T, A3), out=o), "float64", "float32"),
    ("slogdet", lambda T, o: T.linalg.slogdet(_t(T, A3), out=o), ("float64", "float64"),
     ("float64", "float32")),
    ("solve", lambda T, o: T.linalg.solve(_t(T, A3), _t(T, B32), out=o), "float64", "float32"),
    ("solve_ex", lambda T, o: T.linalg.solve_ex(_t(T, A3), _t(T, B32), out=o),
     ("float64", "int32"), ("float64", "int64")),
    ("solve_triangular",
     lambda T, o: T.linalg.solve_triangular(_t(T, A3), _t(T, B32), upper=True, out=o),
     "float64", "float32"),
    ("cholesky", lambda T, o: T.linalg.cholesky(_t(T, SPD), out=o), "float64", "float32"),
    ("cholesky_ex", lambda T, o: T.linalg.cholesky_ex(_t(T, SPD), out=o), ("float64", "int32"),
     ("float64", "int64")),
    ("qr", lambda T, o: T.linalg.qr(_t(T, TALL), out=o), ("float64", "float64"),
     ("float64", "float32")),
    ("eigh", lambda T, o: T.linalg.eigh(_t(T, SPD), out=o), ("float64", "float64"),
     ("float32", "float64")),
    ("eigvalsh", lambda T, o: T.linalg.eigvalsh(_t(T, SPD), out=o), "float64", "float32"),
    ("svd", lambda T, o: T.linalg.svd(_t(T, SPD), out=o), ("float64",) * 3,
     ("float64", "float32", "float64")),
    ("svdvals", lambda T, o: T.linalg.svdvals(_t(T, TALL), out=o), "float64", "float32"),
    ("pinv", lambda T, o: T.linalg.pinv(_t(T, TALL), out=o), "float64", "int64"),
    ("pinv_float32", lambda T, o: T.linalg.pinv(_t(T, TALL), out=o), "float32", "bool"),
    ("matrix_rank", lambda T, o: T.linalg.matrix_rank(_t(T, TALL), out=o), "int64", "bool"),
    ("matrix_rank_float", lambda T, o: T.linalg.matrix_rank(_t(T, TALL), out=o), "float64",
     "bool"),
    ("matrix_power", lambda T, o: T.linalg.matrix_power(_t(T, A3), 2, out=o), "float64",
     "float32"),
    ("lu_factor", lambda T, o: T.linalg.lu_factor(_t(T, A3), out=o), ("float64", "int32"),
     ("float64", "int64")),
    ("lu_factor_ex", lambda T, o: T.linalg.lu_factor_ex(_t(T, A3), out=o),
     ("float64", "int32", "int32"), ("float64", "int32", "int64")),
    ("lu", lambda T, o: T.linalg.lu(_t(T, TALL), out=o), ("float64",) * 3,
     ("float32", "float64", "float64")),
    ("lu_unpack", lambda T, o: T.lu_unpack(*T.linalg.lu_factor(_t(T, A3)), out=o),
     ("float64",) * 3, ("float64", "float64", "int64")),
    ("lu_solve", lambda T, o: T.linalg.lu_solve(*T.linalg.lu_factor(_t(T, A3)), _t(T, B32),
                                                out=o), "float64", "float32"),
    ("householder_product",
     lambda T, o: T.linalg.householder_product(_t(T, TALL), _t(T, B32[:2, 0]), out=o),
     "float32", "int64"),
    ("eig", lambda T, o: T.linalg.eig(_t(T, A3), out=o), ("complex128", "complex128"),
     ("float64", "complex128")),
    ("eig_complex64", lambda T, o: T.linalg.eig(_t(T, A3), out=o),
     ("complex64", "complex128"), ("complex128", "float32")),
    ("eigvals", lambda T, o: T.linalg.eigvals(_t(T, A3), out=o), "complex128", "float64"),
    ("cross", lambda T, o: T.linalg.cross(_t(T, B32.T), _t(T, B32.T), out=o), "float64",
     "float32"),
    ("torch_cross", lambda T, o: T.cross(_t(T, B32.T), _t(T, B32.T), dim=1, out=o), "float64",
     "complex128"),
    ("multi_dot", lambda T, o: T.linalg.multi_dot([_t(T, A3), _t(T, A3), _t(T, B32)], out=o),
     "float64", "float32"),
    ("matmul", lambda T, o: T.linalg.matmul(_t(T, A3), _t(T, B32), out=o), "float64",
     "float32"),
    ("vecdot", lambda T, o: T.linalg.vecdot(_t(T, A3), _t(T, A3), out=o), "float64",
     "float32"),
    ("cond", lambda T, o: T.linalg.cond(_t(T, A3), out=o), "float32", "int64"),
    ("cond_fro", lambda T, o: T.linalg.cond(_t(T, A3), "fro", out=o), "float64", "bool"),
    ("tensorinv", lambda T, o: T.linalg.tensorinv(_t(T, A3), ind=1, out=o), "float64",
     "int64"),
    ("tensorsolve", lambda T, o: T.linalg.tensorsolve(_t(T, A3), _t(T, B32[:, 0]), out=o),
     "float64", "int64"),
    ("ldl_factor", lambda T, o: T.linalg.ldl_factor(_t(T, SPD), out=o), ("float64", "int32"),
     ("float64", "int64")),
    ("ldl_factor_ex", lambda T, o: T.linalg.ldl_factor_ex(_t(T, SPD), out=o),
     ("float64", "int32", "int32"), ("float64", "float64", "int32")),
    ("ldl_solve", lambda T, o: T.linalg.ldl_solve(*T.linalg.ldl_factor(_t(T, SPD)),
                                                  _t(T, B32), out=o), "float64", "float32"),
    ("vector_norm", lambda T, o: T.linalg.vector_norm(_t(T, A3), out=o), "float64", "float32"),
    ("matrix_norm", lambda T, o: T.linalg.matrix_norm(_t(T, A3), out=o), "float64",
     "float32"),
]  # fmt: skip


def _outs(T, spec):
    return tuple(_e(T, d) for d in spec) if isinstance(spec, tuple) else _e(T, spec)


# factors determined up to signs (or phases): compared through their moduli
GAUGED = {"qr", "eigh", "svd", "eig", "eig_complex64"}
OUT_IDS = [c[0] for c in OUT_CASES]


@pytest.mark.parametrize("case", OUT_CASES, ids=OUT_IDS)
def test_out_is_written_and_returned_as_torch(case):
    name, fn, good, _ = case
    out_t = _outs(torch, good)
    res_t = fn(torch, out_t)
    out_m = _outs(mytorch, good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # empty outs are resized without a warning
        res_m = fn(mytorch, out_m)
    if isinstance(good, tuple):
        assert type(res_m).__name__ == type(res_t).__name__
        assert all(r is o for r, o in zip(res_m, out_m))
    else:
        assert res_m is out_m
    got, want = (res_m, res_t) if isinstance(good, tuple) else ((res_m,), (res_t,))
    for r, rt in zip(got, want):
        if name in GAUGED:
            r, rt = r.abs(), rt.abs()
        assert_matches(r, rt, atol=1e-6, rtol=1e-5)
    # an out of the result's shape is written in place
    if not isinstance(good, tuple) and res_m.ndim:
        again = mytorch.zeros(tuple(res_m.shape), dtype=res_m.dtype)
        data = again._data
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert fn(mytorch, again) is again
        assert again._data is data or np.shares_memory(np.asarray(again._data), data)


@pytest.mark.parametrize("case", OUT_CASES, ids=OUT_IDS)
def test_out_dtype_rule_as_torch(case):
    _, fn, _, bad = case
    raises_like(lambda T: fn(T, _outs(T, bad)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, o: T.linalg.inv(_t(T, A3, requires_grad=True), out=o),
        lambda T, o: T.linalg.eigh(_t(T, SPD, requires_grad=True), out=(o, _e(T))),
        lambda T, o: T.linalg.multi_dot([_t(T, A3, requires_grad=True), _t(T, A3)], out=o),
    ],
    ids=["inv", "eigh", "multi_dot"],
)
def test_out_refuses_inputs_that_require_grad(fn):
    raises_like(lambda T: fn(T, _e(T)), exc=RuntimeError)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linalg.eigh(_t(T, SPD), out=_e(T)),
        lambda T: T.linalg.eigh(_t(T, SPD), out=(_e(T),)),
        lambda T: T.linalg.inv(_t(T, A3), out=(_e(T),)),
        lambda T: T.linalg.lu_factor(_t(T, A3), out=(_e(T), [1])),
    ],
    ids=["tensor_for_tuple", "short_tuple", "tuple_for_tensor", "not_a_tensor"],
)
def test_out_of_the_wrong_kind_raises_as_torch(fn):
    raises_like(fn, exc=TypeError)


@pytest.mark.parametrize(
    "fn",
    [lambda T: T.det(_t(T, A3), out=_e(T)), lambda T: _t(T, A3).det(out=_e(T))],
    ids=["torch.det", "Tensor.det"],
)
def test_det_outside_linalg_takes_no_out_as_torch(fn):
    m, t = raises_like(fn)
    assert "det() got an unexpected keyword argument 'out'" in m and "det()" in t
    assert mytorch.det(_t(mytorch, A3)).item() == pytest.approx(np.linalg.det(A3))


def test_out_of_another_shape_is_resized_with_torch_warning():
    for T in (torch, mytorch):
        o = T.zeros(2, 2, dtype=T.float64)
        with pytest.warns(UserWarning, match="resized"):
            T.linalg.inv(_t(T, A3), out=o)
        assert tuple(o.shape) == (3, 3)


# --- eig: first derivatives -------------------------------------------------------------------
EIG_IN = RNG.standard_normal((2, 4, 4))


def _eig_grad(T, loss, a=EIG_IN):
    x = T.tensor(a, requires_grad=True)
    loss(T, x).backward()
    return x.grad


@pytest.mark.parametrize(
    "loss",
    [
        lambda T, x: T.linalg.eigvals(x).abs().sum(),
        lambda T, x: (T.linalg.eigvals(x).abs() ** 3).sum(),
        lambda T, x: (T.linalg.eig(x).eigenvectors.abs() ** 2 * T.arange(4.0).unsqueeze(-1)).sum(),
        lambda T, x: T.linalg.eig(x)[0].abs().prod() + T.linalg.eig(x)[1].abs().sum(),
    ],
    ids=["eigvals_abs", "eigvals_abs_cubed", "vectors_weighted", "both"],
)
def test_eig_first_derivatives_match_torch(loss):
    assert_matches(_eig_grad(mytorch, loss), _eig_grad(torch, loss), rtol=1e-7, atol=1e-8)


def test_eig_with_a_complex_incoming_gradient_matches_torch():
    g = RNG.standard_normal((2, 4)) + 1j * RNG.standard_normal((2, 4))
    grads = []
    for T in (mytorch, torch):
        x = T.tensor(EIG_IN, requires_grad=True)
        T.linalg.eigvals(x).backward(T.tensor(g))
        grads.append(x.grad)
    assert_matches(*grads, rtol=1e-7, atol=1e-8)


def test_eig_loss_on_the_eigenvectors_phase_raises_as_torch():
    def fn(T):
        x = T.tensor(EIG_IN, requires_grad=True)
        v = T.linalg.eig(x).eigenvectors
        v.backward(T.tensor(np.ones((2, 4, 4)) * (1 + 1j)))

    raises_like(fn, ("e^{i phi}",), exc=RuntimeError)


def test_eig_second_derivatives_are_not_implemented():
    """torch differentiates eig's backward again (through its complex autograd); mytorch's
    complex autograd cannot carry that, so it refuses clearly instead of a wrong number."""
    for T in (torch, mytorch):
        x = T.tensor(EIG_IN, requires_grad=True)
        (g,) = T.autograd.grad(T.linalg.eigvals(x).abs().sum(), x, create_graph=True)
        if T is torch:
            T.autograd.grad(g.sum(), x)
        else:
            with pytest.raises(NotImplementedError):
                T.autograd.grad(g.sum(), x)


# --- det and slogdet at singular matrices ----------------------------------------------------
SINGULARS = [
    SINGULAR,  # rank n - 1
    np.array([[1.0, 0.0], [0.0, 0.0]]),
    np.zeros((2, 2)),
    np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),  # rank n - 2
]
RANK2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


@pytest.mark.parametrize("a", SINGULARS, ids=["rank1of2", "diag", "zeros", "rank1of3"])
def test_det_backward_at_singular_matrices_matches_torch(a):
    """Plain backward: torch's det A^-T with a perturbed LU, 0 where det is exactly 0."""
    grads = []
    for T in (mytorch, torch):
        x = T.tensor(np.stack([a, 2 * np.eye(len(a))]), requires_grad=True)
        T.linalg.det(x).sum().backward()
        grads.append(x.grad)
    assert_matches(*grads)


@pytest.mark.parametrize("a", SINGULARS[:2] + [RANK2], ids=["rank1of2", "diag", "rank2of3"])
def test_det_derivatives_under_create_graph_are_the_cofactors(a):
    """Under create_graph torch takes the cofactors through the SVD (adj(A)^T, also where A is
    singular) and differentiates them again."""
    res = []
    for T in (mytorch, torch):
        x = T.tensor(a, requires_grad=True)
        (g,) = T.autograd.grad(T.linalg.det(x), x, create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), x)
        res.append((g, h))
    (gm, hm), (gt, ht) = res
    assert_matches(gm, gt, atol=1e-10)
    assert_matches(hm, ht, atol=1e-10)
    adj_t = np.array([[4.0, -2.0], [-2.0, 1.0]])
    if a is SINGULAR:
        np.testing.assert_allclose(to_numpy(gm), adj_t, atol=1e-12)


def test_det_first_derivative_vanishes_at_rank_n_minus_2():
    x = mytorch.tensor(SINGULARS[3], requires_grad=True)
    (g,) = mytorch.autograd.grad(mytorch.linalg.det(x), x, create_graph=True)
    np.testing.assert_allclose(to_numpy(g), 0, atol=1e-12)


def test_slogdet_at_a_singular_matrix_as_torch():
    res = []
    for T in (mytorch, torch):
        x = T.tensor(np.stack([SINGULAR, 2 * np.eye(2)]), requires_grad=True)
        sign, logabsdet = T.linalg.slogdet(x)
        logabsdet.sum().backward()
        res.append((sign, logabsdet, x.grad))
    (sm, lm, gm), (st, lt, gt) = res
    assert_matches(sm.abs(), st.abs())  # torch's sign is -0.0 there
    assert_matches(lm, lt)
    assert to_numpy(lm)[0] == -np.inf
    np.testing.assert_array_equal(np.isinf(to_numpy(gm)), np.isinf(to_numpy(gt)))
    assert_matches(gm[1], gt[1])


def test_logdet_at_a_singular_matrix_is_minus_infinity():
    assert_matches(mytorch.logdet(mytorch.tensor(SINGULAR)), torch.logdet(torch.tensor(SINGULAR)))


# --- lstsq --------------------------------------------------------------------------------------
def _deficient(shape):
    a = RNG.standard_normal(shape)
    a[..., -1] = a[..., 0] + a[..., 1]
    return a


LSTSQ_A = np.stack([RNG.standard_normal((5, 3)), _deficient((5, 3)), RNG.standard_normal((5, 3))])
LSTSQ_B = RNG.standard_normal((3, 5, 2))


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
@pytest.mark.parametrize(
    "a, b",
    [
        (LSTSQ_A[0], LSTSQ_B[0]),
        (LSTSQ_A[1], LSTSQ_B[1]),
        (LSTSQ_A, LSTSQ_B),
        (LSTSQ_A[[0, 2]], LSTSQ_B[[0, 2]]),
        (LSTSQ_A, LSTSQ_B[..., 0]),
        (LSTSQ_A[1].T, LSTSQ_B[1, :3]),
        (_deficient((2, 4, 4)), RNG.standard_normal((2, 4, 1))),
    ],
    ids=["full", "deficient", "batch_mixed", "batch_full", "vectors", "wide", "square"],
)
def test_lstsq_fills_its_results_per_driver_as_torch(driver, a, b):
    deficient = np.linalg.matrix_rank(a).min() < min(a.shape[-2:])
    if driver == "gels" and deficient:
        pytest.skip("gels assumes full rank: its results there are LAPACK's accident")
    # NOTE: an exactly deficient matrix gets an rcond far above rounding: at the default
    # (eps * max(m, n)) its rank hangs on the BLAS's summation order, in torch and here alike.
    kw = {"rcond": 1e-8} if deficient else {}
    res = []
    for T in (mytorch, torch):
        x = T.tensor(a, requires_grad=True)
        out = T.linalg.lstsq(x, T.tensor(b), driver=driver, **kw)
        (out.solution * T.arange(1.0, out.solution.shape[-1] + 1)).sum().backward()
        res.append((*out, x.grad))
    for m, t in zip(*res):
        assert_matches(m, t, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("driver", ["gelsd", "gelss"])
def test_lstsq_rcond_cuts_the_rank(driver):
    a = LSTSQ_A[0] @ np.diag([1.0, 1.0, 1e-3]) @ np.eye(3)
    res = [T.linalg.lstsq(T.tensor(a), T.tensor(LSTSQ_B[0]), 1e-2, driver=driver)
           for T in (mytorch, torch)]  # fmt: skip
    for m, t in zip(*res):
        assert_matches(m, t, rtol=1e-6, atol=1e-8)
    assert int(res[0].rank) == 2


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linalg.lstsq(T.ones(5, 3), T.ones(5, 2), driver="foo"),
        lambda T: T.linalg.lstsq(T.ones(5, 3), T.ones(4, 2)),
        lambda T: T.linalg.lstsq(T.ones(5, 3), T.ones(5, 2, dtype=T.float64)),
        lambda T: T.linalg.lstsq(T.ones(3), T.ones(3)),
        lambda T: T.linalg.lstsq(T.ones(5, 3, dtype=T.int64), T.ones(5, 2, dtype=T.int64)),
    ],
    ids=["driver", "rows", "dtypes", "ndim", "int"],
)
def test_lstsq_errors_as_torch(fn):
    raises_like(fn)


# --- the rest of torch.linalg -------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linalg.lu(T.tensor(TALL)),
        lambda T: T.linalg.lu(T.tensor(TALL.T)),
        lambda T: T.lu_unpack(*T.linalg.lu_factor(T.tensor(TALL)), unpack_data=False),
        lambda T: T.lu_unpack(*T.linalg.lu_factor(T.tensor(TALL.T)), unpack_pivots=False),
        lambda T: T.linalg.lu_factor_ex(T.tensor(np.stack([SINGULAR, np.eye(2)]))),
        lambda T: T.linalg.solve_ex(
            T.tensor(np.stack([SINGULAR, np.eye(2)])), T.ones(2, 2, dtype=T.float64)
        ).info,
        lambda T: T.linalg.solve_ex(T.tensor(A3), T.tensor(B32)),
        lambda T: T.linalg.cond(T.tensor(np.stack([SINGULAR, np.eye(2)])), "fro"),
        lambda T: T.linalg.cond(T.tensor(np.stack([SINGULAR, np.eye(2)])), float("inf")),
        lambda T: T.linalg.tensorinv(T.tensor(TENSOR4), ind=2),
        lambda T: T.linalg.ldl_factor_ex(T.tensor(SINGULAR * 0)),
        lambda T: T.linalg.ldl_factor(T.tensor(np.stack([SPD, -SPD]))),
        lambda T: T.linalg.ldl_solve(*T.linalg.ldl_factor(T.tensor(SPD)), T.tensor(B32)),
        lambda T: T.linalg.diagonal(T.tensor(TALL), offset=-1),
        lambda T: T.linalg.vecdot(T.tensor(TALL), T.tensor(TALL[0])),
    ],
    ids=["lu_tall", "lu_wide", "lu_unpack_pivots", "lu_unpack_data", "lu_factor_ex_singular",
         "solve_ex_singular", "solve_ex", "cond_fro_singular", "cond_inf_singular", "tensorinv",
         "ldl_singular", "ldl_batched", "ldl_solve", "diagonal", "vecdot"],
)  # fmt: skip
def test_new_functions_match_torch(fn):
    rm, rt = fn(mytorch), fn(torch)
    if isinstance(rt, tuple):
        assert type(rm).__name__ == type(rt).__name__
        for m, t in zip(rm, rt):
            assert_matches(m, t)
    else:
        assert_matches(rm, rt)


def test_solve_ex_checking_errors_raises_linalg_error():
    a_m = mytorch.tensor(np.stack([np.eye(2), SINGULAR]))
    with pytest.raises(mytorch.linalg.LinAlgError):
        mytorch.linalg.solve_ex(a_m, mytorch.ones(2, 1, dtype=mytorch.float64), check_errors=True)
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.solve_ex(
            torch.tensor(np.stack([np.eye(2), SINGULAR])),
            torch.ones(2, 1, dtype=torch.float64),
            check_errors=True,
        )


def test_torch_lu_warns_and_returns_torch_tuples():
    for T in (torch, mytorch):
        with pytest.warns(UserWarning):
            T.lu(T.tensor(A3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in ({}, {"get_infos": True}):
            rm, rt = mytorch.lu(mytorch.tensor(A3), **kw), torch.lu(torch.tensor(A3), **kw)
            assert type(rm).__name__ == type(rt).__name__
            for m, t in zip(rm, rt):
                assert_matches(m, t)


def test_ldl_has_no_derivative_as_torch():
    def fn(T):
        x = T.tensor(SPD, requires_grad=True)
        ld, piv = T.linalg.ldl_factor(x)
        assert ld.requires_grad and not piv.requires_grad
        ld.sum().backward()

    raises_like(fn, ("derivative for aten::linalg_ldl_factor_ex is not implemented",))

    def solve(T):
        b = T.tensor(B32, requires_grad=True)
        T.linalg.ldl_solve(*T.linalg.ldl_factor(T.tensor(SPD)), b).sum().backward()

    raises_like(solve, ("derivative for aten::linalg_ldl_solve is not implemented",))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linalg.lu_factor(T.tensor(SINGULAR)),
        lambda T: T.linalg.lu_factor_ex(T.tensor(SINGULAR), check_errors=True),
        lambda T: T.linalg.lu(T.ones(3)),
        lambda T: T.linalg.cond(T.ones(2, 3), "fro"),
        lambda T: T.linalg.cond(T.ones(3, 3), 3),
        lambda T: T.linalg.cond(T.ones(3)),
        lambda T: T.linalg.tensorinv(T.ones(4, 6, 8, 3), ind=0),
        lambda T: T.linalg.tensorinv(T.ones(4, 6, 8, 2), ind=2),
        lambda T: T.linalg.tensorsolve(T.ones(2, 3, 5), T.ones(2, 3)),
        lambda T: T.linalg.vecdot(T.ones(3, dtype=T.float64), T.ones(3)),
        lambda T: T.linalg.vecdot(T.ones(3, dtype=T.int64), T.ones(3, dtype=T.int64)),
        lambda T: T.linalg.ldl_factor(T.ones(2, 3)),
        lambda T: T.linalg.ldl_factor(T.zeros(2, 2)),
        lambda T: T.linalg.ldl_solve(*T.linalg.ldl_factor(T.eye(3)), T.ones(2, 2)),
        lambda T: T.lu_unpack(T.eye(3), T.ones(3, dtype=T.int64)),
        lambda T: T.linalg.svd(T.eye(2), driver="gesvd"),
        lambda T: T.linalg.svdvals(T.eye(2), driver="gesvd"),
    ],
    ids=["lu_factor_singular", "lu_factor_ex_check", "lu_1d", "cond_rect",
         "cond_p", "cond_1d", "tensorinv_ind", "tensorinv_shape", "tensorsolve_shape",
         "vecdot_dtypes", "vecdot_int", "ldl_rect", "ldl_singular", "ldl_solve_shape",
         "lu_unpack_pivots", "svd_driver", "svdvals_driver"],
)  # fmt: skip
def test_errors_match_torch(fn):
    raises_like(fn)


def test_scipy_only_kernels_refuse_the_standin_device():
    a = mytorch.eye(3, device="standin", dtype=mytorch.float64)
    for fn in (
        lambda: mytorch.linalg.ldl_factor(a),
        lambda: mytorch.linalg.lu(a),
        lambda: mytorch.linalg.lstsq(a, a, driver="gelsd"),
        lambda: mytorch.linalg.eig(a),
    ):
        with pytest.raises(NotImplementedError):
            fn()
