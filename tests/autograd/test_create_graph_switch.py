"""The process-wide meaning of autograd.grad(create_graph=None): mytorch's default (the grad mode:
gradients stay differentiable) or torch's (False), as a function, a context manager, a decorator
and the environment variable MYTORCH_CREATE_GRAPH_DEFAULT read at import."""

import os
import subprocess
import sys

import pytest
import torch
from helpers import raises_like

import mytorch
from mytorch import autograd

ENV = os.environ.get("MYTORCH_CREATE_GRAPH_DEFAULT", "")


@pytest.fixture(autouse=True)
def default_restored():
    before = autograd.get_create_graph_default()
    yield
    assert autograd.get_create_graph_default() == before
    autograd.set_create_graph_default(before)


def _first_grad(T):
    a = T.tensor(3.0, requires_grad=True)
    b = T.tensor(2.0, requires_grad=True)
    c = a * a * b
    (g,) = T.autograd.grad(c, [a])
    return a, b, c, g


def test_the_setting_at_import_follows_the_environment():
    assert autograd.get_create_graph_default() is (ENV != "0")


def test_torch_mode_matches_torch():
    prev = autograd.set_create_graph_default(False)
    try:
        assert autograd.get_create_graph_default() is False
        _, _, _, gt = _first_grad(torch)
        _, _, _, gm = _first_grad(mytorch)
        assert gt.grad_fn is None and gm.grad_fn is None
        assert gt.requires_grad is gm.requires_grad is False
        assert float(gm) == float(gt) == 12.0

        # retain_graph follows the resolved create_graph (False): a second pass over the same
        # graph fails as torch's does.
        def twice(T):
            a, _, c, _ = _first_grad(T)
            T.autograd.grad(c, [a])

        raises_like(twice, ["second time"], exc=RuntimeError)
    finally:
        autograd.set_create_graph_default(prev)


def test_mytorch_mode_keeps_gradients_differentiable():
    prev = autograd.set_create_graph_default(True)
    try:
        a, b, c, g = _first_grad(mytorch)
        assert g.grad_fn is not None and g.requires_grad
        (g2,) = autograd.grad(g, [b])  # d/db (2 a b) = 2 a
        assert float(g2) == 6.0
        (again,) = autograd.grad(c, [a])  # the graph was retained (retain_graph=create_graph)
        assert float(again) == 12.0
        with mytorch.no_grad():  # outside grad mode, None means False in both modes
            (g3,) = autograd.grad(c, [a])
        assert g3.grad_fn is None
    finally:
        autograd.set_create_graph_default(prev)


@pytest.mark.parametrize("mode", [True, False])
def test_explicit_create_graph_wins_in_both_modes(mode):
    with autograd.create_graph_default(mode):
        a = mytorch.tensor(3.0, requires_grad=True)
        (g,) = autograd.grad(a * a, [a], create_graph=True)
        assert g.grad_fn is not None
        (g,) = autograd.grad(a * a, [a], create_graph=False)
        assert g.grad_fn is None


def test_set_returns_the_previous_setting():
    start = autograd.get_create_graph_default()
    assert autograd.set_create_graph_default(False) is start
    assert autograd.set_create_graph_default(True) is False
    assert autograd.set_create_graph_default(start) is True


def test_context_manager_restores_even_on_error():
    start = autograd.get_create_graph_default()
    with autograd.create_graph_default(not start):
        assert autograd.get_create_graph_default() is (not start)
        with autograd.create_graph_default(start):
            assert autograd.get_create_graph_default() is start
        assert autograd.get_create_graph_default() is (not start)
    assert autograd.get_create_graph_default() is start
    with pytest.raises(KeyError):
        with autograd.create_graph_default(not start):
            raise KeyError("boom")
    assert autograd.get_create_graph_default() is start


def test_decorator_form():
    @autograd.create_graph_default(False)
    def f():
        a = mytorch.tensor(2.0, requires_grad=True)
        return autograd.grad(a * a, [a])[0], autograd.get_create_graph_default()

    g, inside = f()
    assert inside is False and g.grad_fn is None


def test_backward_keeps_torch_default():
    # Tensor.backward() never builds a graph unless asked, in both modes.
    for mode in (True, False):
        with autograd.create_graph_default(mode):
            a = mytorch.tensor(2.0, requires_grad=True)
            (a * a).backward()
            assert a.grad.grad_fn is None


def _setting_in_a_new_process(value):
    env = dict(os.environ)
    env.pop("MYTORCH_CREATE_GRAPH_DEFAULT", None)
    if value is not None:
        env["MYTORCH_CREATE_GRAPH_DEFAULT"] = value
    root = os.path.dirname(os.path.dirname(os.path.abspath(mytorch.__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    code = (
        "import warnings; warnings.simplefilter('always')\n"
        "import mytorch\n"
        "a = mytorch.tensor(2.0, requires_grad=True)\n"
        "g, = mytorch.autograd.grad(a * a, [a])\n"
        "print(mytorch.autograd.get_create_graph_default(), g.grad_fn is not None)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return run.stdout.split(), run.stderr


@pytest.mark.parametrize(
    "value, expected",
    [(None, "True"), ("0", "False"), ("off", "False"), ("1", "True")],
)
def test_environment_variable(value, expected):
    out, err = _setting_in_a_new_process(value)
    assert out == [expected, expected], err
    assert "RuntimeWarning" not in err


def test_environment_variable_not_understood_warns_and_keeps_the_default():
    out, err = _setting_in_a_new_process("maybe")
    assert out == ["True", "True"]
    assert "RuntimeWarning" in err and "MYTORCH_CREATE_GRAPH_DEFAULT" in err
