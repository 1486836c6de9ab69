"""repr(tensor) is compared character for character with torch's, over a grid of layouts."""

import numpy as np
import pytest

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


def _arange(n, shape):
    return np.arange(n, dtype=np.float64).reshape(shape)


# Each case builds the tensor through the torch API with T = mytorch or T = torch.
CASES = [
    ("0d_float", lambda T: T.tensor(3.5)),
    ("0d_int_valued_float", lambda T: T.tensor(4.0)),
    ("0d_int", lambda T: T.tensor(7)),
    ("0d_bool", lambda T: T.tensor(True)),
    ("0d_negative", lambda T: T.tensor(-0.25)),
    ("0d_float64", lambda T: T.tensor(1.5, dtype=T.float64)),
    ("1d_float", lambda T: T.tensor([1.0, 2.5, -3.25])),
    ("1d_int_valued", lambda T: T.tensor([1.0, 2.0])),
    ("1d_int", lambda T: T.tensor([1, -20, 300])),
    ("1d_bool", lambda T: T.tensor([True, False, True])),
    ("1d_int32", lambda T: T.tensor([1, 2], dtype=T.int32)),
    ("1d_int8", lambda T: T.tensor([-1, 2], dtype=T.int8)),
    ("1d_uint8", lambda T: T.tensor([0, 255], dtype=T.uint8)),
    ("1d_float64", lambda T: T.tensor([1.0, 2.5], dtype=T.float64)),
    ("1d_float64_int_valued", lambda T: T.tensor([1.0, 2.0], dtype=T.float64)),
    ("1d_float16", lambda T: T.tensor([0.5, 1.25], dtype=T.float16)),
    ("2d_float", lambda T: T.tensor([[1.5, -2.0], [3.0, 4.125]])),
    ("2d_int", lambda T: T.tensor([[1, 2, 3], [40, 50, 60]])),
    ("3d_float", lambda T: T.tensor(_arange(12, (2, 3, 2)) / 4)),
    ("3d_int", lambda T: T.tensor(_arange(12, (2, 2, 3)).astype(np.int64))),
    ("4d", lambda T: T.tensor(_arange(16, (2, 2, 2, 2)))),
    ("sci_large", lambda T: T.tensor([1e10, 1.0])),
    ("sci_ratio", lambda T: T.tensor([1.0, 2000.5])),
    ("sci_small", lambda T: T.tensor([1e-5, 0.5])),
    ("sci_small_2d", lambda T: T.tensor([[1e-5, 0.5], [3.0, -2e-6]])),
    ("no_sci_int_ratio", lambda T: T.tensor([1.0, 5000.0])),
    ("big_int_valued", lambda T: T.tensor([123456.0, 1.0])),
    ("tiny_all", lambda T: T.tensor([1e-5, 2e-5])),
    ("zeros", lambda T: T.zeros(3)),
    ("negative_zero", lambda T: T.tensor([-0.0, 1.0])),
    ("nan_inf", lambda T: T.tensor([float("nan"), float("inf"), -float("inf"), 1.5])),
    ("nan_int_valued", lambda T: T.tensor([float("nan"), 2.0])),
    ("only_nan", lambda T: T.tensor([float("nan")])),
    ("inf_only", lambda T: T.tensor([float("inf"), 1.0])),
    ("empty", lambda T: T.tensor([])),
    ("empty_2d", lambda T: T.zeros(0, 3)),
    ("empty_int", lambda T: T.zeros(2, 0, dtype=T.int64)),
    ("empty_float64", lambda T: T.zeros(0, dtype=T.float64)),
    ("large_1d", lambda T: T.tensor(_arange(2000, (2000,)))),
    ("large_2d", lambda T: T.tensor(_arange(2000, (40, 50)) / 7)),
    ("large_3d", lambda T: T.tensor(_arange(1200, (10, 10, 12)).astype(np.int64))),
    ("large_int_1d", lambda T: T.tensor(np.arange(1500))),
    ("large_int_valued_float", lambda T: T.tensor(_arange(1001, (1001,)).astype(np.float32))),
    ("large_bool", lambda T: T.tensor(np.arange(1200) % 2 == 0)),
    ("large_fractions", lambda T: T.tensor(np.linspace(-1, 1, 1500))),
    ("large_with_nan", lambda T: T.tensor(np.r_[np.nan, np.arange(1500.0) / 8])),
    ("threshold_exact", lambda T: T.tensor(_arange(1000, (1000,)))),
    ("long_row_wraps", lambda T: T.tensor(_arange(30, (30,)) / 3)),
    ("long_int_row_wraps", lambda T: T.tensor(_arange(40, (40,)).astype(np.int64) * 1000)),
    ("long_rows_2d", lambda T: T.tensor(_arange(40, (2, 20)) * 1.5)),
    ("long_bool_row", lambda T: T.tensor(np.arange(30) % 3 == 0)),
    ("requires_grad_leaf", lambda T: T.tensor([1.0, 2.0], requires_grad=True)),
    ("requires_grad_0d", lambda T: T.tensor(2.0, requires_grad=True)),
    ("requires_grad_float64", lambda T: T.tensor([1.0], dtype=T.float64, requires_grad=True)),
    ("requires_grad_long_row", lambda T: T.tensor(_arange(24, (24,)) / 3, requires_grad=True)),
    ("detached", lambda T: T.tensor([1.0, 2.0], requires_grad=True).detach()),
]


def _x(T):
    return T.tensor([1.5, -2.0], requires_grad=True)


def _m(T):
    return T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)


GRAD_FN_CASES = [
    ("add", lambda T: _x(T) + 1),
    ("add_0d", lambda T: T.tensor(2.0, requires_grad=True) + 2),
    ("sub", lambda T: _x(T) - _x(T)),
    ("rsub", lambda T: 1 - _x(T)),
    ("mul", lambda T: _x(T) * 2),
    ("div", lambda T: _x(T) / 3),
    ("neg", lambda T: -_x(T)),
    ("pow", lambda T: _x(T) ** 2),
    ("exp", lambda T: _x(T).exp()),
    ("tanh", lambda T: T.tanh(_x(T))),
    ("sigmoid", lambda T: T.sigmoid(_x(T))),
    ("relu", lambda T: T.relu(_x(T))),
    ("sum", lambda T: _x(T).sum()),
    ("sum_dim", lambda T: _m(T).sum(0)),
    ("mean", lambda T: _x(T).mean()),
    ("mm", lambda T: _m(T) @ _m(T)),
    ("mv", lambda T: _m(T) @ _x(T)),
    ("dot", lambda T: _x(T) @ _x(T)),
    ("view", lambda T: _m(T).view(4)),
    ("transpose", lambda T: _m(T).transpose(0, 1)),
    ("select", lambda T: _m(T)[0]),
    ("slice", lambda T: _m(T)[:1]),
    ("float64_grad_fn", lambda T: T.tensor([1.0], dtype=T.float64, requires_grad=True) * 2),
    ("grad_fn_long_row", lambda T: T.tensor(_arange(24, (24,)) / 3, requires_grad=True) * 1),
    (
        "grad_fn_2d_float64",
        lambda T: T.tensor(_arange(6, (2, 3)), dtype=T.float64, requires_grad=True) + 1,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_torch(case):
    _, fn = case
    m, t = fn(mytorch), fn(torch)
    assert repr(m) == repr(t)
    assert str(m) == str(t)


@pytest.mark.parametrize("case", GRAD_FN_CASES, ids=[c[0] for c in GRAD_FN_CASES])
def test_repr_with_grad_fn_matches_torch(case):
    _, fn = case
    assert repr(fn(mytorch)) == repr(fn(torch))


def test_repr_of_size_and_dtype():
    assert repr(mytorch.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert repr(mytorch.zeros(()).shape) == repr(torch.zeros(()).shape)
    assert repr(mytorch.float64) == str(torch.float64)


def test_print_shows_repr(capsys):
    print(
        mytorch.tensor([1.0, 2.0], requires_grad=True), mytorch.tensor(2.0, requires_grad=True) * 2
    )
    print(torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor(2.0, requires_grad=True) * 2)
    mine, theirs = capsys.readouterr().out.splitlines()
    assert (
        mine == theirs == "tensor([1., 2.], requires_grad=True) tensor(4., grad_fn=<MulBackward0>)"
    )
