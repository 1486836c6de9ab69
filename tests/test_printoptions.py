"""set_printoptions against torch: precision, threshold, edgeitems, linewidth, sci_mode and the
profiles, on float and integer tensors."""

import math

import numpy as np
import pytest

import mytorch
from helpers import torch

pytestmark = pytest.mark.torch

VALUES = [
    [1.123456789, 2.5, -3.75], [1e-5, 1.0, 2.0], [1e9, 1.0], [0.0, 0.0], [1.0, 2.0, 3.0],
    np.linspace(-3, 3, 40).tolist(), np.arange(2000.0).reshape(40, 50).tolist(),
    [[1.5e-7, 2.0], [3.0, math.nan]], [math.inf, 1.0],
]  # fmt: skip
OPTIONS = [
    dict(precision=2), dict(precision=8), dict(threshold=5), dict(edgeitems=1, threshold=10),
    dict(linewidth=30), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
    dict(profile="full"), dict(profile="short", precision=6),
    dict(precision=1, sci_mode=True, linewidth=40),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _default_options():
    yield
    mytorch.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def _reprs(opts, make):
    out = []
    for T in (mytorch, torch):
        T.set_printoptions(**opts)
        out.append(repr(make(T)))
        T.set_printoptions(profile="default")
    return out


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_tensors(opts, dtype):
    for v in VALUES:
        m, t = _reprs(opts, lambda T: T.tensor(v, dtype=getattr(T, dtype), requires_grad=True))
        assert m == t


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_integer_tensors(opts):
    m, t = _reprs(opts, lambda T: T.arange(2000).reshape(40, 50))
    assert m == t
    m, t = _reprs(opts, lambda T: T.arange(12) * 1000)
    assert m == t


def test_options_persist_until_changed_and_sci_mode_resets():
    for T in (mytorch, torch):
        T.set_printoptions(precision=2, sci_mode=True)
        T.set_printoptions(linewidth=100)  # sci_mode back to None, precision kept
    assert repr(mytorch.tensor([1.23456, 2.0])) == repr(torch.tensor([1.23456, 2.0]))
    assert repr(mytorch.tensor([1.23456, 2.0])) == "tensor([1.23, 2.00])"
