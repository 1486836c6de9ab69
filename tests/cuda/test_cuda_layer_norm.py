"""The CUDA backend's fused layer norm kernels (mytorch/_backends/_cupy_kernels.py) against
their CPU twins (the reference kernels on NumPy): with and without weight and bias, over one
and two trailing dims, in float32 and float64, the kernels launched per call (the stand-in
counts calls of ``cupy.fuse`` functions), the reference path for half precision and empty
arrays, and torch's values and derivatives through mytorch on the stand-in device."""

import numpy as np
import pytest
import torch
from backends import standin
from backends.standin_backend import BACKEND

import mytorch
from mytorch._backends.reference import NUMPY

GPU = BACKEND.at(0)
xp = standin.xp


def launches(fn, *args):
    before = standin.kernels["fused"]
    out = fn(*args)
    return out, standin.kernels["fused"] - before


def close(a, b, dtype):
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a, b, **tol)


@pytest.fixture(params=["float32", "float64"])
def dt(request):
    return request.param


def _data(dt, *shape, seed=3):
    return (np.random.default_rng(seed).standard_normal(shape) * 2 + 1).astype(dt)


def _dev(a):
    return None if a is None else xp.asarray(a)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_forward_matches_cpu_twin(k, affine, dt):
    x = _data(dt, 3, 4, 5)
    w = _data(dt, *x.shape[3 - k :], seed=4) if affine in ("both", "weight") else None
    b = _data(dt, *x.shape[3 - k :], seed=5) if affine in ("both", "bias") else None
    s_cpu, s_gpu = {}, {}
    want = NUMPY.layer_norm(x, w, b, k, 1e-5, s_cpu)
    got, n = launches(GPU.layer_norm, xp.asarray(x), _dev(w), _dev(b), k, 1e-5, s_gpu)
    assert n == 4  # the row mean, the row variance, rstd, the result
    assert got.get().dtype == want.dtype and got.shape == want.shape
    close(got.get(), want, dt)
    for key in ("mean", "rstd"):
        close(s_gpu[key].get(), s_cpu[key], dt)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("mask", [(True, True, True), (True, False, True), (False, False, False)])
@pytest.mark.parametrize("stats", [True, False])
def test_backward_matches_cpu_twin(k, mask, stats, dt):
    x = _data(dt, 3, 4, 5)
    g = _data(dt, 3, 4, 5, seed=6)
    w = _data(dt, *x.shape[3 - k :], seed=4)
    saved = {}
    NUMPY.layer_norm(x, w, None, k, 1e-5, saved)
    st = (saved["mean"], saved["rstd"]) if stats else None
    want = NUMPY.layer_norm_backward(g, x, w, k, 1e-5, st, mask)
    st_d = None if st is None else tuple(xp.asarray(a) for a in st)
    got, n = launches(GPU.layer_norm_backward, xp.asarray(g), xp.asarray(x), xp.asarray(w), k,
                      1e-5, st_d, mask)  # fmt: skip
    # two row sums, the input's gradient, a column sum per wanted gradient (+3: the stats)
    assert n == 3 + mask[1] + mask[2] + (0 if stats else 3)
    for a, b in zip(got, want):
        assert a.get().dtype == b.dtype and a.shape == b.shape
        close(a.get(), b, dt)


def test_reference_path_for_other_arrays():
    """Half precision (computed in float32) and empty arrays take the reference kernel."""
    for x in (np.ones((2, 3), "float16"), np.zeros((0, 3), "float32")):
        got, n = launches(GPU.layer_norm, xp.asarray(x), None, None, 1, 1e-5, {})
        assert n == 0
        np.testing.assert_array_equal(got.get(), NUMPY.layer_norm(x, None, None, 1, 1e-5, {}))


def test_through_mytorch_on_the_standin_device(dt):
    """Values, first and second derivatives against torch, computed by the fused kernels."""
    x, w, b, c = _data(dt, 3, 7), _data(dt, 7, seed=4), _data(dt, 7, seed=5), _data(dt, 3, 7)
    res = []
    for lib, dev in ((mytorch, "standin"), (torch, "cpu")):
        ts = [lib.tensor(a, device=dev, requires_grad=True) for a in (x, w, b)]
        before = standin.kernels["fused"]
        y = lib.nn.functional.layer_norm(ts[0], (7,), ts[1], ts[2])
        loss = (y * lib.tensor(c, device=dev)).sum()
        gs = lib.autograd.grad(loss, ts, create_graph=True)
        ggs = lib.autograd.grad(sum((g * g).sum() for g in gs[:2]), ts[:2])
        if lib is mytorch:
            assert standin.kernels["fused"] - before >= 9  # forward 4, backward 5
        res.append([a.detach().cpu().numpy() for a in (y, *gs, *ggs)])
    for a, b in zip(*res):
        close(a, b, dt)
