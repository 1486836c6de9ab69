"""layer_norm's primitives (mytorch/_ops/nn_layer_norm.py) beyond the op_db rows: the second
derivatives of the backward rows (third order of layer_norm) by gradgradcheck, where torch's
are wrong and cannot be the oracle; half precision computed in float32 and rounded once;
torch.native_layer_norm (the result, mean and rstd)."""

import numpy as np
import pytest
import torch
from helpers import assert_matches, raises_like, seeded_rng
from op_db import inputs_for
from op_db_layer_norm import BACKWARD

import mytorch
from mytorch.autograd import gradgradcheck


@pytest.mark.parametrize("row", BACKWARD, ids=lambda r: r.name)
def test_backward_rows_second_derivatives_by_gradgradcheck(row):
    arrays = inputs_for(row, 0, seeded_rng(row.name, "gradgradcheck"))
    xs = [mytorch.tensor(a, dtype=mytorch.float64, requires_grad=True) for a in arrays]
    assert gradgradcheck(lambda *a: row.fn(mytorch, *a), xs)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_in_float32_rounded_once(dtype):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s) * 3 for s in ((4, 6, 8), (8,), (8,)))
    got = []
    for lib in (mytorch, torch):
        dt = getattr(lib, dtype)
        ts = [lib.tensor(a, dtype=dt, requires_grad=True) for a in (x, w, b)]
        y = lib.nn.functional.layer_norm(ts[0], (8,), ts[1], ts[2])
        gs = lib.autograd.grad((y * y).sum(), ts)
        got.append((y, *gs))
    for m, t in zip(*got):
        assert m.dtype == getattr(mytorch, dtype)
        assert_matches(m.float(), t.float(), rtol=2e-2, atol=0.15)  # 8 bits: gradients of ~10
    # the forward: the float32 result of the same (rounded) operands, rounded once
    xm, wm, bm = (mytorch.tensor(a, dtype=getattr(mytorch, dtype)).float() for a in (x, w, b))
    once = mytorch.nn.functional.layer_norm(xm, (8,), wm, bm).to(getattr(mytorch, dtype))
    assert mytorch.equal(got[0][0].detach(), once)


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("affine", [True, False])
def test_native_layer_norm_matches_torch(dtype, affine):
    """torch.native_layer_norm: the result and the rows' mean and rstd (not differentiable)."""
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s) for s in ((2, 3, 4, 5), (4, 5), (4, 5)))
    got = []
    for lib in (mytorch, torch):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x, dtype=dt, requires_grad=True)
        wb = [lib.tensor(a, dtype=dt) for a in (w, b)] if affine else [None, None]
        got.append(lib.native_layer_norm(xt, [4, 5], *wb, 1e-5))
    for m, t in zip(*got):
        assert m.dtype == getattr(mytorch, dtype) and tuple(m.shape) == tuple(t.shape)
        assert m.requires_grad == t.requires_grad
        tol = dict(rtol=1e-2, atol=1e-2) if dtype == "bfloat16" else {}
        assert_matches(m.detach().float(), t.detach().float(), **tol)
    assert got[0][0].grad_fn.name() == "NativeLayerNormBackward0"


def test_native_layer_norm_errors_match_torch():
    raises_like(lambda L: L.native_layer_norm(L.ones(2, 3), [4], None, None, 1e-5),
                ("Given normalized_shape=[4], expected input with shape [*, 4], but got input of "
                 "size[2, 3]",))  # fmt: skip
