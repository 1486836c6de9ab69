"""The datasets of mytorch.utils.data against torch's: TensorDataset, StackDataset,
ConcatDataset, ChainDataset, Subset, random_split, Dataset.__add__, and their errors."""

import pytest

import mytorch
from data_check import D, both, describe
from helpers import raises_like, torch

pytestmark = pytest.mark.torch


class Squares:
    """A map-style dataset of either library (duck-typed, as torch allows)."""

    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return (i + self.offset) ** 2


def _stream(T, n):
    class Stream(D(T).IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self):
            return n

    return Stream()


def test_dataset_base():
    raises_like(lambda T: D(T).Dataset()[0], ["should implement __getitem__"])
    for T in (mytorch, torch):
        assert issubclass(D(T).IterableDataset, D(T).Dataset)
        assert D(T).Dataset[int] is not None  # generic, as torch's


def test_tensor_dataset():
    def run(T):
        ds = D(T).TensorDataset(T.arange(6.0).reshape(3, 2), T.tensor([1, 2, 3]))
        return [len(ds), ds[1], ds[-1], ds[0:2]]

    m, t = both(run)
    assert m == t
    raises_like(lambda T: D(T).TensorDataset(T.zeros(2), T.zeros(3)), ["Size mismatch"])


def test_stack_dataset():
    def run(T):
        a, b = D(T).TensorDataset(T.arange(4)), Squares(4)
        tup, dic = D(T).StackDataset(a, b), D(T).StackDataset(x=a, y=b)
        return [len(tup), tup[2], dic[3], tup.__getitems__([0, 3]), dic.__getitems__([1])]

    m, t = both(run)
    assert m == t
    raises_like(lambda T: D(T).StackDataset(Squares(2), x=Squares(2)), ["both types"])
    raises_like(lambda T: D(T).StackDataset(Squares(2), Squares(3)), ["Size mismatch"])
    raises_like(lambda T: D(T).StackDataset(x=Squares(2), y=Squares(3)), ["Size mismatch"])
    raises_like(lambda T: D(T).StackDataset(), [])


def test_concat_dataset():
    def run(T):
        ds = D(T).ConcatDataset([Squares(3), Squares(2, 10), Squares(4, 20)])
        items = [ds[i] for i in range(-len(ds), len(ds))]
        return [ds.cumulative_sizes, len(ds), items]

    m, t = both(run)
    assert m == t
    assert m[1][0] == ("list", [("int", 3), ("int", 5), ("int", 9)])
    make = lambda T: D(T).ConcatDataset([Squares(3), Squares(2)])  # noqa: E731
    raises_like(lambda T: make(T)[-6], ["absolute value of index"], ValueError)
    raises_like(lambda T: make(T)[5], [], IndexError)
    raises_like(lambda T: D(T).ConcatDataset([]), ["should not be an empty"], AssertionError)
    raises_like(lambda T: D(T).ConcatDataset([_stream(T, 2)]), ["IterableDataset"])


def test_add_makes_concat_and_chain():
    def run(T):
        a = D(T).TensorDataset(T.arange(3))
        b = D(T).TensorDataset(T.arange(10, 12))
        cat = a + b
        chain = _stream(T, 2) + _stream(T, 3)
        return [type(cat).__name__, [cat[i] for i in range(len(cat))], type(chain).__name__,
                list(chain), len(chain)]  # fmt: skip

    m, t = both(run)
    assert m == t


def test_chain_dataset():
    def run(T):
        ds = D(T).ChainDataset([_stream(T, 2), _stream(T, 3)])
        return [list(ds), len(ds)]

    assert both(run)[0] == both(run)[1]
    raises_like(lambda T: list(D(T).ChainDataset([Squares(2)])), ["only supports"])


def test_subset():
    def run(T):
        base = D(T).TensorDataset(T.arange(10) * 10)
        s = D(T).Subset(base, [7, 2, 5])
        nested = D(T).Subset(s, [2, 0])
        return [len(s), s[0], s[-1], nested[0], s.__getitems__([1, 2]), nested.__getitems__([1])]

    m, t = both(run)
    assert m == t


@pytest.mark.parametrize(
    "n, lengths",
    [(10, [3, 7]), (10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.2, 0.2, 0.2]),
     (5, [1.0]), (3, [0.1, 0.1, 0.8])],
)  # fmt: skip
def test_random_split_lengths_and_partition(n, lengths):
    got = {}
    for T in (mytorch, torch):
        g = T.Generator().manual_seed(3)
        parts = D(T).random_split(Squares(n), lengths, generator=g)
        got[T.__name__] = [len(p) for p in parts]
        indices = sorted(i for p in parts for i in p.indices)
        assert indices == list(range(n))  # disjoint, and together the whole dataset
        assert all(type(p).__name__ == "Subset" for p in parts)
        assert [p[0] for p in parts if len(p)] == [p.dataset[p.indices[0]] for p in parts if len(p)]
    assert got["mytorch"] == got["torch"]


def test_random_split_is_reproducible():
    def split(seed):
        g = mytorch.Generator().manual_seed(seed)
        return [p.indices for p in D(mytorch).random_split(range(20), [5, 15], generator=g)]

    assert split(1) == split(1)
    assert split(1) != split(2)
    mytorch.manual_seed(4)
    a = [p.indices for p in D(mytorch).random_split(range(20), [0.5, 0.5])]
    mytorch.manual_seed(4)
    b = [p.indices for p in D(mytorch).random_split(range(20), [0.5, 0.5])]
    assert a == b


def test_random_split_errors():
    raises_like(lambda T: D(T).random_split(range(5), [2, 2]), ["Sum of input lengths"])
    raises_like(lambda T: D(T).random_split(range(5), [1.5, -0.5]), ["not between 0 and 1"])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D(mytorch).random_split(range(2), [1.0, 0.0])


def test_describe_tells_libraries_apart_only_by_content():
    # a guard for the helper the comparisons above rely on
    assert describe(mytorch.tensor([1])) == describe(torch.tensor([1]))
    assert describe(mytorch.tensor([1])) != describe(torch.tensor([1.0]))
    assert describe((1,)) != describe([1])
