"""The DataLoader's worker processes (torch.utils.data._utils.worker): the loop each worker runs,
and get_worker_info(), which tells code running in a worker which one it is."""

import dataclasses
import os
import queue
import random

import mytorch
from mytorch._backends._host_rng import seed_numpy_global
from mytorch._utils import ExceptionWrapper
from mytorch.utils.data._utils.fetch import _DatasetKind

__all__ = ["WorkerInfo", "get_worker_info"]

# How long (seconds) the main process waits for a worker to exit at shutdown.
MP_STATUS_CHECK_INTERVAL = 5.0
# How often (seconds) an idle worker checks that its parent is alive and not shutting down.
_IDLE_CHECK_INTERVAL = 0.5

# This process's WorkerInfo once it runs as a worker (None in the main process).
_worker_info = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """Matches torch.utils.data._utils.worker.WorkerInfo: ``id``, ``num_workers``, ``seed`` and
    ``dataset`` (the worker's own copy) of the worker running this code; read-only."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """Matches torch.utils.data.get_worker_info: this worker's WorkerInfo, or None in the main
    process. An IterableDataset's ``__iter__`` uses it to shard the data between workers."""
    return _worker_info


class _IterableDatasetStopIteration:
    """What a worker sends when its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of each epoch after the first: start over."""


class ManagerWatchdog:
    """Whether the process that started this worker is still there."""

    def __init__(self):
        self.manager_pid = os.getppid()
        self.manager_dead = False

    def is_alive(self):
        if not self.manager_dead:
            self.manager_dead = os.getppid() != self.manager_pid
        return not self.manager_dead


def _seed_worker(seed, base_seed, worker_id):
    random.seed(seed)
    mytorch.manual_seed(seed)
    seed_numpy_global(base_seed, worker_id)


def _worker_loop(
    dataset_kind,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
    persistent_workers,
):
    """Fetch and collate each (task index, sampler index) from ``index_queue`` and put (task
    index, batch) on ``data_queue``; an exception goes there as an ExceptionWrapper. None on
    ``index_queue`` ends the loop."""
    global _worker_info
    try:
        # NOTE: one thread per worker, as torch; it also keeps a forked child out of the
        # parent's OpenMP thread pool, which does not survive fork (the child would hang).
        mytorch.set_num_threads(1)
        seed = base_seed + worker_id
        _seed_worker(seed, base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(
                dataset_kind, dataset, auto_collation, collate_fn, drop_last
            )
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        iteration_end = False
        watchdog = ManagerWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=_IDLE_CHECK_INTERVAL)
            except queue.Empty:
                # NOTE: the None that ends the loop may never come (a loader collected with
                # its queues, whose feeder thread was closed first): the event ends it too.
                if done_event.is_set():
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(
                    dataset_kind, dataset, auto_collation, collate_fn, drop_last
                )
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # drain the queue until the None that ends the loop
            idx, index = r
            if init_exception is not None:
                data = init_exception
                init_exception = None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
