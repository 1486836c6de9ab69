"""softmax and log_softmax (mytorch/_ops/nn_softmax.py) beyond the op_db rows: half precision
against torch (computed in float32, rounded once), the errors and the dtype checks of torch,
out= and NumPy's axis=, and the kernels' rows of infinities."""

import numpy as np
import pytest
import torch
from helpers import assert_matches, raises_like

import mytorch

NAMES = ["softmax", "log_softmax"]
INF = float("inf")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("dim", [0, -1])
def test_half_precision_matches_torch(name, dtype, dim):
    x = np.random.default_rng(5).standard_normal((4, 33)) * 3
    w = np.random.default_rng(6).standard_normal((4, 33))
    res = []
    for T in (mytorch, torch):
        t = T.tensor(x, dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T, name)(t, dim)
        (g,) = T.autograd.grad((y * T.tensor(w, dtype=y.dtype)).sum(), t)
        res.append((y, g))
    (ym, gm), (yt, gt) = res
    eps = float(torch.finfo(getattr(torch, dtype)).eps)
    # within one rounding of the result (torch's reductions sum in another order)
    assert str(ym.dtype) == str(yt.dtype) and str(gm.dtype) == str(gt.dtype)
    assert_matches(ym.detach().float(), yt.detach().float(), rtol=eps, atol=eps * 2)
    assert_matches(gm.float(), gt.float(), rtol=4 * eps, atol=4 * eps)


@pytest.mark.parametrize("name", NAMES)
def test_rows_of_infinities_as_torch(name):
    x = [[-INF, -INF, -INF], [1.0, INF, 2.0], [0.0, -INF, 1.0], [-INF, 5.0, -INF]]
    for dim in (0, 1):
        m = getattr(mytorch, name)(mytorch.tensor(x), dim)
        assert_matches(m, getattr(torch, name)(torch.tensor(x), dim))


@pytest.mark.parametrize("name", NAMES)
def test_errors_as_torch(name):
    for dtype in ("int64", "bool", "complex64"):
        raises_like(lambda T: getattr(T, name)(T.ones(2, 3, dtype=getattr(T, dtype)), 1),
                    [f"{name}_lastdim_kernel_impl"])  # fmt: skip
    raises_like(lambda T: getattr(T, name)(T.ones(2, 3, dtype=T.int64), 0),
                [f"{name}_kernel_impl"])  # fmt: skip
    raises_like(lambda T: getattr(T, name)(T.ones(2, 3), 2), ["out of range"])
    raises_like(lambda T: getattr(T, name)(T.ones(2, 3), 1, out=T.ones(2, 3, dtype=T.float64)))


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_with_dtype_out_and_axis(name):
    a = np.arange(6).reshape(2, 3)
    for kw in ({"dtype": "float64"}, {"dtype": "float32"}):
        m = getattr(mytorch, name)(mytorch.tensor(a), 1, dtype=getattr(mytorch, kw["dtype"]))
        t = getattr(torch, name)(torch.tensor(a), 1, dtype=getattr(torch, kw["dtype"]))
        assert_matches(m, t)
    out_m, out_t = (
        mytorch.empty(2, 3, dtype=mytorch.float64),
        torch.empty(2, 3, dtype=torch.float64),
    )
    getattr(mytorch, name)(mytorch.tensor(a * 1.0), 0, out=out_m)
    getattr(torch, name)(torch.tensor(a * 1.0), 0, out=out_t)
    assert_matches(out_m, out_t)
    m = getattr(mytorch, name)(mytorch.tensor(a * 1.0), axis=0)
    assert_matches(m, getattr(torch, name)(torch.tensor(a * 1.0), axis=0))


@pytest.mark.parametrize("name", NAMES)
def test_nn_modules_use_the_primitive(name):
    cls = {"softmax": "Softmax", "log_softmax": "LogSoftmax"}[name]
    x = np.random.default_rng(1).standard_normal((2, 5))
    m = getattr(mytorch.nn, cls)(dim=1)(mytorch.tensor(x, requires_grad=True))
    t = getattr(torch.nn, cls)(dim=1)(torch.tensor(x, requires_grad=True))
    assert m.grad_fn.name() == t.grad_fn.name()
    assert_matches(m, t.detach())
