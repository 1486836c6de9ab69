"""A functional check shared by tests/nn/test_pooling.py and test_normalization.py: one call in
torch and in mytorch on the same inputs; outputs (and integer outputs such as indices exactly),
first derivatives of the float inputs and, when asked, second derivatives."""

import numpy as np

import mytorch
from helpers import TOL, TOL2, assert_matches, to_numpy, torch


def check_fn(fn, inputs, dtype_name, device, second=True, grad=None):
    """``fn(T, *tensors)`` returns a tensor or a tuple whose first entry is the float result;
    ``inputs`` are NumPy arrays; ``grad`` lists which get gradients (default: the float ones)."""
    xt, xm = [], []
    for i, a in enumerate(inputs):
        is_float = a.dtype.kind == "f"
        a = a.astype(dtype_name) if is_float else a
        rg = is_float if grad is None else i in grad
        xt.append(torch.tensor(a, requires_grad=rg))
        xm.append(mytorch.tensor(a, device=device, requires_grad=rg))
    ot, om = fn(torch, *xt), fn(mytorch, *xm)
    if isinstance(ot, tuple):
        assert isinstance(om, tuple) and len(om) == len(ot)
        for a, b in zip(om[1:], ot[1:]):
            assert_matches(a, b)
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
        ot, om = ot[0], om[0]
    assert_matches(om, ot)
    assert om.device.type == device
    tp = [x for x in xt if x.requires_grad]
    mp = [x for x in xm if x.requires_grad]
    if not tp:
        return
    w = np.random.default_rng(0).standard_normal(tuple(ot.shape)).astype(dtype_name)
    gt = torch.autograd.grad((ot * torch.tensor(w)).sum(), tp, create_graph=True)
    gm = mytorch.autograd.grad((om * mytorch.tensor(w, device=device)).sum(), mp)
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
    # NOTE: where the gradient is linear in the grad only (max pooling), mytorch's has no graph
    # back to the inputs: its second derivative is zero, which torch's must then be too.
    hm = mytorch.autograd.grad(sm, mp, allow_unused=True) if sm.requires_grad else [None] * len(mp)
    for a, b, x in zip(hm, ht, tp):
        a = np.zeros(tuple(x.shape)) if a is None else to_numpy(a)
        b = np.zeros(tuple(x.shape)) if b is None else to_numpy(b)
        np.testing.assert_allclose(a, b, **TOL2[dtype_name])


__all__ = ["check_fn", "TOL"]
