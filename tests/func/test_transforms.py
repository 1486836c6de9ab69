"""mytorch.func's autograd transforms against torch.func: grad, grad_and_value (argnums,
has_aux), vjp, jvp, linearize, jacrev, jacfwd, hessian, per-sample gradients of a small MLP
(vmap over grad, same weights in both libraries), functional_call, stack_module_state, and
autograd.functional's vectorized Jacobian and Hessian (one batched backward pass)."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like, seeded_rng

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _arr(*shape, key="x", dtype=np.float64):
    return seeded_rng(key, *shape).standard_normal(shape).astype(dtype)


def _both(*arrays):
    return [mytorch.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _cmp(got, want):
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            _cmp(g, w)
    elif isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            _cmp(got[k], want[k])
    elif isinstance(want, torch.Tensor):
        assert_matches(got, want)
        assert got.requires_grad == want.requires_grad
    else:
        assert got == want


def _f(L):
    return lambda x, y: (x.sin() * y).sum() + (x * x).sum() * y.exp().sum()


def _vec(L):
    return lambda x, y: (x.tanh() * y[:3], (x * y[1:]).sum())


def _run(make, *arrays):
    ms, ts = _both(*arrays)
    _cmp(make(mytorch)(*ms), make(torch)(*ts))


X, Y = _arr(3), _arr(4, key="y")[:3]


def test_grad_and_argnums():
    _run(lambda L: L.func.grad(_f(L)), X, Y)
    _run(lambda L: L.func.grad(_f(L), argnums=1), X, Y)
    _run(lambda L: L.func.grad(_f(L), argnums=(0, 1)), X, Y)
    _run(lambda L: L.func.grad_and_value(_f(L), argnums=(1,)), X, Y)


def test_has_aux():
    def make(L):
        return L.func.grad(lambda x: ((x * x).sum(), {"aux": x.cos()}), has_aux=True)

    _run(make, X)
    _run(lambda L: L.func.grad_and_value(lambda x: ((x * x).sum(), x * 2), has_aux=True), X)


def test_grad_of_grad():
    _run(lambda L: L.func.grad(lambda x: L.func.grad(lambda z: (z.sin() * z).sum())(x).sum()), X)


def test_grad_errors():
    raises_like(lambda L: L.func.grad(lambda x: x)(L.ones(2)), ("scalar",))
    raises_like(lambda L: L.func.grad(lambda x: 3)(L.ones(2)), ("return a Tensor",))
    raises_like(lambda L: L.func.grad(lambda x: x.sum(), has_aux=True)(L.ones(2)))


def test_vjp():
    def make(L):
        def go(x, y):
            out, fn = L.func.vjp(_vec(L), x, y)
            return out, fn((L.ones_like(out[0]), L.tensor(2.0, dtype=out[1].dtype)))

        return go

    _run(make, X, _arr(4, key="y"))

    def aux(L):
        def go(x):
            out, fn, a = L.func.vjp(lambda z: (z.exp(), z.sum()), x, has_aux=True)
            return out, fn(L.ones_like(out)), a

        return go

    _run(aux, X)


def test_jvp_and_linearize():
    _run(lambda L: lambda x, t: L.func.jvp(lambda z: (z.sin() * z, z.sum()), (x,), (t,)), X, Y)

    def lin(L):
        def go(x, t):
            out, fn = L.func.linearize(lambda z: z.exp() * z, x)
            return out, fn(t)

        return go

    _run(lin, X, Y)


@pytest.mark.parametrize("how", ["jacrev", "jacfwd"])
def test_jacobians(how):
    W = _arr(5, 3, key="W")
    _run(lambda L: getattr(L.func, how)(lambda x: L.tanh(L.tensor(W) @ x)), X)
    _run(lambda L: getattr(L.func, how)(_vec(L), argnums=(0, 1)), X, _arr(4, key="y"))
    _run(lambda L: getattr(L.func, how)(lambda x: x.sin().reshape(3, 1) * x), X)


def test_jacrev_chunks_and_vmap_of_jacrev():
    _run(lambda L: L.func.jacrev(lambda x: x.sin() * x.sum(), chunk_size=2), X)
    _run(lambda L: L.func.vmap(L.func.jacrev(lambda x: x.sin() * x.sum())), _arr(4, 3))


def test_hessian():
    _run(lambda L: L.func.hessian(lambda x: (x.sin() * x).sum() * x.exp().sum()), X)
    _run(lambda L: L.func.hessian(_f(L), argnums=1), X, Y)


# --- per-sample gradients ----------------------------------------------------------------------
def _mlp(L, seed="mlp"):
    rng = seeded_rng(seed)
    model = L.nn.Sequential(L.nn.Linear(8, 16), L.nn.Tanh(), L.nn.Linear(16, 4))
    with L.no_grad():
        for p in model.parameters():
            p.copy_(L.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    return model


def _per_sample(L, dims=(None, 0, 0)):
    model = _mlp(L)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p, x, t):
        out = L.func.functional_call(model, p, (x.unsqueeze(0),))
        return L.nn.functional.cross_entropy(out, t.unsqueeze(0))

    x = L.tensor(_arr(64, 8, key="data", dtype=np.float32))
    t = L.tensor(seeded_rng("t").integers(0, 4, 64))
    return L.func.vmap(L.func.grad(loss), in_dims=dims)(params, x, t)


def test_per_sample_gradients_of_an_mlp():
    got, want = _per_sample(mytorch), _per_sample(torch)
    assert set(got) == set(want)
    for k in want:
        assert tuple(got[k].shape) == (64,) + tuple(want[k].shape[1:])
        assert_matches(got[k], want[k], rtol=1e-4, atol=1e-6)


def test_per_sample_gradients_sum_to_the_batch_gradient():
    g = _per_sample(mytorch)
    model = _mlp(mytorch)
    x = mytorch.tensor(_arr(64, 8, key="data", dtype=np.float32))
    t = mytorch.tensor(seeded_rng("t").integers(0, 4, 64))
    mytorch.nn.functional.cross_entropy(model(x), t, reduction="sum").backward()
    for k, p in model.named_parameters():
        np.testing.assert_allclose(g[k].sum(0).numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_stack_module_state_and_ensembles():
    def go(L):
        models = [_mlp(L, f"m{i}") for i in range(3)]
        params, buffers = L.func.stack_module_state(models)
        base = _mlp(L, "base")

        def call(p, b, x):
            return L.func.functional_call(base, (p, b), (x,))

        x = L.tensor(_arr(5, 8, key="ens", dtype=np.float32))
        return params, L.func.vmap(call, in_dims=(0, 0, None))(params, buffers, x)

    (mp, mo), (tp, to) = go(mytorch), go(torch)
    for k in tp:
        assert_matches(mp[k], tp[k])
        assert mp[k].requires_grad == tp[k].requires_grad and mp[k].is_leaf
    assert_matches(mo, to, rtol=1e-5, atol=1e-6)


# --- autograd.functional, vectorized --------------------------------------------------------------
def test_functional_jacobian_vectorize_runs_one_backward(monkeypatch):
    from mytorch.autograd import functional

    calls = []
    real = functional._grad

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(functional, "_grad", counting)
    W = _arr(6, 6, key="J")

    def jac(L, vec):
        return L.autograd.functional.jacobian(
            lambda x: L.tanh(L.tensor(W) @ x) * x, L.tensor(X.repeat(2)), vectorize=vec
        )

    assert_matches(jac(mytorch, True), jac(torch, True))
    n_vec = len(calls)
    calls.clear()
    jac(mytorch, False)
    assert n_vec < len(calls)


def test_functional_vectorized_multi_and_hessian():
    def jac(L):
        args = tuple(_both(X, _arr(4, key="y"))[L is torch])
        return L.autograd.functional.jacobian(_vec(L), args, vectorize=True)

    _cmp(jac(mytorch), jac(torch))

    def hes(L):
        x = L.tensor(X)
        return L.autograd.functional.hessian(lambda z: (z.sin() * z).sum(), x, vectorize=True)

    _cmp(hes(mytorch), hes(torch))


@pytest.mark.parametrize("xs", [(4, 1, 3), (1, 1, 3), (2, 4, 1, 3)])
def test_matmul_gradient_of_single_row_batches(xs):
    """matmul's VJP takes one-row batches (vmap's per-sample gradients) as outer products."""
    x, y = _arr(*xs, key="mx"), _arr(4, 3, 5, key="my")

    def go(L):
        a, b = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
        ga, gb = L.autograd.grad((a @ b).sin().sum(), (a, b), create_graph=True)
        return ga, gb, L.autograd.grad((gb * gb).sum(), a)[0]

    (ma, mb, mh), (ta, tb, th) = go(mytorch), go(torch)
    assert_matches(ma, ta.detach())
    assert_matches(mb, tb.detach())
    assert_matches(mh, th)


def test_jvp_of_vmap_and_vmap_inside_dual_level():
    _run(lambda L: lambda x, t: L.func.jvp(L.func.vmap(lambda z: z.sin() * z.sum()), (x,), (t,)),
         _arr(3, 4), _arr(3, 4, key="t"))  # fmt: skip


def test_compositions():
    f = lambda L: lambda x: (x.sin() * x.sum()).tanh()  # noqa: E731
    s = lambda L: lambda x: (x.sin() * x).sum() * x.exp().sum()  # noqa: E731
    xs = _arr(4, 3)
    _run(lambda L: L.func.vmap(L.func.jacfwd(f(L))), xs)
    _run(lambda L: L.func.vmap(L.func.hessian(s(L))), xs)
    _run(lambda L: L.func.grad(lambda x: L.func.vmap(f(L))(x).sum()), xs)
    _run(lambda L: L.func.vmap(L.func.vmap(L.func.grad(s(L)))), _arr(2, 4, 3))
    _run(lambda L: L.func.jacrev(L.func.jacrev(f(L))), X)


def test_results_require_grad_only_with_an_outer_graph():
    def go(L):
        x = L.tensor(X, requires_grad=True)
        g = L.func.grad(lambda z: (z.sin() * z).sum())(x)
        return g, L.autograd.grad(g.sum(), x, create_graph=False)[0]

    _run(lambda L: lambda: go(L))


def test_functional_forward_mode_jacobian_runs_forward_once():
    calls = []

    def jac(L):
        W = L.tensor(_arr(5, 3, key="fw"))

        def f(x, y):
            calls.append(1)
            return (L.tanh(W @ x) * y.sum(), (x * x).sum())

        args = tuple(_both(X, _arr(2, key="y2"))[L is torch])
        return L.autograd.functional.jacobian(f, args, vectorize=True, strategy="forward-mode")

    got = jac(mytorch)
    assert len(calls) == 1
    _cmp(got, jac(torch))


@pytest.mark.parametrize("how", ["jacrev", "jacfwd"])
def test_jacobians_with_aux(how):
    _run(lambda L: getattr(L.func, how)(lambda z: (z.sin() * 2, {"c": z.cos().sum(), "d": z * 3}),
                                        has_aux=True), X)  # fmt: skip
