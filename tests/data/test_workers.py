"""DataLoader with worker processes: the same batches as in the main process, worker_init_fn,
get_worker_info, seeding, a worker that dies, an exception in a worker, timeout, persistent
workers, IterableDataset sharding; small datasets so that the file runs in a few seconds."""

import os
import random
import signal
import time

import numpy as np
import pytest

import mytorch
from data_check import D, describe
from helpers import raises, torch
from plain_datasets import Numbered

pytestmark = pytest.mark.torch

DL = D(mytorch).DataLoader


class Samples(D(mytorch).Dataset):
    def __init__(self, n=13):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": mytorch.full((2,), float(i)), "y": i, "name": f"n{i}"}


class WhoAmI(Samples):
    """Each sample says which worker made it and what worker_init_fn left there."""

    def __getitem__(self, i):
        info = D(mytorch).get_worker_info()
        return i, info.id, info.num_workers, info.seed, os.getpid(), getattr(self, "tag", None)


class Augmented(Samples):
    """Random augmentations drawn from mytorch, Python's random and NumPy's global state."""

    def __getitem__(self, i):
        return float(mytorch.rand(())), random.random(), float(np.random.rand())


class Dies(Samples):
    def __getitem__(self, i):
        if i == 5:
            os._exit(3)
        return i


class Killed(Samples):
    def __getitem__(self, i):
        if i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Raises(Samples):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def __getitem__(self, i):
        if i == 4:
            raise self.exc(f"bad sample {i}")
        return i


class NoStringInit(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class RaisesOdd(Samples):
    def __getitem__(self, i):
        raise NoStringInit(1, 2)


class Slow(Samples):
    def __getitem__(self, i):
        if i >= 2:
            time.sleep(0.6)
        return i


class Sharded(D(mytorch).IterableDataset):
    def __init__(self, n=11):
        self.n = n

    def __iter__(self):
        info = D(mytorch).get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class BigOps(Samples):
    """Runs a kernel large enough for the compiled build's OpenMP loops."""

    def __getitem__(self, i):
        x = mytorch.ones(4_000_000)
        return float((x * x + x).sum()) + i


def _init(worker_id):
    D(mytorch).get_worker_info().dataset.tag = f"init{worker_id}"


def test_workers_give_the_same_batches_as_the_main_process():
    ds = Samples()
    options = [
        dict(batch_size=3),
        dict(batch_size=4, drop_last=True),
        dict(batch_size=None),
        dict(batch_sampler=[[3, 1], [0], [12]]),
    ]
    for opts in options:
        ref = describe(list(DL(ds, **opts)))
        assert describe(list(DL(ds, num_workers=2, **opts))) == ref
    ref = describe(list(DL(ds, batch_size=2)))
    assert describe(list(DL(ds, batch_size=2, num_workers=3, prefetch_factor=1))) == ref
    g0, g2 = (mytorch.Generator().manual_seed(11) for _ in range(2))
    a = list(DL(ds, batch_size=3, shuffle=True, generator=g0))
    b = list(DL(ds, batch_size=3, shuffle=True, generator=g2, num_workers=2))
    assert describe(a) == describe(b)


def test_worker_info_and_init_fn():
    assert D(mytorch).get_worker_info() is None
    loader = DL(WhoAmI(6), batch_size=None, num_workers=2, worker_init_fn=_init)
    it = iter(loader)
    rows = list(it)
    assert [r[0] for r in rows] == list(range(6))
    assert [r[1] for r in rows] == [0, 1, 0, 1, 0, 1]  # tasks go to the workers in turn
    assert {r[2] for r in rows} == {2}
    assert {(r[1], r[3]) for r in rows} == {(0, it._base_seed), (1, it._base_seed + 1)}
    assert {(r[1], r[5]) for r in rows} == {(0, "init0"), (1, "init1")}
    assert len({r[4] for r in rows}) == 2 and os.getpid() not in {r[4] for r in rows}


def test_worker_info_is_read_only_as_torch():
    def fn(T):
        info = T.utils.data._utils.worker.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
        assert "id=0" in repr(info) and info.seed == 3
        info.id = 2

    m, t = pytest.raises(Exception, fn, mytorch), pytest.raises(Exception, fn, torch)
    assert type(m.value) is type(t.value) and str(m.value) == str(t.value)


def test_seeded_augmentations_are_reproducible():
    def run(seed):
        mytorch.manual_seed(seed)
        return [tuple(float(v) for v in b) for b in DL(Augmented(6), batch_size=None,
                                                       num_workers=2)]  # fmt: skip

    a = run(0)
    assert a == run(0)
    assert a != run(1)
    # worker 0 and worker 1 draw different streams
    assert a[0] != a[1]
    assert len({v for row in a for v in row}) == 18


def test_a_dying_worker_raises_instead_of_hanging():
    # torch's message starts the same ("DataLoader worker (pid(s) 123) exited unexpectedly");
    # torch itself is not run here: its own message and class vary with when SIGCHLD comes.
    start = time.monotonic()
    died = r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    with raises(RuntimeError, match=died + r" \(pid \d+ exited with exit code 3\)"):
        list(DL(Dies(), batch_size=2, num_workers=2, timeout=10))  # a hang fails the match
    assert time.monotonic() - start < 10
    with raises(RuntimeError, match=died + r" \(pid \d+ was killed by signal: Killed\)"):
        list(DL(Killed(), batch_size=None, num_workers=1, timeout=10))


@pytest.mark.parametrize("exc", [ValueError, KeyError, IndexError, ZeroDivisionError])
def test_worker_exception_is_reraised_with_its_traceback(exc):
    with raises(exc) as info:
        list(DL(Raises(exc), batch_size=2, num_workers=2))
    msg = str(info.value)
    assert f"Caught {exc.__name__} in DataLoader worker process 0." in msg
    assert "Traceback (most recent call last)" in msg and "bad sample 4" in msg
    assert "in __getitem__" in msg
    if exc is KeyError:  # printed as it is, not as a repr
        assert "\n" in msg


def test_worker_exception_matches_torch():
    for T in (mytorch, torch):

        class Bad(T.utils.data.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                raise ValueError("nope")

        with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process"):
            list(T.utils.data.DataLoader(Bad(), num_workers=1))


def test_an_exception_that_needs_other_arguments_becomes_runtime_error():
    with raises(RuntimeError, match="Caught NoStringInit"):
        list(DL(RaisesOdd(), num_workers=1))


def test_worker_init_fn_exception():
    def init(worker_id):
        raise OSError("no init")

    with raises(OSError, match="no init"):
        list(DL(Samples(4), num_workers=1, worker_init_fn=init))


def test_timeout():
    loader = DL(Slow(4), batch_size=None, num_workers=1, timeout=0.2)
    it = iter(loader)
    assert next(it) == 0 and next(it) == 1
    start = time.monotonic()
    with raises(RuntimeError, match=r"DataLoader timed out after 0.2 seconds"):
        next(it)
    assert time.monotonic() - start < 0.55
    it._shutdown_workers()


def test_persistent_workers_over_two_epochs():
    loader = DL(WhoAmI(7), batch_size=2, num_workers=2, persistent_workers=True,
                worker_init_fn=_init)  # fmt: skip
    first = list(loader)
    it = loader._iterator
    second = list(loader)
    assert loader._iterator is it
    assert describe(first) == describe(second)  # same workers, same seeds, same order
    assert [b[0].tolist() for b in first] == [[0, 1], [2, 3], [4, 5], [6]]
    # an epoch left half-way: the next one starts over
    partial = iter(loader)
    next(partial)
    assert describe(list(loader)) == describe(first)
    it._shutdown_workers()
    assert not any(w.is_alive() for w in it._workers)


def test_persistent_workers_with_iterable_dataset():
    loader = DL(Sharded(9), batch_size=2, num_workers=2, persistent_workers=True)
    a, b = list(loader), list(loader)
    assert describe(a) == describe(b)
    assert sorted(v for batch in a for v in batch.tolist()) == list(range(9))
    loader._iterator._shutdown_workers()


def _torch_sharded(n, **opts):
    class TSharded(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, n, info.num_workers))

    return list(torch.utils.data.DataLoader(TSharded(), num_workers=2, **opts))


@pytest.mark.parametrize("opts", [dict(batch_size=3), dict(batch_size=2, drop_last=True),
                                  dict(batch_size=None)])  # fmt: skip
def test_iterable_dataset_sharded_by_worker_info_matches_torch(opts):
    m = describe(list(DL(Sharded(11), num_workers=2, **opts)))
    assert m == describe(_torch_sharded(11, **opts))
    assert len(DL(Sharded(11), num_workers=2, **opts)) == len(DL(Sharded(11), **opts))


def test_iterable_dataset_copies_without_sharding():
    class Plain(D(mytorch).IterableDataset):
        def __iter__(self):
            return iter(range(3))

    out = sorted(int(v) for b in DL(Plain(), num_workers=2) for v in b)
    assert out == [0, 0, 1, 1, 2, 2]  # each worker iterates its own copy, as torch's


def test_workers_survive_the_parents_thread_pool():
    # NOTE: a forked child cannot use the parent's OpenMP pool (it would hang); the workers run
    # one thread. A timeout makes a hang fail instead of stalling the suite.
    big = mytorch.ones(4_000_000)
    assert float((big * big).sum()) == 4_000_000.0
    out = list(DL(BigOps(4), batch_size=None, num_workers=2, timeout=10))
    assert out == [8_000_000.0 + i for i in range(4)]


def test_spawn_context():
    ds = Numbered(5)
    out = list(DL(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn"))
    assert describe(out) == describe(list(DL(ds, batch_size=2)))


def test_workers_are_gone_after_the_epoch():
    loader = DL(Samples(4), batch_size=2, num_workers=2)
    it = iter(loader)
    list(it)
    assert it._shutdown and not any(w.is_alive() for w in it._workers)
    it = iter(loader)
    next(it)
    workers = it._workers
    del it  # an epoch dropped half-way shuts its workers down too
    time.sleep(0.05)
    assert all(w.exitcode is not None for w in workers)


class SlowFirst(Samples):
    def __getitem__(self, i):
        if i == 0:
            time.sleep(0.5)
        return i


def test_in_order_false_returns_batches_as_they_are_ready():
    out = [int(b) for b in DL(SlowFirst(6), batch_size=None, num_workers=2, in_order=False)]
    assert sorted(out) == list(range(6)) and out[0] != 0
    out = [int(b) for b in DL(SlowFirst(6), batch_size=None, num_workers=2)]
    assert out == list(range(6))
