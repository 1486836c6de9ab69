"""One declaration makes every form of an op: a test module declares ops of its own (a
primitive and a composite) and finds the function in its namespaces, the Tensor method, the
in-place method and out=, working on the CPU and the stand-in device, with derivatives of any
order (compared with torch, and by gradcheck/gradgradcheck)."""

import numpy as np
import pytest
from helpers import TOL, TOL2, assert_matches, raises, seeded_rng

import mytorch
from mytorch._ops._declare import DECLARATIONS, declare, undeclare, unary
from mytorch._registry import OPS, SAVE_OUT, KIND_FLOAT

NAME = "mytorch_test_expm1"  # no torch name: the fixture takes it away again
COMPOSITE = "mytorch_test_softsign"


@pytest.fixture
def declared():
    """A primitive (expm1 under a test name, in torch and torch.special) and a composite (softsign,
    in nn.functional), declared for the test and taken away after it."""
    fn = unary(
        NAME, lambda n, g: g * (n.out + 1), SAVE_OUT, KIND_FLOAT, xp="expm1",
        namespace=("torch", "special"),
    )  # fmt: skip

    def softsign(input):
        return input / (1 + mytorch.abs(input))

    comp = declare(
        softsign, name=COMPOSITE, namespace="nn.functional", method=True, inplace=True,
        composite=True,
    )  # fmt: skip
    try:
        yield fn, comp
    finally:
        undeclare(NAME)
        undeclare(COMPOSITE, "nn.functional")


def _x(device, dtype_name, requires_grad=True, shape=(2, 3)):
    a = seeded_rng("declare", dtype_name).uniform(-1.5, 1.5, shape).astype(dtype_name)
    return mytorch.tensor(a, device=device, requires_grad=requires_grad), a


def test_all_forms_appear(declared):
    fn, comp = declared
    assert mytorch.mytorch_test_expm1 is fn
    assert mytorch.special.mytorch_test_expm1 is fn
    assert mytorch.nn.functional.mytorch_test_softsign is comp
    assert not hasattr(mytorch, COMPOSITE)  # only in its own namespace
    assert hasattr(mytorch.Tensor, NAME) and hasattr(mytorch.Tensor, NAME + "_")
    assert hasattr(mytorch.Tensor, COMPOSITE) and hasattr(mytorch.Tensor, COMPOSITE + "_")
    assert NAME in OPS and OPS[NAME].xp == "expm1"
    assert DECLARATIONS[("torch", NAME)].namespaces == ("torch", "special")
    assert DECLARATIONS[("nn.functional", COMPOSITE)].composite
    assert fn.__name__ == NAME and "torch." + NAME in fn.__doc__


def test_undeclare_takes_every_form_away(declared):
    undeclare(NAME)
    undeclare(COMPOSITE, "nn.functional")
    assert not hasattr(mytorch, NAME)
    assert not hasattr(mytorch.special, NAME)
    assert not hasattr(mytorch.nn.functional, COMPOSITE)
    assert not hasattr(mytorch.Tensor, NAME) and not hasattr(mytorch.Tensor, NAME + "_")
    assert NAME not in OPS


@pytest.mark.torch
def test_forms_match_torch(declared, device, dtype_name):
    import torch

    fn, comp = declared
    x, a = _x(device, dtype_name, requires_grad=False)
    want = torch.expm1(torch.tensor(a))
    assert_matches(fn(x), want)
    assert_matches(x.mytorch_test_expm1(), want)
    # out=: written into the given tensor (its device and memory), which is returned
    out = mytorch.empty(2, 3, dtype=x.dtype, device=device)
    r = mytorch.mytorch_test_expm1(x, out=out)
    assert r is out and out.device == x.device
    assert_matches(out, want)
    # in place: the same memory, one more version
    y = x.clone()
    v0 = y._version
    assert y.mytorch_test_expm1_() is y
    assert y._version == v0 + 1
    assert_matches(y, want)
    assert_matches(x.mytorch_test_softsign(), torch.nn.functional.softsign(torch.tensor(a)))
    z = x.clone()
    z.mytorch_test_softsign_()
    assert_matches(z, torch.nn.functional.softsign(torch.tensor(a)))


@pytest.mark.torch
@pytest.mark.parametrize("which", ["primitive", "composite"])
def test_derivatives_of_any_order(declared, device, dtype_name, which):
    """First, second and third derivatives against torch's expm1 and softsign."""
    import torch

    fn = declared[0] if which == "primitive" else declared[1]
    tfn = torch.expm1 if which == "primitive" else torch.nn.functional.softsign
    x, a = _x(device, dtype_name)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = fn(x), tfn(tx)
    if which == "primitive":
        assert y.grad_fn.name() == "Mytorch_test_expm1Backward0"
    gm = [y.sum()]
    gt = [ty.sum()]
    for order in range(3):
        (gm1,) = mytorch.autograd.grad(gm[-1], x, create_graph=True)
        (gt1,) = torch.autograd.grad(gt[-1], tx, create_graph=True)
        assert_matches(gm1, gt1, **(TOL if order == 0 else TOL2)[dtype_name])
        w = seeded_rng("w", order).normal(size=(2, 3))
        gm.append((gm1 * mytorch.tensor(w.astype(dtype_name), device=device)).sum())
        gt.append((gt1 * torch.tensor(w.astype(dtype_name))).sum())


@pytest.mark.parametrize("which", ["primitive", "composite"])
def test_gradcheck_and_gradgradcheck(declared, which):
    fn = declared[0] if which == "primitive" else declared[1]
    x = mytorch.tensor(np.linspace(-1.2, 1.3, 6).reshape(2, 3), requires_grad=True)
    assert mytorch.autograd.gradcheck(fn, (x,))
    assert mytorch.autograd.gradgradcheck(fn, (x,))


def test_out_refuses_what_torch_refuses(declared):
    fn = declared[0]
    x, _ = _x("cpu", "float32")
    with raises(RuntimeError, match="don't support automatic differentiation"):
        fn(x, out=mytorch.empty(2, 3))
    with raises(RuntimeError, match="can't be cast to the desired output type Long"):
        fn(x.detach(), out=mytorch.empty(2, 3, dtype=mytorch.int64))
    with raises(TypeError, match="must be Tensor"):
        fn(x.detach(), out=np.empty((2, 3)))


def test_a_name_is_declared_once(declared):
    with raises(RuntimeError, match="declared twice"):
        unary(NAME, lambda n, g: g, namespace="special")
