"""The gradients a training step leaves in .grad: values as torch's, laid out as the parameter
(C-contiguous), and each .grad its own memory (the engine may hand a leaf its gradient without a
copy only when nothing else holds it)."""

import numpy as np
import pytest

import mytorch
from helpers import torch

pytestmark = pytest.mark.torch


def _both(fn, arrays):
    """fn(T, *leaves) -> loss, on both libraries; the leaves' .grad as NumPy arrays."""
    got = []
    for T in (mytorch, torch):
        leaves = [T.tensor(a, requires_grad=True) for a in arrays]
        fn(T, *leaves).backward()
        got.append(leaves)
    return got


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (2, 2, 4, 3)])
def test_linear_weight_grad_layout(shape):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)]
    mine, theirs = _both(lambda T, x, w, b: (T.nn.functional.linear(x, w, b) ** 2).sum(), arrays)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert mine[1].grad.is_contiguous()
    assert mine[1].grad.stride() == theirs[1].grad.stride()


def test_grads_do_not_share_memory():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]

    def fn(T, a, b):
        # a.t() and b.t() get one gradient array each from the same sum; a's and b's .grad
        # must still be apart
        s = a.t() + b.t()
        return (s * T.arange(12.0, dtype=s.dtype).reshape(4, 3)).sum()

    mine, theirs = _both(fn, arrays)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy())
    mine[0].grad.add_(1)
    np.testing.assert_allclose(mine[1].grad.numpy(), theirs[1].grad.numpy())


def test_transposed_weight_used_twice():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((5, 3)), rng.standard_normal((4, 3))]

    def fn(T, x, w):
        wt = w.t()
        return (x @ wt).pow(2).sum() + (x @ wt).sum()

    mine, theirs = _both(fn, arrays)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-10)
