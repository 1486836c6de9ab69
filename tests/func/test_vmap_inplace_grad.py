"""In-place writes on batched tensors under vmap(grad(...)): the batched wrapper is a leaf
exactly when its physical tensor is one, so writes into non-leaves are recorded and a write
into the differentiated input raises torch's leaf error."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

X = np.arange(12.0).reshape(2, 2, 3) / 7 - 0.5


def _mul_(a):
    b = a.clone()
    b.mul_(2)
    b[0] = b[0] * 3
    return (b * b).sum()


def _add_slice(a):
    b = a * 1
    b[:, 1] += a[:, 0]
    return (b**2).sum()


def _view_write(a):
    b = a * 3
    v = b.view(-1)
    v[1:3] = v[4:6].exp() * 2
    return (b * a).sum()


@pytest.mark.parametrize("fn", [_mul_, _add_slice, _view_write])
def test_per_example_gradients_through_inplace_writes_match_torch(fn):
    def run(T):
        return T.func.vmap(T.func.grad(fn))(T.tensor(X))

    assert_matches(run(mytorch), run(torch))


def test_writing_into_the_differentiated_input_raises_as_torch():
    def f(a):
        a.mul_(2)
        return a.sum()

    m, t = raises_like(lambda T: T.func.vmap(T.func.grad(f))(T.tensor(X)))
    assert m == t
