"""LAPACK-type ops on ``cuda``: what cupy.linalg has runs there (cuSOLVER), matrix_exp and
lu_factor through cupyx.scipy.linalg (the stand-in's model of it), compared with the CPU; the
SciPy-only ones raise a clear NotImplementedError."""

import numpy as np
import pytest
from helpers import raises

import mytorch


def _pair(shape, seed=0, dtype="float64"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return (mytorch.tensor(a, requires_grad=True),
            mytorch.tensor(a, device="cuda", requires_grad=True))  # fmt: skip


def _same(m, c, tol=1e-10):
    np.testing.assert_allclose(m.detach().cpu().numpy(), c.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("inv", lambda x: mytorch.linalg.inv(x)),
        ("det", lambda x: mytorch.linalg.det(x)),
        ("solve", lambda x: mytorch.linalg.solve(x, x.sum(-1))),
        ("qr", lambda x: mytorch.linalg.qr(x)[1]),
        ("eigh", lambda x: mytorch.linalg.eigh(x + x.mT)[0]),
        ("svdvals", lambda x: mytorch.linalg.svdvals(x)),
        ("matrix_exp", lambda x: mytorch.linalg.matrix_exp(x * 0.3)),
        ("lu_factor", lambda x: mytorch.linalg.lu_factor(x)[0]),
    ],
)
def test_linalg_on_cuda_matches_the_cpu(cuda, name, fn):
    c, g = _pair((2, 4, 4))
    out_c, out_g = fn(c), fn(g)
    assert out_g.device == mytorch.device("cuda", 0)
    _same(out_g, out_c)
    (gc,) = mytorch.autograd.grad(out_c.sum(), c)
    (gg,) = mytorch.autograd.grad(out_g.sum(), g)
    _same(gg, gc, 1e-8)


def test_lu_factor_pivots_and_rectangular(cuda):
    c, g = _pair((3, 5, 3), seed=1)
    lu_c, piv_c = mytorch.linalg.lu_factor(c)
    lu_g, piv_g = mytorch.linalg.lu_factor(g)
    assert piv_g.dtype == mytorch.int32 and piv_g.device.type == "cuda"
    np.testing.assert_array_equal(piv_g.cpu().numpy(), piv_c.numpy())
    _same(lu_g, lu_c)


def test_scipy_only_ops_say_so_on_cuda(cuda):
    x = mytorch.randn(3, 3, device="cuda")
    with raises(NotImplementedError, match="linalg.eig has no kernel on cuda devices"):
        mytorch.linalg.eig(x)
