"""The autograd engine: accumulation, retain/create graph, autograd.grad's defaults, errors,
hooks, partial backward, graph shapes (diamonds, deep chains)."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import assert_matches, raises

import mytorch
from mytorch import autograd

try:
    import torch
except ImportError:
    torch = None


def leaf(values, dtype=None):
    return mytorch.tensor(values, dtype=dtype, requires_grad=True)


# --- .grad accumulation -------------------------------------------------------------------
@pytest.mark.torch
def test_grad_accumulates_across_backward_calls():
    def run(T):
        x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x.exp() * 2).sum().backward()
        return x, first

    (xm, fm), (xt, ft) = run(mytorch), run(torch)
    assert_matches(fm, ft)
    assert_matches(xm.grad, xt.grad)


def test_grad_zero_then_backward_starts_fresh():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_grad_is_not_aliased_between_leaves():
    # Two leaves receiving the same upstream gradient must not share a buffer.
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + y).sum().backward()
    x.grad.zero_()
    assert y.grad.tolist() == [1.0, 1.0]


def test_grad_takes_no_buffer_that_is_held_elsewhere():
    # The compiled engine hands a leaf the gradient array itself when nothing else holds it;
    # every other holder (a seed, a hook, another leaf, a retained grad) must keep its values.
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = mytorch.tensor([5.0, 6.0])
    (a + b).backward(seed)
    a.grad.zero_()
    assert b.grad.tolist() == [5.0, 6.0] and seed.tolist() == [5.0, 6.0]

    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 3).sum().backward()
    x.grad.mul_(0)
    assert seen[0].tolist() == [3.0, 3.0]

    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.clone().backward(mytorch.tensor([1.0, 1.0]))
    y.grad.add_(10)
    assert x.grad.tolist() == [2.0, 2.0]


def test_grad_taken_whole_accumulates_in_place_correctly():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    for _ in range(3):
        (x * y + x.exp()).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), 3 * (np.array([3.0, 4.0]) + np.exp([1.0, 2.0])), rtol=1e-6
    )
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 6.0], rtol=1e-6)
    g = x.grad
    (x * 2).sum().backward()
    assert x.grad is g  # accumulated into the same tensor, as PyTorch does


def test_a_transposed_products_gradient_taken_whole_is_its_own_tensor():
    # x @ w.t(): w's gradient is the transpose of a product made in w's layout, a view the
    # compiled engine hands to .grad as a tensor of its own (no copy): C-contiguous, no view of
    # the engine's tensors, and it accumulates and is written in place like any .grad.
    rng = np.random.default_rng(3)
    xv, wv = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    x, w = mytorch.tensor(xv), mytorch.tensor(wv, requires_grad=True)
    (x @ w.t()).sum().backward()
    g = w.grad
    assert g._base is None and g.is_contiguous() and tuple(g.shape) == (3, 4)
    np.testing.assert_allclose(g.numpy(), np.ones((3, 5)) @ xv, rtol=1e-12)
    (x @ w.t() * 2).sum().backward()
    assert w.grad is g
    np.testing.assert_allclose(g.numpy(), 3 * np.ones((3, 5)) @ xv, rtol=1e-12)
    w.grad.zero_()
    (x @ w.t()).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.ones((3, 5)) @ xv, rtol=1e-12)


def test_leaf_grad_dtype_and_shape_follow_the_leaf(dtype_name):
    x = mytorch.ones(2, 1, dtype=getattr(mytorch, dtype_name), requires_grad=True)
    (x * mytorch.ones(3)).sum().backward()  # broadcast: the engine sums back to (2, 1)
    assert x.grad.shape == (2, 1) and x.grad.dtype is x.dtype
    assert x.grad.tolist() == [[3.0], [3.0]]
    assert not x.grad.requires_grad


# --- retain_graph / create_graph ----------------------------------------------------------
@pytest.mark.torch
def test_second_backward_without_retain_graph_raises():
    for T in (mytorch, torch):
        x = T.tensor(2.0, requires_grad=True)
        y = x * x
        y.backward()
        with raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf(2.0)
    y = x * x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0


def test_create_graph_builds_a_differentiable_grad():
    x = leaf(3.0)
    y = x**3
    y.backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 27.0
    (g,) = autograd.grad(x.grad, x)
    assert g.item() == 18.0


def test_ops_that_save_nothing_survive_a_second_backward():
    # add's VJP needs no saved tensor, so like torch a second backward through it works.
    x = leaf([1.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0]


# --- autograd.grad and its create_graph default -------------------------------------------
@autograd.create_graph_default(True)  # mytorch's default (the seed's), set here
def test_grad_default_gives_differentiable_grads_in_grad_mode():
    # mytorch's headline promise: no create_graph, and the gradient can be differentiated again.
    x = leaf(2.0)
    (g,) = autograd.grad(x**4, x)
    assert g.requires_grad and g.grad_fn is not None
    (h,) = autograd.grad(g, x)
    assert g.item() == 32.0 and h.item() == 48.0
    assert x.grad is None  # autograd.grad never touches .grad


def test_grad_explicit_create_graph_false_is_detached():
    x = leaf(2.0)
    (g,) = autograd.grad(x**4, x, create_graph=False)
    assert not g.requires_grad and g.grad_fn is None and g.item() == 32.0


def test_grad_under_no_grad_is_detached():
    x = leaf(2.0)
    y = x**4
    with mytorch.no_grad():
        (g,) = autograd.grad(y, x)
    assert not g.requires_grad and g.item() == 32.0


@autograd.create_graph_default(True)  # mytorch's default (the seed's), set here
def test_grad_retain_graph_defaults_to_create_graph():
    x = leaf(2.0)
    y = x * x
    autograd.grad(y, x)  # create_graph resolves to True, so the graph is kept
    autograd.grad(y, x)
    z = x * x
    autograd.grad(z, x, create_graph=False)  # retain_graph resolves to False
    with raises(RuntimeError, match="second time"):
        autograd.grad(z, x)
    w = x * x
    autograd.grad(w, x, create_graph=False, retain_graph=True)
    (g,) = autograd.grad(w, x, create_graph=False)
    assert g.item() == 4.0


@pytest.mark.torch
def test_grad_with_grad_outputs_matches_torch():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = T.tensor([0.5, -1.0], requires_grad=True)
        out = x * y + x.sum(0)
        return autograd_of(T)(out, [x, y], T.tensor([[1.0, 2.0], [-1.0, 0.5]]), create_graph=False)

    for gm, gt in zip(run(mytorch), run(torch)):
        assert_matches(gm, gt)


def autograd_of(T):
    return T.autograd.grad


@pytest.mark.torch
def test_grad_of_several_outputs_sums_them():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        return T.autograd.grad([(x * x).sum(), x.exp().sum()], [x], create_graph=False)[0]

    assert_matches(run(mytorch), run(torch))


def test_grad_allow_unused():
    x, y = leaf(1.0), leaf(2.0)
    gx, gy = autograd.grad(x * 3, [x, y], allow_unused=True)
    assert gx.item() == 3.0 and gy is None
    gx, gy = autograd.grad(x * 3, [x, y], materialize_grads=True)
    assert gy.item() == 0.0


@pytest.mark.torch
def test_grad_unused_input_is_an_error():
    for T in (mytorch, torch):
        x, y = T.tensor(1.0, requires_grad=True), T.tensor(2.0, requires_grad=True)
        with raises(RuntimeError, match="appears to not have been used in the graph"):
            T.autograd.grad(x * 3, [x, y])


@pytest.mark.torch
def test_output_not_requiring_grad_is_an_error():
    for T in (mytorch, torch):
        x = T.tensor(1.0, requires_grad=True)
        c = T.tensor(2.0)
        with raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            T.autograd.grad(c * 2, [x])
        with raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            (c * 2).backward()


@pytest.mark.torch
def test_input_not_requiring_grad_is_an_error():
    for T in (mytorch, torch):
        x, c = T.tensor(1.0, requires_grad=True), T.tensor(2.0)
        with raises(RuntimeError, match="does not require grad"):
            T.autograd.grad(x * c, [c])


@pytest.mark.torch
def test_non_scalar_backward_needs_a_gradient():
    for T in (mytorch, torch):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            (x * 2).backward()
        with raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            T.autograd.grad(x * 2, x)


def test_one_element_non_scalar_backward_is_implicit():
    x = leaf([3.0])
    (x * x).backward()
    assert x.grad.tolist() == [6.0]


@pytest.mark.torch
def test_gradient_shape_mismatch_is_an_error():
    for T in (mytorch, torch):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with raises(RuntimeError, match="Mismatch in shape"):
            (x * 2).backward(T.ones(3))
        with raises(RuntimeError, match="Mismatch in shape"):
            T.autograd.grad(x * 2, x, T.ones(2, 1))


@pytest.mark.torch
@pytest.mark.parametrize(
    "out_dtype, seed_dtype", [("float32", "float64"), ("float64", "float32"), ("float32", "int64")]
)
def test_seed_gradient_takes_the_output_dtype(out_dtype, seed_dtype):
    # PyTorch casts a grad_output of another dtype to its output's dtype before backpropagating.
    def run(T):
        x = T.tensor([1.0, 2.0], dtype=getattr(T, out_dtype), requires_grad=True)
        y = T.tensor([3.0, 4.0], dtype=getattr(T, out_dtype), requires_grad=True)
        seed = T.ones(2, dtype=getattr(T, seed_dtype))
        (gx,) = T.autograd.grad(x * y + x, [x], seed, create_graph=False)
        (x * y).backward(seed)
        return gx, y.grad

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


# --- backward(inputs=...) -----------------------------------------------------------------
@pytest.mark.torch
def test_backward_inputs_accumulates_only_those():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, 4.0], requires_grad=True)
        (x * y).sum().backward(inputs=[y])
        return x.grad, y.grad

    (xm, ym), (xt, yt) = run(mytorch), run(torch)
    assert xm is None and xt is None
    assert_matches(ym, yt)


def test_backward_inputs_can_be_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    assert h.grad.tolist() == [4.0, 8.0]
    assert x.grad is None


def test_autograd_backward_function():
    x = leaf([1.0, 2.0])
    autograd.backward([(x * x).sum(), (x * 3).sum()])
    assert x.grad.tolist() == [5.0, 7.0]
    y = leaf([1.0, 2.0])
    autograd.backward(y * 2, grad_tensors=mytorch.tensor([1.0, -1.0]))
    assert y.grad.tolist() == [2.0, -2.0]


# --- hooks and retain_grad ----------------------------------------------------------------
def test_register_hook_can_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[30.0, 30.0]]
    assert x.grad.tolist() == [30.0, 30.0]


def test_hook_handle_removes_the_hook():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_register_hook_on_tensor_without_grad_is_an_error():
    with raises(RuntimeError, match="doesn't require gradient"):
        mytorch.ones(1).register_hook(lambda g: g)


@pytest.mark.torch
def test_retain_grad_matches_torch():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x.sin()
        h.retain_grad()
        (h * h * x).sum().backward()
        return h.grad, x.grad

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


# --- graph shapes -------------------------------------------------------------------------
@pytest.mark.torch
def test_diamond_graph_accumulates_both_paths():
    def run(T):
        a = T.tensor([0.5, -1.0], requires_grad=True)
        b = a * 2
        c = a.exp()
        d = b * c + b.sin() + c  # a reaches d through b and c, each used twice
        (g,) = T.autograd.grad(d.sum(), a, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), a)
        return g, h

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


def test_same_tensor_used_twice_in_one_op():
    x = leaf(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    y = leaf([1.0, 2.0])
    (y + y + y).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]


def test_grad_with_respect_to_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * x
    out = (h * 3 + h.exp()).sum()
    gh, gx = autograd.grad(out, [h, x])
    np.testing.assert_allclose(gh.tolist(), 3 + np.exp([1.0, 4.0]), rtol=1e-6)
    np.testing.assert_allclose(
        gx.tolist(), gh.detach().numpy() * 2 * np.array([1.0, 2.0]), rtol=1e-6
    )


def test_gradient_flows_through_detach_only_on_one_side():
    x = leaf(2.0)
    y = x * x.detach()
    y.backward()
    assert x.grad.item() == 2.0


DEEP_CHAIN = """
import mytorch
x = mytorch.tensor(1.0, dtype=mytorch.float64, requires_grad=True)
y = x
for _ in range(100_000):
    y = y * 1.0
y.backward()
assert x.grad.item() == 1.0, x.grad
del y  # freeing a 100,000-node graph must not recurse either
print("ok")
"""


def test_deep_chain_backward_is_iterative():
    # A recursive graph walk (or a recursive dealloc of the Node chain in the compiled build) would
    # overflow the stack; a subprocess turns such a crash into a failure instead of killing the
    # suite.
    r = subprocess.run(
        [sys.executable, "-c", DEEP_CHAIN], capture_output=True, text=True, timeout=120, check=False
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_deep_chain_second_derivative():
    x = leaf(1.0, dtype=mytorch.float64)
    y = x
    for _ in range(2_000):
        y = y + x * x * 0.001
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g, x)
    assert abs(g.item() - (1 + 2_000 * 0.002)) < 1e-9
    assert abs(h.item() - 2_000 * 0.002) < 1e-9


def test_grad_fn_next_functions():
    x = leaf(1.0)
    y = x * 2 + x
    assert y.grad_fn.name() == "AddBackward0"
    names = sorted(n.name() for n, _ in y.grad_fn.next_functions if n is not None)
    assert names == ["AccumulateGrad", "MulBackward0"]


# --- gradients of reductions are broadcast views, never full-size arrays ------------------
@pytest.mark.parametrize(
    "reduce, zero_strides, count",
    [
        (lambda t: t.sum(), (0, 0), 1),
        (lambda t: t.mean(), (0, 0), 12),
        (lambda t: t.sum(0), (0, 4), 1),
        (lambda t: t.mean(dim=1, keepdim=True), (4, 0), 4),
    ],
)
def test_sum_and_mean_gradients_stay_broadcast(reduce, zero_strides, count):
    x = leaf(np.arange(12.0).reshape(3, 4), dtype=mytorch.float32)
    out = reduce(x)
    (g,) = autograd.grad(out, [x], mytorch.ones_like(out) * 2, create_graph=False)
    np.testing.assert_allclose(g.numpy(), np.full((3, 4), 2 / count), rtol=1e-7)
    # The VJP's own result, before .grad or grad() could copy it: byte strides 0 where it
    # broadcasts.
    vjp = out.grad_fn(mytorch.ones_like(out) * 2)
    assert tuple(s * vjp.element_size() for s in vjp.stride()) == zero_strides
