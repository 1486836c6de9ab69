"""mytorch.optim's optimizers against torch's, step by step: the same parameters and the same
gradient sequence in both libraries, parameters and state compared after every step."""

import numpy as np
import pytest
from helpers import seeded_rng, to_numpy

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch

SHAPES = [(3, 4), (5,), ()]
STEPS = 20
TOLS = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-12)}

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), maximize=True)),
    ("Adam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1, foreach=False)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True, weight_decay=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, t0=5, lambd=0.01, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


def _make(lib, name, kwargs, arrays, device):
    params = [lib.tensor(a, requires_grad=True, device=device) for a in arrays]
    return params, getattr(lib.optim, name)(params, **kwargs)


def _compare_state(so, st, tol, device, name):
    host = {"step", "mu_product"} if name != "ASGD" else set()
    for (i, sm), (j, stt) in zip(sorted(so.items()), sorted(st.items())):
        assert i == j
        assert sorted(sm) == sorted(stt)
        for key in stt:
            vm, vt = sm[key], stt[key]
            if isinstance(vt, torch.Tensor):
                assert isinstance(vm, mytorch.Tensor), key
                assert str(vm.dtype) == str(vt.dtype), key
                want = "cpu" if key in host and vt.device.type == "cpu" else device
                assert vm.device.type == want, key
                np.testing.assert_allclose(to_numpy(vm), to_numpy(vt), **tol, err_msg=key)
            else:
                assert vm == vt, key


def _run(name, kwargs, dtype_name, device, loss=False):
    rng = seeded_rng(name, str(kwargs), dtype_name)
    arrays = [rng.standard_normal(s).astype(dtype_name) for s in SHAPES]
    pm, om = _make(mytorch, name, kwargs, arrays, device)
    pt, ot = _make(torch, name, kwargs, arrays, "cpu")
    weights = [rng.standard_normal(s).astype(dtype_name) for s in SHAPES]
    tol = TOLS[dtype_name]
    for step in range(STEPS):
        if loss:
            for lib, ps, o in ((mytorch, pm, om), (torch, pt, ot)):
                o.zero_grad()
                dev = device if lib is mytorch else "cpu"
                total = sum(
                    ((p * lib.tensor(w, device=dev)) ** 2).sum() + p.sum()
                    for p, w in zip(ps, weights)
                )
                total.backward()
        else:
            grads = [rng.standard_normal(s).astype(dtype_name) for s in SHAPES]
            if step == 3:
                grads[1] = np.zeros_like(grads[1])  # a zero gradient (Rprop's sign 0)
            for p, g in zip(pm, grads):
                p.grad = mytorch.tensor(g, device=device)
            for p, g in zip(pt, grads):
                p.grad = torch.tensor(g)
        om.step()
        ot.step()
        for a, b in zip(pm, pt):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), **tol, err_msg=f"step {step}")
        _compare_state(om.state_dict()["state"], ot.state_dict()["state"], tol, device, name)
    assert om.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    return pm, om


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_steps_match_torch(case, dtype_name, device):
    name, kwargs = case
    _run(name, kwargs, dtype_name, device)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "NAdam", "Rprop"])
def test_steps_from_a_loss_match_torch(name, device):
    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    _run(name, kwargs, "float32", device, loss=True)


def test_step_bumps_versions_and_keeps_views():
    p = mytorch.zeros(4, requires_grad=True)
    v = p[1:3]
    opt = mytorch.optim.SGD([p], lr=1.0)
    p.grad = mytorch.ones(4)
    before = p._version
    opt.step()
    assert p._version == before + 1
    np.testing.assert_array_equal(to_numpy(v.detach()), [-1.0, -1.0])
    assert not p.grad.requires_grad and p.requires_grad and p.grad_fn is None


def test_zero_dim_parameter_is_updated_in_place():
    p = mytorch.tensor(1.0, requires_grad=True)
    alias = p.detach()
    opt = mytorch.optim.Adam([p], lr=0.1)
    p.grad = mytorch.tensor(2.0)
    opt.step()
    assert float(alias) == pytest.approx(0.9)
    assert float(p) == pytest.approx(0.9)


LARGE_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True, weight_decay=0.5)),
]


@pytest.mark.parametrize("case", LARGE_CASES, ids=_ids)
def test_large_parameters_with_non_finite_gradients_match_torch(case, dtype_name):
    """Parameters large enough for the compiled kernels' threaded loops (65536 elements and
    more), an odd size (a vector loop's remainder), inf and NaN in the gradients."""
    name, kwargs = case
    rng = seeded_rng("large", name, str(kwargs), dtype_name)
    shapes = [(301, 250), (7,)]
    arrays = [rng.standard_normal(s).astype(dtype_name) for s in shapes]
    pm, om = _make(mytorch, name, kwargs, arrays, "cpu")
    pt, ot = _make(torch, name, kwargs, arrays, "cpu")
    for step in range(3):
        grads = [rng.standard_normal(s).astype(dtype_name) for s in shapes]
        grads[0][step, :3] = [np.inf, -np.inf, np.nan]
        grads[1][step] = np.nan
        for p, t, g in zip(pm, pt, grads):
            p.grad = mytorch.tensor(g)
            t.grad = torch.tensor(g)
        om.step()
        ot.step()
        for a, b in zip(pm, pt):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), **TOLS[dtype_name])
        _compare_state(om.state_dict()["state"], ot.state_dict()["state"], TOLS[dtype_name],
                       "cpu", name)  # fmt: skip


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_group_with_different_step_counts_and_dtypes_matches_torch(amsgrad):
    """One group whose parameters have different step counts (one has no gradient at first)
    and dtypes: each tensor its own bias corrections in the group's one kernel call."""
    rng = seeded_rng("adam-group", str(amsgrad))
    arrays = [
        rng.standard_normal((40000,)).astype("float32"),
        rng.standard_normal((30001,)).astype("float64"),
        rng.standard_normal((5, 3)).astype("float32"),
    ]
    pm, om = _make(mytorch, "Adam", dict(lr=0.01, amsgrad=amsgrad), arrays, "cpu")
    pt, ot = _make(torch, "Adam", dict(lr=0.01, amsgrad=amsgrad), arrays, "cpu")
    for step in range(4):
        for i, a in enumerate(arrays):
            if i == 1 and step < 2:
                continue  # no gradient: no step for this one
            g = rng.standard_normal(a.shape).astype(a.dtype)
            pm[i].grad, pt[i].grad = mytorch.tensor(g), torch.tensor(g)
        om.step()
        ot.step()
        om.zero_grad()
        ot.zero_grad()
        for a, b in zip(pm, pt):
            np.testing.assert_allclose(to_numpy(a), to_numpy(b), **TOLS[str(b.dtype)[6:]])
    assert float(om.state[pm[1]]["step"]) == 2.0 and float(om.state[pm[0]]["step"]) == 4.0
