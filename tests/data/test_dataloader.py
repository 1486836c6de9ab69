"""DataLoader in the main process against torch's: batches for each combination of options,
len(), IterableDataset, the errors of the options that exclude each other, and seeded
shuffling."""

import warnings

import numpy as np
import pytest

import mytorch
from data_check import D, both, describe
from helpers import raises_like, torch

pytestmark = pytest.mark.torch


class Pairs:
    """Sample i: (a float tensor, an int label, a string), as a typical dataset returns."""

    def __init__(self, T, n=10):
        self.T, self.n = T, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.T.full((2,), float(i)), i % 3, f"s{i}"


class Dicts(Pairs):
    def __getitem__(self, i):
        return {"x": np.full(3, i, np.float32), "y": float(i) / 2}


def _stream(T, n, with_len=True):
    base = D(T).IterableDataset

    class Stream(base):
        def __iter__(self):
            return iter([{"v": i, "t": T.tensor([i, -i])} for i in range(n)])

    if with_len:
        Stream.__len__ = lambda self: n
    return Stream()


def _sampler_opts(T):
    return {
        "sampler": D(T).SequentialSampler(range(7)),
        "reversed": list(range(9, 2, -1)),
        "batch_sampler": D(T).BatchSampler(range(10), 4, False),
        "batch_list": [[1, 2], [9], [0, 3, 5]],
    }


CONFIGS = [
    dict(),
    dict(batch_size=3),
    dict(batch_size=3, drop_last=True),
    dict(batch_size=4, drop_last=False),
    dict(batch_size=10),
    dict(batch_size=20, drop_last=True),
    dict(batch_size=None),
    dict(batch_size=2, sampler="sampler"),
    dict(batch_size=3, sampler="reversed"),
    dict(batch_sampler="batch_sampler"),
    dict(batch_sampler="batch_list"),
    dict(batch_size=None, sampler="reversed"),
    dict(batch_size=4, collate_fn=lambda b: [len(b), type(b[0]).__name__]),
    dict(batch_size=None, collate_fn=lambda s: type(s).__name__),
    dict(batch_size=2, pin_memory=True),
]


def _make(T, cfg, dataset=Pairs):
    opts = dict(cfg)
    for key in ("sampler", "batch_sampler"):
        if key in opts:
            opts[key] = _sampler_opts(T)[opts[key]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pin_memory without an accelerator
        return D(T).DataLoader(dataset(T), **opts)


@pytest.mark.parametrize("cfg", CONFIGS, ids=[str(sorted(c)) + str(i) for i, c in
                                              enumerate(CONFIGS)])  # fmt: skip
@pytest.mark.parametrize("dataset", [Pairs, Dicts])
def test_batches_match_torch(cfg, dataset):
    def run(T):
        loader = _make(T, cfg, dataset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batches = list(loader)
            again = list(loader)  # a second epoch is the same
        return [len(loader), len(batches), batches, again]

    m, t = both(run)
    assert m == t


@pytest.mark.parametrize("batch_size", [None, 1, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset(batch_size, drop_last):
    if batch_size is None and drop_last:
        return

    def run(T):
        loader = D(T).DataLoader(_stream(T, 7), batch_size=batch_size, drop_last=drop_last)
        return [len(loader), list(loader), list(loader)]

    m, t = both(run)
    assert m == t


def test_iterable_dataset_len_needs_dataset_len():
    raises_like(lambda T: len(D(T).DataLoader(_stream(T, 3, with_len=False))), [], TypeError)


def test_iterable_dataset_warns_when_longer_than_its_len():
    class Liar(D(mytorch).IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 2

    loader = D(mytorch).DataLoader(Liar(), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        assert len(list(loader)) == 5


def test_default_convert_without_batching():
    def run(T):
        return list(D(T).DataLoader(Dicts(T, 3), batch_size=None))

    m, t = both(run)
    assert m == t


def test_tensor_dataset_loader():
    def run(T):
        ds = D(T).TensorDataset(T.arange(12.0).reshape(6, 2), T.arange(6))
        return list(D(T).DataLoader(ds, batch_size=4))

    m, t = both(run)
    assert m == t


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("bs, drop_last", [(1, False), (4, False), (4, True), (64, False)])
def test_tensor_dataset_batches_in_one_gather(bs, drop_last, requires_grad):
    """A TensorDataset under default_collate is gathered a batch at a time: the same batches
    (types, dtypes, shapes, values, grad_fn presence) as torch's sample-by-sample stacking,
    as a subclass (which takes the per-sample path), and with custom index lists."""

    def run(T, subclass=False, sampler=None):
        x = T.arange(30.0).reshape(10, 3).requires_grad_(requires_grad)
        base = D(T).TensorDataset
        ds = type("Sub", (base,), {})(x, T.arange(10)) if subclass else base(x, T.arange(10))
        g = T.Generator().manual_seed(5)
        if sampler is not None:
            loader = D(T).DataLoader(ds, batch_sampler=sampler)
        else:
            loader = D(T).DataLoader(ds, bs, shuffle=True, drop_last=drop_last, generator=g)
        return [(b, b[0].grad_fn is not None, b[0].is_contiguous()) for b in loader]

    fast = describe(run(mytorch))
    assert fast == describe(run(mytorch, subclass=True))
    lists = [[3, 1], [9], [0, 0, 2]]
    assert describe(run(mytorch, sampler=lists)) == describe(run(torch, sampler=lists))
    ordered = [[int(v) for v in b[0][1].tolist()] for b in run(mytorch)]
    seen = sum(ordered, [])
    assert len(seen) == (10 - 10 % bs if drop_last else 10) and len(set(seen)) == len(seen)
    assert all(len(b) == bs for b in ordered[:-1])


def test_pin_memory_is_accepted_and_warns_as_torch():
    with pytest.warns(UserWarning, match="no accelerator is found"):
        out = list(D(mytorch).DataLoader(range(3), pin_memory=True))
    assert [b.tolist() for b in out] == [[0], [1], [2]]


OPTION_ERRORS = [
    ("num_workers", lambda T, ds: D(T).DataLoader(ds, num_workers=-1)),
    ("timeout", lambda T, ds: D(T).DataLoader(ds, timeout=-1)),
    ("prefetch 0 workers", lambda T, ds: D(T).DataLoader(ds, prefetch_factor=2)),
    ("prefetch < 0", lambda T, ds: D(T).DataLoader(ds, num_workers=1, prefetch_factor=-1)),
    ("persistent 0 workers", lambda T, ds: D(T).DataLoader(ds, persistent_workers=True)),
    ("sampler+shuffle", lambda T, ds: D(T).DataLoader(ds, sampler=[0], shuffle=True)),
    ("batch_sampler+bs", lambda T, ds: D(T).DataLoader(ds, batch_sampler=[[0]], batch_size=2)),
    ("batch_sampler+shuffle", lambda T, ds: D(T).DataLoader(ds, batch_sampler=[[0]],
                                                            shuffle=True)),
    ("batch_sampler+sampler", lambda T, ds: D(T).DataLoader(ds, batch_sampler=[[0]],
                                                            sampler=[0])),
    ("batch_sampler+drop_last", lambda T, ds: D(T).DataLoader(ds, batch_sampler=[[0]],
                                                              drop_last=True)),
    ("None+drop_last", lambda T, ds: D(T).DataLoader(ds, batch_size=None, drop_last=True)),
    ("batch_size 0", lambda T, ds: D(T).DataLoader(ds, batch_size=0)),
    ("ctx 0 workers", lambda T, ds: D(T).DataLoader(ds, multiprocessing_context="fork")),
    ("ctx bad name", lambda T, ds: D(T).DataLoader(ds, num_workers=1,
                                                   multiprocessing_context="nope")),
    ("ctx bad type", lambda T, ds: D(T).DataLoader(ds, num_workers=1,
                                                   multiprocessing_context=3)),
    ("iterable shuffle", lambda T, ds: D(T).DataLoader(_stream(T, 2), shuffle=True)),
    ("iterable sampler", lambda T, ds: D(T).DataLoader(_stream(T, 2), sampler=[0])),
    ("iterable batch_sampler", lambda T, ds: D(T).DataLoader(_stream(T, 2),
                                                             batch_sampler=[[0]])),
    ("set batch_size", lambda T, ds: setattr(D(T).DataLoader(ds), "batch_size", 2)),
    ("set dataset", lambda T, ds: setattr(D(T).DataLoader(ds), "dataset", ds)),
    ("pickle iterator", lambda T, ds: iter(D(T).DataLoader(ds)).__getstate__()),
    ("timeout, 0 workers", lambda T, ds: iter(D(T).DataLoader(ds, timeout=1))),
]  # fmt: skip


@pytest.mark.parametrize("name, fn", OPTION_ERRORS, ids=[e[0] for e in OPTION_ERRORS])
def test_option_errors_match_torch(name, fn):
    m, t = raises_like(lambda T: fn(T, Pairs(T, 3)))
    if "Error" not in name and "pickle" not in name:
        assert m.split(",")[0][:30] == t.split(",")[0][:30]


def test_shuffle_is_a_seeded_permutation():
    def epoch(loader):
        return [int(v) for b in loader for v in b[1]]

    ds = D(mytorch).TensorDataset(mytorch.arange(40.0), mytorch.arange(40))
    g = mytorch.Generator().manual_seed(7)
    a = epoch(D(mytorch).DataLoader(ds, batch_size=6, shuffle=True, generator=g))
    assert sorted(a) == list(range(40)) and a != list(range(40))
    g = mytorch.Generator().manual_seed(7)
    assert epoch(D(mytorch).DataLoader(ds, batch_size=6, shuffle=True, generator=g)) == a
    mytorch.manual_seed(3)
    loader = D(mytorch).DataLoader(ds, batch_size=6, shuffle=True)
    b = epoch(loader)
    b2 = epoch(loader)  # the next epoch reshuffles
    mytorch.manual_seed(3)
    assert epoch(loader) == b and b2 != b and sorted(b2) == list(range(40))
    assert len(loader) == 7


def test_loader_attributes_match_torch():
    def run(T):
        loader = D(T).DataLoader(Pairs(T, 5), batch_size=2, shuffle=True)
        return [type(loader.sampler).__name__, type(loader.batch_sampler).__name__,
                loader.batch_size, loader.drop_last, loader.num_workers, loader.prefetch_factor,
                loader.collate_fn.__name__, loader.timeout, loader.persistent_workers]  # fmt: skip

    m, t = both(run)
    assert m == t
    it = iter(D(mytorch).DataLoader(Pairs(mytorch, 5), batch_size=2))
    assert iter(it) is it and len(it) == 3
