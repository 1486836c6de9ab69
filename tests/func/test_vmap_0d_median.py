"""vmap against torch.func.vmap on 0-d examples of flip and roll (torch's IndexError, the dim
counted on the physical tensor) and roll on a 0-d tensor outside vmap; median and nanmedian
over all entries by their rule (values, indices and gradients, ties included)."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like
from test_vmap import _arr, _check, _no_fallback

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

ZERO_D_RAISES = {
    "flip_0": lambda a: a.flip(0),
    "flip_neg": lambda a: a.flip(-1),
    "flip_tuple": lambda a: a.flip((0,)),
    "flip_out_of_range": lambda a: a.flip(2),
    "roll_0": lambda a: a.roll(1, 0),
    "roll_neg": lambda a: a.roll(2, -1),
    "roll_two": lambda a: a.roll((1, 2), (0, 1)),
    "roll_out_of_range": lambda a: a.roll(1, 3),
    "roll_neg_out_of_range": lambda a: a.roll(1, -2),
}


@pytest.mark.parametrize("name", sorted(ZERO_D_RAISES))
def test_flip_and_roll_of_0d_examples_raise_as_torch(name):
    fn = ZERO_D_RAISES[name]
    m, t = raises_like(lambda L: L.func.vmap(fn)(L.arange(3.0)), exc=IndexError)
    assert m == t


def test_flip_and_roll_of_0d_examples_without_dims():
    _check(lambda L: lambda a: a.flip(()), [_arr(3)])
    _check(lambda L: lambda a: a.roll(1, 0), [_arr(3, 2)])


@pytest.mark.parametrize("dims", [0, -1, 3, (0, 1)])
def test_roll_of_a_0d_tensor_raises_as_torch(dims):
    shifts = (1,) * len(dims) if isinstance(dims, tuple) else 1
    m, t = raises_like(lambda L: L.tensor(1.0).roll(shifts, dims), exc=IndexError)
    assert m == t
    assert_matches(mytorch.tensor(1.0).flip(0), torch.tensor(1.0).flip(0))


_NAN = float("nan")
_INF = float("inf")
MEDIAN_ROWS = {
    "plain": _arr(3, 2, 3, key="med"),
    "ties": np.array([1, 2, 2, 3, 5, 5, 5, 1, 0, 0, 0, 0.0]).reshape(3, 2, 2),
    "nan": np.array([[0.0, _NAN, 1.0, 1.0], [_NAN, _NAN, 2.0, 2.0], [3.0, 1.0, 2.0, 2.0]]),
    "all_nan": np.array([[_NAN, _NAN], [1.0, 2.0]]),
    "one_entry": np.array([[4.0], [2.0]]),
    "0d": np.array([1.0, 2.0, 3.0]),
}


@pytest.mark.parametrize("fname", ["median", "nanmedian"])
@pytest.mark.parametrize("rows", sorted(MEDIAN_ROWS))
def test_median_over_all_entries(fname, rows, monkeypatch):
    x = MEDIAN_ROWS[rows].astype(np.float64)
    _no_fallback(monkeypatch)
    _check(lambda L: getattr(L, fname), [x])
    _check(lambda L: L.func.grad(getattr(L, fname)), [x])
    _check(lambda L: L.func.grad(lambda a: getattr(L, fname)(a * a) * 3), [x])
    twice = lambda L: lambda a: L.func.grad(lambda b: getattr(L, fname)(b) ** 2)(a).sum()  # noqa: E731
    _check(lambda L: L.func.grad(twice(L)), [x])


def test_median_of_integers(monkeypatch):
    _no_fallback(monkeypatch)
    _check(lambda L: L.median, [np.array([[3, 1, 2, 2], [7, 7, 0, 1]])])
    _check(lambda L: L.nanmedian, [np.array([[3, 1, 2], [7, 7, 0]], dtype=np.int32)])


def test_median_of_an_infinite_example_runs_per_example():
    x = np.array([[_INF, _INF, 1.0], [1.0, 2.0, 3.0]])
    _check(lambda L: L.median, [x])
    _check(lambda L: L.func.grad(L.median), [x])
