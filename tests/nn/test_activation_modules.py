"""The activation modules of torch.nn against torch: repr (extra_repr), state_dict (PReLU's
weight), values, gradients of two orders, in-place forms, float32/float64, the CPU and the
stand-in device, train and eval (RReLU)."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

MAKERS = [
    lambda T: T.nn.ReLU(),
    lambda T: T.nn.ReLU6(),
    lambda T: T.nn.GELU(),
    lambda T: T.nn.GELU("tanh"),
    lambda T: T.nn.SiLU(),
    lambda T: T.nn.Mish(),
    lambda T: T.nn.ELU(alpha=0.7),
    lambda T: T.nn.SELU(),
    lambda T: T.nn.CELU(1.5),
    lambda T: T.nn.LeakyReLU(0.2),
    lambda T: T.nn.PReLU(),
    lambda T: T.nn.PReLU(3, init=0.1),
    lambda T: T.nn.Hardtanh(-0.5, 0.8),
    lambda T: T.nn.Hardsigmoid(),
    lambda T: T.nn.Hardswish(),
    lambda T: T.nn.Hardshrink(0.3),
    lambda T: T.nn.Softshrink(0.4),
    lambda T: T.nn.Tanhshrink(),
    lambda T: T.nn.Threshold(0.1, -2.0),
    lambda T: T.nn.LogSigmoid(),
    lambda T: T.nn.Softsign(),
    lambda T: T.nn.Softplus(beta=2.0, threshold=1.5),
    lambda T: T.nn.Sigmoid(),
    lambda T: T.nn.Tanh(),
    lambda T: T.nn.Softmax(dim=1),
    lambda T: T.nn.Softmin(dim=-1),
    lambda T: T.nn.LogSoftmax(dim=2),
    lambda T: T.nn.Softmax2d(),
    lambda T: T.nn.GLU(dim=-1),
    lambda T: T.nn.RReLU(0.1, 0.3),
]


# zero second derivatives (torch keeps a graph for them, mytorch does not), or none in torch
PIECEWISE_LINEAR = {
    "Hardtanh", "ReLU6", "Hardshrink", "Softshrink", "Threshold", "LeakyReLU", "RReLU",
    "Hardsigmoid",
}  # fmt: skip


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("k", range(len(MAKERS)), ids=lambda k: type(MAKERS[k](torch)).__name__)
def test_activation_module(k, train, dtype_name, device):
    make = MAKERS[k]
    if isinstance(make(torch), torch.nn.RReLU) and train:
        pytest.skip("random slopes: tested in test_rrelu_train")
    x = seeded_rng("act", k).standard_normal((2, 3, 4, 2)) * 2
    second = type(make(torch)).__name__ not in PIECEWISE_LINEAR
    check_layer(make, [x], dtype_name, device, train, second=second)


INPLACE = [
    lambda T: T.nn.ReLU(inplace=True),
    lambda T: T.nn.ReLU6(True),
    lambda T: T.nn.SiLU(inplace=True),
    lambda T: T.nn.Mish(inplace=True),
    lambda T: T.nn.ELU(0.5, inplace=True),
    lambda T: T.nn.SELU(inplace=True),
    lambda T: T.nn.CELU(inplace=True),
    lambda T: T.nn.LeakyReLU(0.1, True),
    lambda T: T.nn.Hardtanh(inplace=True),
    lambda T: T.nn.Hardsigmoid(inplace=True),
    lambda T: T.nn.Hardswish(inplace=True),
    lambda T: T.nn.Threshold(0.0, 1.0, True),
    lambda T: T.nn.RReLU(inplace=True),
]


@pytest.mark.parametrize("k", range(len(INPLACE)))
def test_inplace(k, device):
    make = INPLACE[k]
    assert repr(make(mytorch)) == repr(make(torch))
    x = seeded_rng("inplace", k).standard_normal((3, 4)).astype("float32")
    xt, xm = torch.tensor(x), mytorch.tensor(x, device=device)
    mt, mm = make(torch).eval(), make(mytorch).eval()
    ot, om = mt(xt), mm(xm)
    assert om is xm or om.data_ptr() == xm.data_ptr()
    assert_matches(xm, xt)
    assert_matches(om, ot)


def test_reprs():
    for make in (
        MAKERS
        + INPLACE
        + [
            lambda T: T.nn.Softmax(),
            lambda T: T.nn.Hardtanh(-2, 2),
            lambda T: T.nn.RReLU(),
            lambda T: T.nn.Threshold(1, 2),
        ]
    ):
        assert repr(make(mytorch)) == repr(make(torch))


def test_rrelu_train(device):
    mytorch.manual_seed(0)
    x = mytorch.tensor(-np.ones((200, 50), dtype="float32"), device=device)
    y = mytorch.nn.RReLU(0.1, 0.3)(x).cpu().numpy()
    assert (y >= -0.3).all() and (y <= -0.1).all() and y.std() > 0.03


def test_prelu_parameters(device):
    m = mytorch.nn.PReLU(4, init=0.3, device=device, dtype=mytorch.float64)
    assert m.weight.device.type == device and m.weight.dtype == mytorch.float64
    assert np.allclose(m.weight.detach().cpu().numpy(), 0.3)
    assert [n for n, _ in m.named_parameters()] == ["weight"]


def test_softmax2d_dims():
    m, t = raises_like(lambda T: T.nn.Softmax2d()(T.ones(2, 3)), (), ValueError)
    assert m == t


def test_hardtanh_deprecated_names():
    with pytest.warns(FutureWarning):
        tm = torch.nn.Hardtanh(min_value=-2.0)
    with pytest.warns(FutureWarning):
        mm = mytorch.nn.Hardtanh(min_value=-2.0)
    assert repr(mm) == repr(tm)


def test_torch_paths():
    for name in mytorch.nn.modules.activation.__all__:
        cls = getattr(mytorch.nn.modules.activation, name)
        assert cls is getattr(mytorch.nn, name) and hasattr(torch.nn.modules.activation, name)
