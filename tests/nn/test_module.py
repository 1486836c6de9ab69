"""nn.Module and nn.Parameter against torch: registration, iteration, modes, moves and casts,
state_dict and load_state_dict, hooks, repr, and the classes' import paths."""

import copy
import importlib
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, torch
from nn_check import copy_state

pytestmark = pytest.mark.torch


def net(T):
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = T.nn.Linear(3, 4)
            self.register_buffer("running", T.zeros(4))
            self.register_buffer("scratch", T.ones(2), persistent=False)
            self.block = T.nn.Sequential(T.nn.Linear(4, 4), T.nn.Identity())
            self.tied = self.fc  # the same module twice
            self.scale = T.nn.Parameter(T.ones(()))

        def forward(self, x, shift=0.0):
            return self.block(self.fc(x)) * self.scale + self.running + shift

    return Net()


def both():
    return net(mytorch), net(torch)


def test_parameter_is_a_tensor():
    p = mytorch.nn.Parameter(mytorch.ones(2, 3))
    t = torch.nn.Parameter(torch.ones(2, 3))
    assert isinstance(p, mytorch.Tensor) and p.is_leaf and p.requires_grad
    assert repr(p) == repr(t) and str(p) == str(t)
    for r in (p * 2, p + p, p.sum(), p.detach(), p[0]):
        assert type(r) is mytorch.Tensor
    q = mytorch.nn.Parameter(mytorch.ones(2), requires_grad=False)
    assert repr(q) == repr(torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert repr(mytorch.nn.Parameter()) == repr(torch.nn.Parameter())
    for c in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(c) is mytorch.nn.Parameter and c.requires_grad
        assert np.array_equal(c.detach().numpy(), p.detach().numpy())
    base = mytorch.zeros(3)
    shared = mytorch.nn.Parameter(base)
    base.add_(1)  # a Parameter shares its data's memory, as torch's
    assert shared.detach().numpy().tolist() == [1.0, 1.0, 1.0]


def test_registration_and_iteration():
    mm, tm = both()
    for name in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [k for k, _ in getattr(mm, name)()] == [k for k, _ in getattr(tm, name)()]
    for kw in (dict(recurse=False), dict(remove_duplicate=False), dict(prefix="net")):
        for name in ("named_parameters", "named_buffers"):
            assert [k for k, _ in getattr(mm, name)(**kw)] == [
                k for k, _ in getattr(tm, name)(**kw)
            ]
    assert [k for k, _ in mm.named_modules(remove_duplicate=False)] == [
        k for k, _ in tm.named_modules(remove_duplicate=False)
    ]
    assert len(list(mm.parameters())) == len(list(tm.parameters()))
    assert len(list(mm.modules())) == len(list(tm.modules()))
    assert mm.get_submodule("block.0") is mm.block[0]
    assert mm.get_parameter("block.0.bias") is mm.block[0].bias
    assert mm.get_buffer("running") is mm.running
    for target, fn in [
        ("block.7", "get_submodule"), ("fc.weight.x", "get_submodule"),
        ("fc.nope", "get_parameter"), ("running", "get_parameter"), ("fc.bias", "get_buffer"),
    ]:  # fmt: skip
        m, t = raises_like(lambda T: getattr(net(T), fn)(target), (), AttributeError)
        assert m == t
    assert "fc" in dir(mm) and "running" in dir(mm)
    del mm.fc
    assert "fc" not in mm._modules


@pytest.mark.parametrize(
    "action",
    [
        lambda T, m: setattr(m, "fc", 3),
        lambda T, m: setattr(m, "scale", T.ones(())),
        lambda T, m: setattr(m, "running", 3),
        lambda T, m: m.register_buffer("fc", T.ones(1)),
        lambda T, m: m.register_buffer("a.b", T.ones(1)),
        lambda T, m: m.register_buffer("", T.ones(1)),
        lambda T, m: m.register_buffer(1, T.ones(1)),
        lambda T, m: m.register_buffer("b", [1]),
        lambda T, m: m.register_parameter("p", T.ones(1)),
        lambda T, m: m.register_parameter("p.q", None),
        lambda T, m: m.register_parameter("p", T.nn.Parameter(T.ones(1)) * 2),
        lambda T, m: m.add_module("m", 3),
        lambda T, m: m.add_module("a.b", T.nn.Identity()),
        lambda T, m: m.add_module("running", T.nn.Identity()),
        lambda T, m: m.register_module("", T.nn.Identity()),
        lambda T, m: m.nope,
        lambda T, m: m.train(1),
        lambda T, m: m.to(T.int32),
        lambda T, m: m.load_state_dict([1]),
    ],
)
def test_errors_match_torch(action):
    m, t = raises_like(lambda T: action(T, net(T)))
    assert m == t


def test_assign_before_init():
    class Early(mytorch.nn.Module):
        def __init__(self):
            self.w = mytorch.nn.Parameter(mytorch.ones(1))

    class EarlyT(torch.nn.Module):
        def __init__(self):
            self.w = torch.nn.Parameter(torch.ones(1))

    with pytest.raises(AttributeError) as em:
        Early()
    with pytest.raises(AttributeError) as et:
        EarlyT()
    assert str(em.value) == str(et.value)


def test_reassignment_moves_between_kinds():
    m = mytorch.nn.Module()
    m.x = mytorch.nn.Parameter(mytorch.ones(1))
    m.x = None
    assert m._parameters == {"x": None} and m.x is None
    m.register_buffer("b", None)
    m.b = mytorch.ones(2)
    assert "b" in m._buffers and m.state_dict()["b"].shape == (2,)
    m.b = mytorch.nn.Identity()
    assert "b" not in m._buffers and isinstance(m.b, mytorch.nn.Identity)
    m.c = mytorch.nn.Buffer(mytorch.ones(1), persistent=False)
    assert type(m._buffers["c"]) is mytorch.Tensor and "c" not in m.state_dict()


def test_modes_and_state():
    mm, _ = both()
    assert mm.training and mm.block[0].training
    assert mm.eval() is mm and not mm.block[1].training
    mm.train()
    assert mm.block[1].training
    mm.requires_grad_(False)
    assert not any(p.requires_grad for p in mm.parameters())
    mm.requires_grad_()
    mm(mytorch.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in mm.parameters())
    mm.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in mm.parameters())
    mm.zero_grad()
    assert all(p.grad is None for p in mm.parameters())
    seen = []
    assert mm.apply(lambda m: seen.append(type(m).__name__)) is mm
    tm = net(torch)
    seen_t = []
    tm.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen == seen_t


def test_moves_and_casts(device):
    mm = net(mytorch)
    w = mm.fc.weight
    mm(mytorch.ones(2, 3)).sum().backward()
    assert mm.to(device) is mm
    assert mm.fc.weight is w, "parameters keep their identity across moves"
    assert w.device.type == device and w.grad.device.type == device
    assert mm.running.device.type == device and mm.scratch.device.type == device
    mm.double()
    assert w.dtype == mytorch.float64 and w.grad.dtype == mytorch.float64
    assert mm.running.dtype == mytorch.float64
    mm.float()
    assert w.dtype == mytorch.float32
    mm.to(dtype=mytorch.float64)
    assert w.dtype == mytorch.float64
    mm.to(mytorch.zeros(1, dtype=mytorch.float32))
    assert w.dtype == mytorch.float32 and w.device.type == "cpu"
    mm.half()
    assert w.dtype == mytorch.float16
    mm.type(mytorch.float64)
    assert w.dtype == mytorch.float64
    mm.cpu()
    assert w.device.type == "cpu" and isinstance(w, mytorch.nn.Parameter)
    ints = mytorch.nn.Module()
    ints.register_buffer("steps", mytorch.tensor(3))
    ints.double()
    assert ints.steps.dtype == mytorch.int64


def test_state_dict_matches_torch(dtype_name, device):
    mm, tm = both()
    sm, st = mm.state_dict(), tm.state_dict()
    assert list(sm) == list(st) and dict(sm._metadata) == dict(st._metadata)
    assert type(sm) is OrderedDict
    assert not any(v.requires_grad for v in sm.values())
    kept = mm.state_dict(keep_vars=True)
    assert all(kept[k] is p for k, p in mm.named_parameters())
    assert list(mm.state_dict(prefix="p.")) == list(tm.state_dict(prefix="p."))
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    x = np.arange(6.0).reshape(2, 3).astype(dtype_name)
    assert_matches(mm(mytorch.tensor(x, device=device), shift=1.0), tm(torch.tensor(x), shift=1.0))


def test_load_state_dict_strict_and_messages():
    def load(T, strict):
        m = net(T)
        sd = m.state_dict()
        del sd["fc.bias"]
        sd["extra"] = T.ones(1)
        sd["block.9.weight"] = T.ones(1)
        return m.load_state_dict(sd, strict=strict)

    rm, rt = load(mytorch, False), load(torch, False)
    assert rm == rt and repr(rm) == repr(rt)
    assert rm.missing_keys == ["fc.bias"]
    m, t = raises_like(lambda T: load(T, True), (), RuntimeError)
    assert m == t

    def bad_shape(T):
        m = net(T)
        sd = m.state_dict()
        sd["fc.weight"] = T.ones(2, 2)
        sd["running"] = "x"
        m.load_state_dict(sd)

    m, t = raises_like(bad_shape, (), RuntimeError)
    assert m == t


def test_load_state_dict_assign_and_devices(device):
    mm = net(mytorch)
    src = net(mytorch).to(device)
    sd = src.state_dict()
    mm.to(device)
    w = mm.fc.weight
    mm.load_state_dict(sd)
    assert mm.fc.weight is w and np.array_equal(
        w.cpu().detach().numpy(), sd["fc.weight"].cpu().numpy()
    )
    cpu_sd = {k: v.cpu() for k, v in sd.items()}
    mm.load_state_dict(cpu_sd)  # copied across devices into the parameters
    assert mm.fc.weight.device.type == device
    fresh = net(mytorch)
    fresh.load_state_dict(sd, assign=True)
    assert fresh.fc.weight.device.type == device and isinstance(
        fresh.fc.weight, mytorch.nn.Parameter
    )
    assert fresh.fc.weight.requires_grad and fresh.running is sd["running"]


def test_load_from_state_dict_renames_keys_and_versions():
    def make(T):
        class Renamed(T.nn.Linear):
            _version = 2

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
                if local_metadata.get("version", 1) < 2 and prefix + "w" in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
                super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

        return T.nn.Sequential(Renamed(2, 2))

    for T in (mytorch, torch):
        m = make(T)
        sd = m.state_dict()
        assert sd._metadata["0"]["version"] == 2
        old = OrderedDict([("0.w", T.full((2, 2), 3.0)), ("0.bias", T.zeros(2))])
        old._metadata = {"0": {"version": 1}}
        assert repr(m.load_state_dict(old)) == "<All keys matched successfully>"
        assert float(m[0].weight.sum()) == 12.0


def test_extra_state():
    class WithExtra(mytorch.nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    m.value = 5
    sd = m.state_dict()
    assert sd["_extra_state"] == {"value": 5}
    n = WithExtra()
    n.load_state_dict(sd)
    assert n.value == 5


def test_forward_hooks_match_torch():
    logs = {}
    outs = {}
    for T in (mytorch, torch):
        log = logs[T.__name__] = []
        m = T.nn.Linear(3, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True
        )
        m.register_forward_hook(lambda mod, args, out: out + 1)
        m.register_forward_hook(
            lambda mod, args, kwargs, out: log.append(("post", sorted(kwargs))), with_kwargs=True
        )
        m.register_forward_pre_hook(lambda mod, args: log.append("first"), prepend=True)
        with T.no_grad():
            m.weight.fill_(1.0)
            m.bias.fill_(0.0)
        outs[T.__name__] = m(T.ones(1, 3))
        h1.remove()
        m(T.ones(1, 3))
    assert logs["mytorch"] == logs["torch"]
    assert_matches(outs["mytorch"], outs["torch"])


def _list(g):
    return None if g is None else g.tolist()


def test_full_backward_hooks_match_torch():
    seen = {}
    grads = {}
    for T in (mytorch, torch):
        rec = seen[T.__name__] = []
        m = T.nn.Linear(3, 2)
        with T.no_grad():
            m.weight.copy_(T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))

        def pre(mod, grad_output, rec=rec):
            rec.append(("pre", [_list(g) for g in grad_output]))
            return (grad_output[0] * 2,)

        def post(mod, grad_input, grad_output, rec=rec):
            rec.append(("post", [_list(g) for g in grad_input], [_list(g) for g in grad_output]))
            return None if grad_input[0] is None else (grad_input[0] + 1,)

        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(post)
        x = T.tensor([[1.0, -1.0, 0.5]], requires_grad=True)
        m(x).sum().backward()
        grads[T.__name__] = (x.grad, m.weight.grad)
        # no input needs a gradient: the hook still runs, with grad_input None
        m(T.ones(1, 3)).sum().backward()
    assert seen["mytorch"][:2] == seen["torch"][:2]
    assert seen["mytorch"][3][0] == "post" and seen["torch"][3][0] == "post"
    assert seen["mytorch"][3][1] == [None] == seen["torch"][3][1]
    for a, b in zip(grads["mytorch"], grads["torch"]):
        assert_matches(a, b)


def test_state_dict_hooks():
    for T in (mytorch, torch):
        m = T.nn.Linear(2, 2)
        calls = []
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append("pre"))
        m.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta: [sd.pop(prefix + "bias"), None][1]
        )
        assert list(m.state_dict()) == ["weight"] and calls == ["pre"]
        m.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, *rest: sd.setdefault(prefix + "bias", T.zeros(2))
        )
        m.register_load_state_dict_post_hook(
            lambda mod, keys: calls.append(tuple(keys.missing_keys))
        )
        m.load_state_dict({"weight": T.ones(2, 2)})
        assert calls == ["pre", ()]


def test_repr_matches_torch():
    def make(T):
        class Custom(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = T.nn.ModuleList([T.nn.Linear(2, 2) for _ in range(3)])
                self.layers.append(T.nn.Identity())
                self.heads = T.nn.ModuleDict({"a": T.nn.Flatten(), "b": T.nn.Unflatten(1, (2, 1))})
                self.params = T.nn.ParameterList([T.ones(2, 3), T.nn.Parameter(T.ones(1))])
                self.pdict = T.nn.ParameterDict({"x": T.ones(2), "w": T.ones(3)})
                self.bil = T.nn.Bilinear(2, 3, 4, bias=False)

            def extra_repr(self):
                return "custom=1\nsecond line"

        return Custom()

    assert repr(make(mytorch)) == repr(make(torch))
    assert repr(mytorch.nn.Module()) == repr(torch.nn.Module())


def test_sequential_and_containers():
    seqs = {
        T.__name__: T.nn.Sequential(*[T.nn.Linear(2, 2) for _ in range(4)])
        for T in (mytorch, torch)
    }
    sm, st = seqs["mytorch"], seqs["torch"]
    assert repr(sm[1:3]) == repr(st[1:3]) and len(sm[::2]) == 2
    assert sm[-1] is list(sm)[-1]
    del sm[1]
    del st[1]
    assert list(sm._modules) == ["0", "1", "2"] == list(st._modules)
    sm.append(mytorch.nn.Identity())
    sm.insert(0, mytorch.nn.Flatten())
    assert isinstance(sm[0], mytorch.nn.Flatten) and isinstance(sm[4], mytorch.nn.Identity)
    assert isinstance(sm.pop(0), mytorch.nn.Flatten) and len(sm) == 4
    assert len(sm + sm) == 8 and len(sm * 2) == 8
    named = mytorch.nn.Sequential(OrderedDict([("a", mytorch.nn.Identity())]))
    assert list(named._modules) == ["a"]
    m, t = raises_like(lambda T: T.nn.Sequential(T.nn.Identity())[3], (), IndexError)
    assert m == t
    ml = mytorch.nn.ModuleList([mytorch.nn.Identity()])
    ml += [mytorch.nn.Flatten()]
    ml.insert(0, mytorch.nn.Linear(1, 1))
    assert [type(x).__name__ for x in ml] == ["Linear", "Identity", "Flatten"]
    assert len(ml[1:]) == 2 and len(list(ml.parameters())) == 2
    md = mytorch.nn.ModuleDict([("a", mytorch.nn.Linear(1, 1))])
    md["b"] = mytorch.nn.Identity()
    assert list(md.keys()) == ["a", "b"] and "a" in md and md.pop("a") is not None
    pl = mytorch.nn.ParameterList([mytorch.ones(2)])
    pl.append(mytorch.zeros(1))
    assert all(isinstance(p, mytorch.nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pd = mytorch.nn.ParameterDict({"b": mytorch.ones(1), "a": mytorch.ones(2)})
    assert list(pd.keys()) == list(
        torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2)}).keys()
    )
    assert [k for k, _ in pd.named_parameters()] == ["a", "b"]
    for bad in (lambda T: T.nn.ParameterList()(1), lambda T: T.nn.ParameterDict()(1)):
        m, t = raises_like(bad, (), RuntimeError)
        assert m == t


def test_deepcopy_and_pickle_modules():
    mm = net(mytorch)
    for c in (copy.deepcopy(mm),):
        assert c.fc is c.tied and isinstance(c.fc.weight, mytorch.nn.Parameter)
        assert c.fc.weight is not mm.fc.weight
        assert np.array_equal(c.fc.weight.detach().numpy(), mm.fc.weight.detach().numpy())
        assert list(c.state_dict()) == list(mm.state_dict())


def test_pickle_module():
    m = mytorch.nn.Sequential(mytorch.nn.Linear(2, 3), mytorch.nn.Flatten())
    m.register_buffer("b", mytorch.ones(1))
    c = pickle.loads(pickle.dumps(m))
    assert repr(c) == repr(m) and list(c.state_dict()) == list(m.state_dict())
    assert type(c[0].weight) is mytorch.nn.Parameter and c[0].weight.requires_grad
    x = mytorch.ones(4, 2)
    assert np.array_equal(c(x).detach().numpy(), m(x).detach().numpy())


def test_module_classes_live_at_torchs_paths():
    for name in mytorch.nn.modules.__all__:
        tcls = getattr(torch.nn, name)
        path = tcls.__module__.replace("torch", "mytorch", 1)
        mcls = getattr(importlib.import_module(path), name)
        assert mcls is getattr(mytorch.nn, name) and mcls.__module__ == path
    for name in ("Parameter", "UninitializedParameter", "Buffer"):
        assert getattr(mytorch.nn, name).__module__ == getattr(torch.nn, name).__module__.replace(
            "torch", "mytorch", 1
        )
