"""Every op in the op database against torch (forward, first and second derivatives) and
against central differences (gradcheck and gradgradcheck in float64), on every device: the CPU
and the stand-in device (whose arrays refuse silent host copies)."""

import numpy as np
import pytest
from helpers import TOL2, assert_matches, seeded_rng, to_numpy
from op_db import OPS, SAMPLE_IDS, SAMPLES, inputs_for

import mytorch
from mytorch.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

GG_SAMPLES = [s for s in SAMPLES if s[0].gradgrad]


def _make(lib, arrays, dtype_name, requires_grad=False, device="cpu"):
    return [
        lib.tensor(a.astype(dtype_name), requires_grad=requires_grad, device=device)
        for a in arrays
    ]


def _on(device, outs):
    """Every tensor in ``outs`` lives on ``device``."""
    for t in outs:
        if t is not None:
            assert str(t.device).partition(":")[0] == device, f"{t.device} is not {device}"


def _second(lib, grads, inputs, weights):
    """Gradient of sum(w_i * grad_i) with respect to the inputs, zeros where nothing depends on them."""
    terms = [(g * w).sum() for g, w in zip(grads, weights) if g.requires_grad]
    if not terms:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    out = lib.autograd.grad(s, inputs, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if r is None else r for r, x in zip(out, inputs)]


@pytest.mark.torch
@pytest.mark.parametrize("op, i", SAMPLES, ids=SAMPLE_IDS)
def test_forward_matches_torch(op, i, dtype_name, device):
    arrays = inputs_for(op, i, seeded_rng(op.name, i))
    out_m = op.fn(mytorch, *_make(mytorch, arrays, dtype_name, device=device))
    _on(device, [out_m])
    out_t = op.fn(torch, *_make(torch, arrays, dtype_name))
    assert_matches(out_m, out_t)
    assert not out_m.requires_grad and out_m.grad_fn is None


@pytest.mark.torch
@pytest.mark.parametrize("op, i", SAMPLES, ids=SAMPLE_IDS)
def test_first_and_second_derivatives_match_torch(op, i, dtype_name, device):
    rng = seeded_rng(op.name, i, "grad")
    arrays = inputs_for(op, i, rng)
    xs_m = _make(mytorch, arrays, dtype_name, requires_grad=True, device=device)
    xs_t = _make(torch, arrays, dtype_name, requires_grad=True)
    out_m = op.fn(mytorch, *xs_m)
    out_t = op.fn(torch, *xs_t)
    assert_matches(out_m, out_t)
    assert out_m.requires_grad and not out_m.is_leaf

    # A random cotangent, so every output element's gradient is weighed differently.
    v = rng.standard_normal(tuple(out_t.shape)).astype(dtype_name)
    g_m = mytorch.autograd.grad(
        out_m, xs_m, mytorch.tensor(v, device=device), create_graph=True
    )
    _on(device, g_m)
    g_t = torch.autograd.grad(out_t, xs_t, torch.tensor(v), create_graph=True)
    for gm, gt in zip(g_m, g_t):
        assert_matches(gm, gt)

    if not op.gradgrad:
        return
    weights = [rng.standard_normal(a.shape).astype(dtype_name) for a in arrays]
    h_m = _second(mytorch, g_m, xs_m, [mytorch.tensor(w, device=device) for w in weights])
    _on(device, [h for h in h_m if isinstance(h, mytorch.Tensor)])
    h_t = _second(torch, g_t, xs_t, [torch.tensor(w) for w in weights])
    for hm, ht in zip(h_m, h_t):
        np.testing.assert_allclose(to_numpy(hm), to_numpy(ht), **TOL2[dtype_name])


@pytest.mark.torch
@pytest.mark.parametrize("op", [op for op in OPS if op.grad_fn], ids=lambda op: op.name)
def test_grad_fn_name_matches_torch(op):
    arrays = inputs_for(op, 0, seeded_rng(op.name))
    out_m = op.fn(mytorch, *_make(mytorch, arrays, "float32", requires_grad=True))
    out_t = op.fn(torch, *_make(torch, arrays, "float32", requires_grad=True))
    assert out_t.grad_fn.name() == op.grad_fn  # keeps the table itself honest
    assert out_m.grad_fn.name() == out_t.grad_fn.name()
    assert repr(out_m).endswith(f"grad_fn=<{op.grad_fn}>)")


@pytest.mark.parametrize("op, i", SAMPLES, ids=SAMPLE_IDS)
def test_gradcheck(op, i, device):
    arrays = inputs_for(op, i, seeded_rng(op.name, i, "gradcheck"))
    xs = _make(mytorch, arrays, "float64", requires_grad=True, device=device)
    assert gradcheck(lambda *a: op.fn(mytorch, *a), xs)


@pytest.mark.parametrize("op, i", GG_SAMPLES, ids=[op.ids()[i] for op, i in GG_SAMPLES])
def test_gradgradcheck(op, i, device):
    arrays = inputs_for(op, i, seeded_rng(op.name, i, "gradgradcheck"))
    xs = _make(mytorch, arrays, "float64", requires_grad=True, device=device)
    assert gradgradcheck(lambda *a: op.fn(mytorch, *a), xs)
