"""The statistics (mytorch/_ops/statistics.py) beyond their op_db rows (op_db_statistics.py):
torch's errors, out= forms, named tuples, unique's optional outputs, cov's weights."""

import warnings

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch

torch = pytest.importorskip("torch")

A = np.array([[1.0, 2.0, 2.0, 5.0], [3.0, 1.0, 0.0, 3.0], [0.5, -1.0, 4.0, 2.0]])


def _both(fn, data=A, dtype="float64"):
    return fn(mytorch, mytorch.tensor(data.astype(dtype))), fn(
        torch, torch.tensor(data.astype(dtype))
    )


def _match_all(m, t):
    if isinstance(t, torch.Tensor):
        assert_matches(m, t)
        return
    assert len(m) == len(t)
    for a, b in zip(m, t):
        _match_all(a, b)


@pytest.mark.parametrize(
    "fn, exc",
    [
        (lambda T, x: T.median(T.zeros(0, 3), 0), IndexError),
        (lambda T, x: T.mode(T.zeros(0, 3), 0), IndexError),
        (lambda T, x: T.median(x > 0), NotImplementedError),
        (lambda T, x: T.median(x, 2), IndexError),
        (lambda T, x: T.median(x, out=x), TypeError),
        (lambda T, x: T.aminmax(T.tensor([])), RuntimeError),
        (lambda T, x: T.quantile(x, 1.5), RuntimeError),
        (lambda T, x: T.quantile(x, T.tensor([0.5], dtype=T.float32)), RuntimeError),
        (lambda T, x: T.quantile(x.long(), 0.5), RuntimeError),
        (lambda T, x: T.quantile(T.tensor([], dtype=T.float64), 0.5), RuntimeError),
        (lambda T, x: T.quantile(x, 0.5, interpolation="foo"), RuntimeError),
        (lambda T, x: T.quantile(x, T.tensor([[0.5]], dtype=T.float64)), RuntimeError),
        (lambda T, x: T.quantile(x, [0.5]), TypeError),
        (lambda T, x: T.nanmean(x.long()), RuntimeError),
        (lambda T, x: T.diff(x[0, 0]), RuntimeError),
        (lambda T, x: T.diff(x, -1), RuntimeError),
        (lambda T, x: T.diff(x, prepend=x[0, 0]), RuntimeError),
        (lambda T, x: T.diff(x, prepend=1.0), TypeError),
        (lambda T, x: T.trapezoid(x[0, 0]), IndexError),
        (lambda T, x: T.trapezoid(x, T.tensor([1.0, 2.0], dtype=T.float64)), RuntimeError),
        (lambda T, x: T.trapezoid(x, 2.0), TypeError),
        (lambda T, x: T.cov(x.reshape(1, 3, 4)), RuntimeError),
        (lambda T, x: T.cov(x, fweights=T.tensor([1.0, 2, 3, 4])), RuntimeError),
        (lambda T, x: T.cov(x, fweights=T.tensor([1, -2, 3, 4])), RuntimeError),
        (lambda T, x: T.cov(x, aweights=T.tensor([1, 2, 3, 4])), RuntimeError),
        (lambda T, x: T.cov(x, aweights=T.tensor([1.0, 2])), RuntimeError),
        (lambda T, x: T.unique(x, dim=5), IndexError),
        (lambda T, x: T.unique(x[0, 0], dim=0), IndexError),
        (lambda T, x: T.count_nonzero(x[0, 0], 1), IndexError),
        (lambda T, x: T.var_mean(x.long()), RuntimeError),
        (lambda T, x: T.median(x, axis=0, dim=0), TypeError),
    ],
)
def test_errors_match_torch(fn, exc):
    raises_like(lambda T: fn(T, T.tensor(A)), exc=exc)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: T.unique(x, return_inverse=True, return_counts=True),
        lambda T, x: T.unique(x, sorted=False, return_counts=True),
        lambda T, x: x.unique(return_inverse=True),
        lambda T, x: T.unique(x, return_inverse=True, return_counts=True, dim=1),
        lambda T, x: T.unique(x.long(), dim=0),
        lambda T, x: T.unique_consecutive(x, return_inverse=True, return_counts=True),
        lambda T, x: T.unique_consecutive(x, return_inverse=True, dim=1),
        lambda T, x: x.unique_consecutive(return_counts=True, dim=0),
        lambda T, x: T.unique(x[0, 0], return_inverse=True, return_counts=True),
        lambda T, x: T.unique_consecutive(x[0, 0], return_inverse=True, return_counts=True),
        lambda T, x: T.unique(x[:0]),
    ],
)
def test_unique_outputs_match_torch(fn):
    data = np.array([[1.0, 2.0, 2.0, 1.0], [1.0, 2.0, 2.0, 1.0], [0.0, 2.0, 2.0, 3.0]])
    _match_all(*_both(fn, data))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: T.median(x),
        lambda T, x: T.median(T.tensor([], dtype=T.float64)),
        lambda T, x: T.median(x, 1, True),
        lambda T, x: T.median(T.zeros(3, 0, dtype=T.float64), 0),
        lambda T, x: T.nanmedian(x, 0),
        lambda T, x: T.mode(x, 0),
        lambda T, x: T.aminmax(x, dim=0, keepdim=True),
        lambda T, x: T.aminmax(x[0, 0], dim=-1),
        lambda T, x: T.var_mean(x, 1, keepdim=True),
        lambda T, x: T.std_mean(x, dim=(0, 1), correction=2),
        lambda T, x: T.var_mean(x.float(), 0, False, True),
        lambda T, x: T.count_nonzero(x, (0, 1)),
        lambda T, x: T.nansum(x.float(), dtype=T.float64),
        lambda T, x: T.nansum(x > 1, 1),
        lambda T, x: T.nanmean(x, (0, 1), True),
        lambda T, x: T.quantile(x, 0.5, dim=0, interpolation="midpoint"),
        lambda T, x: T.quantile(x, T.tensor([0.0, 0.25, 1.0], dtype=T.float64), keepdim=True),
        lambda T, x: T.nanquantile(x.float(), T.tensor([0.1, 0.9]), 1, True),
        lambda T, x: T.diff(x, 5),
        lambda T, x: T.diff(x, 0),
        lambda T, x: T.diff(x.long(), prepend=x),
        lambda T, x: T.trapezoid(x.long()),
        lambda T, x: T.trapezoid(x[:, :0]),
        lambda T, x: T.trapz(x, dx=2),
        lambda T, x: T.cov(x, fweights=T.tensor([1, 2, 0, 3])),
        lambda T, x: T.cov(x, aweights=T.tensor([0.5, 2, 1, 3], dtype=T.float64)),
        lambda T, x: T.cov(x.long()),
        lambda T, x: T.cov(x[0, 0]),
        lambda T, x: T.corrcoef(x[0, 0]),
        lambda T, x: T.corrcoef(x.float()),
        lambda T, x: T.linalg.matrix_norm(x, 2, keepdim=True),
        lambda T, x: T.linalg.matrix_norm(x.float(), "nuc", dtype=T.float64),
    ],
)
def test_forms_match_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _match_all(*_both(fn))


def test_cov_with_random_weights_matches_torch():
    w = np.array([0.3, 1.2, 0.7, 2.0])
    m = mytorch.cov(mytorch.tensor(A), correction=2, fweights=mytorch.tensor([1, 2, 1, 3]),
                    aweights=mytorch.tensor(w))  # fmt: skip
    t = torch.cov(torch.tensor(A), correction=2, fweights=torch.tensor([1, 2, 1, 3]),
                  aweights=torch.tensor(w))  # fmt: skip
    assert_matches(m, t)


def test_cov_warns_at_no_degrees_of_freedom():
    for lib in (mytorch, torch):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            r = lib.cov(lib.tensor([[1.0, 2.0]]), correction=2)
        assert r.isinf().item() or r.isnan().item()


def test_out_forms_match_torch():
    for name in ("median", "nanmedian", "mode"):
        outs, names = [], []
        for lib in (mytorch, torch):
            v, i = lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.int64)
            r = getattr(lib, name)(lib.tensor(A), 1, out=(v, i))
            assert r.values is v and r.indices is i
            names.append(type(r).__name__)
            outs.append((v, i))
        assert names[0] == names[1]
        _match_all(*outs)
    outs, names = [], []
    for lib in (mytorch, torch):
        lo, hi = lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.float64)
        r = lib.aminmax(lib.tensor(A), dim=0, out=(lo, hi))
        assert r.min is lo and r.max is hi
        names.append(type(r).__name__)
        outs.append((lo, hi))
    assert names[0] == names[1]
    _match_all(*outs)
    for name, args in [
        ("nansum", (1,)), ("nanmean", (0,)), ("quantile", (0.3, 1)), ("nanquantile", (0.3,)),
        ("diff", ()),
    ]:  # fmt: skip
        outs = []
        for lib in (mytorch, torch):
            o = lib.empty(0, dtype=lib.float64)
            assert getattr(lib, name)(lib.tensor(A), *args, out=o) is o
            outs.append(o)
        assert_matches(*outs)


def test_named_tuples_print_as_torch():
    x = mytorch.tensor([1.0, 2.0])
    assert repr(mytorch.aminmax(x)).startswith("torch.return_types.aminmax(\nmin=tensor(1.)")
    assert repr(mytorch.median(x, 0)).startswith("torch.return_types.median(\nvalues=")
    assert mytorch.mode(x).indices.dtype == mytorch.int64


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_splits_the_gradient_among_ties_as_torch(name):
    data = np.array([2.0, 1.0, 2.0, 3.0, 2.0, np.nan if name == "nanmedian" else 0.0])
    grads = []
    for lib in (mytorch, torch):
        x = lib.tensor(data, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib, name)(x), x)
        grads.append(g)
    assert_matches(*grads)


ZERO_D_REDUCTIONS = ["sum", "mean", "amax", "amin", "prod", "logsumexp", "nansum", "nanmean"]


@pytest.mark.parametrize("name", ZERO_D_REDUCTIONS)
@pytest.mark.parametrize("dim", [0, -1, (0,), [-1]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_zero_d_reduction_over_its_dim_matches_torch(name, dim, keepdim):
    """A 0-d input's dim 0 (or -1) is all of it, with keepdim too: values, shapes, and first
    and second derivatives as torch."""
    if name == "prod" and not isinstance(dim, int):
        pytest.skip("prod takes one dim")

    def run(T):
        x = T.tensor(1.5, dtype=T.float64, requires_grad=True)
        y = getattr(T, name)(x * x, dim, keepdim=keepdim)
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (gg,) = T.autograd.grad(g, x)
        return y, g, gg

    m, t = run(mytorch), run(torch)
    for a, b in zip(m, t):
        assert_matches(a, b)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "all", "any"])
def test_zero_d_reduction_dim_out_of_range_raises_as_torch(name):
    raises_like(lambda T: getattr(T, name)(T.tensor(1.0), 1, keepdim=True))
