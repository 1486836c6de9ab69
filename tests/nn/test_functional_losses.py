"""nn.functional's losses and basics (one_hot, dropouts, embedding, distances) against torch:
values, input gradients and second derivatives (where torch has them), every reduction, in
float32 and float64, on the CPU and the stand-in device; the exception classes torch raises on
bad targets; the stability cases (cross_entropy at logits of +-1e4, the logits losses at +-100).
"""

import math
import warnings

import numpy as np
import pytest

import mytorch
from helpers import TOL, TOL2, assert_matches, raises, raises_like, seeded_rng, to_numpy, torch

pytestmark = pytest.mark.torch
MF = mytorch.nn.functional
REDUCTIONS = ("none", "mean", "sum")


class Lib:
    """One library's side of a case: its functional namespace and how a case makes constants
    (targets, weights) in the case's float dtype on the case's device."""

    def __init__(self, T, dtype_name, device):
        self.T = T
        self.F = T.nn.functional
        self.dtype = getattr(T, dtype_name)
        self.device = device if T is mytorch else "cpu"

    def f(self, a):
        """A float constant in the case's dtype."""
        return self.T.tensor(np.asarray(a, dtype=np.float64), dtype=self.dtype, device=self.device)

    def i(self, a):
        """An int64 constant."""
        return self.T.tensor(np.asarray(a, dtype=np.int64), device=self.device)


R = seeded_rng("losses")
X45 = R.standard_normal((4, 5))
Y45 = R.standard_normal((4, 5))
Z45 = R.standard_normal((4, 5))
P45 = R.random((4, 5))
X453 = R.standard_normal((4, 5, 3))
T43 = R.integers(0, 5, (4, 3))
T43[1, 2] = -100
T4 = np.array([0, 4, 2, 2])
W5 = R.random(5) + 0.5
SIGN45 = np.sign(R.standard_normal((4, 5)))
Y4 = np.array([1.0, -1.0, -1.0, 1.0])
ML = np.array([[3, 0, -1, 1, 1], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [4, 4, -1, 2, 2]])
PROB453 = R.random((4, 5, 3))
PROB453 /= PROB453.sum(1, keepdims=True)
CTC_LP = R.standard_normal((12, 3, 6))
CTC_T = np.array([[1, 2, 2, 0], [3, 1, 1, 1], [5, 4, 3, 2]])
CTC_IL, CTC_TL = [12, 10, 7], [3, 4, 2]


def _case(name, fn, inputs, second=True, reductions=REDUCTIONS):
    return [pytest.param(fn, inputs, second, r, id=f"{name}-{r}") for r in (reductions or (None,))]


CASES = [
    *_case("mse", lambda k, r, x: k.F.mse_loss(x, k.f(Y45), reduction=r), [X45]),
    *_case("mse_both", lambda k, r, x, y: k.F.mse_loss(x, y, reduction=r), [X45, Y45]),
    *_case(
        "mse_weight", lambda k, r, x: k.F.mse_loss(x, k.f(Y45), reduction=r, weight=k.f(P45)), [X45]
    ),  # fmt: skip
    *_case("l1", lambda k, r, x, y: k.F.l1_loss(x, y, reduction=r), [X45, Y45]),
    *_case(
        "l1_weight", lambda k, r, x: k.F.l1_loss(x, k.f(Y45), reduction=r, weight=k.f(P45)), [X45]
    ),  # fmt: skip
    *_case(
        "smooth_l1", lambda k, r, x, y: k.F.smooth_l1_loss(x, y, reduction=r, beta=0.7), [X45, Y45]
    ),  # fmt: skip
    *_case(
        "smooth_l1_b0",
        lambda k, r, x: k.F.smooth_l1_loss(x, k.f(Y45), reduction=r, beta=0.0),
        [X45],
    ),  # fmt: skip
    *_case("huber", lambda k, r, x, y: k.F.huber_loss(x, y, reduction=r, delta=0.6), [X45, Y45]),
    *_case(
        "huber_weight",
        lambda k, r, x: k.F.huber_loss(x, k.f(Y45), reduction=r, weight=k.f(P45)),
        [X45],
    ),  # fmt: skip
    *_case("ce", lambda k, r, x: k.F.cross_entropy(x, k.i(T4), reduction=r), [X45]),
    *_case("ce_1d", lambda k, r, x: k.F.cross_entropy(x[0], k.i(3), reduction=r), [X45]),
    *_case("ce_kdim", lambda k, r, x: k.F.cross_entropy(x, k.i(T43), reduction=r), [X453]),
    *_case(
        "ce_weight_ls",
        lambda k, r, x: k.F.cross_entropy(x, k.i(T43), k.f(W5), reduction=r, label_smoothing=0.25),
        [X453],
    ),  # fmt: skip
    *_case(
        "ce_ls_ignore",
        lambda k, r, x: k.F.cross_entropy(
            x, k.i(T4), ignore_index=2, reduction=r, label_smoothing=0.1
        ),
        [X45],
    ),  # fmt: skip
    *_case("ce_prob", lambda k, r, x: k.F.cross_entropy(x, k.f(PROB453), reduction=r), [X453]),
    *_case(
        "ce_prob_w_ls",
        lambda k, r, x: k.F.cross_entropy(
            x, k.f(PROB453), k.f(W5), reduction=r, label_smoothing=0.3
        ),
        [X453],
    ),  # fmt: skip
    *_case("nll", lambda k, r, x: k.F.nll_loss(x, k.i(T43), k.f(W5), reduction=r), [X453]),
    *_case(
        "nll_ignore", lambda k, r, x: k.F.nll_loss(x, k.i(T4), ignore_index=4, reduction=r), [X45]
    ),  # fmt: skip
    *_case(
        "bce", lambda k, r, x: k.F.binary_cross_entropy(x.sigmoid(), k.f(P45), reduction=r), [X45]
    ),  # fmt: skip
    *_case(
        "bce_weight",
        lambda k, r, x: k.F.binary_cross_entropy(x.sigmoid(), k.f(P45), k.f(W5), reduction=r),
        [X45],
    ),  # fmt: skip
    *_case(
        "bcel",
        lambda k, r, x, t: k.F.binary_cross_entropy_with_logits(x, t.sigmoid(), reduction=r),
        [X45, Y45],
    ),  # fmt: skip
    *_case(
        "bcel_pos_w",
        lambda k, r, x: k.F.binary_cross_entropy_with_logits(
            x * 3, k.f(P45), k.f(P45), reduction=r, pos_weight=k.f(W5)
        ),
        [X45],
    ),  # fmt: skip
    *_case(
        "bcel_at_0",
        lambda k, r, x: k.F.binary_cross_entropy_with_logits(x * 0, k.f(P45), reduction=r),
        [X45],
    ),  # fmt: skip
    *_case(
        "kl",
        lambda k, r, x: k.F.kl_div(x.log_softmax(1), k.f(P45 * (P45 > 0.2)), reduction=r),
        [X45],
    ),  # fmt: skip
    *_case(
        "kl_batchmean",
        lambda k, r, x, y: k.F.kl_div(x, y, reduction="batchmean", log_target=True),
        [X45, Y45],
        reductions=None,
    ),  # fmt: skip
    *_case("poisson", lambda k, r, x: k.F.poisson_nll_loss(x, k.f(P45 * 4), reduction=r), [X45]),
    *_case(
        "poisson_full",
        lambda k, r, x: k.F.poisson_nll_loss(
            x.exp(), k.f(P45 * 4), log_input=False, full=True, reduction=r
        ),
        [X45],
    ),  # fmt: skip
    *_case(
        "gauss",
        lambda k, r, x, y, v: k.F.gaussian_nll_loss(x, y, v.exp(), reduction=r),
        [X45, Y45, Z45],
    ),  # fmt: skip
    *_case(
        "gauss_full_v",
        lambda k, r, x, v: k.F.gaussian_nll_loss(
            x, k.f(Y45), v[:, :1].exp() * 1e-7, full=True, reduction=r
        ),
        [X45, Z45],
    ),  # fmt: skip
    *_case(
        "cos_emb",
        lambda k, r, a, b: k.F.cosine_embedding_loss(a, b, k.f(Y4), margin=-0.2, reduction=r),
        [X45, Y45],
    ),  # fmt: skip
    *_case(
        "margin_rank",
        lambda k, r, a, b: k.F.margin_ranking_loss(
            a[:, 0], b[:, 0], k.f(Y4), margin=0.3, reduction=r
        ),
        [X45, Y45],
    ),  # fmt: skip
    *_case(
        "hinge",
        lambda k, r, x: k.F.hinge_embedding_loss(x, k.f(SIGN45), margin=0.5, reduction=r),
        [X45],
    ),  # fmt: skip
    *_case(
        "soft_margin", lambda k, r, x: k.F.soft_margin_loss(x, k.f(SIGN45), reduction=r), [X45]
    ),  # fmt: skip
    *_case(
        "ml_soft",
        lambda k, r, x: k.F.multilabel_soft_margin_loss(x, k.f(SIGN45 > 0), k.f(W5), reduction=r),
        [X45],
    ),  # fmt: skip
    *_case(
        "ml_margin",
        lambda k, r, x: k.F.multilabel_margin_loss(x, k.i(ML), reduction=r),
        [X45],
        second=False,
    ),  # fmt: skip
    *_case(
        "ml_margin_1d",
        lambda k, r, x: k.F.multilabel_margin_loss(x[3], k.i(ML[3]), reduction=r),
        [X45],
        second=False,
    ),  # fmt: skip
    *_case(
        "multi_margin",
        lambda k, r, x: k.F.multi_margin_loss(x, k.i(T4), margin=0.8, reduction=r),
        [X45],
        second=False,
    ),  # fmt: skip
    *_case(
        "multi_margin_p2",
        lambda k, r, x: k.F.multi_margin_loss(x, k.i(T4), p=2, weight=k.f(W5), reduction=r),
        [X45],
        second=False,
    ),  # fmt: skip
    *_case(
        "triplet",
        lambda k, r, a, p, n: k.F.triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
        [X45, Y45, Z45],
    ),  # fmt: skip
    *_case(
        "triplet_p3_swap",
        lambda k, r, a, p, n: k.F.triplet_margin_loss(
            a, p, n, p=3, swap=True, margin=2.0, reduction=r
        ),
        [X45, Y45, Z45],
    ),  # fmt: skip
    *_case(
        "triplet_dist",
        lambda k, r, a, p, n: k.F.triplet_margin_with_distance_loss(
            a, p, n, margin=2.0, swap=True, reduction=r
        ),
        [X45, Y45, Z45],
    ),  # fmt: skip
    *_case(
        "triplet_dist_fn",
        lambda k, r, a, p, n: k.F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda u, v: 1 - k.F.cosine_similarity(u, v), reduction=r
        ),
        [X45, Y45, Z45],
    ),  # fmt: skip
    # torch has no double backward for ctc_loss.
    *_case(
        "ctc",
        lambda k, r, x: k.F.ctc_loss(
            x.log_softmax(2), k.i(CTC_T), k.i(CTC_IL), k.i(CTC_TL), reduction=r
        ),
        [CTC_LP],
        second=False,
    ),  # fmt: skip
    *_case(
        "ctc_raw_blank",
        lambda k, r, x: k.F.ctc_loss(x, k.i(CTC_T), CTC_IL, CTC_TL, blank=5, reduction=r),
        [CTC_LP],
        second=False,
    ),  # fmt: skip
    *_case(
        "ctc_concat",
        lambda k, r, x: k.F.ctc_loss(
            x.log_softmax(2),
            k.i(np.concatenate([CTC_T[i, :n] for i, n in enumerate(CTC_TL)])),
            CTC_IL,
            CTC_TL,
            reduction=r,
        ),
        [CTC_LP],
        second=False,
    ),  # fmt: skip
    *_case(
        "ctc_zero_inf",
        lambda k, r, x: k.F.ctc_loss(
            x.log_softmax(2), k.i(CTC_T), [12, 3, 7], CTC_TL, reduction=r, zero_infinity=True
        ),
        [CTC_LP],
        second=False,
    ),  # fmt: skip
    *_case(
        "ctc_unbatched",
        lambda k, r, x: k.F.ctc_loss(
            x[:, 0].log_softmax(1), k.i(CTC_T[0, :3]), k.i(12), k.i(3), reduction=r
        ),
        [CTC_LP],
        second=False,
    ),  # fmt: skip
    *_case("cos_sim", lambda k, r, a, b: k.F.cosine_similarity(a, b), [X45, Y45], reductions=None),
    *_case(
        "cos_sim_bcast",
        lambda k, r, a, b: k.F.cosine_similarity(a, b[1], dim=-1),
        [X45, Y45],
        reductions=None,
    ),  # fmt: skip
    *[
        pytest.param(
            lambda k, r, a, b, p=p: k.F.pairwise_distance(a, b, p=p, keepdim=True),
            [X45, Y45],
            p != 0,
            None,
            id=f"pairwise-{p}",
        )  # fmt: skip
        for p in (1, 2, 3, math.inf, 0)
    ],
    *[
        pytest.param(
            lambda k, r, a, p=p: k.F.pdist(a, p=p), [X45], False, None, id=f"pdist-{p}"
        )  # torch: no double backward
        for p in (1, 2, 3, math.inf)
    ],
    *_case(
        "embedding_pad",
        lambda k, r, w: k.F.embedding(k.i([[0, 2, 5], [2, 2, 1]]), w * 1, padding_idx=2),
        [R.standard_normal((6, 3))],
        reductions=None,
    ),  # fmt: skip
    *_case(
        "embedding_freq",
        lambda k, r, w: k.F.embedding(k.i([[0, 2, 5], [2, 2, 1]]), w * 1, scale_grad_by_freq=True),
        [R.standard_normal((6, 3))],
        reductions=None,
    ),  # fmt: skip
]


def _match_or_zero(m, t, tol):
    """A derivative against torch's; None (nothing depends on the input) on either side stands
    for zeros."""
    if m is None or t is None:
        other = t if m is None else m
        assert other is None or not to_numpy(other).any(), "one side None, the other nonzero"
        return
    assert_matches(m, t, **tol)


@pytest.mark.parametrize("fn, inputs, second, reduction", CASES)
def test_loss_against_torch(fn, inputs, second, reduction, dtype_name, device):
    """Values, first and (where torch has them) second derivatives against torch's."""
    rng = seeded_rng("loss", dtype_name, reduction)
    results = {}
    v = None
    us = [seeded_rng("u", i).standard_normal(a.shape) for i, a in enumerate(inputs)]
    for T in (mytorch, torch):
        k = Lib(T, dtype_name, device)
        xs = [T.tensor(a.astype(dtype_name), device=k.device, requires_grad=True) for a in inputs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(k, reduction, *xs)
        if v is None:
            v = rng.standard_normal(tuple(out.shape))
        gs = T.autograd.grad(out, xs, k.f(v), create_graph=second, allow_unused=True)
        hs = [None] * len(xs)
        if second:
            s = sum((g * k.f(u)).sum() for g, u in zip(gs, us) if g is not None)
            if s.requires_grad:
                hs = T.autograd.grad(s, xs, allow_unused=True)
        results[T.__name__] = (out, gs, hs)
    (mo, mg, mh), (to, tg, th) = results["mytorch"], results["torch"]
    assert str(mo.device).partition(":")[0] == device
    # float32: sums over many terms, and second derivatives through two rounds of kernels
    tol = TOL["float64"] if dtype_name == "float64" else dict(rtol=1e-4, atol=1e-4)
    tol2 = TOL2["float64"] if dtype_name == "float64" else dict(rtol=1e-3, atol=1e-3)
    assert_matches(mo, to, **tol)
    for gm, gt in zip(mg, tg):
        _match_or_zero(gm, gt, tol)
    for hm, ht in zip(mh, th):
        _match_or_zero(hm, ht, tol2)


# --- bad arguments and targets: the same exception class as torch ---------------------------
X = X45.astype(np.float32)


BAD = [
    (
        "ce_class_high",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor([0, 5, 1, 1])),
    ),  # fmt: skip
    (
        "ce_class_neg",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor([0, -1, 1, 1])),
    ),  # fmt: skip
    ("nll_class_high", lambda T: T.nn.functional.nll_loss(T.tensor(X), T.tensor([0, 7, 1, 1]))),
    ("nll_kdim_high", lambda T: T.nn.functional.nll_loss(T.tensor(X453), T.tensor(T43 + 9))),
    ("ce_batch", lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor([0, 1]))),
    (
        "ce_float_target",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor([0.0, 1, 2, 3])),
    ),  # fmt: skip
    (
        "ce_int32_target",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor([0, 1, 2, 3], dtype=T.int32)),
    ),  # fmt: skip
    (
        "ce_long_probs",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.ones(4, 5, dtype=T.int64)),
    ),  # fmt: skip
    (
        "ce_2d_target",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.zeros(4, 3, dtype=T.int64)),
    ),  # fmt: skip
    (
        "nll_kdim_size",
        lambda T: T.nn.functional.nll_loss(T.tensor(X453), T.zeros(4, 5, dtype=T.int64)),
    ),  # fmt: skip
    (
        "nll_1d_target",
        lambda T: T.nn.functional.nll_loss(T.tensor(X[0]), T.zeros(3, dtype=T.int64)),
    ),  # fmt: skip
    ("nll_0d_input", lambda T: T.nn.functional.nll_loss(T.tensor(1.0), T.tensor(0))),
    (
        "nll_weight",
        lambda T: T.nn.functional.nll_loss(T.tensor(X), T.tensor(T4), weight=T.ones(4)),
    ),  # fmt: skip
    (
        "ce_smoothing",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(T4), label_smoothing=1.5),
    ),  # fmt: skip
    ("reduction", lambda T: T.nn.functional.l1_loss(T.tensor(X), T.tensor(X), reduction="avg")),
    (
        "ce_reduction",
        lambda T: T.nn.functional.cross_entropy(T.tensor(X), T.tensor(T4), reduction="x"),
    ),  # fmt: skip
    ("mse_shape", lambda T: T.nn.functional.mse_loss(T.tensor(X), T.ones(4, 4))),
    (
        "mse_weight_shape",
        lambda T: T.nn.functional.mse_loss(T.tensor(X), T.tensor(X), weight=T.ones(5)),
    ),  # fmt: skip
    (
        "smooth_l1_beta",
        lambda T: T.nn.functional.smooth_l1_loss(T.tensor(X), T.tensor(X), beta=-1.0),
    ),  # fmt: skip
    ("huber_delta", lambda T: T.nn.functional.huber_loss(T.tensor(X), T.tensor(X), delta=0.0)),
    ("bce_size", lambda T: T.nn.functional.binary_cross_entropy(T.rand(3), T.rand(4))),
    ("bce_range", lambda T: T.nn.functional.binary_cross_entropy(T.tensor(X), T.rand(4, 5))),
    (
        "bce_target_range",
        lambda T: T.nn.functional.binary_cross_entropy(T.rand(3), T.ones(3) * 2),
    ),  # fmt: skip
    (
        "bce_weight",
        lambda T: T.nn.functional.binary_cross_entropy(T.rand(3), T.rand(3), T.rand(2)),
    ),  # fmt: skip
    (
        "bcel_size",
        lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.rand(3), T.rand(4)),
    ),  # fmt: skip
    (
        "bcel_pos_weight",
        lambda T: T.nn.functional.binary_cross_entropy_with_logits(
            T.rand(3), T.rand(3), pos_weight=T.rand(2)
        ),
    ),  # fmt: skip
    ("kl_shape", lambda T: T.nn.functional.kl_div(T.rand(3), T.rand(4), reduction="sum")),
    (
        "poisson_reduction",
        lambda T: T.nn.functional.poisson_nll_loss(T.rand(3), T.rand(3), reduction="x"),
    ),  # fmt: skip
    (
        "gauss_var_neg",
        lambda T: T.nn.functional.gaussian_nll_loss(T.tensor(X), T.tensor(X), -T.ones(4, 5)),
    ),  # fmt: skip
    (
        "gauss_var_size",
        lambda T: T.nn.functional.gaussian_nll_loss(T.tensor(X), T.tensor(X), T.ones(4, 2)),
    ),  # fmt: skip
    (
        "gauss_reduction",
        lambda T: T.nn.functional.gaussian_nll_loss(
            T.tensor(X), T.tensor(X), T.ones(4, 5), reduction="x"
        ),
    ),  # fmt: skip
    (
        "multi_margin_high",
        lambda T: T.nn.functional.multi_margin_loss(T.tensor(X), T.tensor([0, 5, 1, 1])),
    ),  # fmt: skip
    (
        "multi_margin_p",
        lambda T: T.nn.functional.multi_margin_loss(T.tensor(X), T.tensor(T4), p=3),
    ),  # fmt: skip
    (
        "multi_margin_w",
        lambda T: T.nn.functional.multi_margin_loss(T.tensor(X), T.tensor(T4), weight=T.ones(5, 1)),
    ),  # fmt: skip
    (
        "ml_margin_high",
        lambda T: T.nn.functional.multilabel_margin_loss(
            T.tensor(X), T.tensor([[0, 5, 1, -1, 0]] * 4)
        ),
    ),  # fmt: skip
    (
        "ml_margin_size",
        lambda T: T.nn.functional.multilabel_margin_loss(T.tensor(X), T.zeros(4, 4, dtype=T.int64)),
    ),  # fmt: skip
    (
        "margin_rank_dims",
        lambda T: T.nn.functional.margin_ranking_loss(T.tensor(X), T.tensor(X), T.ones(5)),
    ),  # fmt: skip
    (
        "cos_emb_target",
        lambda T: T.nn.functional.cosine_embedding_loss(T.tensor(X), T.tensor(X), T.ones(4, 5)),
    ),  # fmt: skip
    (
        "cos_emb_dims",
        lambda T: T.nn.functional.cosine_embedding_loss(T.tensor(X), T.tensor(X[0]), T.ones(4)),
    ),  # fmt: skip
    (
        "triplet_dims",
        lambda T: T.nn.functional.triplet_margin_loss(T.tensor(X), T.tensor(X), T.tensor(X[0])),
    ),  # fmt: skip
    (
        "triplet_margin",
        lambda T: T.nn.functional.triplet_margin_with_distance_loss(
            T.tensor(X), T.tensor(X), T.tensor(X), margin=-1
        ),
    ),  # fmt: skip
    (
        "hinge_shape",
        lambda T: T.nn.functional.hinge_embedding_loss(T.tensor(X), T.tensor(X[:2])),
    ),  # fmt: skip
    (
        "ctc_input_length",
        lambda T: T.nn.functional.ctc_loss(
            T.randn(5, 2, 4).log_softmax(2), T.ones(2, 2, dtype=T.int64), [6, 5], [2, 2]
        ),
    ),  # fmt: skip
    (
        "ctc_target_size",
        lambda T: T.nn.functional.ctc_loss(
            T.randn(5, 2, 4).log_softmax(2), T.ones(2, 2, dtype=T.int64), [5, 5], [3, 2]
        ),
    ),  # fmt: skip
    ("one_hot_high", lambda T: T.nn.functional.one_hot(T.tensor([0, 5]), 3)),
    ("one_hot_neg", lambda T: T.nn.functional.one_hot(T.tensor([0, -1]), 3)),
    ("one_hot_float", lambda T: T.nn.functional.one_hot(T.tensor([0.0, 1.0]), 3)),
    ("one_hot_empty", lambda T: T.nn.functional.one_hot(T.zeros(0, dtype=T.int64))),
    ("embedding_index", lambda T: T.nn.functional.embedding(T.tensor([0, 7]), T.randn(4, 3))),
    ("embedding_float", lambda T: T.nn.functional.embedding(T.tensor([0.0]), T.randn(4, 3))),
    (
        "embedding_pad",
        lambda T: T.nn.functional.embedding(T.tensor([0]), T.randn(4, 3), padding_idx=4),
    ),  # fmt: skip
    ("dropout_p", lambda T: T.nn.functional.dropout(T.randn(3), 1.5)),
    ("dropout1d_dims", lambda T: T.nn.functional.dropout1d(T.randn(3), 0.5)),
    ("alpha_dropout_p", lambda T: T.nn.functional.alpha_dropout(T.randn(3), -0.1)),
    ("pdist_dims", lambda T: T.nn.functional.pdist(T.randn(3, 4, 2))),
    ("pdist_p", lambda T: T.nn.functional.pdist(T.randn(3, 4), p=-1)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in BAD])
def test_bad_arguments_raise_like_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(call)


def test_bad_target_on_the_device():
    """The range check reads the target on the stand-in device too."""
    x = mytorch.tensor(X, device="standin")
    with raises(IndexError, match="Target 5 is out of bounds"):
        MF.cross_entropy(x, mytorch.tensor([0, 5, 1, 1], device="standin"))


def test_size_warning_like_torch():
    for T in (mytorch, torch):
        with pytest.warns(UserWarning, match=r"target size \(torch.Size\(\[5\]\)\)"):
            T.nn.functional.mse_loss(T.tensor(X), T.tensor(X[0]))


def test_legacy_size_average_and_reduce():
    for kw in (dict(size_average=False), dict(reduce=False), dict(size_average=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = MF.l1_loss(mytorch.tensor(X), mytorch.tensor(Y45.astype(np.float32)), **kw)
            y = torch.tensor(Y45.astype(np.float32))
            t = torch.nn.functional.l1_loss(torch.tensor(X), y, **kw)
        assert_matches(m, t)


# --- stability ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_stable_at_large_logits(scale, dtype_name, device):
    a = (np.array([[1.0, -1.0, 0.5], [0.0, 1.0, -1.0]]) * scale).astype(dtype_name)
    out = {}
    for T in (mytorch, torch):
        dev = device if T is mytorch else "cpu"
        x = T.tensor(a, device=dev, requires_grad=True)
        loss = T.nn.functional.cross_entropy(x, T.tensor([1, 0], device=dev))
        (g,) = T.autograd.grad(loss, x)
        out[T.__name__] = loss, g
    assert np.isfinite(to_numpy(out["mytorch"][0])).all()
    assert_matches(out["mytorch"][0], out["torch"][0])
    assert_matches(out["mytorch"][1], out["torch"][1])


@pytest.mark.parametrize(
    "fn",
    [
        lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
        lambda F, x, t: F.binary_cross_entropy_with_logits(
            x, t, pos_weight=t + 1, reduction="none"
        ),  # fmt: skip
        lambda F, x, t: F.multilabel_soft_margin_loss(x, t, reduction="none"),
    ],
)
def test_logit_losses_stable_at_100(fn, dtype_name, device):
    a = np.array([[100.0, -100.0, 100.0, -100.0, 30.0, -30.0]], dtype=dtype_name)
    tgt = np.array([[1.0, 1.0, 0.0, 0.0, 1.0, 0.0]], dtype=dtype_name)
    out = {}
    for T in (mytorch, torch):
        dev = device if T is mytorch else "cpu"
        x = T.tensor(a, device=dev, requires_grad=True)
        loss = fn(T.nn.functional, x, T.tensor(tgt, device=dev))
        (g,) = T.autograd.grad(loss.sum(), x)
        out[T.__name__] = loss, g
    assert np.isfinite(to_numpy(out["mytorch"][0])).all()
    assert np.isfinite(to_numpy(out["mytorch"][1])).all()
    assert_matches(*[out[n][0] for n in ("mytorch", "torch")], rtol=1e-6, atol=1e-12)
    # torch's gradient, sigmoid(x) - t, rounds away what is below 1 ulp of 1 (ours keeps it)
    assert_matches(*[out[n][1] for n in ("mytorch", "torch")], rtol=1e-6, atol=1e-12)


# --- one_hot, dropout, embedding ---------------------------------------------------------------
def test_one_hot_like_torch(device):
    idx = np.array([[0, 3], [1, 1]])
    for n in (-1, 6):
        m = MF.one_hot(mytorch.tensor(idx, device=device), n)
        assert_matches(m, torch.nn.functional.one_hot(torch.tensor(idx), n))
        assert str(m.device).startswith(device)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout"])
def test_dropout_eval_and_p0_return_the_input(name):
    x = mytorch.randn(4, 5)
    f = getattr(MF, name)
    assert f(x, 0.5, training=False) is x
    assert f(x, 0.0, training=True) is x


def test_dropout_masks_scale_and_gradients(device):
    mytorch.manual_seed(3)
    x = mytorch.rand(2000, dtype=mytorch.float64, device=device) + 1
    x.requires_grad_(True)
    y = MF.dropout(x, 0.3)
    ya, xa = to_numpy(y), to_numpy(x)
    kept = ya != 0
    assert 0.25 < 1 - kept.mean() < 0.35
    np.testing.assert_allclose(ya[kept], xa[kept] / 0.7)
    (g,) = mytorch.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(to_numpy(g), kept / 0.7)
    mytorch.manual_seed(3)
    x2 = mytorch.rand(2000, dtype=mytorch.float64, device=device) + 1
    np.testing.assert_array_equal(to_numpy(MF.dropout(x2, 0.3)), ya)  # manual_seed reproduces
    assert not to_numpy(MF.dropout(x2, 1.0)).any()


def test_dropout_inplace_writes_the_input(device):
    x = mytorch.ones(50, 4, device=device)
    y = MF.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(to_numpy(x))) <= {0.0, 2.0}


@pytest.mark.parametrize(
    "name, shape, batched",
    [
        ("dropout1d", (6, 8, 5), True),
        ("dropout1d", (8, 5), False),
        ("dropout2d", (6, 8, 3, 3), True),
        ("dropout2d", (6, 8, 5), True),
        ("dropout3d", (6, 8, 2, 2, 2), True),
        ("dropout3d", (8, 2, 2, 2), False),
        ("feature_alpha_dropout", (6, 8, 3, 3), True),
    ],
)
def test_feature_dropout_zeroes_whole_channels(name, shape, batched, device):
    x = mytorch.ones(*shape, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = to_numpy(getattr(MF, name)(x, 0.5, training=True))
    lead = 2 if batched else 1
    per_channel = y.reshape(int(np.prod(shape[:lead])), -1)
    assert (per_channel == per_channel[:, :1]).all()  # one value per channel
    assert len(np.unique(per_channel[:, 0])) == 2


def test_alpha_dropout_keeps_mean_and_variance():
    mytorch.manual_seed(0)
    x = mytorch.randn(200000, dtype=mytorch.float64)
    y = MF.alpha_dropout(x, 0.2, training=True)
    assert abs(float(y.mean())) < 0.02
    assert abs(float(y.std()) - 1) < 0.02
    ya, xa = to_numpy(y), to_numpy(x)
    a = 1 / math.sqrt((1.7580993408473766**2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(ya, -1.7580993408473766 * a + 1.7580993408473766 * a * 0.2)
    kept = np.isclose(ya, xa * a + 1.7580993408473766 * a * 0.2)
    assert (dropped | kept).all()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_embedding_max_norm_renormalises_like_torch(norm_type, device):
    w0 = seeded_rng("emb").standard_normal((6, 3)) * 2
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    res = {}
    for T in (mytorch, torch):
        dev = device if T is mytorch else "cpu"
        w = T.tensor(w0, device=dev, requires_grad=True)
        i = T.tensor(idx, device=dev)
        out = T.nn.functional.embedding(i, w, max_norm=1.5, norm_type=norm_type)
        (g,) = T.autograd.grad((out * T.tensor(w0[idx], device=dev)).sum(), w)
        res[T.__name__] = out, w.detach(), g
    for a, b in zip(res["mytorch"], res["torch"]):
        assert_matches(a, b)
