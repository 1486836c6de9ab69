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


# --- misc_ops, misc_numeric, linalg_legacy --------------------------------------------------
INTS = np.array([4, 6, -3])
X = np.array([1.0, 2.0, -0.5])


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x, i: T.addcmul(i, i, i, value=2),
        lambda T, x, i: T.addcmul(x, x, i, value=0.5, out=T.zeros(3, dtype=x.dtype)),
        lambda T, x, i: (x.clone().addcmul_(x, x), x.clone().addcdiv_(x, x, value=3)),
        lambda T, x, i: T.addcdiv(i, x, i),
        lambda T, x, i: T.heaviside(T.tensor([-1.0, 0, 2]), T.tensor([0.5])),
        lambda T, x, i: T.heaviside(T.tensor([-1, 0, 2]), T.tensor([7])),
        lambda T, x, i: (T.gcd(i, T.tensor(3, dtype=T.int32)), T.lcm(i, T.tensor([0, -4, 6]))),
        lambda T, x, i: i.clone().gcd_(T.tensor([6])),
        lambda T, x, i: T.gcd(i.to(T.uint8), T.tensor([6], dtype=T.uint8)),
        lambda T, x, i: T.nextafter(x, T.tensor([0.0, 5, -0.5])),
        lambda T, x, i: T.nextafter(x.float(), T.tensor(10.0)),
        lambda T, x, i: T.frexp(
            T.tensor([0.0, -0.0, 3.0, 1e-310, -5e-324, 0.75, 1 - 1e-16, 1.7e308, -4.0]).double()
        ),
        lambda T, x, i: T.frexp(T.tensor([1e-45, 3e38, 0.9999999, 2.0, float("inf"), -1.0])),
        lambda T, x, i: T.frexp(T.tensor([float("nan"), float("-inf")])),
        lambda T, x, i: T.frexp(x, out=(T.zeros(3, dtype=x.dtype), T.zeros(3, dtype=T.int32))),
        lambda T, x, i: (T.ldexp(x, i), T.ldexp(i, i), x.clone().ldexp_(i)),
        lambda T, x, i: (T.isin(x, 2.0), T.isin(2.0, x), T.isin(i, x), T.isin(x, x, invert=True)),
        lambda T, x, i: T.isin(i, T.tensor([[6, 1], [4, 0]]), assume_unique=True),
        lambda T, x, i: (x.is_signed(), i.to(T.uint8).is_signed(), (i > 0).is_signed()),
        lambda T, x, i: (T.isreal(x), T.isreal(i)),
        lambda T, x, i: (T.positive(x) is x, T.ravel(x), x.reshape(3, 1).ravel()),
        lambda T, x, i: T.renorm(T.tensor([[1.0, 2.0], [0.1, 0.2]]), 2, 0, 1.0),
        lambda T, x, i: T.tensor([[1.0, 2.0], [0.1, 0.2]]).renorm_(1, 1, 1.0),
        lambda T, x, i: T.renorm(
            T.tensor([[1.0, 2.0], [0.1, 0.2]]), float("inf"), 0, 1.5, out=T.zeros(2, 2)
        ),
        lambda T, x, i: (T.ones(2, 3).sum_to_size(3), T.ones(2, 3).sum_to_size((2, 1))),
        lambda T, x, i: T.ones(2, 3, 4).sum_to_size(1, 3, 1),
        lambda T, x, i: (x.type_as(i), i.type_as(x), x.type_as(x) is x),
        lambda T, x, i: (T.ones(2, 3).itemsize, T.ones(2, 3).nbytes, i[::2].nbytes),
        lambda T, x, i: (T.zeros(2, dtype=T.int16).itemsize, x.output_nr, x.max(0)[1].output_nr),
        lambda T, x, i: T.split_with_sizes(T.arange(5), [2, 3]),
        lambda T, x, i: (T.unsafe_split(T.arange(5), 2), T.unsafe_chunk(T.arange(5), 2, 0)),
        lambda T, x, i: T.unsafe_split_with_sizes(T.arange(6).reshape(2, 3), [1, 2], 1),
        lambda T, x, i: (T.logspace(0, 2, 3, dtype=T.int64), T.logspace(0, 2, 3, base=2)),
        lambda T, x, i: T.logspace(-1, 2, 4, base=3, dtype=T.float64),
        lambda T, x, i: T.logspace(0, 3, 4, base=-2.0),
        lambda T, x, i: T.logspace(0, 1, 3, out=T.zeros(3, dtype=T.float64)),
        lambda T, x, i: T.scalar_tensor(3),
        lambda T, x, i: T.scalar_tensor(2, dtype=T.int32, requires_grad=False),
        lambda T, x, i: (T.typename(x), T.typename(3), T.typename(i.int()), T.typename(i > 0)),
        lambda T, x, i: T.unravel_index(T.tensor([5, 7, -1, -9, 9]), (2, 4)),
        lambda T, x, i: T.unravel_index(T.tensor(3, dtype=T.int32), 5),
        lambda T, x, i: T.unravel_index(T.tensor([[3, 11]]), T.Size([3, 4])),
        lambda T, x, i: T.vander(x, 3),
        lambda T, x, i: (T.vander(i, increasing=True), T.vander(i.int()), T.vander(x, 0)),
        lambda T, x, i: T.vander(i > 0),
        lambda T, x, i: T.cumulative_trapezoid(T.tensor([1, 2, 4])),
        lambda T, x, i: T.cumulative_trapezoid(T.ones(2, 3), T.tensor([0.0, 1, 3]), dim=1),
        lambda T, x, i: T.gradient(T.tensor([[1, 4, 9], [16, 25, 36]])),
        lambda T, x, i: T.gradient(T.tensor([1.0, 4, 9, 16, 25]), spacing=2.0, edge_order=2),
        lambda T, x, i: T.gradient(T.ones(2, 3), spacing=3.0, dim=(0, 1)),
        lambda T, x, i: T.empty_strided((2, 3), (1, 2)).stride(),
        lambda T, x, i: (T.empty_strided((2, 0), (1, 2)).shape, T.empty_strided([], []).shape),
        lambda T, x, i: T.empty_permuted((2, 3, 4), (0, 2, 1), dtype=T.int32).stride(),
        lambda T, x, i: T.empty_permuted((2, 3, 4), (2, 0, 1)).shape,
        lambda T, x, i: T.frombuffer(bytearray(b"abcd"), dtype=T.int8),
        lambda T, x, i: T.frombuffer(bytearray(8), dtype=T.float32, count=1, offset=4),
        lambda T, x, i: (T.get_device(x), x.get_device(), T.is_distributed(x), T.is_signed(i)),
        lambda T, x, i: T.histogramdd(_PTS(T), bins=[2, 3]),
        lambda T, x, i: T.histogramdd(_PTS(T), bins=2, range=[0.0, 4.0, 0.0, 2.0], density=True),
        lambda T, x, i: T.histogramdd(
            _PTS(T), bins=[T.tensor([0.0, 1, 3]), T.tensor([0.0, 2, 4])], weight=T.arange(5.0)
        ),
        lambda T, x, i: T.histogramdd(T.ones(3, 2), bins=2),
        lambda T, x, i: T.histogramdd(_PTS(T).double().reshape(5, 1, 2), bins=3, density=True),
        lambda T, x, i: (
            str(T.binomial(T.tensor([0.0, 4]), T.tensor([0.5, 1.0])).dtype),
            T.binomial(T.tensor([3.0, 2.0]).double(), T.tensor([0.0, 1.5]).double()),
        ),  # fmt: skip
        lambda T, x, i: (T.ones(2, 3).H, T.ones(2, 2, 3).mH, T.adjoint(T.ones(1, 2, 3))),
    ],
)
def test_misc_values(fn):
    _match(*_both(fn, X, INTS))


def _PTS(T):
    return T.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [1.0, 1.0], [3.0, 3.0]])


@pytest.mark.parametrize("device", ["cpu", "standin"])
def test_binomial_draws(device):
    """Counts of n trials of probability p: mean n p and variance n p (1 - p), within 0..n."""
    n = mytorch.full((4000,), 20.0, device=device)
    p = mytorch.full((4000,), 0.3, device=device)
    k = mytorch.binomial(n, p, generator=mytorch.Generator(device).manual_seed(3))
    assert k.device.type == device and k.dtype == mytorch.float32
    k = k.cpu().numpy()
    assert k.min() >= 0 and k.max() <= 20 and np.all(k == np.round(k))
    assert abs(k.mean() - 6.0) < 0.15 and abs(k.var() - 4.2) < 0.4


def test_unsafe_split_pieces_are_writable_views():
    """A piece written in place changes its base. (torch's autograd does not see that write
    through its unsafe pieces; mytorch's pieces are plain views, whose writes it sees.)"""

    def run(T, x):
        base = x.requires_grad_() * 1
        a, b = T.unsafe_split(base, 2)
        a.mul_(2)
        return base, a._version, b.requires_grad

    _match(*_both(run, np.arange(4.0)))


def test_frombuffer_shares_memory():
    buf = bytearray(8)
    t = mytorch.frombuffer(buf, dtype=mytorch.int32)
    t[1] = 7
    assert buf[4] == 7


def test_range_warns_like_torch():
    for T in (mytorch, torch):
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            r = T.range(1, 2, 0.25)
        assert r.tolist() == [1.0, 1.25, 1.5, 1.75, 2.0] and r.dtype == T.float32
    with pytest.warns(UserWarning):
        _match(*_both(lambda T, x: (T.range(0, 3), T.range(0, 3, dtype=T.int64)), X))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "fn",
    [
        lambda T, a: T.cholesky(a, out=T.zeros(2, 2, dtype=a.dtype)),
        lambda T, a: T.cholesky_inverse(T.linalg.cholesky(a), out=T.zeros(2, 2, dtype=a.dtype)),
        lambda T, a: T.cholesky_solve(a, T.linalg.cholesky(a), out=T.zeros(2, 2, dtype=a.dtype)),
        lambda T, a: T.triangular_solve(
            a, a, out=(T.zeros(2, 2, dtype=a.dtype), T.zeros(0, dtype=a.dtype))
        ),
        lambda T, a: T.geqrf(a, out=(T.zeros(2, 2, dtype=a.dtype), T.zeros(2, dtype=a.dtype))),
        lambda T, a: T.ormqr(a, a[0], a, out=T.zeros(2, 2, dtype=a.dtype)),
        lambda T, a: T.range(0, 2, out=T.zeros(0)),
        lambda T, a: T.logspace(0, 2, 3, out=T.zeros(3, dtype=T.float64)),
        lambda T, a: T.angle(a, out=T.zeros(2, 2, dtype=a.dtype)),
    ],
)
def test_legacy_out_forms(fn):
    _match(*_both(fn, np.array([[4.0, 1.0], [1.0, 3.0]])))


def test_legacy_linalg_warns_like_torch():
    """mytorch warns as torch does (torch warns once per process, so only its text is
    compared here, not that it warns again)."""
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated") as w:
        mytorch.cholesky(mytorch.tensor(a))
    assert "U = torch.linalg.cholesky(A).mH" in str(w[0].message)
    with pytest.warns(UserWarning, match="torch.triangular_solve is deprecated"):
        mytorch.triangular_solve(mytorch.ones(2, 1, dtype=mytorch.float64), mytorch.tensor(a))


@pytest.mark.parametrize(
    "data",
    [
        [[1.0, 0], [0, 0], [0, 2]],
        [[-1.0, 0], [0, 1]],
        [[0.0, 1], [0, 1]],
        [[3.0, -1, 2], [0.5, 4, 1]],
        np.zeros((0, 2)),
        np.arange(24.0).reshape(2, 4, 3) % 5 - 2,
    ],
)
def test_geqrf_edge_cases(data):
    """LAPACK's choices: a zero column below the diagonal gives tau 0 (whatever alpha's sign),
    beta takes -sign(alpha), rank-deficient and empty inputs."""

    def run(T, x):
        r = T.geqrf(x)
        q = T.orgqr(r.a, r.tau) if x.shape[-2] >= x.shape[-1] else None
        return r.a, r.tau, q

    _match(*_both(run, np.asarray(data, dtype="float64")))


def test_vander_gradients():
    """torch 2.13's own vander cannot backward (an in-place cumprod): its gradient is the
    derivative of x ** k, checked numerically."""
    x = mytorch.tensor([0.5, -1.2, 0.0], dtype=mytorch.float64, requires_grad=True)
    assert mytorch.autograd.gradcheck(lambda x: mytorch.vander(x, 4), (x,))
    assert mytorch.autograd.gradgradcheck(lambda x: mytorch.vander(x, 4), (x,))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "fn, exc",
    [
        (lambda T, x, i: T.addcdiv(i, i, i), RuntimeError),
        (lambda T, x, i: T.heaviside(x, x.float()), RuntimeError),
        (lambda T, x, i: T.heaviside(x, 1.0), TypeError),
        (lambda T, x, i: T.gcd(x, x), NotImplementedError),
        (lambda T, x, i: T.gcd(i, 3), TypeError),
        (lambda T, x, i: T.lcm(i > 0, i > 0), NotImplementedError),
        (lambda T, x, i: T.nextafter(x, 5.0), TypeError),
        (lambda T, x, i: T.frexp(i), RuntimeError),
        (lambda T, x, i: T.ldexp(x, 2), TypeError),
        (lambda T, x, i: T.positive(i > 0), RuntimeError),
        (lambda T, x, i: T.renorm(x, 2, 0, 1.0), RuntimeError),
        (lambda T, x, i: T.renorm(x.reshape(1, 3), -1, 0, 1.0), RuntimeError),
        (lambda T, x, i: T.renorm(x.reshape(1, 3), 2, 0, -1.0), RuntimeError),
        (lambda T, x, i: T.renorm(i.reshape(1, 3), 2, 0, 1.0), RuntimeError),
        (lambda T, x, i: T.ones(2, 3).sum_to_size(1, 1, 3), RuntimeError),
        (lambda T, x, i: T.ones(2, 3).sum_to_size(2), RuntimeError),
        (lambda T, x, i: T.split_with_sizes(T.ones(5), [2, 2]), RuntimeError),
        (lambda T, x, i: T.unravel_index(5, (2, 4)), AttributeError),
        (lambda T, x, i: T.unravel_index(x, (2, 4)), TypeError),
        (lambda T, x, i: T.vander(T.ones(2, 2)), RuntimeError),
        (lambda T, x, i: T.vander(x, -1), RuntimeError),
        (
            lambda T, x, i: T.cumulative_trapezoid(T.ones(2, 3), T.tensor([0.0, 1]), dim=1),
            RuntimeError,
        ),  # noqa: E501
        (lambda T, x, i: T.gradient(T.tensor([1.0, 4]), edge_order=2), RuntimeError),
        (lambda T, x, i: T.gradient(x, edge_order=3), RuntimeError),
        (lambda T, x, i: T.gradient(T.ones(2, 3), spacing=[1.0]), RuntimeError),
        (lambda T, x, i: T.range(3, 0), RuntimeError),
        (lambda T, x, i: T.range(0, 3, 0), RuntimeError),
        (lambda T, x, i: T.empty_strided((2, 3), (1,)), RuntimeError),
        (lambda T, x, i: T.ones(3).H, RuntimeError),
        (lambda T, x, i: T.histogramdd(_PTS(T).long(), bins=2), NotImplementedError),
        (lambda T, x, i: T.histogramdd(_PTS(T), bins=(2, 2, 2)), RuntimeError),
        (lambda T, x, i: T.histogramdd(x, bins=3), RuntimeError),
        (lambda T, x, i: T.binomial(i.abs(), x), ValueError),
        (lambda T, x, i: T.binomial(x.abs(), x.float()), RuntimeError),
        (lambda T, x, i: T.ones(3).mH, RuntimeError),
        (lambda T, x, i: T.ones(2, 2, 2).H, RuntimeError),
        (lambda T, x, i: T.adjoint(x), RuntimeError),
        (lambda T, x, i: T.cholesky(T.ones(2, 3)), RuntimeError),
        (lambda T, x, i: T.cholesky(T.tensor([[1.0, 2], [2, 1]])), "LinAlgError"),
        (lambda T, x, i: T.cholesky_inverse(T.ones(2, 3)), RuntimeError),
        (lambda T, x, i: T.cholesky_solve(T.ones(2, 1), T.ones(2, 3)), RuntimeError),
        (lambda T, x, i: T.triangular_solve(T.ones(2, 1), T.ones(2, 3)), RuntimeError),
        (lambda T, x, i: T.orgqr(T.ones(2, 3), T.ones(2)), RuntimeError),
        (lambda T, x, i: T.ormqr(T.ones(3, 2), T.ones(2), T.ones(2, 3)), RuntimeError),
        (lambda T, x, i: T.geqrf(x), RuntimeError),
        (lambda T, x, i: T.geqrf(i.reshape(3, 1)), NotImplementedError),
        (lambda T, x, i: T.ormqr(T.ones(3, 2), T.ones(1), T.ones(3, 3)), RuntimeError),
    ],
)
def test_misc_errors(fn, exc):
    def run(T):
        return fn(T, T.tensor(X), T.tensor(INTS))

    if exc == "LinAlgError":
        with pytest.raises(mytorch.linalg.LinAlgError):
            run(mytorch)
        with pytest.raises(torch.linalg.LinAlgError):
            run(torch)
        return
    raises_like(run, exc=exc)


# --- complex_ops ------------------------------------------------------------------------
Z = np.array([1 + 2j, -3j, -0.5 + 0.25j])


def _values(r):
    """Results with complex tensors as (real, imag) float pairs (assert_matches compares
    real values)."""
    if isinstance(r, (tuple, list)):
        return tuple(_values(v) for v in r)
    if isinstance(r, (mytorch.Tensor, torch.Tensor)) and r.is_complex():
        lib = mytorch if isinstance(r, mytorch.Tensor) else torch
        return lib.view_as_real(r.resolve_conj())
    return r


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, z, x: (T.real(z), T.imag(z), z.real, z.imag, x.real),
        lambda T, z, x: (T.conj(z), T.conj_physical(z), z.conj_physical()),
        lambda T, z, x: (T.angle(z), T.angle(z.to(T.complex128)), z.angle()),
        lambda T, z, x: (T.isreal(z), T.isreal(T.real(z))),
        lambda T, z, x: (T.real(x) is x, T.conj(x) is x, T.conj_physical(x) is x),
        lambda T, z, x: (T.resolve_conj(x) is x, T.resolve_neg(x) is x, x.is_conj(), x.is_neg()),
        lambda T, z, x: (T.is_conj(x), T.is_neg(x), T.real(z)._base is z),
        lambda T, z, x: T.angle(T.tensor([1.0, -2, 0, -0.0, float("nan"), float("inf")])),
        lambda T, z, x: (T.angle(T.tensor([1, -2, 0])), T.angle(T.tensor([True, False]))),
        lambda T, z, x: T.angle(x, out=T.zeros(3, dtype=x.dtype)),
        lambda T, z, x: (T.polar(x.abs(), x), T.complex(x, x * 2), T.complex(x.float(), x.float())),
        lambda T, z, x: T.complex(x, -x, out=T.zeros(3, dtype=T.complex128)),
        lambda T, z, x: (
            T.view_as_real(z),
            T.view_as_complex(T.ones(3, 2)),
            T.view_as_complex(x[:2]),
        ),
        lambda T, z, x: (x.cfloat(), x.cdouble(), T.real(x.cfloat()), z.cdouble()),
        lambda T, z, x: (
            T.conj_physical_(z.clone()),
            z.clone().conj_physical_(),
            x.clone().conj_physical_(),
        ),
    ],
)
def test_complex_values(fn):
    m, t = _both(lambda T, x: fn(T, T.tensor(Z.astype("complex64")), x), X)
    _match(_values(m), _values(t))


def test_complex_view_writes_reach_the_base():
    def run(T, x):
        z = T.complex(x, x * 2)
        T.real(z).mul_(2)
        T.imag(z).add_(1)
        return T.view_as_real(z), z._version

    _match(*_both(run, X))


def test_angle_of_real_has_zero_gradients():
    def run(T, x):
        x.requires_grad_()
        a = T.angle(x)
        (g,) = T.autograd.grad(a.sum(), x, create_graph=True)
        return a, g

    _match(*_both(run, np.array([1.0, -2, 0, -0.0, float("nan"), float("inf")])))


def test_complex_backward_is_refused():
    x = mytorch.tensor(X, requires_grad=True)
    z = mytorch.complex(x, x)
    with pytest.raises(RuntimeError, match="complex"):
        mytorch.real(z).sum().backward()


@pytest.mark.parametrize(
    "fn, exc",
    [
        (lambda T, x: T.imag(x), RuntimeError),
        (lambda T, x: T.view_as_real(x), RuntimeError),
        (lambda T, x: T.view_as_complex(x), RuntimeError),
        (lambda T, x: T.view_as_complex(x.long().reshape(3, 1)), RuntimeError),
        (lambda T, x: T.view_as_complex(x.reshape(1, 3)), RuntimeError),
        (lambda T, x: T.complex(x, x.float()), RuntimeError),
        (lambda T, x: T.complex(x.long(), x.long()), RuntimeError),
        (lambda T, x: T.polar(x.long(), x.long()), RuntimeError),
    ],
)
def test_complex_errors(fn, exc):
    raises_like(lambda T: fn(T, T.tensor(X)), exc=exc)
