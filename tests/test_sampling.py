"""Random samples against torch: dtypes, shapes and exact errors of normal (each overload),
bernoulli, multinomial, poisson, randint_like and the in-place samplers; their distributions
(moments of large samples, on the CPU and the stand-in device); and ``generator=`` with
get_rng_state/set_rng_state replaying a stream."""

import math

import numpy as np
import pytest

import mytorch
from helpers import raises_like, to_numpy, torch

pytestmark = pytest.mark.torch

N = 200_000


def _g(device, seed=7):
    return mytorch.Generator(device).manual_seed(seed)


def _close(value, want, tol):
    assert abs(value - want) <= tol, (value, want)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.normal(T.zeros(2, 1), T.ones(3)),
        lambda T: T.normal(T.zeros(2, dtype=T.float64), T.ones(2)),
        lambda T: T.normal(T.zeros(2), 2.0),
        lambda T: T.normal(-2.0, T.ones(2, dtype=T.float64)),
        lambda T: T.normal(0, 1, (2, 3)),
        lambda T: T.normal(0, 1, size=(2,), dtype=T.float64),
        lambda T: T.bernoulli(T.full((2, 3), 0.5, dtype=T.float64)),
        lambda T: T.bernoulli(T.zeros(4), 0.3),
        lambda T: T.zeros(2, 2).bernoulli(0.7),
        lambda T: T.zeros(3, dtype=T.int64).bernoulli_(0.5),
        lambda T: T.zeros(2, dtype=T.bool).bernoulli_(T.tensor([0.5, 1.0])),
        lambda T: T.poisson(T.tensor([1.0, 2.0], dtype=T.float64)),
        lambda T: T.multinomial(T.ones(3, 4), 5, True),
        lambda T: T.multinomial(T.tensor([1.0, 2.0, 3.0]), 2),
        lambda T: T.ones(3).multinomial(3),
        lambda T: T.randint_like(T.zeros(2, 3), 5),
        lambda T: T.randint_like(T.zeros(2, dtype=T.int64), 2, 5),
        lambda T: T.zeros(3, dtype=T.uint8).random_(),
        lambda T: T.zeros(3).random_(10),
        lambda T: T.zeros(3, dtype=T.int16).random_(-5, 5),
        lambda T: T.zeros(3, dtype=T.int64).geometric_(0.5),
        lambda T: T.zeros(3, dtype=T.float64).exponential_(2.0),
        lambda T: T.zeros(3).log_normal_(),
        lambda T: T.zeros(3, dtype=T.float64).cauchy_(),
    ],
)
def test_dtype_and_shape(fn):
    m, t = fn(mytorch), fn(torch)
    assert repr(m.dtype) == repr(t.dtype)
    assert tuple(m.shape) == tuple(t.shape)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.zeros(3).exponential_(0),
        lambda T: T.zeros(3).exponential_(-1.5),
        lambda T: T.zeros(3, dtype=T.int64).exponential_(),
        lambda T: T.zeros(3).geometric_(0),
        lambda T: T.zeros(3).geometric_(1),
        lambda T: T.zeros(3).log_normal_(0, 0),
        lambda T: T.zeros(3, dtype=T.int64).log_normal_(),
        lambda T: T.zeros(3).cauchy_(0, -1),
        lambda T: T.zeros(3, dtype=T.int64).cauchy_(),
        lambda T: T.bernoulli(T.tensor([1.5])),
        lambda T: T.bernoulli(T.tensor([1, 0])),
        lambda T: T.zeros(2).bernoulli_(1.5),
        lambda T: T.normal(T.zeros(2), -1.0),
        lambda T: T.normal(0.0, T.tensor([-1.0])),
        lambda T: T.normal(T.zeros(2), T.ones(3)),
        lambda T: T.normal(T.zeros(2, dtype=T.int64), 1.0),
        lambda T: T.normal(0.0, 1.0),
        lambda T: T.normal(0.0, -1.0, (2,)),
        lambda T: T.poisson(T.tensor([-1.0])),
        lambda T: T.poisson(T.tensor([1, 2])),
        lambda T: T.multinomial(T.tensor([0.0, 0.0]), 1),
        lambda T: T.multinomial(T.tensor([-1.0, 1.0]), 1),
        lambda T: T.multinomial(T.tensor([math.nan, 1.0]), 1),
        lambda T: T.multinomial(T.tensor([math.inf, 1.0]), 1),
        lambda T: T.multinomial(T.tensor([1.0, 1.0]), 3),
        lambda T: T.multinomial(T.ones(2, 2, 2), 1),
        lambda T: T.multinomial(T.tensor(1.0), 1),
        lambda T: T.multinomial(T.tensor([1, 2]), 1),
        lambda T: T.multinomial(T.tensor([1.0, 2.0]), 0),
        lambda T: T.randint_like(T.zeros(3), 5, 2),
        lambda T: T.zeros(3).random_(5, 2),
        lambda T: T.zeros(2, dtype=T.uint8).random_(300),
        lambda T: T.zeros(2).random_(3.5),
        lambda T: T.zeros(2, requires_grad=True).exponential_(),
        lambda T: T.rand(3, generator=T.Generator().manual_seed(1), device="cpu").cauchy_(
            generator=1
        ),
    ],
)
def test_errors(fn):
    raises_like(fn)


def test_multinomial_without_replacement_takes_zero_weights_last():
    m = mytorch.multinomial(mytorch.tensor([1.0, 0.0]), 2)
    assert m.tolist() == torch.multinomial(torch.tensor([1.0, 0.0]), 2).tolist() == [0, 1]


# --- the distributions -----------------------------------------------------------------------
def test_normal_overloads(device):
    g = _g(device)
    mean = mytorch.tensor([[-3.0], [5.0]], device=device)
    std = mytorch.tensor([0.5, 2.0, 4.0], device=device)
    r = to_numpy(mytorch.stack([mytorch.normal(mean, std, generator=g) for _ in range(20_000)]))
    np.testing.assert_allclose(r.mean(0), [[-3.0] * 3, [5.0] * 3], atol=0.1)
    np.testing.assert_allclose(r.std(0), [[0.5, 2.0, 4.0]] * 2, rtol=0.03)
    r = to_numpy(mytorch.normal(2.0, 3.0, (N,), generator=g, device=device))
    _close(r.mean(), 2.0, 0.05)
    _close(r.std(), 3.0, 0.03)
    r = to_numpy(mytorch.normal(mytorch.full((N,), 1.0, device=device), 0.5, generator=g))
    _close(r.mean(), 1.0, 0.01)
    r = to_numpy(mytorch.normal(-1.0, mytorch.full((N,), 2.0, device=device), generator=g))
    _close(r.std(), 2.0, 0.03)


def test_bernoulli(device):
    g = _g(device)
    p = mytorch.tensor([0.0, 0.2, 0.9, 1.0], device=device).expand(N // 4, 4)
    r = to_numpy(mytorch.bernoulli(p, generator=g))
    np.testing.assert_allclose(r.mean(0), [0.0, 0.2, 0.9, 1.0], atol=0.01)
    r = to_numpy(mytorch.zeros(N, dtype=mytorch.int64, device=device).bernoulli_(0.3, generator=g))
    _close(r.mean(), 0.3, 0.01)
    assert set(np.unique(r)) <= {0, 1}


def test_poisson(device):
    g = _g(device)
    rates = mytorch.tensor([0.0, 0.5, 4.0, 30.0], device=device).expand(N // 4, 4)
    r = to_numpy(mytorch.poisson(rates, generator=g))
    np.testing.assert_allclose(r.mean(0), [0.0, 0.5, 4.0, 30.0], rtol=0.03, atol=0.01)
    np.testing.assert_allclose(r.var(0), [0.0, 0.5, 4.0, 30.0], rtol=0.05, atol=0.01)
    assert np.all(r == np.round(r))


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial(device, replacement):
    g = _g(device)
    w = mytorch.tensor([[1.0, 0.0, 3.0, 6.0], [5.0, 5.0, 0.0, 0.0]], device=device)
    if replacement:
        r = to_numpy(mytorch.multinomial(w, N, True, generator=g))
        for row, want in zip(r, [[0.1, 0.0, 0.3, 0.6], [0.5, 0.5, 0.0, 0.0]]):
            np.testing.assert_allclose(np.bincount(row, minlength=4) / N, want, atol=0.01)
        return
    rows = to_numpy(mytorch.multinomial(w[0].expand(20_000, 4), 3, generator=g))
    assert all(len(set(r)) == 3 for r in rows[:1000])  # no category twice in a row
    assert not np.any(rows == 1)  # a zero weight is never drawn while others remain
    # the first draw follows the weights; the second the weights left (exact: 1 then 3, 6)
    np.testing.assert_allclose(np.bincount(rows[:, 0], minlength=4) / 20_000, [0.1, 0, 0.3, 0.6],
                               atol=0.015)  # fmt: skip
    second_after_0 = rows[rows[:, 0] == 0, 1]
    _close((second_after_0 == 3).mean(), 6 / 9, 0.05)


def test_in_place_samplers(device):
    g = _g(device)
    z = mytorch.zeros(N, dtype=mytorch.float64, device=device)
    e = to_numpy(z.clone().exponential_(4.0, generator=g))
    _close(e.mean(), 0.25, 0.005)
    assert e.min() >= 0
    geo = to_numpy(z.clone().geometric_(0.25, generator=g))
    _close(geo.mean(), 4.0, 0.05)
    assert geo.min() >= 1 and np.all(geo == np.round(geo))
    ln = to_numpy(z.clone().log_normal_(0.5, 0.25, generator=g))
    _close(np.median(ln), math.exp(0.5), 0.02)
    c = to_numpy(z.clone().cauchy_(2.0, 0.5, generator=g))
    _close(np.median(c), 2.0, 0.01)
    _close(np.quantile(c, 0.75) - np.quantile(c, 0.25), 1.0, 0.02)  # 2 * sigma
    r = to_numpy(mytorch.zeros(N, dtype=mytorch.int8, device=device).random_(-5, 5, generator=g))
    assert r.min() == -5 and r.max() == 4
    r = to_numpy(mytorch.zeros(N, dtype=mytorch.uint8, device=device).random_(generator=g))
    assert r.min() == 0 and r.max() == 255
    r = to_numpy(mytorch.zeros(N, device=device).random_(7, generator=g))
    assert set(np.unique(r)) == set(range(7))
    r = to_numpy(mytorch.randint_like(mytorch.zeros(N, device=device), 3, 6, generator=g))
    assert set(np.unique(r)) == {3.0, 4.0, 5.0}


def test_generators_replay_and_rng_state():
    g = mytorch.Generator().manual_seed(3)
    a = mytorch.multinomial(mytorch.ones(10), 10, generator=g)
    b = mytorch.poisson(mytorch.full((5,), 3.0), generator=g)
    g.manual_seed(3)
    assert mytorch.equal(a, mytorch.multinomial(mytorch.ones(10), 10, generator=g))
    assert mytorch.equal(b, mytorch.poisson(mytorch.full((5,), 3.0), generator=g))
    state = mytorch.get_rng_state()
    x = mytorch.zeros(6).exponential_()
    y = mytorch.normal(0.0, 1.0, (4,))
    mytorch.set_rng_state(state)
    assert mytorch.equal(x, mytorch.zeros(6).exponential_())
    assert mytorch.equal(y, mytorch.normal(0.0, 1.0, (4,)))


def test_a_generator_of_another_device_is_refused():
    g = mytorch.Generator("standin")
    with pytest.raises(RuntimeError, match="device type for generator"):
        mytorch.zeros(3).exponential_(generator=g)
