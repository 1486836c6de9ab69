"""no_grad, enable_grad, set_grad_enabled, inference_mode: context managers, decorators,
and thread-local state."""

import threading

import pytest
from helpers import raises

import mytorch
from mytorch import autograd


@pytest.fixture(autouse=True)
def grad_mode_restored():
    # A test that fails half-way must not leave grad mode off for the rest of the suite.
    yield
    assert mytorch.is_grad_enabled()


def test_no_grad_context():
    x = mytorch.ones(2, requires_grad=True)
    with mytorch.no_grad():
        assert not mytorch.is_grad_enabled()
        y = x * 2
    assert mytorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_no_grad_decorator_with_and_without_call():
    @mytorch.no_grad()
    def f(x):
        return x * 2, mytorch.is_grad_enabled()

    @mytorch.no_grad
    def g(x):
        return x * 2

    x = mytorch.ones(1, requires_grad=True)
    y, enabled = f(x)
    assert not enabled and not y.requires_grad and not g(x).requires_grad
    assert f.__name__ == "f"


def test_enable_grad_inside_no_grad():
    x = mytorch.ones(1, requires_grad=True)
    with mytorch.no_grad():
        with mytorch.enable_grad():
            y = x * 2
        z = x * 2

        @mytorch.enable_grad()
        def h():
            return x * 3

        w = h()
    assert y.requires_grad and not z.requires_grad and w.requires_grad


def test_set_grad_enabled_context_function_and_decorator():
    x = mytorch.ones(1, requires_grad=True)
    with mytorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mytorch.is_grad_enabled()
    mytorch.set_grad_enabled(False)  # as a plain call it takes effect at once
    try:
        assert not mytorch.is_grad_enabled()
    finally:
        mytorch.set_grad_enabled(True)

    @mytorch.set_grad_enabled(False)
    def f():
        return mytorch.is_grad_enabled()

    assert mytorch.is_grad_enabled()  # decorating alone changes nothing
    assert f() is False and mytorch.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with raises(ValueError), mytorch.no_grad():
        raise ValueError
    assert mytorch.is_grad_enabled()


def test_inference_mode():
    x = mytorch.ones(1, requires_grad=True)
    with mytorch.inference_mode():
        assert not (x * 2).requires_grad
    with mytorch.inference_mode(False):
        assert (x * 2).requires_grad


def _inference_trace(T):
    """What is_grad_enabled / is_inference_mode_enabled say in the forms scripts use."""
    seen = [(T.is_grad_enabled(), T.is_inference_mode_enabled())]

    def probe():
        return T.is_grad_enabled(), T.is_inference_mode_enabled()

    with T.inference_mode():
        seen.append(probe())
        with T.inference_mode(False):
            seen.append(probe())
        with T.enable_grad():
            seen.append(probe())
        seen.append(probe())
    with T.no_grad(), T.inference_mode(False):
        seen.append(probe())
    seen.append(T.inference_mode(probe)())  # a bare decorator: @torch.inference_mode
    seen.append(T.inference_mode()(probe)())
    with T.inference_mode():
        seen.append(T.inference_mode(False)(probe)())
    try:
        with T.inference_mode():
            raise ValueError
    except ValueError:
        seen.append(probe())
    return seen


@pytest.mark.torch
def test_inference_mode_state_matches_torch():
    # Regression: is_inference_mode_enabled was missing and @inference_mode (bare) broke.
    torch = pytest.importorskip("torch")
    assert _inference_trace(mytorch) == _inference_trace(torch)


def test_autograd_namespace_reexports():
    assert autograd.no_grad is mytorch.no_grad
    assert autograd.is_grad_enabled is mytorch.is_grad_enabled


def test_grad_mode_is_thread_local():
    seen = {}
    entered = threading.Event()
    release = threading.Event()

    def worker():
        seen["start"] = mytorch.is_grad_enabled()
        with mytorch.no_grad():
            entered.set()
            release.wait(5)
            seen["inside"] = mytorch.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(5)
    main_sees = mytorch.is_grad_enabled()  # the worker is inside no_grad right now
    x = mytorch.ones(1, requires_grad=True)
    y = x * 2
    release.set()
    t.join()
    assert main_sees and y.requires_grad
    assert seen == {"start": True, "inside": False}


def test_backward_under_no_grad_still_computes_grads():
    x = mytorch.ones(2, requires_grad=True)
    y = (x * x).sum()
    with mytorch.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 2.0] and not x.grad.requires_grad
