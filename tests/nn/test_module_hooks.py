"""The hooks common to all modules (torch.nn.modules.module.register_module_*) against torch:
which calls they see, in which order, with which values, and what their results replace."""

import contextlib

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, seeded_rng, torch
from nn_check import copy_state

pytestmark = pytest.mark.torch

NAMES = [
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]


@contextlib.contextmanager
def hooked(T, kind, hook, **kw):
    """``hook`` registered for every module of library ``T`` inside the block only."""
    handle = getattr(T.nn.modules.module, f"register_module_{kind}")(hook, **kw)
    try:
        yield handle
    finally:
        handle.remove()


def test_names_and_handles():
    assert set(NAMES) <= set(torch.nn.modules.module.__all__)
    assert set(NAMES) <= set(mytorch.nn.modules.module.__all__)
    calls = []
    with hooked(mytorch, "forward_pre_hook", lambda m, a: calls.append(1)) as h:
        assert type(h).__name__ == "RemovableHandle"
        mytorch.nn.Identity()(mytorch.ones(1))
        h.remove()
        mytorch.nn.Identity()(mytorch.ones(1))
    assert calls == [1]


def model(T):
    T.manual_seed(0)
    return T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2)).double()


def run(T, mods, x, kinds, local=False):
    """Calls ``mods`` on ``x`` (and backward) with the given global hooks; returns the log."""
    log = []

    def rec(kind, result=None):
        def hook(m, *args):
            entry = [kind, type(m).__name__]
            for a in args:
                if isinstance(a, tuple):
                    entry.append(
                        tuple(
                            None
                            if t is None
                            else np.round(t.detach().numpy(), 8).tolist()
                            if isinstance(t, T.Tensor)
                            else t
                            for t in a
                        )
                    )
                elif isinstance(a, T.Tensor):
                    entry.append(np.round(a.detach().numpy(), 8).tolist())
                elif isinstance(a, dict):
                    entry.append(sorted(a))
            log.append(entry)
            return result(m, *args) if result else None

        return hook

    with contextlib.ExitStack() as stack:
        for kind, result, kw in kinds:
            stack.enter_context(hooked(T, kind, rec(kind, result), **kw))
        if local:
            mods[0].register_forward_pre_hook(rec("local_forward_pre"))
            mods[0].register_forward_hook(rec("local_forward"))
            mods[0].register_full_backward_hook(rec("local_backward"))
            mods[0].register_full_backward_pre_hook(rec("local_backward_pre"))
        xt = T.tensor(x, requires_grad=True)
        out = mods(xt)
        out.sum().backward()
    grads = [xt.grad] + [p.grad for p in mods.parameters()]
    return log, out, grads


X = seeded_rng("hooks").standard_normal((2, 3))


@pytest.mark.parametrize(
    "kinds",
    [
        [("forward_pre_hook", None, {})],
        [("forward_pre_hook", lambda m, a: (a[0] * 2,), {})],
        [("forward_hook", None, {})],
        [("forward_hook", lambda m, a, o: o + 1, {})],
        [("forward_hook", lambda m, a, k, o: o * 3, dict(with_kwargs=True))],
        [("full_backward_pre_hook", None, {})],
        [("full_backward_pre_hook", lambda m, g: (g[0] * 2,), {})],
        [("full_backward_hook", None, {})],
        [("full_backward_hook", lambda m, gi, go: (gi[0] * 0.5,), {})],
        [
            ("forward_pre_hook", None, {}),
            ("forward_hook", None, {}),
            ("full_backward_pre_hook", None, {}),
            ("full_backward_hook", None, {}),
        ],
    ],
)
@pytest.mark.parametrize("local", [False, True])
def test_global_call_hooks(kinds, local):
    tm, mm = model(torch), model(mytorch)
    copy_state(mm, tm)
    lt, ot, gt = run(torch, tm, X, kinds, local)
    lm, om, gm = run(mytorch, mm, X, kinds, local)
    assert_matches(om, ot)
    for a, b in zip(gm, gt):
        assert_matches(a, b)
    assert len(lm) == len(lt)
    for a, b in zip(lm, lt):
        assert a[:2] == b[:2]
        fa, fb = _flat(a[2:]), _flat(b[2:])
        assert len(fa) == len(fb)
        np.testing.assert_allclose(fa, fb, rtol=1e-7, atol=1e-8)


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [np.nan if x is None else x]


def test_registration_hooks():
    def log_for(T):
        log = []

        def param_hook(m, name, p):
            log.append(("param", type(m).__name__, name, tuple(p.shape)))
            if name == "bias":  # a replacement is what gets registered
                return T.nn.Parameter(T.zeros(p.shape, dtype=T.float64))

        def buffer_hook(m, name, b):
            log.append(("buffer", type(m).__name__, name, None if b is None else tuple(b.shape)))

        def module_hook(m, name, sub):
            log.append(("module", type(m).__name__, name, type(sub).__name__))
            if isinstance(sub, T.nn.Tanh):
                return T.nn.ReLU()

        with (
            hooked(T, "parameter_registration_hook", param_hook),
            hooked(T, "buffer_registration_hook", buffer_hook),
            hooked(T, "module_registration_hook", module_hook),
        ):
            T.manual_seed(0)
            seq = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.Tanh(), T.nn.BatchNorm1d(3))
            seq.add_module("extra", T.nn.Tanh())
            seq.extra = None
            seq.lin = T.nn.Linear(3, 1, bias=False)
            seq.register_buffer("nothing", None)
            seq.register_parameter("none_param", None)
            seq.p = T.nn.Parameter(T.ones(2))
            seq.b = T.nn.Buffer(T.ones(1))
        return log, seq

    lm, mm = log_for(mytorch)
    lt, tm = log_for(torch)
    assert lm == lt
    assert repr(mm) == repr(tm)
    assert mm[0].bias.dtype == mytorch.float64 and tm[0].bias.dtype == torch.float64
    assert type(mm[1]) is mytorch.nn.ReLU
