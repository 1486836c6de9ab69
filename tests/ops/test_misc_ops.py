"""The in-place forms (mytorch/_ops/inplace_forms.py) and miscellaneous ops (misc_ops.py,
linalg_legacy.py) beyond their op_db rows (op_db_misc.py): torch's errors, in-place semantics
(version counters, views, shapes), integer and bool results, warnings."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch
from mytorch._ops.inplace_forms import TORCH_INPLACE

torch = pytest.importorskip("torch")

A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])


def _both(fn, *arrays, dtype="float64"):
    outs = []
    for T in (mytorch, torch):
        xs = [T.tensor(a.astype(dtype) if a.dtype.kind == "f" else a) for a in arrays]
        outs.append(fn(T, *xs))
    return outs


def _match(m, t):
    if isinstance(t, torch.Tensor):
        assert_matches(m, t)
    elif isinstance(t, (tuple, list)):
        assert len(m) == len(t)
        for a, b in zip(m, t):
            _match(a, b)
    else:
        assert m == t, f"{m!r} != torch's {t!r}"


def test_torch_inplace_functions_are_torchs():
    """Every torch.<name>_ of the list is torch's, and every torch.<name>_ of torch whose
    Tensor method mytorch has is in the list."""
    for name in TORCH_INPLACE:
        assert hasattr(torch, name), name
    have = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")}
    want = {n for n in have if hasattr(mytorch.Tensor, n)}
    for name in want:
        assert hasattr(mytorch, name), name


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: T.abs_(x),
        lambda T, x: T.clamp_(x, min=0.0),
        lambda T, x: T.clip_(x, -1, 1),
        lambda T, x: T.fill_(x, 3.0),
        lambda T, x: T.fill_(x, T.tensor(2.5, dtype=x.dtype)),
        lambda T, x: T.zero_(x),
        lambda T, x: T.nan_to_num_(x.div_(0)),
        lambda T, x: T.xlogy_(x, 2.0),
        lambda T, x: T.index_put_(x, (T.tensor([0, 1]),), T.tensor(9.0, dtype=x.dtype)),
        lambda T, x: T.square_(x),
        lambda T, x: T.round_(x),
        lambda T, x: T.detach_(x),
    ],
)
def test_torch_inplace_functions(fn):
    m, t = _both(lambda T, x: (fn(T, x), x, x._version), A)
    assert m[0] is m[1] and t[0] is t[1]
    _match(m, t)


@pytest.mark.parametrize(
    "fn, exc",
    [
        (lambda T, x: T.abs_(1.0), TypeError),
        (lambda T, x: T.fill_(x, T.tensor([1.0, 2.0])), RuntimeError),
        (lambda T, x: T.exp_(x.long()), RuntimeError),
        (lambda T, x: x.float_power_(2), RuntimeError),
        (lambda T, x: x.bitwise_and_(1), NotImplementedError),
        (lambda T, x: x << 1, NotImplementedError),
        (lambda T, x: T.bitwise_right_shift(x.long(), 1.5), NotImplementedError),
        (lambda T, x: x[0].fill_diagonal_(1.0), RuntimeError),
        (lambda T, x: T.zeros(2, 2, 3).fill_diagonal_(1.0), RuntimeError),
        (lambda T, x: x.squeeze_(5), IndexError),
        (lambda T, x: x.transpose_(0, 2), IndexError),
        (lambda T, x: T.zeros(2, 1, requires_grad=True).squeeze_(), RuntimeError),
        (lambda T, x: T.zeros(2, 1, requires_grad=True).t_(), RuntimeError),
    ],
)
def test_inplace_errors(fn, exc):
    raises_like(lambda T: fn(T, T.tensor(A, dtype=T.float32)), exc=exc)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x, y: x.eq_(y),
        lambda T, x, y: x.ne_(1.0),
        lambda T, x, y: x.lt_(y),
        lambda T, x, y: x.le_(0.5),
        lambda T, x, y: x.gt_(y),
        lambda T, x, y: x.ge_(y),
        lambda T, x, y: x.greater_(y),
        lambda T, x, y: x.greater_equal_(y),
        lambda T, x, y: x.less_(y),
        lambda T, x, y: x.less_equal_(y),
        lambda T, x, y: x.not_equal_(y),
        lambda T, x, y: x.sign_(),
        lambda T, x, y: x.fix_(),
        lambda T, x, y: x.negative_(),
        lambda T, x, y: x.clamp_min_(0.5),
        lambda T, x, y: x.clamp_max_(y),
        lambda T, x, y: x.long().bitwise_and_(3),
        lambda T, x, y: x.long().bitwise_or_(y.long()),
        lambda T, x, y: x.long().bitwise_xor_(5),
        lambda T, x, y: x.long().bitwise_not_(),
        lambda T, x, y: (x > 0).bitwise_not_(),
        lambda T, x, y: x.long().eq_(y.long()),
        lambda T, x, y: x.long().lt_(y + 0.5),
        lambda T, x, y: x.long().bitwise_left_shift_(2),
        lambda T, x, y: x.long().bitwise_right_shift_(y.long().abs()),
        lambda T, x, y: T.bitwise_left_shift(x.long(), 2, out=T.zeros(2, 3, dtype=T.int64)),
        lambda T, x, y: (x.long() << 2, 3 << x.long().abs(), x.long() >> 1, 64 >> x.long().abs()),
        lambda T, x, y: (x > 0) << 1,
        lambda T, x, y: x.to(T.uint8) << 3,
        lambda T, x, y: x.to(T.int8) >> 9,
        lambda T, x, y: x.double().float_power_(y),
    ],
)
def test_tensor_inplace_forms(fn):
    def run(T, x, y):
        z = x.clone()
        r = fn(T, z, y)
        return r, z._version

    _match(*_both(run, A, A[::-1].copy()))


def test_shift_operators_in_place():
    for T in (mytorch, torch):
        x = T.tensor([1, 2, 3])
        y = x
        y <<= 2
        assert y is x and x.tolist() == [4, 8, 12]
        y >>= 1
        assert y is x and x.tolist() == [2, 4, 6]


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: x.squeeze_(),
        lambda T, x: x.squeeze_(1),
        lambda T, x: x.squeeze_(0),
        lambda T, x: x.squeeze_((1, 2)),
        lambda T, x: x.unsqueeze_(0),
        lambda T, x: x.unsqueeze_(-1),
        lambda T, x: x[0].t_(),
        lambda T, x: x.transpose_(0, 2),
        lambda T, x: x.swapaxes_(0, 1),
        lambda T, x: x.swapdims_(2, 0),
    ],
)
def test_inplace_views(fn):
    """The tensor's own shape changes; its version moves on; its base stays; its gradient flows
    like torch's, also through a later in-place write."""

    def run(T, x):
        leaf = x.requires_grad_()
        base = leaf * 2
        v = base[:]
        r = fn(T, v)
        shape, version = tuple(v.shape), base._version
        r.mul_(3)
        (base * T.arange(base.numel(), dtype=base.dtype).reshape(base.shape)).sum().backward()
        return r is v, shape, version, v._base is base, leaf.grad, base

    _match(*_both(run, np.arange(6.0).reshape(2, 1, 3)))


def test_inplace_view_of_plain_tensor():
    def run(T, x):
        r = x.t_()
        return r is x, tuple(x.shape), x._version, x._base is None, x.contiguous(), x.stride()

    _match(*_both(run, A))
