"""A functional check shared by tests/nn/test_pooling.py and test_normalization.py: one call in
torch and in mytorch on the same inputs; outputs (and integer outputs such as indices exactly),
first derivatives of the float inputs and, when asked, second derivatives."""

import numpy as np

import mytorch
from helpers import TOL, assert_matches, to_numpy, torch
from nn_check import compare_derivatives


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
    compare_derivatives(ot, om, tp, mp, dtype_name, device, second)


__all__ = ["check_fn", "TOL"]
