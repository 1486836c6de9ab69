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


# Every function whose torch binding has a ``dim`` parameter takes ``axis=`` (and ``keepdims=``
# for ``keepdim``): name -> call(T, x, **kw), the keyword passed through.
def _idx(T):
    return T.zeros(2, 1, 4, dtype=T.long)


DIM_CALLS = {
    "cat": lambda T, x, **k: T.cat([x, x], **k),
    "concat": lambda T, x, **k: T.concat([x, x], **k),
    "concatenate": lambda T, x, **k: T.concatenate([x, x], **k),
    "stack": lambda T, x, **k: T.stack([x, x], **k),
    "gather": lambda T, x, **k: T.gather(x, index=_idx(T), **k),
    "gather_method": lambda T, x, **k: x.gather(index=_idx(T), **k),
    "index_select": lambda T, x, **k: T.index_select(x, index=T.tensor([0]), **k),
    "narrow": lambda T, x, **k: T.narrow(x, start=0, length=1, **k),
    "narrow_method": lambda T, x, **k: x.narrow(start=1, length=1, **k),
    "chunk": lambda T, x, **k: T.chunk(x, 2, **k),
    "chunk_method": lambda T, x, **k: x.chunk(2, **k),
    "tensor_split": lambda T, x, **k: T.tensor_split(x, 2, **k),
    "kthvalue": lambda T, x, **k: T.kthvalue(x, 2, **k),
    "kthvalue_keepdims": lambda T, x, **k: x.kthvalue(2, keepdims=True, **k),
    "select": lambda T, x, **k: T.select(x, index=0, **k),
    "select_method": lambda T, x, **k: x.select(index=2, **k),
    "repeat_interleave": lambda T, x, **k: T.repeat_interleave(x, 2, **k),
    "take_along_dim": lambda T, x, **k: T.take_along_dim(x, _idx(T), **k),
    "index_fill": lambda T, x, **k: T.index_fill(x, index=T.tensor([0]), value=1.0, **k),
    "index_add": lambda T, x, **k: T.index_add(
        x, index=T.tensor([0]), source=T.ones(2, 1, 4, dtype=x.dtype), **k
    ),
    "index_copy": lambda T, x, **k: x.index_copy(
        index=T.tensor([0]), source=T.ones(2, 1, 4, dtype=x.dtype), **k
    ),
    "scatter": lambda T, x, **k: T.scatter(
        x, index=_idx(T), src=T.ones(2, 1, 4, dtype=x.dtype), **k
    ),
    "scatter_add": lambda T, x, **k: x.scatter_add(
        index=_idx(T), src=T.ones(2, 1, 4, dtype=x.dtype), **k
    ),
    "scatter_reduce": lambda T, x, **k: T.scatter_reduce(
        x, index=_idx(T), src=T.ones(2, 1, 4, dtype=x.dtype), reduce="amax", **k
    ),
    "cross": lambda T, x, **k: T.cross(x[:, :, :3], x[:, :, 1:], **k),
    "linalg_cross": lambda T, x, **k: T.linalg.cross(x[:, :, :3], x[:, :, 1:], **k),
    "unflatten": lambda T, x, **k: T.unflatten(x, sizes=(3, 1), **k),
    "softmax": lambda T, x, **k: T.softmax(x, **k),
    "softmax_method": lambda T, x, **k: x.softmax(**k),
    "log_softmax": lambda T, x, **k: T.log_softmax(x, **k),
    "special_softmax": lambda T, x, **k: T.special.softmax(x, **k),
    "cosine_similarity": lambda T, x, **k: T.nn.functional.cosine_similarity(x, x + 1, **k),
    "trapezoid": lambda T, x, **k: T.trapezoid(x, **k),
    "trapz": lambda T, x, **k: T.trapz(x, **k),
    "unbind": lambda T, x, **k: T.unbind(x, **k),
    "unbind_method": lambda T, x, **k: x.unbind(**k),
    "squeeze": lambda T, x, **k: T.squeeze(x[:, :1], **k),
    "squeeze_method": lambda T, x, **k: x[:, :1].squeeze(**k),
    "unsqueeze": lambda T, x, **k: T.unsqueeze(x, **k),
    "unsqueeze_method": lambda T, x, **k: x.unsqueeze(**k),
    "argsort": lambda T, x, **k: T.argsort(x, **k),
}


@pytest.mark.parametrize("name", list(DIM_CALLS))
def test_axis_for_dim(name):
    call = DIM_CALLS[name]
    _same_any(call(mytorch, _x(mytorch, "sum"), axis=1), call(torch, _x(torch, "sum"), axis=1))
    _same_any(call(mytorch, _x(mytorch, "sum"), axis=1), call(torch, _x(torch, "sum"), dim=1))
    raises_like(lambda T: call(T, _x(T, "sum"), axis=1, dim=1), exc=TypeError)


def _same_any(m, t):
    if isinstance(t, (tuple, list)):
        assert len(m) == len(t)
        for a, b in zip(m, t):
            _same(a, b)
    else:
        _same(m, t)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.swapaxes(_x(T, "sum"), axis0=0, axis1=2),
        lambda T: _x(T, "sum").swapaxes(axis0=2, axis1=1),
        lambda T: T.swapdims(_x(T, "sum"), dim0=0, dim1=2),
        lambda T: _x(T, "sum").transpose(dim0=0, dim1=1),
    ],
)
def test_swapaxes_takes_numpys_names(fn):
    _same(fn(mytorch), fn(torch))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.swapaxes(_x(T, "sum"), dim0=0, dim1=2),  # swapaxes has axis0/axis1 only
        lambda T: _x(T, "sum").swapaxes(dim0=0, dim1=2),
        lambda T: T.swapdims(_x(T, "sum"), axis0=0, axis1=2),
        lambda T: _x(T, "sum").transpose(axis0=0, axis1=1),
        lambda T: _x(T, "sum").unsqueeze(),
        lambda T: T.cat([_x(T, "sum")], 0, axis=0),
        lambda T: T.nn.functional.softmax(_x(T, "sum"), axis=0),  # a Python function in torch
        lambda T: T.split(_x(T, "sum"), 1, axis=0),
    ],
)
def test_keywords_torch_refuses(fn):
    raises_like(fn, exc=TypeError)
