"""torch.linalg's errors and warnings (the op_db rows in op_db_linalg2.py compare values and
derivatives): LinAlgError where LAPACK fails, its class as torch's, info from the _ex forms."""

import warnings

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch

torch = pytest.importorskip("torch")


def test_linalg_error_is_a_runtime_error_named_as_torch():
    assert issubclass(mytorch.linalg.LinAlgError, RuntimeError)
    assert mytorch.linalg.LinAlgError.__name__ == torch.linalg.LinAlgError.__name__
    assert [c.__name__ for c in mytorch.linalg.LinAlgError.__mro__[1:]] == [
        c.__name__ for c in torch.linalg.LinAlgError.__mro__[1:]
    ]


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, a: T.linalg.inv(a),
        lambda T, a: T.linalg.solve(a, a[0]),
        lambda T, a: a.inverse(),
    ],
    ids=["inv", "solve", "inverse"],
)
def test_singular_matrix_raises_linalg_error(fn, device):
    a_m = mytorch.tensor(SINGULAR, device=device)
    with pytest.raises(torch.linalg.LinAlgError):
        fn(torch, torch.tensor(SINGULAR))
    with pytest.raises(mytorch.linalg.LinAlgError):
        fn(mytorch, a_m)


def test_cholesky_of_a_matrix_not_positive_definite_raises(device):
    with pytest.raises(mytorch.linalg.LinAlgError):
        mytorch.linalg.cholesky(mytorch.tensor(NOT_PD, device=device))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky(torch.tensor(NOT_PD))


def test_ex_forms_report_info_instead():
    a = np.stack([np.eye(2), SINGULAR])
    assert_matches(
        mytorch.linalg.inv_ex(mytorch.tensor(a)).info, torch.linalg.inv_ex(torch.tensor(a)).info
    )
    b = np.stack([np.eye(2), NOT_PD])
    assert_matches(
        mytorch.linalg.cholesky_ex(mytorch.tensor(b)).info,
        torch.linalg.cholesky_ex(torch.tensor(b)).info,
    )
    with pytest.raises(mytorch.linalg.LinAlgError):
        mytorch.linalg.cholesky_ex(mytorch.tensor(b), check_errors=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linalg.inv(T.ones(2, 3)),
        lambda T: T.linalg.det(T.ones(3)),
        lambda T: T.linalg.inv(T.ones(2, 2, dtype=T.int64)),
        lambda T: T.linalg.solve(T.eye(3), T.ones(2)),
        lambda T: T.mv(T.ones(2, 3), T.ones(2, 3)),
        lambda T: T.linalg.cross(T.ones(2, 4), T.ones(2, 4)),
        lambda T: T.einsum("ij,jk->ik", T.ones(2, 3)),
        lambda T: T.einsum("ij->i", T.ones(2, 3, 4)),
        lambda T: T.tensordot(T.ones(2, 3), T.ones(2, 3), dims=([1], [0])),
        lambda T: T.linalg.qr(T.ones(3, 3), mode="full"),
    ],
)
def test_errors_match_torch(fn):
    raises_like(fn)


def test_cross_without_dim_warns_as_torch():
    x = np.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        rt = torch.cross(torch.tensor(x), torch.tensor(x[::-1].copy()))
    with warnings.catch_warnings(record=True) as wm:
        warnings.simplefilter("always")
        rm = mytorch.cross(mytorch.tensor(x), mytorch.tensor(x[::-1].copy()))
    assert_matches(rm, rt)
    assert [w.category for w in wm] == [w.category for w in wt] == [UserWarning]


def test_chain_matmul_warns_and_matches():
    ms = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate([(2, 3), (3, 4)])]
    with pytest.warns(UserWarning):
        rt = torch.chain_matmul(*[torch.tensor(m) for m in ms])
    with pytest.warns(UserWarning):
        rm = mytorch.chain_matmul(*[mytorch.tensor(m) for m in ms])
    assert_matches(rm, rt)


def test_scipy_only_kernels_refuse_other_devices():
    a = mytorch.eye(2, device="standin")
    with pytest.raises(NotImplementedError):
        mytorch.linalg.matrix_exp(a)
    with pytest.raises(NotImplementedError):
        mytorch.linalg.lu_factor(a)
