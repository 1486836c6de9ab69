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
    _same_grads(mine, theirs)
    if len(shape) > 2:  # a strided (batch_first-like) input: batch dims folded all the same
        mine, theirs = _both(
            lambda T, x, w, b: (T.nn.functional.linear(x.transpose(0, 1), w, b) ** 3).sum(),
            arrays,
        )
        _same_grads(mine, theirs)


def _same_grads(mine, theirs):
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


# --- the SGD update: p -= lr * p.grad and the other augmented assignments ----------------------
@pytest.mark.parametrize(
    "op", ["+=", "-=", "*=", "/=", ".add_", ".sub_", ".mul_", ".div_", ".add_alpha", ".sub_alpha"]
)
@pytest.mark.parametrize("other", ["tensor", "scalar", "0d", "int"])
def test_augmented_assignment_values_and_version(op, other):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4))
    b = b.astype(np.float32)
    got = []
    for T in (mytorch, torch):
        p = T.tensor(a, requires_grad=True)
        o = {"tensor": T.tensor(b), "scalar": 0.5, "0d": T.tensor(2.0), "int": 3}[other]
        v = p._version
        with T.no_grad():
            if op.endswith("_alpha"):
                getattr(p, op[1:-5])(o, alpha=2)
            elif op.startswith("."):
                getattr(p, op[1:])(o)
            else:
                exec(f"p {op} o")
        assert p._version == v + 1 and p.requires_grad and p.is_leaf and p.dtype == T.float32
        got.append(p.detach().numpy())
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6)


def test_augmented_assignment_errors_and_saved_tensors():
    for T in (mytorch, torch):
        p = T.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            p -= T.ones(3)
        x, w = T.ones(3), T.ones(3, requires_grad=True)
        y = (x * w).sum()  # saves x
        x -= 1  # nothing requires grad: no history, but the version moves on
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
        e = T.ones(1).expand(3)
        with pytest.raises(RuntimeError, match="single memory location"):
            e += 1
