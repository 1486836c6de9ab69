"""The Optimizer base against torch: state_dict in both directions, LBFGS, hooks, repr,
param groups and the error classes."""

import numpy as np
import pytest
from helpers import to_numpy

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


def _to(lib, value):
    """A state dict's value converted tensor by tensor through NumPy into lib."""
    if isinstance(value, (torch.Tensor, mytorch.Tensor)):
        return lib.tensor(to_numpy(value), dtype=getattr(lib, str(value.dtype).split(".")[-1]))
    if isinstance(value, dict):
        return {k: _to(lib, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to(lib, v) for v in value]
    return value


def _pair(name, kw, rng):
    arrays = [rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal(4)]
    arrays[1] = arrays[1].astype("float32")
    out = []
    for lib in (mytorch, torch):
        ps = [lib.tensor(a, requires_grad=True) for a in arrays]
        out.append((ps, getattr(lib.optim, name)(ps, **kw)))
    return arrays, out


def _steps(ps, opt, lib, grads):
    for g in grads:
        for p, a in zip(ps, g):
            p.grad = lib.tensor(a)
        opt.step()


@pytest.mark.parametrize(
    "name,kw",
    [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
     ("AdamW", dict(lr=0.01)), ("NAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.01)),
     ("Rprop", dict(lr=0.01)), ("Adagrad", dict(lr=0.1))],
)  # fmt: skip
def test_state_dict_round_trips_through_torch(name, kw):
    rng = np.random.default_rng(3)
    arrays, ((pm, om), (pt, ot)) = _pair(name, kw, rng)
    grads = [[rng.standard_normal(a.shape).astype("float32") for a in arrays] for _ in range(6)]
    _steps(pt, ot, torch, grads[:3])
    # torch -> mytorch: the state loads and the next steps agree.
    for p, t in zip(pm, pt):
        with mytorch.no_grad():
            p.copy_(mytorch.tensor(to_numpy(t)))
    om.load_state_dict(_to(mytorch, ot.state_dict()))
    assert om.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    _steps(pm, om, mytorch, grads[3:])
    # mytorch -> torch: a fresh torch optimizer takes ours and agrees with the original.
    _steps(pt, ot, torch, grads[3:])
    for a, b in zip(pm, pt):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)
    pt2 = [torch.tensor(to_numpy(p), requires_grad=True) for p in pm]
    ot2 = getattr(torch.optim, name)(pt2, **kw)
    ot2.load_state_dict(_to(torch, om.state_dict()))
    for a, b in zip(pt2, pt):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)
    _steps(pt2, ot2, torch, grads[:1])
    _steps(pt, ot, torch, grads[:1])
    for a, b in zip(pt2, pt):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)
    step_m = om.state_dict()["state"][0].get("step")
    step_t = ot.state_dict()["state"][0].get("step")
    if step_t is not None:
        assert str(step_m.dtype) == str(step_t.dtype) and step_m.shape == step_t.shape


@pytest.mark.parametrize("line_search", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lbfgs_on_rosenbrock_matches_torch(line_search, dtype):
    results = []
    for lib in (mytorch, torch):
        x = lib.tensor(np.array([-1.5, 2.0, 0.5], dtype=dtype), requires_grad=True)
        opt = lib.optim.LBFGS([x], lr=1, max_iter=8, history_size=5,
                              line_search_fn=line_search)  # fmt: skip

        def closure(x=x, opt=opt):
            opt.zero_grad()
            loss = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
            loss.backward()
            return loss

        losses = [float(opt.step(closure)) for _ in range(3)]
        st = opt.state[x]
        results.append((to_numpy(x), losses, st["func_evals"], st["n_iter"]))
    (xm, lm, fm, nm), (xt, lt, ft, nt) = results
    # NOTE: in float32 the iteration amplifies the rounding of the two libraries' reductions
    # (torch's dot and sum are vectorized differently) to about 1e-3 over 24 iterations.
    tol = dict(rtol=3e-2, atol=3e-3) if dtype == "float32" else dict(rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(xm, xt, **tol)
    np.testing.assert_allclose(lm, lt, **tol)
    if dtype == "float64":
        assert (fm, nm) == (ft, nt)


def test_lbfgs_needs_one_group_and_a_closure():
    for lib in (mytorch, torch):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError):
            lib.optim.LBFGS([{"params": [a]}, {"params": [b]}])
        with pytest.raises(TypeError):
            lib.optim.LBFGS([a]).step()


def test_repr_and_defaults_match_torch():
    for name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                 "RAdam", "ASGD", "Rprop", "SparseAdam", "LBFGS"]:  # fmt: skip
        om = getattr(mytorch.optim, name)([mytorch.zeros(2, requires_grad=True)], lr=0.01)
        ot = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.01)
        assert om.defaults == ot.defaults, name
        assert list(om.defaults) == list(ot.defaults), name
        assert repr(om) == repr(ot), name
        assert type(om).__module__ == type(ot).__module__.replace("torch", "mytorch")


def _raises_same(fn):
    got = []
    for lib in (mytorch, torch):
        try:
            fn(lib)
        except Exception as e:
            got.append(type(e))
        else:
            got.append(None)
    assert got[0] is got[1] and got[0] is not None, got


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.optim.SGD([L.zeros(2, requires_grad=True)], lr=-1),
        lambda L: L.optim.Adam([L.zeros(2, requires_grad=True)], betas=(1.0, 0.9)),
        lambda L: L.optim.Adam([L.zeros(2, requires_grad=True)], eps=-1),
        lambda L: L.optim.SGD([L.zeros(2, requires_grad=True)], lr=0.1, nesterov=True),
        lambda L: L.optim.SGD(L.zeros(2, requires_grad=True), lr=0.1),
        lambda L: L.optim.SGD([], lr=0.1),
        lambda L: L.optim.SGD([1.0], lr=0.1),
        lambda L: L.optim.SGD([{"params": {L.zeros(2, requires_grad=True)}}], lr=0.1),
        lambda L: L.optim.SGD([L.zeros(2, requires_grad=True) * 2], lr=0.1),
        lambda L: L.optim.Rprop([L.zeros(2, requires_grad=True)], etas=(1.5, 2.0)),
        lambda L: L.optim.Adagrad([L.zeros(2, requires_grad=True)], lr_decay=-1),
        lambda L: L.optim.SparseAdam([L.zeros(2, requires_grad=True)], lr=0),
    ],
)
def test_errors_match_torch(make):
    _raises_same(make)


def test_duplicate_params_across_groups_raise():
    def make(L):
        p = L.zeros(2, requires_grad=True)
        opt = L.optim.SGD([p], lr=0.1)
        opt.add_param_group({"params": [p]})

    _raises_same(make)


def test_sparse_adam_rejects_dense_gradients():
    def make(L):
        p = L.zeros(2, requires_grad=True)
        opt = L.optim.SparseAdam([p])
        p.grad = L.ones(2)
        opt.step()

    _raises_same(make)


def test_groups_hooks_and_zero_grad():
    a = mytorch.zeros(2, requires_grad=True)
    b = mytorch.zeros(3, requires_grad=True)
    opt = mytorch.optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    a.grad, b.grad = mytorch.ones(2), mytorch.ones(3)
    opt.step()
    np.testing.assert_allclose(to_numpy(a.detach()), [-0.1, -0.1])
    np.testing.assert_allclose(to_numpy(b.detach()), [-1.0] * 3)
    assert calls == ["pre", "post"]
    h1.remove()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(to_numpy(a.grad), [0.0, 0.0])
    opt.step()
    assert calls == ["pre", "post", "post"]
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1] and set(sd["state"]) == {0, 1}


def test_subclass_as_in_the_tutorials():
    class PlainSGD(mytorch.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @mytorch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.state[p]["n"] = self.state[p].get("n", 0) + 1
                        p.add_(p.grad, alpha=-group["lr"])

    p = mytorch.ones(2, requires_grad=True)
    opt = PlainSGD([p])
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(1))
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(to_numpy(p.detach()), [0.8, 0.8])
    assert opt.state_dict()["state"] == {0: {"n": 1}} and seen == [1]
