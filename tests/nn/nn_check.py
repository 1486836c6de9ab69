"""The layer check shared by the tests/nn files: one layer built in torch and in mytorch with
the same weights (copied through state_dict and NumPy), run on the same inputs, compared on
outputs, first and second derivatives, state_dict keys and shapes, and repr."""

import numpy as np

import mytorch
from helpers import TOL, TOL2, assert_matches, to_numpy, torch


def copy_state(mm, tm):
    """Loads torch module ``tm``'s state into mytorch module ``mm`` through NumPy."""
    sd = {k: mytorch.tensor(to_numpy(v)) for k, v in tm.state_dict().items()}
    result = mm.load_state_dict(sd)
    assert repr(result) == "<All keys matched successfully>"


def assert_same_state_dict(mm, tm):
    ms, ts = mm.state_dict(), tm.state_dict()
    assert list(ms) == list(ts)
    for k in ts:
        assert tuple(ms[k].shape) == tuple(ts[k].shape), k
    assert dict(ms._metadata) == dict(ts._metadata)


def check_layer(make, inputs, dtype_name, device, train=True, second=True):
    """``make(lib)`` builds the layer; ``inputs`` are NumPy arrays (float ones get gradients)."""
    tm, mm = make(torch), make(mytorch)
    assert repr(mm) == repr(tm)
    assert_same_state_dict(mm, tm)
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name)).train(train)
    mm.to(device, getattr(mytorch, dtype_name)).train(train)
    for p in mm.parameters():
        assert p.device.type == device and isinstance(p, mytorch.nn.Parameter)
    xt, xm = [], []
    for a in inputs:
        is_float = a.dtype.kind == "f"
        a = a.astype(dtype_name) if is_float else a
        xt.append(torch.tensor(a, requires_grad=is_float))
        xm.append(mytorch.tensor(a, device=device, requires_grad=is_float))
    ot, om = tm(*xt), mm(*xm)
    assert_matches(om, ot)
    assert om.device.type == device
    tp = [x for x in xt if x.requires_grad] + list(tm.parameters())
    mp = [x for x in xm if x.requires_grad] + list(mm.parameters())
    compare_derivatives(ot, om, tp, mp, dtype_name, device, second)


def compare_derivatives(ot, om, tp, mp, dtype_name, device, second):
    """First derivatives of torch's ``ot`` and mytorch's ``om`` with respect to ``tp``/``mp``
    against each other (a random cotangent), and, with ``second``, the second derivatives of a
    random weighting of those gradients."""
    w = np.random.default_rng(0).standard_normal(tuple(ot.shape)).astype(dtype_name)
    gt = torch.autograd.grad((ot * torch.tensor(w)).sum(), tp, create_graph=True)
    gm = mytorch.autograd.grad((om * mytorch.tensor(w, device=device)).sum(), mp, create_graph=True)
    for a, b in zip(gm, gt):
        assert_matches(a, b)
    if not second:
        return
    vs = [np.random.default_rng(i + 1).standard_normal(tuple(g.shape)) for i, g in enumerate(gt)]
    st = sum((g * torch.tensor(v.astype(dtype_name))).sum() for g, v in zip(gt, vs))
    vm = [mytorch.tensor(v.astype(dtype_name), device=device) for v in vs]
    sm = sum((g * v).sum() for g, v in zip(gm, vm))
    if not st.requires_grad:
        return
    ht = torch.autograd.grad(st, tp, allow_unused=True)
    # NOTE: a gradient linear in the grad only (pooling) has no graph back to the inputs in
    # mytorch: its second derivative is zero, which torch's must then be too.
    hm = mytorch.autograd.grad(sm, mp, allow_unused=True) if sm.requires_grad else [None] * len(mp)
    for a, b, x in zip(hm, ht, tp):
        a = np.zeros(tuple(x.shape)) if a is None else to_numpy(a)
        b = np.zeros(tuple(x.shape)) if b is None else to_numpy(b)
        np.testing.assert_allclose(a, b, **TOL2[dtype_name])


__all__ = ["check_layer", "compare_derivatives", "copy_state", "assert_same_state_dict", "TOL"]
