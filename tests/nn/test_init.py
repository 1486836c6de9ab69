"""nn.init against torch: gains, fans and error messages exactly; random schemes by their
distribution (torch's numbers differ for the same seed)."""

import math

import numpy as np
import pytest

import mytorch
from helpers import raises_like, torch

pytestmark = pytest.mark.torch
I = mytorch.nn.init  # noqa: E741


@pytest.mark.parametrize(
    "args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
             ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)],
)  # fmt: skip
def test_calculate_gain(args):
    assert I.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("nope",), ("leaky_relu", True), ("leaky_relu", "x")])
def test_calculate_gain_errors(args):
    m, t = raises_like(lambda T: T.nn.init.calculate_gain(*args), (), ValueError)
    assert m == t


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3, 3), (4, 6, 2)])
def test_fans(shape):
    assert I._calculate_fan_in_and_fan_out(mytorch.empty(*shape)) == (
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.init.kaiming_uniform_(T.empty(3)),
        lambda T: T.nn.init.kaiming_normal_(T.empty(3, 4), mode="fan_avg"),
        lambda T: T.nn.init.eye_(T.empty(3)),
        lambda T: T.nn.init.dirac_(T.empty(3, 4)),
        lambda T: T.nn.init.dirac_(T.empty(3, 4, 3), groups=2),
        lambda T: T.nn.init.orthogonal_(T.empty(3)),
        lambda T: T.nn.init.sparse_(T.empty(3), 0.5),
        lambda T: T.nn.init.xavier_uniform_(T.empty(3)),
    ],
)
def test_errors_match_torch(call):
    m, t = raises_like(call, (), ValueError)
    assert m == t


def test_deterministic_schemes(device):
    for name, shape, args in [
        ("constant_", (2, 3), (0.5,)), ("ones_", (2, 3), ()), ("zeros_", (2, 3), ()),
        ("eye_", (3, 5), ()), ("dirac_", (4, 2, 3), ()), ("dirac_", (6, 3, 3, 3), (2,)),
        ("dirac_", (2, 2, 3, 3, 1), ()),
    ]:  # fmt: skip
        m = mytorch.empty(*shape, device=device, requires_grad=True)
        t = torch.empty(*shape, requires_grad=True)
        assert getattr(I, name)(m, *args) is m
        getattr(torch.nn.init, name)(t, *args)
        assert np.array_equal(m.detach().cpu().numpy(), t.detach().numpy())
        assert m.is_leaf and m.requires_grad and m.device.type == device


def test_random_schemes_have_torchs_distributions(device):
    mytorch.manual_seed(0)
    w = lambda: mytorch.empty(400, 300, device=device, requires_grad=True)  # noqa: E731
    fan_in, fan_out = 300, 400
    cases = [
        (I.uniform_(w(), -2, 3), -2, 3, 0.5, 5 / math.sqrt(12)),
        (I.normal_(w(), 1, 2), None, None, 1, 2),
        (I.xavier_uniform_(w(), gain=2), None, None, 0, 2 * math.sqrt(2 / (fan_in + fan_out))),
        (I.xavier_normal_(w()), None, None, 0, math.sqrt(2 / (fan_in + fan_out))),
        (I.kaiming_uniform_(w(), a=math.sqrt(5)), None, None, 0, 1 / math.sqrt(3 * fan_in)),
        (I.kaiming_normal_(w(), mode="fan_out", nonlinearity="relu"), None, None, 0,
         math.sqrt(2 / fan_out)),
        (I.trunc_normal_(w(), 0, 1, -1, 2), -1, 2, None, None),
    ]  # fmt: skip
    for t, lo, hi, mean, std in cases:
        a = t.detach().cpu().numpy().astype(np.float64)
        assert t.is_leaf and t.device.type == device
        if lo is not None:
            assert a.min() >= lo and a.max() <= hi
        if mean is not None:
            assert abs(a.mean() - mean) < 0.02 * max(std, 1)
            assert abs(a.std() - std) < 0.02 * std
    # truncated N(0, 1) on [-1, 2]: mean phi(-1)-phi(2) over Phi(2)-Phi(-1)
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    expect = (phi(-1) - phi(2)) / (cdf(2) - cdf(-1))
    assert abs(a.mean() - expect) < 0.01


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal(shape, device):
    t = I.orthogonal_(mytorch.empty(*shape, dtype=mytorch.float64, device=device), gain=2)
    a = t.cpu().numpy().reshape(shape[0], -1)
    small = a.T @ a if a.shape[0] >= a.shape[1] else a @ a.T
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-10)


def test_sparse():
    t = I.sparse_(mytorch.empty(10, 4), 0.3, std=0.5)
    a = t.numpy()
    assert ((a == 0).sum(axis=0) == math.ceil(0.3 * 10)).all()


def test_zero_element_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        I.kaiming_uniform_(mytorch.empty(0, 3))
