"""The samplers of mytorch.utils.data against torch's: orders (sequential), valid and seeded
random orders (the streams differ from torch's, so those are checked for validity and
reproducibility), lengths, batching, and the errors torch raises."""

import pytest

import mytorch
from data_check import D
from helpers import raises_like, torch

pytestmark = pytest.mark.torch


def _gen(seed):
    return mytorch.Generator().manual_seed(seed)


def test_sequential_sampler():
    for n in (0, 1, 7):
        m, t = D(mytorch).SequentialSampler(range(n)), D(torch).SequentialSampler(range(n))
        assert list(m) == list(t) and len(m) == len(t) == n


def test_sampler_base():
    raises_like(lambda T: iter(D(T).Sampler()), [], NotImplementedError)


@pytest.mark.parametrize("n, num_samples", [(10, None), (10, 4), (10, 25), (1, 3)])
def test_random_sampler_permutations(n, num_samples):
    s = D(mytorch).RandomSampler(range(n), num_samples=num_samples, generator=_gen(0))
    out = list(s)
    k = num_samples or n
    assert len(out) == len(s) == len(D(torch).RandomSampler(range(n), num_samples=num_samples))
    assert len(out) == k
    for start in range(0, k - k % n, n):  # each full round is a permutation
        assert sorted(out[start : start + n]) == list(range(n))
    assert len(set(out[k - k % n :])) == k % n  # the rest: distinct keys
    assert all(isinstance(i, int) for i in out)


@pytest.mark.parametrize("num_samples", [5, 32, 70])
def test_random_sampler_with_replacement(num_samples):
    s = D(mytorch).RandomSampler(range(4), replacement=True, num_samples=num_samples,
                                 generator=_gen(1))  # fmt: skip
    out = list(s)
    assert len(out) == len(s) == num_samples
    assert set(out) <= set(range(4))
    assert all(isinstance(i, int) for i in out)
    if num_samples == 70:
        assert set(out) == set(range(4))


def test_random_sampler_is_seeded():
    s = D(mytorch).RandomSampler(range(50))
    mytorch.manual_seed(0)
    a = list(s)
    mytorch.manual_seed(0)
    assert list(s) == a
    assert list(s) != a  # the next epoch draws a new order
    b = list(D(mytorch).RandomSampler(range(50), generator=_gen(5)))
    assert b == list(D(mytorch).RandomSampler(range(50), generator=_gen(5)))
    assert b != list(D(mytorch).RandomSampler(range(50), generator=_gen(6)))


def test_random_sampler_errors():
    raises_like(lambda T: D(T).RandomSampler(range(3), replacement=1), ["boolean"], TypeError)
    raises_like(lambda T: D(T).RandomSampler(range(3), num_samples=0), ["positive integer"])
    raises_like(lambda T: D(T).RandomSampler(range(3), num_samples=2.0), ["positive integer"])
    raises_like(lambda T: D(T).RandomSampler(range(0)), ["positive integer"])


def test_subset_random_sampler():
    idx = [3, 9, 4, 11]
    s = D(mytorch).SubsetRandomSampler(idx, generator=_gen(2))
    out = list(s)
    assert sorted(out) == sorted(idx) and len(s) == 4
    assert list(D(mytorch).SubsetRandomSampler(idx, generator=_gen(2))) == out
    assert len(D(torch).SubsetRandomSampler(idx)) == 4


def test_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.0, 2.0]
    s = D(mytorch).WeightedRandomSampler(w, 200, generator=_gen(0))
    out = list(s)
    assert len(out) == len(s) == 200 and set(out) == {1, 2, 4}
    assert out.count(2) > out.count(1)  # three times as likely (a safe margin at n=200)
    assert list(D(mytorch).WeightedRandomSampler(w, 200, generator=_gen(0))) == out
    no_rep = list(D(mytorch).WeightedRandomSampler(w, 3, replacement=False, generator=_gen(1)))
    assert sorted(no_rep) == [1, 2, 4]
    assert D(mytorch).WeightedRandomSampler(w, 3).weights.dtype == mytorch.float64


def test_weighted_random_sampler_errors():
    raises_like(lambda T: D(T).WeightedRandomSampler([[1.0, 2.0]], 2), ["1d sequence"])
    raises_like(lambda T: D(T).WeightedRandomSampler([1.0, 2.0], 0), ["positive integer"])
    raises_like(lambda T: D(T).WeightedRandomSampler([1.0], 2, replacement=1), ["boolean"])


@pytest.mark.parametrize("n, bs", [(10, 3), (9, 3), (2, 5), (0, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler(n, bs, drop_last):
    m = D(mytorch).BatchSampler(D(mytorch).SequentialSampler(range(n)), bs, drop_last)
    t = D(torch).BatchSampler(D(torch).SequentialSampler(range(n)), bs, drop_last)
    assert list(m) == list(t)
    assert len(m) == len(t)
    assert list(D(mytorch).BatchSampler(range(n), bs, drop_last)) == list(t)


def test_batch_sampler_errors():
    raises_like(lambda T: D(T).BatchSampler(range(3), 0, False), ["batch_size"])
    raises_like(lambda T: D(T).BatchSampler(range(3), True, False), ["batch_size"])
    raises_like(lambda T: D(T).BatchSampler(range(3), 2, 1), ["drop_last"])
