"""nn.utils against torch: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters and stateless.functional_call."""

import math

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, torch

pytestmark = pytest.mark.torch


def params_with_grads(T, dtype_name, device="cpu"):
    rng = seeded_rng("clip")
    ps = []
    for shape in [(3, 4), (5,), ()]:
        kw = dict(device=device) if T is mytorch else {}
        p = T.nn.Parameter(T.tensor(rng.standard_normal(shape).astype(dtype_name), **kw))
        p.grad = T.tensor(rng.standard_normal(shape).astype(dtype_name), **kw)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("foreach", [None, True])
def test_clip_grad_norm(norm_type, max_norm, foreach, dtype_name, device):
    pm, pt = params_with_grads(mytorch, dtype_name, device), params_with_grads(torch, dtype_name)
    nm = mytorch.nn.utils.clip_grad_norm_(pm, max_norm, norm_type, foreach=foreach)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type, foreach=foreach)
    assert_matches(nm, nt)
    for a, b in zip(pm, pt):
        assert_matches(a.grad, b.grad)


def test_clip_grad_norm_edges():
    assert_matches(
        mytorch.nn.utils.clip_grad_norm_([], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0)
    )

    def nonfinite(T):
        p = T.nn.Parameter(T.ones(2))
        p.grad = T.tensor([float("nan"), 1.0])
        T.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)

    m, t = raises_like(nonfinite, (), RuntimeError)
    assert m == t
    with pytest.warns(FutureWarning):
        mytorch.nn.utils.clip_grad_norm(mytorch.nn.Parameter(mytorch.ones(1)), 1.0)


def test_clip_grad_value(dtype_name, device):
    pm, pt = params_with_grads(mytorch, dtype_name, device), params_with_grads(torch, dtype_name)
    assert mytorch.nn.utils.clip_grad_value_(pm, 0.3) is None
    torch.nn.utils.clip_grad_value_(pt, 0.3)
    for a, b in zip(pm, pt):
        assert_matches(a.grad, b.grad)


def test_parameters_vector_round_trip(device):
    pm, pt = params_with_grads(mytorch, "float64", device), params_with_grads(torch, "float64")
    vm = mytorch.nn.utils.parameters_to_vector(pm)
    assert_matches(vm, torch.nn.utils.parameters_to_vector(pt))
    mytorch.nn.utils.vector_to_parameters(vm * 2, pm)
    torch.nn.utils.vector_to_parameters(torch.nn.utils.parameters_to_vector(pt) * 2, pt)
    for a, b in zip(pm, pt):
        assert_matches(a, b)
        assert type(a) is mytorch.nn.Parameter
    m, t = raises_like(lambda T: T.nn.utils.vector_to_parameters([1], []), (), TypeError)
    assert m == t
    with pytest.raises(TypeError, match="different devices"):
        mytorch.nn.utils.parameters_to_vector([mytorch.ones(1), mytorch.ones(1, device="standin")])


def test_functional_call(device):
    rng = seeded_rng("fcall")
    x = rng.standard_normal((2, 3))
    w = rng.standard_normal((4, 3))
    res = {}
    for T in (mytorch, torch):
        dev = dict(device=device) if T is mytorch else {}
        m = T.nn.Sequential(
            T.nn.Linear(3, 4), T.nn.ReLU() if hasattr(T.nn, "ReLU") else T.nn.Identity()
        ).to(**dev)
        m[1] = T.nn.Identity()
        wt = T.tensor(w, dtype=T.float32, requires_grad=True, **dev)
        old = m[0].weight
        out = (
            T.func.functional_call(m, {"0.weight": wt}, (T.tensor(x, dtype=T.float32, **dev),))
            if T is torch
            else (
                mytorch.nn.utils.stateless.functional_call(
                    m, {"0.weight": wt}, (T.tensor(x, dtype=T.float32, **dev),)
                )
            )
        )
        assert m[0].weight is old
        out.sum().backward()
        with T.no_grad():
            m[0].bias.zero_()
        res[T.__name__] = (wt.grad, out - m[0].bias.detach() * 0)
    assert_matches(res["mytorch"][0], res["torch"][0])

    def strict(T):
        fc = T.func.functional_call if T is torch else T.nn.utils.stateless.functional_call
        fc(T.nn.Linear(2, 2), {"weight": T.ones(2, 2), "foo": T.ones(1)}, (T.ones(2),), strict=True)

    m, t = raises_like(strict, (), RuntimeError)
    assert m == t


def test_functional_call_tied_weights():
    m = mytorch.nn.Module()
    m.a = mytorch.nn.Linear(2, 2, bias=False)
    m.b = mytorch.nn.Linear(2, 2, bias=False)
    m.b.weight = m.a.weight  # one parameter under two names
    m.forward = lambda x: m.b(x)
    out = mytorch.nn.utils.stateless.functional_call(
        m, {"a.weight": mytorch.zeros(2, 2)}, mytorch.ones(2)
    )
    assert np.array_equal(out.detach().numpy(), np.zeros(2))
    out = mytorch.nn.utils.stateless.functional_call(
        m, {"a.weight": mytorch.zeros(2, 2)}, mytorch.ones(2), tie_weights=False
    )
    assert not np.array_equal(out.detach().numpy(), np.zeros(2))


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    pm, pt = params_with_grads(mytorch, "float64"), params_with_grads(torch, "float64")
    nm = mytorch.nn.utils.get_total_norm([p.grad for p in pm], norm_type)
    nt = torch.nn.utils.get_total_norm([p.grad for p in pt], norm_type)
    assert_matches(nm, nt)
    assert_matches(
        mytorch.nn.utils.get_total_norm(pm[0], norm_type),
        torch.nn.utils.get_total_norm(pt[0], norm_type),
    )
    assert_matches(mytorch.nn.utils.get_total_norm([]), torch.nn.utils.get_total_norm([]))
    assert mytorch.nn.utils.clip_grads_with_norm_(iter(pm), 0.5, nm) is None
    torch.nn.utils.clip_grads_with_norm_(iter(pt), 0.5, nt)
    for a, b in zip(pm, pt):
        assert_matches(a.grad, b.grad)

    def nonfinite(T):
        T.nn.utils.get_total_norm([T.tensor([1.0, math.inf])], norm_type, True)

    raises_like(nonfinite, ["is non-finite"], RuntimeError)


def test_clip_grad_norm_generator():
    pm, pt = params_with_grads(mytorch, "float64"), params_with_grads(torch, "float64")
    nm = mytorch.nn.utils.clip_grad_norm_((p for p in pm), 0.1)
    nt = torch.nn.utils.clip_grad_norm_((p for p in pt), 0.1)
    assert_matches(nm, nt)
    for a, b in zip(pm, pt):
        assert_matches(a.grad, b.grad)


def test_skip_init_and_memory_format():
    m = mytorch.nn.utils.skip_init(mytorch.nn.Linear, 3, 4, bias=False)
    t = torch.nn.utils.skip_init(torch.nn.Linear, 3, 4, bias=False)
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict())
    assert m.weight.shape == t.weight.shape and m.weight.device.type == "cpu"
    raises_like(lambda T: T.nn.utils.skip_init(int), ["Expected a Module"], RuntimeError)

    class NoDevice(mytorch.nn.Module):
        pass

    class NoDeviceT(torch.nn.Module):
        pass

    raises_like(
        lambda T: T.nn.utils.skip_init(NoDevice if T is mytorch else NoDeviceT),
        ["must support a 'device' arg"],
        RuntimeError,
    )
    conv = mytorch.nn.Sequential(mytorch.nn.Conv2d(2, 3, 1))
    fmt = getattr(mytorch, "channels_last", None)
    assert mytorch.nn.utils.convert_conv2d_weight_memory_format(conv, fmt) is conv
    assert mytorch.nn.utils.convert_conv3d_weight_memory_format(conv, fmt) is conv
