"""torch's NumPy-style keywords on the reductions: ``axis=`` for ``dim=``, ``keepdims=`` for
``keepdim=``, as functions and as Tensor methods, and torch's TypeError when an alias doubles
its argument or a keyword is unknown."""

import numpy as np
import pytest

import mytorch
from helpers import raises_like, to_numpy, torch

pytestmark = pytest.mark.torch

KEEPDIM = ["sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "logsumexp", "prod"]
BOOL = ["all", "any"]
VALUES_INDICES = ["max", "min"]


def _x(T, name):
    x = T.tensor(np.arange(24.0).reshape(2, 3, 4) % 7)
    return x.bool() if name in BOOL else x


def _same(m, t):
    if isinstance(t, tuple):
        for a, b in zip(m, t):
            _same(a, b)
        return
    assert tuple(m.shape) == tuple(t.shape)
    np.testing.assert_allclose(to_numpy(m), to_numpy(t), rtol=1e-6)


@pytest.mark.parametrize("name", KEEPDIM + BOOL + VALUES_INDICES)
@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize(
    "kw",
    [
        dict(axis=1),
        dict(axis=1, keepdims=True),
        dict(dim=1, keepdims=True),
        dict(axis=-1, keepdim=True),
    ],
)
def test_aliases(name, form, kw):
    if name == "prod" and not hasattr(mytorch, "prod"):
        pytest.skip("prod is another family's")

    def call(T):
        x = _x(T, name)
        return getattr(T, name)(x, **kw) if form == "function" else getattr(x, name)(**kw)

    _same(call(mytorch), call(torch))


@pytest.mark.parametrize("name", ["amax", "amin", "sum"])
def test_axis_takes_a_tuple(name):
    _same(
        getattr(mytorch, name)(_x(mytorch, name), axis=(0, 2)),
        getattr(torch, name)(_x(torch, name), axis=(0, 2)),
    )


@pytest.mark.parametrize("name", ["sort", "topk"])
def test_axis_on_sort_and_topk(name):
    args = (1,) if name == "topk" else ()
    _same(
        getattr(mytorch, name)(_x(mytorch, name), *args, axis=0),
        getattr(torch, name)(_x(torch, name), *args, axis=0),
    )


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.sum(_x(T, "sum"), 1, axis=1),
        lambda T: T.sum(_x(T, "sum"), dim=1, axis=1),
        lambda T: T.mean(_x(T, "mean"), axis=1, keepdim=True, keepdims=True),
        lambda T: T.logsumexp(_x(T, "logsumexp")),
        lambda T: T.logsumexp(_x(T, "logsumexp"), keepdims=True),
        lambda T: T.sort(_x(T, "sort"), keepdims=True),
        lambda T: _x(T, "amax").amax(axis=0, axes=1),
    ],
)
def test_alias_errors(fn):
    raises_like(fn, exc=TypeError)
