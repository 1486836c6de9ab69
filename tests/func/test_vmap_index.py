"""vmap over indexing against torch.func.vmap: batched boolean masks raise as torch's vmap
does; advanced indices separated by slices (unbatched and batched) run by the getitem and
index_put rules, values and gradients; setitem on batched tensors."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like
from test_vmap import _arr, _both, _check, _no_fallback

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

_MASK_MSG = (
    "vmap: We do not support batching operators that can support dynamic shape. Attempting to "
    "batch over indexing with a boolean mask."
)


def _setitem(L, index):
    """a function writing v into a copy of a at index(L)."""

    def f(a, v):
        b = a.clone()
        b[index(L)] = v
        return b

    return f


MASKED = {
    "getitem": lambda L: lambda a, m: a[m],
    "getitem_slice": lambda L: lambda a, m: a[:, m[0]],
    "index_put": lambda L: lambda a, m: a.index_put((m,), L.tensor(0.0)),
    "index_put_acc": lambda L: lambda a, m: a.index_put((m,), L.tensor([1.0]), accumulate=True),
    "setitem_scalar": lambda L: lambda a, m: _setitem(L, lambda _: m)(a, 0.0),
    "unbatched_input": lambda L: lambda a, m: L.ones(3, 4)[m],
}


@pytest.mark.parametrize("name", sorted(MASKED))
def test_batched_boolean_mask_raises_as_torch(name, monkeypatch):
    x = _arr(2, 3, 4)
    _no_fallback(monkeypatch)
    m, t = raises_like(
        lambda L: L.func.vmap(MASKED[name](L))(L.tensor(x), L.tensor(x > 0)), exc=RuntimeError
    )
    assert m == t == _MASK_MSG


def test_unbatched_mask_still_works(monkeypatch):
    x = _arr(2, 3, 4)
    _no_fallback(monkeypatch)
    mask = x[0] > 0
    _check(lambda L: lambda a: a[L.tensor(mask)], [x])
    _check(lambda L: lambda a: a[:, L.tensor(mask[0])], [x])


_I = np.array([0, 2, 1])
_J = np.array([[1], [0]])
SEPARATED = {
    "slice_between": lambda L: lambda a: a[L.tensor(_I), :, L.tensor(_I)],
    "slice_first": lambda L: lambda a: a[:, L.tensor(_I), :, L.tensor(_J)],
    "ellipsis": lambda L: lambda a: a[L.tensor(_I), ..., L.tensor(_J)],
    "none_between": lambda L: lambda a: a[L.tensor(_J), None, L.tensor(_I)],
    "int_between": lambda L: lambda a: a[L.tensor(_I), 1, :, L.tensor(_I)],
}


@pytest.mark.parametrize("name", sorted(SEPARATED))
def test_separated_advanced_indices(name, monkeypatch):
    x = _arr(3, 4, 5, 6, 7, dtype=np.float64)
    _no_fallback(monkeypatch)
    _check(SEPARATED[name], [x])
    _check(lambda L: L.func.grad(lambda a: SEPARATED[name](L)(a).square().sum()), [x])


BATCHED = {
    "after_slice": lambda L: lambda a, i: a[:, i],
    "after_two": lambda L: lambda a, i: a[:, :, i],
    "after_ellipsis": lambda L: lambda a, i: a[..., i, :],
    "after_none": lambda L: lambda a, i: a[None, :, i],
    "separated": lambda L: lambda a, i: a[i, :, L.tensor(_J)],
    "front": lambda L: lambda a, i: a[i, L.tensor(_J)],
}


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_batched_indices_anywhere(name, monkeypatch):
    x = _arr(3, 4, 5, 6, 7, dtype=np.float64)
    i = np.random.default_rng(0).integers(0, 4, (3, 2))
    _no_fallback(monkeypatch)
    _check(BATCHED[name], [x, i])
    _check(lambda L: L.func.grad(lambda a, j: BATCHED[name](L)(a, j).square().sum()), [x, i])


def _per_example(fn, x, v, in_dims):
    """torch's fn once per example, stacked (torch.func.vmap gets these cases wrong: see
    test_setitem_separated_indices)."""
    rows = []
    for b in range(x.shape[0]):
        vb = v if in_dims[1] is None else v[b]
        rows.append(fn(torch)(torch.tensor(x[b]), torch.tensor(vb)))
    return torch.stack(rows)


@pytest.mark.parametrize("in_dims", [(0, 0), (0, None)])
@pytest.mark.parametrize("vshape", [(3, 5, 7), (7,), ()])
def test_setitem_separated_indices(in_dims, vshape, monkeypatch):
    # NOTE: torch 2.13's vmap writes a batched value (or any value, when the batch and the
    # index sizes agree) in the wrong order here and refuses it otherwise; vmap's definition,
    # the function once per example, is the reference.
    x = _arr(3, 4, 5, 6, 7, dtype=np.float64)
    v = _arr(*((3,) if in_dims[1] == 0 else ()) + vshape, key="v", dtype=np.float64)
    fn = lambda L: _setitem(L, lambda L: (L.tensor(_I), slice(None), L.tensor(_I)))  # noqa: E731
    _no_fallback(monkeypatch)
    ms, _ = _both(x, v)
    got = mytorch.func.vmap(fn(mytorch), in_dims=in_dims)(*ms)
    assert_matches(got, _per_example(fn, x, v, in_dims))


def test_setitem_batched_tensor(monkeypatch):
    x, v = _arr(3, 4, 5), _arr(3, 2, 5, key="v")
    i = np.random.default_rng(1).integers(0, 4, (3, 2))
    _no_fallback(monkeypatch)

    def put(L):
        def f(a, vv, j):
            b = a.clone()
            b[j] = vv
            return b

        return f

    _check(put, [x, v, i])
    _check(put, [x, v[0], i], in_dims=(0, None, 0))
