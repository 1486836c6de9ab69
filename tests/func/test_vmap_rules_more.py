"""The batching rules of mytorch.func._rules_more against torch.func.vmap, each checked not to
fall back to the per-example loop: windows (Tensor.unfold, F.unfold/F.fold), convolutions with
batched weights and per-example weight gradients, max pooling, RNN cells and layers, LDL,
index_put, and the ops of data-dependent shape, which raise as torch's vmap does."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like
from test_vmap import _arr, _both, _check, _no_fallback

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _f(L):
    return L.nn.functional


CASES = {
    "unfold": (lambda L: lambda x: x.unfold(1, 2, 2), [(4, 3, 5)], None),
    "unfold_last": (lambda L: lambda x: x.unfold(-1, 3, 1) * 2, [(4, 3, 5)], None),
    "im2col": (
        lambda L: lambda x: _f(L).unfold(x, 2, padding=1, stride=2),
        [(3, 2, 3, 5, 4)],
        None,
    ),  # fmt: skip
    "col2im": (lambda L: lambda c: _f(L).fold(c, (4, 5), 2, padding=1), [(3, 2, 8, 30)], None),
    "conv_w_batched": (
        lambda L: lambda x, w: _f(L).conv2d(x, w, padding=1),
        [(3, 2, 4, 5, 5), (3, 6, 4, 3, 3)],
        None,
    ),  # fmt: skip
    "conv_w_only": (
        lambda L: lambda x, w: _f(L).conv1d(x, w, stride=2),
        [(2, 4, 9), (3, 5, 4, 3)],
        (None, 0),
    ),  # fmt: skip
    "conv_w_only_groups": (
        lambda L: lambda x, w: _f(L).conv1d(x, w, groups=2),
        [(2, 4, 9), (3, 6, 2, 3)],
        (None, 0),
    ),  # fmt: skip
    "conv_groups_both": (
        lambda L: lambda x, w: _f(L).conv2d(x, w, groups=2, dilation=2),
        [(3, 2, 4, 7, 7), (3, 6, 2, 2, 2)],
        None,
    ),  # fmt: skip
    "conv_transpose_w": (
        lambda L: lambda x, w: _f(L).conv_transpose2d(x, w, stride=2),
        [(3, 2, 4, 3, 3), (3, 4, 5, 2, 2)],
        None,
    ),  # fmt: skip
    "max_pool": (lambda L: lambda x: _f(L).max_pool2d(x, 2, stride=1), [(3, 2, 4, 5)], None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rules_match_torch(name, monkeypatch):
    fn, shapes, in_dims = CASES[name]
    arrays = [_arr(*s, key=f"{name}{i}") for i, s in enumerate(shapes)]
    _no_fallback(monkeypatch)
    _check(fn, arrays, **({} if in_dims is None else {"in_dims": in_dims}))


def _grads(L, wrt):
    def loss(w, x):
        return _f(L).conv2d(x, w, padding=1, groups=2).square().sum()

    return L.func.grad(loss, argnums=wrt)


@pytest.mark.parametrize("in_dims", [(None, 0), (0, 0), (0, None)])
@pytest.mark.parametrize("wrt", [0, 1])
def test_convolution_gradients_through_vmap(in_dims, wrt, monkeypatch):
    """Per-example weight and input gradients (conv_weight_grad, conv_input_grad batched)."""
    w = _arr(3, 4, 1, 3, 3, key="w") if in_dims[0] == 0 else _arr(4, 1, 3, 3, key="w")
    x = _arr(3, 2, 2, 5, 5, key="x") if in_dims[1] == 0 else _arr(2, 2, 5, 5, key="x")
    _no_fallback(monkeypatch)
    _check(lambda L: _grads(L, wrt), [w, x], in_dims=in_dims)


def test_max_pool_gradient_through_vmap(monkeypatch):
    _no_fallback(monkeypatch)
    _check(lambda L: L.func.grad(lambda x: _f(L).max_pool2d(x, 2).square().sum()),
           [_arr(3, 2, 4, 6)])  # fmt: skip


SOFTMAX_CASES = {
    "softmax": lambda L: lambda x: _f(L).softmax(x, -1),
    "log_softmax_dim0": lambda L: lambda x: _f(L).log_softmax(x, 0),
    "grad_log_softmax": lambda L: L.func.grad(lambda x: (_f(L).log_softmax(x, 1) * x).sum()),
    "grad_softmax": lambda L: L.func.grad(lambda x: _f(L).softmax(x, 0).square().sum()),
    "hessian_log_softmax": lambda L: L.func.hessian(lambda x: _f(L).log_softmax(x, 0)[0]),
}


@pytest.mark.parametrize("name", sorted(SOFTMAX_CASES))
def test_softmax_primitives_by_rule(name, monkeypatch):
    """softmax/log_softmax and their backward primitives batched by rule, to second order."""
    shape = (3, 4) if name == "hessian_log_softmax" else (3, 4, 5)
    _no_fallback(monkeypatch)
    _check(SOFTMAX_CASES[name], [_arr(*shape, key=name)])


def test_softmax_of_0d_examples_by_rule(monkeypatch):
    _no_fallback(monkeypatch)
    _check(lambda L: lambda x: _f(L).softmax(x, 0) + _f(L).log_softmax(x, -1), [_arr(4)])
    _check(lambda L: L.func.grad(lambda x: _f(L).log_softmax(x * x, 0)), [_arr(4)])


def _modules(L, kind):
    L.manual_seed(0)
    if kind == "lstm_cell":
        return L.nn.LSTMCell(3, 4, dtype=L.float64)
    if kind == "gru_cell":
        return L.nn.GRUCell(3, 4, dtype=L.float64)
    return L.nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=L.float64)


@pytest.mark.parametrize("kind", ["lstm_cell", "gru_cell", "lstm"])
def test_rnn_over_a_batch_of_sequences(kind, monkeypatch):
    mod, tmod = _modules(mytorch, kind), _modules(torch, kind)
    with torch.no_grad():
        for (_, p), (_, q) in zip(mod.named_parameters(), tmod.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))
    shape = (4, 2, 3) if kind != "lstm" else (4, 5, 2, 3)
    x = _arr(*shape, key=kind, dtype=np.float64)
    (mx,), (tx,) = _both(x)

    def first(m):
        def run(a):
            out = m(a)
            return out[0] if isinstance(out, tuple) else out

        return run

    _no_fallback(monkeypatch)
    # torch's vmap has no rule for lstm_cell and lstm: its result per example, stacked
    want = torch.stack([first(tmod)(t) for t in tx])
    assert_matches(mytorch.func.vmap(first(mod))(mx), want)
    h0 = _arr(4, 2, 4, key="h0", dtype=np.float64)
    (mh,), (th,) = _both(h0)
    if kind == "gru_cell":  # the hidden state batched too
        assert_matches(mytorch.func.vmap(mod)(mx, mh), torch.func.vmap(tmod)(tx, th))
    if kind == "lstm_cell":
        got = mytorch.func.vmap(lambda a, h: mod(a, (h, h))[1])(mx, mh)
        assert_matches(got, torch.stack([tmod(a, (h, h))[1] for a, h in zip(tx, th)]))


def test_ldl_factor_and_solve(monkeypatch):
    a = _arr(4, 3, 3, key="ldl", dtype=np.float64)
    a = a + np.swapaxes(a, -1, -2)
    b = _arr(4, 3, 2, key="b", dtype=np.float64)
    _no_fallback(monkeypatch)
    _check(lambda L: lambda m: tuple(L.linalg.ldl_factor_ex(m)), [a])
    _check(lambda L: lambda m, r: L.linalg.ldl_solve(*L.linalg.ldl_factor_ex(m)[:2], r), [a, b])
    _check(lambda L: lambda m, r: L.linalg.ldl_solve(*L.linalg.ldl_factor_ex(m)[:2], r),
           [a[0], b], in_dims=(None, 0))  # fmt: skip


def test_ldl_factor_checks_every_example(monkeypatch):
    a = _arr(3, 4, 4, key="ldl4", dtype=np.float64)
    a = a + np.swapaxes(a, -1, -2)
    _no_fallback(monkeypatch)
    _check(lambda L: lambda m: tuple(L.linalg.ldl_factor(m)), [a])
    _check(lambda L: lambda m: tuple(L.linalg.ldl_factor(m, hermitian=True)), [a])
    _check(lambda L: lambda m: tuple(L.linalg.ldl_factor_ex(m, check_errors=True)), [a])
    a[1] = 0  # a singular example: LAPACK's code 1
    _check(lambda L: lambda m: tuple(L.linalg.ldl_factor_ex(m)), [a])
    for name in ("ldl_factor", "ldl_factor_ex"):
        f = lambda L: lambda m: getattr(L.linalg, name)(m, check_errors=True)  # noqa: E731
        if name == "ldl_factor":
            f = lambda L: L.linalg.ldl_factor  # noqa: E731
        msg = f"torch.linalg.{name}: Unknown error code: 1."
        raises_like(lambda L: L.func.vmap(f(L))(L.tensor(a)), (msg,), exc=RuntimeError)


def test_index_put(monkeypatch):
    x, v = _arr(4, 5, 3), _arr(4, 2, 3, key="v")
    idx = np.array([[0, 4], [1, 2], [3, 3], [2, 0]])
    (mx, mv, mi), (tx, tv, ti) = _both(x, v, idx)
    _no_fallback(monkeypatch)
    for fn in (
        lambda L, i: lambda a, b: a.index_put((i[0],), b),
        lambda L, i: lambda a, b: a.index_put((i[1],), b[0, 0], accumulate=True),
    ):
        assert_matches(mytorch.func.vmap(fn(mytorch, mi))(mx, mv),
                       torch.func.vmap(fn(torch, ti))(tx, tv))  # fmt: skip
    f = lambda L: lambda a, i, b: a.index_put((i,), b)  # noqa: E731
    assert_matches(mytorch.func.vmap(f(mytorch))(mx, mi, mv), torch.func.vmap(f(torch))(tx, ti, tv))
    assert_matches(mytorch.func.vmap(f(mytorch), in_dims=(None, 0, 0))(mx[0], mi, mv),
                   torch.func.vmap(f(torch), in_dims=(None, 0, 0))(tx[0], ti, tv))  # fmt: skip
    g = lambda L: L.func.grad(lambda b, a: a.index_put((a[:, 0] > 0,), b[0]).sum())  # noqa: E731
    assert_matches(g(mytorch)(mv[0], mx[0]), g(torch)(tv[0], tx[0]))


@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.func.vmap(L.nonzero)(L.tensor([[1.0, 0.0], [0.0, 2.0]])),
        lambda L: L.func.vmap(L.unique)(L.tensor([[1.0, 1.0], [0.0, 2.0]])),
        lambda L: L.func.vmap(lambda a: L.unique(a, dim=0))(L.ones(2, 3, 2)),
        lambda L: L.func.vmap(L.unique_consecutive)(L.tensor([[1.0, 1.0], [0.0, 2.0]])),
    ],
)
def test_dynamic_shapes_raise_as_torch(case):
    m, t = raises_like(case, ("dynamic shape",))
    assert m == t


ZERO_D = {
    "cumsum": lambda L: lambda x: x.cumsum(0),
    "cumprod": lambda L: lambda x: x.cumprod(-1),
    "logcumsumexp": lambda L: lambda x: x.logcumsumexp(0),
    "sort": lambda L: lambda x: tuple(x.sort(-1)),
    "max": lambda L: lambda x: tuple(x.max(0)),
    "cummax": lambda L: lambda x: tuple(L.cummax(x, 0)),
    "median": lambda L: lambda x: tuple(x.median(0)),
    "mode": lambda L: lambda x: tuple(x.mode(0)),
    "argmax": lambda L: lambda x: x.argmax(0),
    "topk": lambda L: lambda x: tuple(x.topk(1)),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_along_dim_0_of_0d_examples(name, monkeypatch):
    _no_fallback(monkeypatch)
    _check(ZERO_D[name], [_arr(3, key=name)])
