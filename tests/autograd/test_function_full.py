"""autograd.Function, the rest of torch's interface: the setup_context style, once_differentiable,
set_materialize_grads(False), mark_dirty, save_for_forward, jvp/vmap kept on the class, and the
errors (saved tensors changed in place, wrong gradient counts and shapes), against torch."""

import pytest
from helpers import assert_matches, raises, raises_like

import mytorch
from mytorch.autograd.function import once_differentiable as mt_once_differentiable

try:
    import torch
    from torch.autograd.function import once_differentiable as t_once_differentiable
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


def once(T):
    return mt_once_differentiable if T is mytorch else t_once_differentiable


# --- setup_context style ----------------------------------------------------------------------
def make_scale(T, log):
    class Scale(T.autograd.Function):
        @staticmethod
        def forward(x, k):
            log.append(("forward", T.is_grad_enabled()))
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            log.append(("setup", T.is_grad_enabled(), type(inputs).__name__, output.requires_grad))
            x, k = inputs
            ctx.save_for_backward(x)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k * x, None  # d/dx of x*k is k; times x to use the saved tensor

    return Scale


def test_setup_context_style():
    def run(T):
        log = []
        x = T.tensor([1.0, 2.0, -3.0], requires_grad=True)
        y = make_scale(T, log).apply(x, 3.0)
        (gx,) = T.autograd.grad(y.sum(), x, create_graph=True)
        (ggx,) = T.autograd.grad(gx.sum(), x)
        return y, gx, ggx, log

    *m, log_m = run(mytorch)
    *t, log_t = run(torch)
    for a, b in zip(m, t):
        assert_matches(a, b)
    assert log_m == log_t


def test_setup_context_not_implemented_on_the_base():
    def run(T):
        T.autograd.Function.setup_context(None, (), None)

    raises_like(run, ["setup_context"])


# --- once_differentiable ------------------------------------------------------------------------
def make_square(T, seen):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once(T)
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            seen.append(T.is_grad_enabled())
            return 2 * x * g

    return Square


def test_once_differentiable_first_derivative_and_no_grad_inside():
    def run(T):
        seen = []
        x = T.tensor([1.0, -2.0], requires_grad=True)
        make_square(T, seen).apply(x).sum().backward()
        return x.grad, seen

    gm, seen_m = run(mytorch)
    gt, seen_t = run(torch)
    assert_matches(gm, gt)
    assert seen_m == seen_t == [False]


def test_once_differentiable_double_backward_raises():
    def run(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        y = make_square(T, []).apply(x)
        # The gradient reaching Square's backward requires grad (2 * y): its result then leads
        # to the node that refuses a second differentiation.
        (g,) = T.autograd.grad((y * y).sum(), x, create_graph=True)
        assert g.requires_grad
        g.sum().backward()

    raises_like(run, ["trying to differentiate twice", "once_differentiable"], RuntimeError)


def test_once_differentiable_without_create_graph_is_plain():
    def run(T):
        x = T.tensor([3.0], requires_grad=True)
        (g,) = T.autograd.grad(make_square(T, []).apply(x).sum(), x, create_graph=False)
        return g, g.requires_grad

    (gm, rm), (gt, rt) = run(mytorch), run(torch)
    assert_matches(gm, gt)
    assert rm is rt is False


# --- materialize grads --------------------------------------------------------------------------
def make_split(T, materialize, seen):
    class Split(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append((ga is None, gb is None))
            out = 0
            if ga is not None:
                out = out + 2 * ga
            if gb is not None:
                out = out + 3 * gb
            return out

    return Split


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    def run(T):
        seen = []
        x = T.tensor([1.0, 2.0], requires_grad=True)
        a, b = make_split(T, materialize, seen).apply(x)
        (a * 5).sum().backward()
        return x.grad, seen

    (gm, sm), (gt, st) = run(mytorch), run(torch)
    assert_matches(gm, gt)
    assert sm == st == [(False, materialize is False)]


# --- mark_dirty ----------------------------------------------------------------------------------
def make_double_(T, modify=True):
    class Double_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if modify:
                x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Double_


@pytest.mark.parametrize("modify", [True, False])
def test_mark_dirty_rewrites_history_and_version(modify):
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = x * 1
        v0 = b._version
        c = make_double_(T, modify).apply(b)
        out = (c * c).sum()
        out.backward()
        return c is b, b._version - v0, b.grad_fn.name(), b, x.grad

    m, t = run(mytorch), run(torch)
    assert m[0] is t[0] is True
    assert m[1] == t[1]
    assert m[2] == t[2] == "Double_Backward"
    assert_matches(m[3], t[3])
    assert_matches(m[4], t[4])


def test_mark_dirty_on_a_leaf_that_requires_grad():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        make_double_(T).apply(x)

    raises_like(run, ["leaf Variable that requires grad", "in-place operation"], RuntimeError)


def test_mark_dirty_without_grad_bumps_the_version_once_more():
    def run(T):
        x = T.tensor([1.0, 2.0])
        y = make_double_(T).apply(x)
        return y, x._version

    (ym, vm), (yt, vt) = run(mytorch), run(torch)
    assert_matches(ym, yt)
    assert vm == vt


def test_mark_dirty_saved_output_is_checked_against_later_writes():
    def run(T):
        class Exp_(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.exp_()
                ctx.mark_dirty(x)
                ctx.save_for_backward(x)
                return x

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y

        x = T.tensor([0.5, 1.0], requires_grad=True)
        y = Exp_.apply(x * 1)
        y.sum().backward(retain_graph=True)
        first = x.grad.clone()
        with T.no_grad():
            y.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return first, "modified by an inplace operation" in str(e)
        return first, False

    (gm, em), (gt, et) = run(mytorch), run(torch)
    assert_matches(gm, gt)
    assert em is et is True


# --- save_for_forward, jvp, vmap ----------------------------------------------------------------
def test_save_for_forward_jvp_and_vmap_are_kept():
    def run(T):
        class Sin(T.autograd.Function):
            generate_vmap_rule = True

            @staticmethod
            def forward(ctx, x):
                ctx.save_for_forward(x)
                ctx.save_for_backward(x)
                kept.append(ctx.saved_for_forward)
                ctxs.append(ctx)
                return x.sin()

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x.cos()

            @staticmethod
            def jvp(ctx, t):
                return t

        ctxs = []
        kept = []
        x = T.tensor([0.1, 0.2], requires_grad=True)
        y = Sin.apply(x)
        y.sum().backward()
        after = ctxs[0].saved_for_forward  # torch keeps it for the application only
        return x.grad, len(kept[0]), kept[0][0] is x, after, Sin.generate_vmap_rule

    m, t = run(mytorch), run(torch)
    assert_matches(m[0], t[0])
    assert m[1:] == t[1:]


def test_save_for_forward_refuses_non_tensors():
    def run(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_forward(3)
                return x * 1

        F.apply(T.ones(1, requires_grad=True))

    raises_like(run, ["save_for_forward expects all arguments to be tensors"], AssertionError)


def test_base_jvp_and_vmap_raise():
    for name in ("jvp", "vmap"):

        def run(T):
            fn = getattr(T.autograd.Function, name)
            fn(None, None) if name == "jvp" else fn(None, None, None)

        raises_like(run, [name], NotImplementedError)


# --- double backward through a Function ---------------------------------------------------------
def test_second_derivative_through_a_function_written_with_ops():
    def run(T):
        class Cube(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return w * x**3

            @staticmethod
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                return g * 3 * w * x**2, g * x**3

        x = T.tensor([0.5, -1.5, 2.0], dtype=T.float64, requires_grad=True)
        w = T.tensor([1.0, 2.0, -0.5], dtype=T.float64, requires_grad=True)
        y = Cube.apply(x, w).sum()
        gx, gw = T.autograd.grad(y, (x, w), create_graph=True)
        hx, hw = T.autograd.grad((gx * gx).sum() + gw.sum(), (x, w))
        return gx, gw, hx, hw

    for a, b in zip(run(mytorch), run(torch)):
        assert_matches(a, b)


# --- errors -------------------------------------------------------------------------------------
def make_mul(T, grads):
    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return grads(T, g, x, y)

    return Mul


def test_saved_tensor_modified_in_place_raises():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        a = x * 1
        y = make_mul(T, lambda T, g, x, y: (g * y, g * x)).apply(a, x)
        a.add_(1)
        y.sum().backward()

    raises_like(
        run,
        ["one of the variables needed for gradient computation has been modified by an inplace"],
        RuntimeError,
    )


def test_wrong_number_of_gradients_raises():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        make_mul(T, lambda T, g, x, y: (g,)).apply(x, x).sum().backward()

    raises_like(run, ["returned an incorrect number of gradients", "expected 2, got 1"])


def test_wrong_gradient_shape_raises():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        make_mul(T, lambda T, g, x, y: (T.ones(3), g)).apply(x, x).sum().backward()

    raises_like(run, ["returned an invalid gradient at index 0", "got [3]"], RuntimeError)


def test_mark_dirty_on_a_tensor_that_is_not_returned_raises():
    class Bad(mytorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    class BadT(torch.autograd.Function):
        forward = Bad.forward
        backward = Bad.backward

    with raises(RuntimeError, match="dirty"):
        BadT.apply(torch.ones(1, requires_grad=True) * 1)
    with raises(RuntimeError, match="dirty"):
        Bad.apply(mytorch.ones(1, requires_grad=True) * 1)
