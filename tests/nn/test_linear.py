"""nn.Linear, LazyLinear, Bilinear, Identity, Flatten, Unflatten and F.linear/F.bilinear against
torch: same weights, same inputs; outputs, gradients of two orders, state_dict and repr."""

import math

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, torch
from nn_check import check_layer, copy_state

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear(shape, bias, train, dtype_name, device):
    x = seeded_rng("linear", shape).standard_normal(shape)
    check_layer(lambda T: T.nn.Linear(3, 4, bias=bias), [x], dtype_name, device, train)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (2, 3), ()])
def test_bilinear(batch, bias, dtype_name, device):
    rng = seeded_rng("bilinear", batch)
    x1, x2 = rng.standard_normal(batch + (3,)), rng.standard_normal(batch + (4,))
    check_layer(lambda T: T.nn.Bilinear(3, 4, 2, bias=bias), [x1, x2], dtype_name, device)


def test_identity_flatten_unflatten(dtype_name, device):
    x = seeded_rng("flat").standard_normal((2, 3, 4, 5))
    check_layer(lambda T: T.nn.Identity(54, unused="x"), [x], dtype_name, device)
    check_layer(lambda T: T.nn.Flatten(), [x], dtype_name, device)
    check_layer(lambda T: T.nn.Flatten(0, 2), [x], dtype_name, device)
    check_layer(lambda T: T.nn.Unflatten(2, (2, 2)), [x], dtype_name, device)
    check_layer(lambda T: T.nn.Unflatten(-1, (-1, 5)), [x], dtype_name, device)
    seq = lambda T: T.nn.Sequential(T.nn.Flatten(), T.nn.Linear(60, 7), T.nn.Unflatten(1, [7, 1]))  # noqa: E731
    check_layer(seq, [x], dtype_name, device)


def test_lazy_linear(device):
    torch.manual_seed(0)
    tm, mm = torch.nn.LazyLinear(4), mytorch.nn.LazyLinear(4)
    assert repr(mm) == repr(tm)
    assert isinstance(mm.weight, mytorch.nn.UninitializedParameter)
    assert repr(mm.weight) == repr(tm.weight) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        mm.weight.shape
    mm.to(device)
    x = seeded_rng("lazy").standard_normal((2, 6)).astype("float32")
    tm(torch.tensor(x))
    om = mm(mytorch.tensor(x, device=device))
    assert type(mm) is mytorch.nn.Linear and type(mm.weight) is mytorch.nn.Parameter
    assert mm.weight.device.type == device and tuple(om.shape) == (2, 4)
    assert repr(mm) == repr(tm)
    copy_state(mm, tm)
    assert_matches(mm(mytorch.tensor(x, device=device)), tm(torch.tensor(x)))


def test_lazy_linear_loads_a_state_dict():
    tm = torch.nn.Linear(5, 3)
    mm = mytorch.nn.LazyLinear(3)
    copy_state(mm, tm)
    x = np.ones((2, 5), dtype="float32")
    assert_matches(mm(mytorch.tensor(x)), tm(torch.tensor(x)))


@pytest.mark.parametrize("cls,args", [("Linear", (30, 20)), ("Bilinear", (30, 10, 20))])
def test_default_init_follows_torch(cls, args):
    """torch's default schemes: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    mytorch.manual_seed(0)
    m = getattr(mytorch.nn, cls)(*args)
    bound = 1 / math.sqrt(args[0])
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.15 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound
    assert m.weight.dtype == mytorch.float32
    m64 = getattr(mytorch.nn, cls)(*args, dtype=mytorch.float64, device="standin")
    assert m64.weight.dtype == mytorch.float64 and m64.bias.device.type == "standin"


@pytest.mark.parametrize(
    "args,shapes",
    [
        ("bilinear", [(2, 3), (3, 4), (5, 3, 4)]),
        ("bilinear", [(2, 2), (2, 4), (5, 3, 4)]),
        ("bilinear", [(2, 3), (2, 5), (5, 3, 4)]),
        ("bilinear", [(2, 3), (2, 4), (5, 3, 4), (4,)]),
        ("bilinear", [(2, 3), (1, 2, 4), (5, 3, 4)]),
        ("linear", [(2, 3), (2, 4)]),
    ],
)
def test_shape_errors(args, shapes):
    arrays = [np.ones(s, dtype="float32") for s in shapes]
    m, t = raises_like(
        lambda T: getattr(T.nn.functional, args)(*[T.tensor(a) for a in arrays]), (), RuntimeError
    )
    assert m == t


def test_functional_namespace():
    assert mytorch.nn.functional.linear.__module__ == "mytorch._ops.nn_linear"
    assert not hasattr(mytorch, "bilinear") or hasattr(torch, "bilinear")
