"""Attention against torch: F.scaled_dot_product_attention (masks of each kind, causal, scale,
grouped-query heads, dropout's edge cases, fully masked rows, errors), and nn.MultiheadAttention
/ F.multi_head_attention_forward (same weights: outputs, weights, first and second
derivatives, masks, unbatched inputs, state_dict, repr, errors)."""

import copy
import warnings

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import TOL, raises_like, seeded_rng, to_numpy, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch


def _sdpa(**kw):
    def f(T, q, k, v, *mask):
        m = {"attn_mask": mask[0]} if mask else {}
        return T.nn.functional.scaled_dot_product_attention(q, k, v, **m, **kw)

    return f


def _qkv(rng, q=(2, 3, 4, 6), k=(2, 3, 5, 6), v=(2, 3, 5, 7)):
    return [rng.standard_normal(s) for s in (q, k, v)]


@pytest.mark.parametrize(
    "kw", [{}, {"scale": 0.3}, {"is_causal": True}, {"scale": 2.0, "is_causal": True}], ids=str
)
def test_sdpa_plain(kw, dtype_name, device):
    rng = seeded_rng("sdpa", str(kw))
    check_fn(_sdpa(**kw), _qkv(rng), dtype_name, device)


@pytest.mark.parametrize(
    "shapes",
    [
        ((4, 6), (5, 6), (5, 3)),
        ((3, 4, 6), (3, 5, 6), (3, 5, 3)),
        ((2, 3, 4, 6), (1, 5, 6), (5, 6)),
    ],
    ids=["2d", "3d", "broadcast"],
)
def test_sdpa_shapes(shapes, device):
    rng = seeded_rng("sdpa-shapes", str(shapes))
    check_fn(_sdpa(), [rng.standard_normal(s) for s in shapes], "float64", device)


@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 1, 5), (2, 1, 4, 5), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_masks(mask_shape, kind, dtype_name, device):
    rng = seeded_rng("sdpa-mask", mask_shape, kind)
    keep = rng.random(mask_shape) < 0.7
    keep[..., 0] = True  # no row shut entirely here (see test_sdpa_fully_masked_rows)
    if kind == "bool":
        mask = keep
        grad = (0, 1, 2)
    else:
        mask = np.where(keep, rng.standard_normal(mask_shape), -np.inf).astype(dtype_name)
        grad = (0, 1, 2)
    check_fn(_sdpa(), _qkv(rng) + [mask], dtype_name, device, grad=grad)


def test_sdpa_float_mask_gradient(device):
    """A float mask is added to the scores: its gradient is theirs."""
    rng = seeded_rng("sdpa-mask-grad")
    check_fn(_sdpa(), _qkv(rng) + [rng.standard_normal((4, 5))], "float64", device)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows(kind, dtype_name, device):
    """torch's CPU kernels give zeros (and zero gradients) where a row takes no key."""
    rng = seeded_rng("sdpa-dead", kind)
    keep = rng.random((2, 1, 4, 5)) < 0.6
    keep[..., 0] = True
    keep[0, 0, 1] = False
    keep[1, 0, 3] = False
    mask = keep if kind == "bool" else np.where(keep, 0.0, -np.inf).astype(dtype_name)
    check_fn(_sdpa(), _qkv(rng) + [mask], dtype_name, device, grad=(0, 1, 2), second=False)
    q, k, v = (mytorch.tensor(a, device=device, requires_grad=True) for a in _qkv(rng))
    out = mytorch.nn.functional.scaled_dot_product_attention(
        q, k, v, mytorch.tensor(mask, device=device)
    )
    assert not np.isnan(to_numpy(out)).any()
    (g,) = mytorch.autograd.grad(out.sum(), [q])
    assert (to_numpy(g)[0, :, 1] == 0).all() and not np.isnan(to_numpy(g)).any()


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_causal_and_mask(kind, device):
    rng = seeded_rng("sdpa-causal-mask", kind)
    keep = rng.random((2, 1, 4, 5)) < 0.6
    keep[..., 0] = True
    keep[1, 0, 2, :3] = False  # with the causal mask: a shut row
    mask = keep if kind == "bool" else np.where(keep, rng.standard_normal(keep.shape), -np.inf)
    qkv = _qkv(rng, v=(2, 3, 5, 6))
    # NOTE: torch's kernel for equal head sizes has no second derivative
    check_fn(_sdpa(is_causal=True), qkv + [mask], "float64", device, grad=(0, 1, 2), second=False)


@pytest.mark.parametrize("kv_heads", [(1, 1), (1, 3), (3, 1)], ids=str)
def test_sdpa_gqa(kv_heads, device):
    rng = seeded_rng("sdpa-gqa", kv_heads)
    shapes = ((2, 3, 4, 6), (2, kv_heads[0], 5, 6), (2, kv_heads[1], 5, 4))
    check_fn(_sdpa(enable_gqa=True), [rng.standard_normal(s) for s in shapes], "float64", device)


def test_sdpa_dropout(device):
    rng = seeded_rng("sdpa-drop")
    q, k, v = (mytorch.tensor(a, device=device) for a in _qkv(rng, v=(2, 3, 5, 7)))
    F = mytorch.nn.functional
    # p = 1 drops every weight; p = 0 is the plain result
    assert (to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)) == 0).all()
    np.testing.assert_array_equal(
        to_numpy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)),
        to_numpy(F.scaled_dot_product_attention(q, k, v)),
    )
    # in between: the weights kept are scaled by 1 / (1 - p), so the mean is kept; with value
    # the identity, the result is the weights themselves
    L = 200
    qq = mytorch.zeros(1, L, 4, device=device)
    kk = mytorch.zeros(1, L, 4, device=device)
    vv = mytorch.eye(L, device=device).unsqueeze(0)
    mytorch.manual_seed(0)
    w = to_numpy(F.scaled_dot_product_attention(qq, kk, vv, dropout_p=0.25))
    kept = w != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(w[kept], 1.0 / L / 0.75, rtol=1e-5)
    mytorch.manual_seed(0)
    w2 = to_numpy(F.scaled_dot_product_attention(qq, kk, vv, dropout_p=0.25))
    np.testing.assert_array_equal(w, w2)  # mytorch's generator draws the mask


@pytest.mark.parametrize(
    "case",
    [
        "causal_and_mask", "1d_query", "dtypes", "mask_dtype", "mask_shape", "gqa_heads",
        "dropout_p", "int_query",
    ],
)  # fmt: skip
def test_sdpa_errors(case):
    rng = seeded_rng("sdpa-err", case)
    # NOTE: value's head size differs: torch then refuses is_causal with a mask (as its docs
    # say; where the sizes agree it applies both, see test_sdpa_causal_and_mask)
    q, k, v = (a.astype("float32") for a in _qkv(rng, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)))

    def call(T):
        F = T.nn.functional
        Q, K, V = (T.tensor(a) for a in (q, k, v))
        if case == "causal_and_mask":
            F.scaled_dot_product_attention(Q, K, V, T.ones(4, 5, dtype=T.bool), is_causal=True)
        elif case == "1d_query":
            F.scaled_dot_product_attention(Q[0, 0, 0], K[0, 0], V[0, 0])
        elif case == "dtypes":
            F.scaled_dot_product_attention(Q, K.double(), V)
        elif case == "mask_dtype":
            F.scaled_dot_product_attention(Q, K, V, T.zeros(4, 5, dtype=T.float64))
        elif case == "mask_shape":
            F.scaled_dot_product_attention(Q, K, V, T.ones(4, 6, dtype=T.bool))
        elif case == "gqa_heads":
            F.scaled_dot_product_attention(Q, K[:, :2], V[:, :2], enable_gqa=True)
        elif case == "dropout_p":
            F.scaled_dot_product_attention(Q, K, V, dropout_p=1.5)
        elif case == "int_query":
            F.scaled_dot_product_attention(Q.long(), K.long(), V.long())

    raises_like(call)


# --- MultiheadAttention ------------------------------------------------------------------------
def _mha(**kw):
    def make(T):
        T.manual_seed(0)
        return T.nn.MultiheadAttention(**kw)

    return make


class _Call:
    """A MultiheadAttention called with ``n`` distinct inputs (1: self-attention) and the
    forward's keyword arguments; masks come as extra inputs, named in ``masks``."""

    def __init__(self, n, masks=(), out=0, **fwd):
        self.n, self.masks, self.out, self.fwd = n, masks, out, fwd

    def wrap(self, make):
        call = self

        def wrapped(T):
            inner = make(T)

            class Wrapper(T.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.mha = inner

                def forward(self, *xs):
                    n = call.n
                    qkv = list(xs[:n]) * (3 if n == 1 else 1)
                    if n == 2:
                        qkv = [xs[0], xs[1], xs[1]]
                    m = dict(zip(call.masks, xs[n:]))
                    out, weights = self.mha(*qkv, **m, **call.fwd)
                    # NOTE: the weights alone leave value and out_proj unused
                    return out if call.out == 0 else weights + out.mean()

            return Wrapper()

        return wrapped


CASES = {
    "self": ({"embed_dim": 8, "num_heads": 2}, _Call(1), [(5, 3, 8)]),
    "self_noweights": ({"embed_dim": 8, "num_heads": 2}, _Call(1, need_weights=False), [(5, 3, 8)]),
    "weights": (
        {"embed_dim": 8, "num_heads": 2},
        _Call(3, out=1),
        [(5, 3, 8), (6, 3, 8), (6, 3, 8)],
    ),
    "weights_per_head": (
        {"embed_dim": 8, "num_heads": 2},
        _Call(3, out=1, average_attn_weights=False),
        [(5, 3, 8), (6, 3, 8), (6, 3, 8)],
    ),
    "kv_same": ({"embed_dim": 8, "num_heads": 4}, _Call(2), [(5, 3, 8), (6, 3, 8)]),
    "batch_first": (
        {"embed_dim": 8, "num_heads": 2, "batch_first": True},
        _Call(3, need_weights=False),
        [(3, 5, 8), (3, 6, 8), (3, 6, 8)],
    ),
    "kdim_vdim_bias_kv_zero": (
        {
            "embed_dim": 8,
            "num_heads": 2,
            "kdim": 3,
            "vdim": 5,
            "add_bias_kv": True,
            "add_zero_attn": True,
        },
        _Call(3),
        [(5, 3, 8), (6, 3, 3), (6, 3, 5)],
    ),  # fmt: skip
    "no_bias": ({"embed_dim": 8, "num_heads": 2, "bias": False}, _Call(1), [(5, 3, 8)]),
    "unbatched": ({"embed_dim": 8, "num_heads": 2}, _Call(3), [(5, 8), (6, 8), (6, 8)]),
    "dropout_zero_train": ({"embed_dim": 6, "num_heads": 3, "dropout": 0.0}, _Call(1), [(4, 2, 6)]),
}


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_mha(case, train, dtype_name, device):
    kw, call, shapes = CASES[case]
    rng = seeded_rng("mha", case)
    inputs = [rng.standard_normal(s) for s in shapes]
    # NOTE: without weights torch runs its flash kernel, which has no second derivative
    second = dtype_name == "float64" and call.fwd.get("need_weights", True)
    check_layer(call.wrap(_mha(**kw)), inputs, dtype_name, device, train=train, second=second)


def _masks(rng, kind, L, S, N, heads):
    kpm = np.zeros((N, S), bool)
    kpm[-1, S // 2 :] = True
    am = rng.random((L, S)) < 0.3
    am[:, 0] = False
    am3 = rng.random((N * heads, L, S)) < 0.3
    am3[..., 0] = False
    if kind == "bool":
        return kpm, am, am3
    return tuple(
        np.where(m, -np.inf, 0.0) + (~m) * rng.standard_normal(m.shape) for m in (kpm, am, am3)
    )


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("which", ["kpm", "attn", "attn3d", "both"])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_mha_masks(kind, which, need_weights, dtype_name, device):
    rng = seeded_rng("mha-mask", kind, which)
    L, S, N, H = 4, 5, 3, 2
    kpm, am, am3 = _masks(rng, kind, L, S, N, H)
    names, masks = {
        "kpm": (("key_padding_mask",), [kpm]),
        "attn": (("attn_mask",), [am]),
        "attn3d": (("attn_mask",), [am3]),
        "both": (("key_padding_mask", "attn_mask"), [kpm, am]),
    }[which]
    masks = [m.astype(dtype_name) if m.dtype.kind == "f" else m for m in masks]
    call = _Call(3, masks=names, need_weights=need_weights)
    inputs = [rng.standard_normal(s) for s in ((L, N, 8), (S, N, 8), (S, N, 8))] + masks
    make = call.wrap(_mha(embed_dim=8, num_heads=H))
    # NOTE: float masks are inputs too (of the function); keep their gradients out of the check
    _check_no_mask_grad(make, inputs, len(names), dtype_name, device, need_weights)


def _check_no_mask_grad(make, inputs, n_masks, dtype_name, device, second=True):
    from nn_check import assert_same_state_dict, compare_derivatives, copy_state

    tm, mm = make(torch), make(mytorch)
    assert_same_state_dict(mm, tm)
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    xt, xm = [], []
    for i, a in enumerate(inputs):
        is_float = a.dtype.kind == "f"
        a = a.astype(dtype_name) if is_float else a
        rg = i < len(inputs) - n_masks
        xt.append(torch.tensor(a, requires_grad=rg))
        xm.append(mytorch.tensor(a, device=device, requires_grad=rg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, om = tm(*xt), mm(*xm)
    np.testing.assert_allclose(to_numpy(om), to_numpy(ot.detach()), **TOL[dtype_name])
    tp = [x for x in xt if x.requires_grad] + list(tm.parameters())
    mp = [x for x in xm if x.requires_grad] + list(mm.parameters())
    compare_derivatives(ot, om, tp, mp, dtype_name, device, second and dtype_name == "float64")


def test_mha_causal(device):
    rng = seeded_rng("mha-causal")
    mask = np.triu(np.full((5, 5), -np.inf), 1)
    for nw in (False, True):
        call = _Call(1, masks=("attn_mask",), need_weights=nw, is_causal=True)
        make = call.wrap(_mha(embed_dim=8, num_heads=2))
        x = rng.standard_normal((5, 3, 8))
        _check_no_mask_grad(make, [x, mask], 1, "float64", device, second=nw)


def test_mha_mismatched_masks_warn():
    rng = seeded_rng("mha-warn")
    x = rng.standard_normal((4, 2, 8)).astype("float32")
    for T in (torch, mytorch):
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(8, 2)
        X = T.tensor(x)
        with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
            m(X, X, X, key_padding_mask=T.zeros(2, 4, dtype=T.bool), attn_mask=T.zeros(4, 4))


def test_mha_fully_masked_rows_need_weights():
    """Without weights, a shut row gives zeros (scaled_dot_product_attention); with weights it
    is NaN, in torch as here."""
    rng = seeded_rng("mha-dead")
    x = rng.standard_normal((4, 2, 8)).astype("float32")
    am = np.zeros((4, 4), bool)
    am[1] = True
    res = {}
    for T in (torch, mytorch):
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(8, 2)
        if T is mytorch:
            m.load_state_dict({k: mytorch.tensor(to_numpy(v)) for k, v in res[torch][2].items()})
        X = T.tensor(x)
        a = m(X, X, X, attn_mask=T.tensor(am), need_weights=False)[0]
        b = m(X, X, X, attn_mask=T.tensor(am))
        res[T] = (to_numpy(a.detach()), [to_numpy(t.detach()) for t in b], m.state_dict())
    np.testing.assert_allclose(res[mytorch][0], res[torch][0], **TOL["float32"])
    for a, b in zip(res[mytorch][1], res[torch][1]):
        np.testing.assert_allclose(a, b, **TOL["float32"])  # NaN where torch has NaN


def test_mha_params_and_init():
    m = mytorch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, mytorch.nn.Linear)
    assert mytorch.nn.modules.activation.MultiheadAttention is mytorch.nn.MultiheadAttention
    assert mytorch.nn.modules.linear.NonDynamicallyQuantizableLinear is type(m.out_proj)
    assert m.in_proj_weight is None and m._qkv_same_embed_dim is False
    m = mytorch.nn.MultiheadAttention(16, 4)
    assert (to_numpy(m.in_proj_bias) == 0).all() and (to_numpy(m.out_proj.bias) == 0).all()
    bound = np.sqrt(6.0 / (16 + 48))  # xavier_uniform_ of (48, 16)
    w = to_numpy(m.in_proj_weight.detach())
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound * 0.9
    assert (m.bias_k, m.bias_v, m.q_proj_weight) == (None, None, None)
    assert m.head_dim == 4 and m.batch_first is False
    c = copy.deepcopy(m)
    np.testing.assert_array_equal(to_numpy(c.in_proj_weight), w)
    assert c.in_proj_weight is not m.in_proj_weight


@pytest.mark.parametrize(
    "case",
    ["zero_heads", "indivisible", "query_4d", "key_2d", "kpm_3d", "attn_2d_shape",
     "attn_3d_shape", "kpm_shape", "int_mask", "causal_no_mask", "attn_4d", "embed"],
)  # fmt: skip
def test_mha_errors(case):
    rng = seeded_rng("mha-err", case)
    x = rng.standard_normal((4, 2, 8)).astype("float32")

    def call(T):
        if case == "zero_heads":
            T.nn.MultiheadAttention(8, 0)
        if case == "indivisible":
            T.nn.MultiheadAttention(8, 3)
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(8, 2)
        X = T.tensor(x)
        if case == "query_4d":
            m(X[None], X[None], X[None])
        elif case == "key_2d":
            m(X, X[0], X[0])
        elif case == "kpm_3d":
            m(X, X, X, key_padding_mask=T.zeros(2, 4, 1, dtype=T.bool))
        elif case == "attn_2d_shape":
            m(X, X, X, attn_mask=T.zeros(4, 3, dtype=T.bool))
        elif case == "attn_3d_shape":
            m(X, X, X, attn_mask=T.zeros(3, 4, 4, dtype=T.bool))
        elif case == "attn_4d":
            m(X, X, X, attn_mask=T.zeros(1, 1, 4, 4, dtype=T.bool))
        elif case == "kpm_shape":
            m(X, X, X, key_padding_mask=T.zeros(2, 3, dtype=T.bool))
        elif case == "int_mask":
            m(X, X, X, attn_mask=T.zeros(4, 4, dtype=T.int64))
        elif case == "causal_no_mask":
            m(X, X, X, is_causal=True)
        elif case == "embed":
            m(X[..., :6], X[..., :6], X[..., :6])

    raises_like(call)
