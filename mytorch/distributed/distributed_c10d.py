"""Process groups and their setup (torch.distributed.distributed_c10d): init_process_group, the
default group's queries, new_group, ReduceOp, Backend and the work handles of async calls.

The processes talk through MPI (mpi4py) for CPU tensors and through NCCL (CuPy) for CUDA
tensors, never through sockets of mytorch's own. ``backend="gloo"`` is served by MPI.
"""

import datetime
import enum
import os
import sys
import time

import numpy as np

from mytorch import _backends
from mytorch._backends import mpi_comm, nccl_comm
from mytorch._core import Tensor, _ensure_vc

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "destroy_process_group",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group",
    "is_initialized", "is_mpi_available", "is_nccl_available", "is_gloo_available", "new_group",
    "is_torchelastic_launched",
]  # fmt: skip

# torch's default: 30 minutes (collectives here wait without a clock unless timeout= is given).
default_pg_timeout = datetime.timedelta(minutes=30)


class Backend(str):
    """Matches torch.distributed.Backend: a backend's name, lower case."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    backend_list = [UNDEFINED, GLOO, NCCL, MPI]

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return str.__new__(cls, value)


class RedOpType(enum.Enum):
    """torch's reduction kinds (torch.distributed.ReduceOp.RedOpType), with its numbers."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """Matches torch.distributed.ReduceOp: ``ReduceOp.SUM`` and the others are RedOpType."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


def op_name(op):
    """The engines' name of a ReduceOp (TypeError for anything else, as torch)."""
    if not isinstance(op, RedOpType) or op is RedOpType.PREMUL_SUM:
        raise TypeError(f"all_reduce(): incompatible function arguments: op={op!r}")
    return op.name.lower()


class ProcessGroup:
    """Matches torch.distributed.ProcessGroup: some of the job's processes and their engine.
    ``ranks[i]`` is the global rank of the group's rank i."""

    def __init__(self, engine, ranks, backend, timeout):
        self.engine = engine
        self.ranks = list(ranks)
        self.backend = Backend(backend)
        self.timeout = timeout

    def rank(self):
        return self.engine.rank

    def size(self):
        return self.engine.size

    def name(self):
        return self.backend

    def group_rank(self, global_rank, what="rank"):
        """The group's rank of a global rank; errors as torch."""
        if global_rank not in self.ranks:
            if self.ranks == list(range(len(self.ranks))):
                raise RuntimeError(f"invalid {what}: {global_rank}")
            raise ValueError(f"Global rank {global_rank} is not part of group {self}")
        return self.ranks.index(global_rank)

    def __repr__(self):
        return f"<mytorch.distributed.ProcessGroup {self.backend} ranks={self.ranks}>"


class GroupMember:
    """Matches torch.distributed.GroupMember: NON_GROUP_MEMBER is what new_group gives a
    process outside the group; WORLD the default group."""

    NON_GROUP_MEMBER = object()

    class _World:
        def __get__(self, obj, owner):
            return _STATE.get("world")

    WORLD = _World()


class _Group:
    """torch.distributed.group: ``group.WORLD`` is the default process group."""

    @property
    def WORLD(self):
        return _STATE.get("world")


group = _Group()
# The default group and its settings, set by init_process_group, cleared by destroy.
_STATE = {}


def _world():
    pg = _STATE.get("world")
    if pg is None:
        raise ValueError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return pg


def resolve(group_):
    """The ProcessGroup to use for ``group=`` (the default one for None); None for a process
    outside the group (the call is then a no-op, as torch)."""
    pg = _world()
    if group_ is None or group_ is pg:
        return pg
    if group_ is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group_, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group_).__name__}")
    return group_


def is_mpi_available():
    return mpi_comm.available()


def is_gloo_available():
    """Whether ``backend="gloo"`` works here: it is served by MPI."""
    return mpi_comm.available()


def is_nccl_available():
    return mpi_comm.available() and _has_nccl()


def _has_nccl():
    try:
        nccl_comm.nccl()
    except ImportError:
        return False
    return True


def is_initialized():
    """Matches torch.distributed.is_initialized."""
    return "world" in _STATE


def is_torchelastic_launched():
    """Whether the launcher (mytorch.distributed.run or torchrun) started this process."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _env_int(name, given, what):
    """``given`` (when >= 0) or the environment variable ``name``; torch's ValueError if none."""
    if given is not None and given >= 0:
        return int(given)
    if name in os.environ:
        return int(os.environ[name])
    raise ValueError(
        f"Error initializing torch.distributed using env:// rendezvous: environment variable "
        f"{name} expected, but not set"
    )


def _given(name, given):
    """``given`` (when >= 0), else the environment variable ``name``, else None."""
    if given is not None and given >= 0:
        return int(given)
    return int(os.environ[name]) if name in os.environ else None


def _abort_on_uncaught(engine):
    """An uncaught exception in one process ends the whole job (MPI_Abort) instead of leaving
    the other processes waiting in a collective forever. MYTORCH_DIST_ABORT_ON_ERROR=0 turns
    it off."""
    if os.environ.get("MYTORCH_DIST_ABORT_ON_ERROR", "1") == "0":
        return
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        rank = _STATE["world"].engine.rank if "world" in _STATE else "?"
        sys.stderr.write(f"mytorch.distributed: rank {rank} raised {kind.__name__}: aborting "
                         "the job\n")  # fmt: skip
        sys.stderr.flush()
        sys.stdout.flush()
        engine.abort(1)

    _STATE["previous_hook"] = previous
    sys.excepthook = hook


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):  # fmt: skip
    """Matches torch.distributed.init_process_group: joins this process to the job.

    The processes must have been started together by an MPI launcher (``mpiexec -n N`` or
    ``python -m mytorch.distributed.run``); MPI then says who is who, and torchrun's variables
    (RANK, WORLD_SIZE), where set, must agree with it. A process started alone is a job of one
    when ``rank=0, world_size=1`` (or RANK=0, WORLD_SIZE=1) say so.

    NOTE: ``backend="gloo"`` runs on MPI (gloo is torch's own library, not available here);
    get_backend() still answers "gloo". "nccl" needs CuPy with NCCL and one GPU per process
    (LOCAL_RANK picks it, or ``device_id=``). ``timeout=`` bounds each collective's wait: a
    collective not complete by then raises RuntimeError (without it they wait without a clock).
    ``store``/``pg_options`` are accepted and unused: MPI does the rendezvous.
    """
    if "world" in _STATE:
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(backend or ("nccl" if device_id is not None else "gloo"))
    if name not in (Backend.MPI, Backend.GLOO, Backend.NCCL):
        raise AssertionError(f"Unknown backend type {backend}")  # (torch's exception)
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")  # fmt: skip
    if not mpi_comm.available():
        raise RuntimeError(
            "mytorch.distributed needs mpi4py: pip install 'mytorch-autograd[mpi]' "
            "(mpi4py and the mpich wheel)"
        )
    launched = mpi_comm.launched_by_mpi(os.environ)
    if init_method not in (None, "env://") and not str(init_method).startswith(
        ("tcp://", "file://")
    ):
        raise ValueError(f"Invalid init_method: {init_method}")
    if not launched and store is None:
        # torch's env:// checks, for a process not started by MPI
        want_rank = _env_int("RANK", rank, "rank")
        want_size = _env_int("WORLD_SIZE", world_size, "world size")
    else:
        want_rank = _given("RANK", rank)
        want_size = _given("WORLD_SIZE", world_size)
    engine = mpi_comm.world()
    if want_size is not None and want_size != engine.size:
        raise RuntimeError(
            f"world_size={want_size} but MPI started {engine.size} process(es): start the "
            "processes with mpiexec or `python -m mytorch.distributed.run --nproc-per-node N`"
        )
    if want_rank is not None and want_rank != engine.rank:
        raise RuntimeError(f"rank={want_rank} but MPI says this process is rank {engine.rank}")
    if name == Backend.NCCL:
        if device_id is None:
            device_id = int(os.environ.get("LOCAL_RANK", engine.rank))
        index = device_id if isinstance(device_id, int) else (device_id.index or 0)
        engine = nccl_comm.NcclComm(engine, index)
    secs = None if timeout is None else timeout.total_seconds()
    _STATE["world"] = ProcessGroup(engine, range(engine.size), name, secs)
    _STATE["groups"] = [_STATE["world"]]
    # (a call with a timeout is started nonblocking and waited for: no shortcut)
    _STATE["in_place_sum"] = _in_place_sum(engine) if secs is None else None
    if engine.size > 1:
        _abort_on_uncaught(engine)


def _in_place_sum(engine, compiled=True):
    """all_reduce's shortcut for the default group's blocking SUM, or None (NCCL has none):
    ``fast(tensor)`` runs MPI's in-place Allreduce on the tensor's array and counts the write
    when the array can take it as it is (C-contiguous, writable, a dtype MPI adds) and returns
    True; else False, having done nothing. Compiled (mytorch._ext._shape.InPlaceCall) where the
    kernels are loaded, unless ``compiled`` is False: a 4 KB all-reduce on 2 processes ran at
    93-95% of mpi4py's own rate compiled, at 86-88% in Python."""
    parts = engine.in_place_sum()
    if parts is None:
        return None
    call, first, last = parts
    kernels = getattr(_backends.CPU, "loaded", {}).get("_shape")
    if compiled and hasattr(kernels, "InPlaceCall"):
        dtypes = mpi_comm.DIRECT_DTYPES.values()
        return kernels.InPlaceCall(call, first, last, Tensor, _ensure_vc, dtypes)

    def fast(tensor):
        d = tensor._data if isinstance(tensor, Tensor) else None
        if type(d) is np.ndarray and d.flags.carray:
            dt = d.dtype
            if mpi_comm.DIRECT_DTYPES.get(dt) is dt:
                call(first, d, last)
                vc = tensor._vc
                (vc if vc is not None else _ensure_vc(tensor)).version += 1
                return True
        return False

    return fast


def destroy_process_group(group=None):
    """Matches torch.distributed.destroy_process_group: frees a group (all of them, and the
    default group, for None). MPI itself stays up until the process exits."""
    if group is None or group is _STATE.get("world"):
        if "world" not in _STATE:
            raise AssertionError("Process group cannot be None")
        for pg in _STATE.pop("groups"):
            pg.engine.free()
        _STATE.pop("world")
        _STATE.pop("in_place_sum")
        if "previous_hook" in _STATE:
            sys.excepthook = _STATE.pop("previous_hook")
        return
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group in _STATE.get("groups", []):
        _STATE["groups"].remove(group)
        group.engine.free()


def get_rank(group=None):
    """Matches torch.distributed.get_rank: this process's rank in ``group`` (-1 outside it)."""
    pg = resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    """Matches torch.distributed.get_world_size (-1 outside the group)."""
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    """Matches torch.distributed.get_backend: the backend's name, as given to
    init_process_group."""
    pg = resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend


def get_global_rank(group, group_rank):
    """Matches torch.distributed.get_global_rank."""
    pg = resolve(group)
    return pg.ranks[group_rank]


def get_process_group_ranks(group):
    """Matches torch.distributed.get_process_group_ranks."""
    return list(resolve(group).ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None,
              sort_ranks=True):  # fmt: skip
    """Matches torch.distributed.new_group: a group of some of the default group's processes
    (every process calls it); a process outside it gets GroupMember.NON_GROUP_MEMBER."""
    world = _world()
    ranks = list(range(world.size())) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        ranks = sorted(ranks)
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(
                f"The new group's rank should be within the world_size set by "
                f"init_process_group, got {r}"
            )
    engine = world.engine.subgroup(ranks)
    if engine is None:
        return GroupMember.NON_GROUP_MEMBER
    secs = world.timeout if timeout is None else timeout.total_seconds()
    pg = ProcessGroup(engine, ranks, backend or world.backend, secs)
    _STATE["groups"].append(pg)
    return pg


class Work:
    """Matches torch.distributed.Work: the handle of a call made with ``async_op=True``.
    ``wait()`` returns once the call is complete (and its result in the tensors)."""

    def __init__(self, pg, requests, finish=None, what="collective"):
        self._pg = pg
        self._requests = [r for r in requests if r is not None]
        self._finish = finish
        self._what = what
        self._done = False
        self._result = None

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._result = self._finish()

    def is_completed(self):
        if self._done:
            return True
        eng = self._pg.engine
        pending = [r for r in self._requests if not eng.test(r)]
        self._requests = pending
        if not pending:
            self._complete()
        return self._done

    def wait(self, timeout=None):
        if self._done:
            return True
        limit = self._pg.timeout if timeout is None else _seconds(timeout)
        if limit is None:
            for r in self._requests:
                self._pg.engine.wait(r)
            self._requests = []
        else:
            _poll(self, limit)
        self._complete()
        return True

    def is_success(self):
        return self._done

    def exception(self):
        return None

    def result(self):
        return self._result if self._result is not None else []

    def synchronize(self):
        self.wait()

    def __repr__(self):
        return f"<mytorch.distributed.Work {self._what} completed={self._done}>"


def _seconds(timeout):
    return timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)


def _poll(work, limit):
    """Waits for ``work``'s requests, backing off from spinning to short sleeps (so that
    oversubscribed processes give their core away); RuntimeError after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    pause = 0.0
    while True:
        eng = work._pg.engine
        work._requests = [r for r in work._requests if not eng.test(r)]
        if not work._requests:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"mytorch.distributed: {work._what} timed out after {limit:g} s on rank "
                f"{_STATE['world'].engine.rank if 'world' in _STATE else '?'} (a peer process "
                "did not take part in time: it may have died or be elsewhere in the program)"
            )
        time.sleep(pause)
        pause = min(pause * 2 or 1e-5, 1e-3)
