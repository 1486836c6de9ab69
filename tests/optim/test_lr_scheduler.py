"""mytorch.optim.lr_scheduler against torch's: the learning rates (and momenta) of every
epoch, state dicts, the step-order warning and the error classes."""

import math
import warnings

import numpy as np
import pytest
from helpers import to_numpy

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch
EPOCHS = 100


def _opt(lib, name="SGD", groups=2):
    ps = [lib.nn.Parameter(lib.zeros(2)) for _ in range(groups)]
    kw = {"momentum": 0.9} if name == "SGD" else {}
    return getattr(lib.optim, name)([{"params": [p], "lr": 0.1 * (i + 1)}
                                     for i, p in enumerate(ps)], **kw)  # fmt: skip


def _sched(lib, opt, spec):
    S = lib.optim.lr_scheduler
    name, kw = spec
    if name == "SequentialLR":
        inner = [S.LinearLR(opt, start_factor=0.2, total_iters=5), S.ExponentialLR(opt, 0.95),
                 S.StepLR(opt, 7, gamma=0.5)]  # fmt: skip
        return S.SequentialLR(opt, inner, milestones=[5, 40])
    if name == "ChainedScheduler":
        inner = [S.ConstantLR(opt, factor=0.5, total_iters=4), S.ExponentialLR(opt, 0.97)]
        return S.ChainedScheduler(inner)
    if name in ("LambdaLR", "MultiplicativeLR"):
        kw = {"lr_lambda": (lambda e: 0.95**e) if name == "LambdaLR" else (lambda e: 0.97)}
    return getattr(S, name)(opt, **kw)


SPECS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[10, 30, 30, 60], gamma=0.3)),
    ("ConstantLR", dict(factor=0.25, total_iters=8)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=30)),
    ("ExponentialLR", dict(gamma=0.97)),
    ("PolynomialLR", dict(total_iters=60, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=17, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7, T_mult=2, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5)),
    ("LambdaLR", {}),
    ("MultiplicativeLR", {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7)),
    (
        "CyclicLR",
        dict(base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=5, step_size_down=9, mode="triangular2"),
    ),  # fmt: skip
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, mode="exp_range", gamma=0.98)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=EPOCHS + 1)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.3], total_steps=EPOCHS + 1, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.5, epochs=101, steps_per_epoch=1, three_phase=True)),
    ("SequentialLR", {}),
    ("ChainedScheduler", {}),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s[0] + str(sorted(s[1].items())))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_learning_rates_match_torch(spec, opt_name):
    om, ot = _opt(mytorch, opt_name), _opt(torch, opt_name)
    sm, st = _sched(mytorch, om, spec), _sched(torch, ot, spec)
    for epoch in range(EPOCHS):
        assert sm.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12), epoch
        for gm, gt in zip(om.param_groups, ot.param_groups):
            assert gm["lr"] == pytest.approx(gt["lr"], rel=1e-12)
            key = "momentum" if opt_name == "SGD" else "betas"
            assert np.allclose(gm[key], gt[key], rtol=1e-12), (epoch, key)
            assert ("initial_lr" in gm) == ("initial_lr" in gt)
        om.step()
        ot.step()
        sm.step()
        st.step()
    assert getattr(sm, "last_epoch", None) == getattr(st, "last_epoch", None)
    assert sorted(sm.state_dict()) == sorted(st.state_dict())


def test_reduce_on_plateau_matches_torch():
    rng = np.random.default_rng(0)
    metrics = np.cumsum(rng.standard_normal(EPOCHS)) * 0.1 + np.linspace(1, 0, EPOCHS)
    for kw in (dict(patience=3), dict(mode="max", factor=0.5, patience=2, cooldown=2),
               dict(threshold_mode="abs", threshold=0.05, min_lr=[0.02, 0.01])):  # fmt: skip
        om, ot = _opt(mytorch), _opt(torch)
        sm = mytorch.optim.lr_scheduler.ReduceLROnPlateau(om, **kw)
        st = torch.optim.lr_scheduler.ReduceLROnPlateau(ot, **kw)
        for m in metrics:
            sm.step(m)
            st.step(m)
            assert sm.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
            assert sm.num_bad_epochs == st.num_bad_epochs


def test_step_epoch_uses_the_closed_form():
    om, ot = _opt(mytorch), _opt(torch)
    sm = mytorch.optim.lr_scheduler.StepLR(om, 3, 0.5)
    st = torch.optim.lr_scheduler.StepLR(ot, 3, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in (4, 9, 2):
            om.step()
            ot.step()
            sm.step(e)
            st.step(e)
            assert sm.get_last_lr() == pytest.approx(st.get_last_lr())


def test_state_dict_round_trip():
    om = _opt(mytorch)
    sm = mytorch.optim.lr_scheduler.CosineAnnealingLR(om, T_max=10)
    for _ in range(4):
        om.step()
        sm.step()
    sd = sm.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4
    om2 = _opt(mytorch)
    om2.load_state_dict(om.state_dict())
    s2 = mytorch.optim.lr_scheduler.CosineAnnealingLR(om2, T_max=10, last_epoch=3)
    s2.load_state_dict(sd)
    om.step(), om2.step()
    sm.step()
    s2.step()
    assert sm.get_last_lr() == s2.get_last_lr()


@pytest.mark.parametrize("lib", ["mytorch", "torch"])
def test_warns_when_stepped_before_the_optimizer(lib):
    L = mytorch if lib == "mytorch" else torch
    opt = _opt(L)
    s = L.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt2 = _opt(L)
    s2 = L.optim.lr_scheduler.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()


def test_errors_match_torch():
    for lib, exc in ((mytorch, None), (torch, None)):
        S = lib.optim.lr_scheduler
        opt = _opt(lib)
        with pytest.raises(TypeError):
            S.StepLR(object(), 2)
        with pytest.raises(ValueError):
            S.ConstantLR(opt, factor=2.0)
        with pytest.raises(ValueError):
            S.OneCycleLR(opt, max_lr=0.1)
        with pytest.raises(KeyError):
            S.StepLR(_opt(lib), 2, last_epoch=3)
        with pytest.raises(ValueError):
            S.ReduceLROnPlateau(opt, factor=1.5)
        s = S.OneCycleLR(_opt(lib), max_lr=0.1, total_steps=2)
        with pytest.raises(ValueError):
            for _ in range(3):
                s.optimizer.step()
                s.step()
    assert math.isfinite(float(to_numpy(mytorch.tensor(1.0))))
