"""vmap over as_strided against torch.func.vmap: each example's view from its own storage
offset by one view of the physical tensor (no per-example loop), the logical stride,
storage_offset and is_contiguous of a batched tensor, torch's error for a view reaching outside
its example's memory, and gradients through vmap(grad(...))."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like
from test_vmap import _check, _no_fallback

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

_X = np.arange(48.0).reshape(3, 16)


def _strided(size, stride, offset=None):
    return lambda L: lambda a: a.as_strided(size, stride, offset)


CASES = {
    "default_offset": (_strided((2, 2), (1, 2)), lambda L: L.tensor(_X)),
    "offset": (_strided((2, 3), (1, 2), 3), lambda L: L.tensor(_X)),
    "overlapping": (_strided((3, 3), (1, 1)), lambda L: L.tensor(_X)),
    "sliced_input": (_strided((2, 3), (1, 2)), lambda L: L.tensor(_X)[:, 2:]),
    "strided_input": (_strided((2, 2), (1, 2), 1), lambda L: L.tensor(_X)[:, ::2]),
    "batch_not_first": (_strided((2, 2), (1, 2)), lambda L: L.tensor(_X).t()),
    "of_a_view": (
        lambda L: lambda a: a[1:].as_strided((2, 2), (1, 2)),
        lambda L: L.tensor(_X).reshape(3, 2, 8),
    ),  # fmt: skip
    "expanded": (_strided((2, 2), (1, 2)), lambda L: L.tensor(_X[0]).expand(3, 16)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_as_strided_matches_torch(name, monkeypatch):
    fn, make = CASES[name]
    _no_fallback(monkeypatch)
    in_dims = 1 if name == "batch_not_first" else 0

    def run(L):
        return L.func.vmap(fn(L), in_dims=in_dims)(make(L))

    assert_matches(run(mytorch), run(torch))

    def grad(L):
        g = L.func.grad(lambda a: fn(L)(a).square().sum())
        return L.func.vmap(g, in_dims=in_dims)(make(L).double())

    assert_matches(grad(mytorch), grad(torch))


def test_batched_tensor_layout_is_the_examples():
    def probe(L):
        seen = []

        def f(a):
            for t in (a, a[1:], a.t(), a[:, ::2]):
                seen.append((t.stride(), t.storage_offset(), t.is_contiguous(), t.stride(-1)))
            return a

        L.func.vmap(f)(L.tensor(_X).reshape(3, 4, 4)[:, :, 1:])
        return seen

    assert probe(mytorch) == probe(torch)


@pytest.mark.parametrize(
    "case",
    [
        (_strided((2, 2), (1, 2), 14), lambda L: L.tensor(_X)),
        (_strided((2, 2), (1, 2), 0), lambda L: L.tensor(_X)[:, 2:]),
        (_strided((2,), (1,), 0), lambda L: L.tensor(_X)[:, 0]),
        (_strided((2, 5), (1, 3)), lambda L: L.tensor(_X)[:, 3:]),
    ],
)
def test_outside_the_example_raises_as_torch(case):
    fn, make = case
    m, t = raises_like(lambda L: L.func.vmap(fn(L))(make(L)), exc=RuntimeError)
    assert m == t


def test_nested_vmap(monkeypatch):
    x = np.arange(2 * 3 * 12.0).reshape(2, 3, 12)
    _no_fallback(monkeypatch)
    _check(lambda L: L.func.vmap(lambda a: a.as_strided((2, 3), (1, 2), 1)), [x])
