"""Hooks, against torch: tensor hooks (checks on what they return, order, removal), leaves'
post-accumulate-grad hooks, Node pre-hooks and post-hooks (AccumulateGrad nodes too),
autograd.graph.Node, and the saved-tensors hooks (saved_tensors_hooks, save_on_cpu,
disable_saved_tensors_hooks)."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like, to_numpy

import mytorch
import mytorch.autograd.graph  # noqa: F401

try:
    import torch
    import torch.autograd.graph  # noqa: F401
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


def arr(x):
    return None if x is None else np.array(to_numpy(x))


def same_log(lm, lt):
    """Two call logs: equal names, equal arrays (None where None)."""
    assert len(lm) == len(lt), (lm, lt)
    for em, et in zip(lm, lt):
        assert em[0] == et[0]
        for a, b in zip(em[1:], et[1:]):
            if isinstance(b, tuple):
                assert len(a) == len(b)
                for x, y in zip(a, b):
                    assert (x is None) == (y is None)
                    if y is not None:
                        np.testing.assert_allclose(arr(x), arr(y))
            elif b is None or isinstance(b, (bool, int, str)):
                assert a == b
            else:
                np.testing.assert_allclose(arr(a), arr(b))


# --- tensor hooks --------------------------------------------------------------------------------
def test_tensor_hooks_order_replacement_and_removal():
    def run(T):
        log = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: log.append(("y1", g)))
        y.register_hook(lambda g: g * 10)
        y.register_hook(lambda g: log.append(("y3", g)))
        h = x.register_hook(lambda g: g + 100)
        x.register_hook(lambda g: log.append(("x", g)))
        (y * y).sum().backward(retain_graph=True)
        first = x.grad.clone()
        h.remove()
        x.grad = None
        (y * y).sum().backward()
        return log, first, x.grad

    (lm, *m), (lt, *t) = run(mytorch), run(torch)
    same_log(lm, lt)
    for a, b in zip(m, t):
        assert_matches(a, b)


@pytest.mark.parametrize(
    "bad, phrase",
    [
        (lambda T, g: g[:1], "has changed the size of value"),
        (lambda T, g: g.double(), "has changed the type of value"),
        (lambda T, g: 3.0, "expected Variable, but hook returned 'float'"),
    ],
)
@pytest.mark.parametrize("leaf", [True, False])
def test_tensor_hook_results_are_checked(bad, phrase, leaf):
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        t = x if leaf else y

        def hook(g):
            return bad(T, g)

        t.register_hook(hook)
        (y * y).sum().backward()

    m, _ = raises_like(run, [phrase])
    if "hook returned" not in phrase:
        assert "hook 'hook'" in m


# --- post-accumulate-grad hooks -------------------------------------------------------------------
def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    def run(T):
        log = []
        w = T.tensor([1.0, -1.0], requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.clone())))
        w.register_hook(lambda g: log.append(("hook", g)))
        (w * 2).sum().backward()
        (w * 3).sum().backward()
        T.autograd.grad((w * 4).sum(), w)  # no accumulation: not called
        return log, w.grad

    (lm, gm), (lt, gt) = run(mytorch), run(torch)
    same_log(lm, lt)
    assert_matches(gm, gt)


@pytest.mark.parametrize("case", ["non-leaf", "no-grad"])
def test_post_accumulate_grad_hook_errors(case):
    def run(T):
        x = T.ones(2, requires_grad=case == "non-leaf")
        t = x * 2 if case == "non-leaf" else x
        t.register_post_accumulate_grad_hook(lambda p: None)

    raises_like(run, ["non-leaf" if case == "non-leaf" else "doesn't require gradient"])


# --- node hooks -----------------------------------------------------------------------------------
def test_node_hooks_order_on_ops_and_accumulate_grad():
    def run(T):
        log = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        mul = y.grad_fn.next_functions[0][0]
        acc = mul.next_functions[0][0]
        assert x.grad_fn is None and isinstance(acc, T.autograd.graph.Node)
        acc.register_hook(lambda gi, go: log.append(("acc post", gi, go)))
        acc.register_prehook(lambda go: log.append(("acc pre", go)))
        mul.register_hook(lambda gi, go: log.append(("mul post", gi, go)))
        mul.register_prehook(lambda go: log.append(("mul pre", go)))
        x.register_hook(lambda g: log.append(("x tensor", g)))
        x.register_post_accumulate_grad_hook(lambda p: log.append(("x post-acc", p.grad)))
        y.backward()
        return log, x.grad, w.grad

    (lm, *m), (lt, *t) = run(mytorch), run(torch)
    same_log(lm, lt)
    for a, b in zip(m, t):
        assert_matches(a, b)


def test_node_hooks_replace_gradients_and_handles_remove():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = x * 2
        h1 = z.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        h2 = z.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, None))
        z.grad_fn.register_hook(lambda gi, go: None)
        z.sum().backward(retain_graph=True)
        first = x.grad.clone()
        h1.remove()
        h2.remove()
        x.grad = None
        z.sum().backward()
        return first, x.grad

    for a, b in zip(run(mytorch), run(torch)):
        assert_matches(a, b)


def test_node_prehook_on_accumulate_grad_replaces_the_gradient():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        acc.register_prehook(lambda go: (go[0] * 0 + 7,))
        y.backward()
        return x.grad

    assert_matches(run(mytorch), run(torch))


def test_node_hooks_on_a_multi_output_node():
    def run(T):
        log = []
        x = T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        a, b, c = (x * 1).unbind()
        node = a.grad_fn
        node.register_prehook(lambda go: log.append(("pre", go)))
        node.register_hook(lambda gi, go: log.append(("post", gi, go)))
        (a * 2 + b).sum().backward()
        return log, x.grad

    (lm, gm), (lt, gt) = run(mytorch), run(torch)
    same_log(lm, lt)
    assert_matches(gm, gt)


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_node_hook_returning_the_wrong_number_of_values(kind):
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        z = x * 2

        def hook(*args):
            return (args[0][0], args[0][0])

        if kind == "pre":
            z.grad_fn.register_prehook(hook)
        else:
            z = x.exp()
            z.grad_fn.register_hook(hook)
        z.sum().backward()

    m, _ = raises_like(run, ["has returned an incorrect number of values"], RuntimeError)
    assert "hook 'hook'" in m


def test_graph_node_is_the_public_base():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        y = x.exp()
        md = y.grad_fn.metadata
        md["k"] = 1
        return (
            isinstance(y.grad_fn, T.autograd.graph.Node),
            y.grad_fn.name(),
            y.grad_fn.metadata,
            isinstance(3, T.autograd.graph.Node),
        )

    assert run(mytorch) == run(torch)


# --- saved tensors hooks --------------------------------------------------------------------------
def graph_with(T, pack, unpack):
    x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
    w = T.tensor([1.5, 2.0, -0.5], dtype=T.float64, requires_grad=True)
    with T.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x.exp() + x.sin() + x * w).sum()
    return x, w, y


def test_saved_tensors_hooks_pack_and_unpack_every_saved_tensor():
    def run(T):
        log = []

        def pack(t):
            log.append(("pack", tuple(t.shape)))
            return t

        def unpack(t):
            log.append(("unpack", tuple(t.shape)))
            return t

        x, w, y = graph_with(T, pack, unpack)
        packs = len(log)
        gx, gw = T.autograd.grad(y, (x, w), create_graph=True)
        hx = T.autograd.grad(gx.sum(), x)[0]
        return packs, sorted(log)[packs:], gx, gw, hx

    (pm, lm, *m), (pt, lt, *t) = run(mytorch), run(torch)
    assert pm == pt == 4
    assert len(lm) == len(lt)
    for a, b in zip(m, t):
        assert_matches(a, b)


def test_saved_tensors_hooks_with_copies_keep_history():
    def run(T):
        packed = []

        def pack(t):
            c = t.detach().clone()
            packed.append(c)
            return c

        x, w, y = graph_with(T, pack, lambda c: c * 1)  # a new tensor each time
        gx, gw = T.autograd.grad(y, (x, w), create_graph=True)
        (hx,) = T.autograd.grad((gx * gw).sum(), x)
        return gx, gw, hx

    for a, b in zip(run(mytorch), run(torch)):
        assert_matches(a, b)


def test_saved_tensors_hooks_apply_to_function_saved_tensors():
    def run(T):
        class Mul(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g * b, g * a

        log = []
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 5.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(
            lambda t: log.append("pack") or t, lambda t: log.append("unpack") or t
        ):
            y = Mul.apply(a, b)
        y.sum().backward()
        return log, a.grad, b.grad

    (lm, *m), (lt, *t) = run(mytorch), run(torch)
    assert lm == lt
    for a, b in zip(m, t):
        assert_matches(a, b)


def test_unpack_hook_must_return_a_tensor():
    def run(T):
        x, w, y = graph_with(T, lambda t: 5, lambda p: p)
        y.backward()

    raises_like(run, ["unpack_hook expected to be a Tensor", "int"], TypeError)


def test_saved_tensor_packed_as_a_copy_then_modified_in_place():
    """As torch: what the pack hook kept is used, with no version check."""

    def run(T):
        x = T.tensor([0.5, 1.0], requires_grad=True)
        with T.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda p: p):
            a = x * 1
            y = a.sin()
        a.add_(1)
        y.sum().backward()
        return x.grad

    assert_matches(run(mytorch), run(torch))


def test_save_on_cpu():
    def run(T):
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with T.autograd.graph.save_on_cpu():
            y = (x.exp() * x).sum()
        y.backward()
        return y, x.grad

    for a, b in zip(run(mytorch), run(torch)):
        assert_matches(a, b)


@pytest.mark.parametrize("order", ["disable-first", "hooks-first"])
def test_disable_saved_tensors_hooks(order):
    def run(T):
        g = T.autograd.graph
        if order == "disable-first":
            with g.disable_saved_tensors_hooks("no hooks here"):
                with g.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        else:
            with g.saved_tensors_hooks(lambda t: t, lambda t: t):
                with g.disable_saved_tensors_hooks("no hooks here"):
                    pass

    m, t = raises_like(run, ["no hooks here"], RuntimeError)
    assert m == t


def test_hooks_are_off_after_the_block():
    calls = []
    with mytorch.autograd.graph.saved_tensors_hooks(lambda t: calls.append(1) or t, lambda t: t):
        pass
    x = mytorch.ones(2, requires_grad=True)
    x.exp().sum().backward()
    assert calls == [] and mytorch._registry.CORE.saved_pack is None
