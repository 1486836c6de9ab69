"""F.gumbel_softmax (shapes, one-hot hard samples with straight-through gradients, the
distribution of its samples) and F.linear_cross_entropy (against torch, derivatives included)."""

import numpy as np
import pytest
from fn_check import check_fn
from helpers import raises_like, to_numpy, torch

import mytorch
import mytorch.nn.functional as F

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_gumbel_softmax_soft_sample(dtype_name, device, dim):
    logits = mytorch.randn(4, 5, 3, dtype=getattr(mytorch, dtype_name), device=device)
    y = F.gumbel_softmax(logits, tau=0.7, dim=dim)
    assert y.shape == logits.shape and y.dtype == logits.dtype and y.device == logits.device
    s = to_numpy(y.sum(dim))
    np.testing.assert_allclose(s, 1, rtol=1e-5)
    assert (to_numpy(y) > 0).all()


@pytest.mark.parametrize("dim", [-1, 0])
def test_gumbel_softmax_hard_is_one_hot_with_straight_through_gradient(dtype_name, device, dim):
    dt = getattr(mytorch, dtype_name)
    logits = mytorch.randn(6, 4, dtype=dt, device=device, requires_grad=True)
    mytorch.manual_seed(3)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True, dim=dim)
    a = to_numpy(y)
    assert set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a.sum(axis=dim), 1)
    w = mytorch.arange(24.0, dtype=dt, device=device).reshape(6, 4)
    (g,) = mytorch.autograd.grad((y * w).sum(), logits)
    # the gradient is the soft sample's, drawn from the same noise
    logits2 = logits.detach().requires_grad_()
    mytorch.manual_seed(3)
    soft = F.gumbel_softmax(logits2, tau=0.5, dim=dim)
    (g_soft,) = mytorch.autograd.grad((soft * w).sum(), logits2)
    np.testing.assert_allclose(to_numpy(g), to_numpy(g_soft), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a.argmax(axis=dim), to_numpy(soft).argmax(axis=dim))
    assert np.abs(to_numpy(g)).sum() > 0


def test_gumbel_softmax_samples_follow_the_softmax_of_the_logits():
    """The Gumbel-max trick: argmax(logits + g) is distributed as softmax(logits)."""
    mytorch.manual_seed(0)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    logits = mytorch.tensor(np.log(p)).expand(20000, 4)
    y = to_numpy(F.gumbel_softmax(logits, tau=1.0, hard=True))
    freq = y.mean(axis=0)
    np.testing.assert_allclose(freq, p, atol=0.015)
    # lower temperatures make sharper soft samples
    soft_hot = to_numpy(F.gumbel_softmax(logits, tau=5.0)).max(axis=1).mean()
    soft_cold = to_numpy(F.gumbel_softmax(logits, tau=0.1)).max(axis=1).mean()
    assert soft_cold > 0.9 > soft_hot


def test_gumbel_softmax_eps_is_deprecated():
    for T in (mytorch, torch):
        with pytest.warns(UserWarning, match="deprecated"):
            T.nn.functional.gumbel_softmax(T.zeros(2, 3), eps=1e-3)


CASES = {
    "indices": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x, w, T.tensor([0, 2, 1, -100], device=x.device)
        ),
        (4, 5),
        (3, 5),
    ),
    "bias_none_smoothing": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x,
            w,
            T.tensor([0, 2, 1, 1], device=x.device),
            linear_bias=b,
            reduction="none",
            label_smoothing=0.1,
        ),
        (4, 5),
        (3, 5),
    ),
    "ignore_index_sum": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x, w, T.tensor([0, 2, 1, 2], device=x.device), ignore_index=2, reduction="sum"
        ),
        (4, 5),
        (3, 5),
    ),
    "class_weights": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x, w, T.tensor([0, 2, 1, 2], device=x.device), weight=b.detach().abs() + 0.5
        ),
        (4, 5),
        (3, 5),
    ),
    "probabilities": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x, w, T.softmax(T.arange(12.0, dtype=x.dtype, device=x.device).reshape(4, 3) / 5, 1)
        ),
        (4, 5),
        (3, 5),
    ),
    "one_sample": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(x, w, T.tensor(1, device=x.device)),
        (5,),
        (3, 5),
    ),
    "k_dimensional": (
        lambda T, x, w, b: T.nn.functional.linear_cross_entropy(
            x,
            w,
            T.tensor([[0, 1], [2, 2], [1, 0], [0, 0]], device=x.device),
            linear_bias=T.stack([b, b * 2], 1),
        ),
        (4, 5),
        (3, 2, 5),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_linear_cross_entropy_matches_torch(case, dtype_name, device):
    fn, xs, ws = CASES[case]
    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(3)]
    uses_bias = case in ("bias_none_smoothing", "k_dimensional")
    check_fn(fn, inputs, dtype_name, device, grad=(0, 1, 2) if uses_bias else (0, 1))


def test_linear_cross_entropy_errors():
    raises_like(
        lambda T: T.nn.functional.linear_cross_entropy(
            T.ones(2, 4, 5), T.ones(3, 5), T.zeros(2, 4, dtype=T.long)
        ),
        ["dimensionality 1 or 2"],
        exc=RuntimeError,
    )
    raises_like(
        lambda T: T.nn.functional.linear_cross_entropy(
            T.ones(2, 5), T.ones(3, 2, 5), T.zeros(2, 2, dtype=T.long), linear_bias=T.ones(3, 1)
        ),
        ["expected linear_bias shape (3, 2), got (3, 1)"],
        exc=RuntimeError,
    )
    raises_like(
        lambda T: T.nn.functional.linear_cross_entropy(
            T.ones(2, 5), T.ones(3, 4), T.zeros(2, dtype=T.long)
        ),
        exc=RuntimeError,
    )
