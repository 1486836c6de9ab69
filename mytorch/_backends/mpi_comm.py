"""The MPI communication engine of mytorch.distributed (mpi4py, imported on first use).

It works on contiguous NumPy arrays, through mpi4py's buffer interface (the upper-case methods:
the data goes from the array's memory to MPI, never through pickle). Each call either completes
(``nb=False``: MPI's blocking call) or starts MPI's nonblocking twin and returns its request
(``nb=True``); mytorch.distributed.distributed_c10d turns requests into work handles.
"""

import importlib.util

import numpy as np

__all__ = ["MpiComm", "available", "launched_by_mpi", "mpi", "world"]

# Buffer formats MPI maps to its own datatypes; other dtypes (bfloat16) travel as raw bytes.
_TYPECODES = set("?bBhHiIlLqQefdgFDG")
# The dtypes MPI adds in place on the array itself (bool is reduced as uint8, a staging copy),
# each NumPy's own dtype object mapped to itself: ``DIRECT_DTYPES.get(d.dtype) is d.dtype``
# also turns away a byte-swapped array or one whose dtype carries metadata (equal, not the same).
DIRECT_DTYPES = {
    np.dtype(t): np.dtype(t)
    for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
              np.float16, np.float32, np.float64, np.complex64, np.complex128)
}  # fmt: skip
# The environment an MPI launcher (MPICH's Hydra, Open MPI, Slurm's PMI) gives each process.
_LAUNCH_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MPI_LOCALRANKID")


def available():
    """Whether mpi4py is installed (found without importing it: MPI starts on first use)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):  # a None entry in sys.modules: blocked on purpose
        return False


def mpi():
    """mpi4py's MPI module (importing it starts MPI)."""
    from mpi4py import MPI

    return MPI


def launched_by_mpi(environ):
    """Whether this process was started by an MPI launcher (mpiexec/mpirun/srun)."""
    return any(v in environ for v in _LAUNCH_VARS)


def world():
    """The engine over every process of the MPI job."""
    return MpiComm(mpi().COMM_WORLD)


def _ops(MPI):
    return {
        "sum": MPI.SUM, "product": MPI.PROD, "max": MPI.MAX, "min": MPI.MIN,
        "band": MPI.BAND, "bor": MPI.BOR, "bxor": MPI.BXOR,
    }  # fmt: skip


def _b(arr):
    """``arr`` as an MPI buffer: itself, or its bytes where MPI has no datatype for it."""
    if arr.dtype.char in _TYPECODES and not arr.dtype.metadata:
        return arr
    return arr.reshape(-1).view(np.uint8)


class MpiComm:
    """One MPI communicator: the collectives and point-to-point calls on NumPy arrays."""

    native_avg = False  # AVG is SUM then a division (MPI has no average)
    host = True  # its arrays are NumPy arrays, on the host
    bootstrap = None  # an NCCL engine's host-side communicator; MPI is its own

    def __init__(self, comm):
        self.MPI = mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._ops = _ops(self.MPI)

    def in_place_sum(self):
        """``(call, IN_PLACE, SUM)``: all_reduce's shortcut runs ``call(IN_PLACE, array, SUM)``
        on an array of ``DIRECT_DTYPES`` that is C-contiguous and writable."""
        return self.comm.Allreduce, self.MPI.IN_PLACE, self._ops["sum"]

    # --- collectives on arrays ----------------------------------------------------------------
    def allreduce(self, buf, op, nb):
        call = self.comm.Iallreduce if nb else self.comm.Allreduce
        return call(self.MPI.IN_PLACE, _b(buf), self._ops[op])

    def bcast(self, buf, root, nb):
        return (self.comm.Ibcast if nb else self.comm.Bcast)(_b(buf), root)

    def reduce(self, buf, root, op, nb):
        call = self.comm.Ireduce if nb else self.comm.Reduce
        if self.rank == root:
            return call(self.MPI.IN_PLACE, _b(buf), self._ops[op], root)
        return call(_b(buf), None, self._ops[op], root)

    def allgather(self, send, recv, nb):
        return (self.comm.Iallgather if nb else self.comm.Allgather)(_b(send), _b(recv))

    def gather(self, send, recv, root, nb):
        call = self.comm.Igather if nb else self.comm.Gather
        return call(_b(send), _b(recv) if recv is not None else None, root)

    def scatter(self, send, recv, root, nb):
        call = self.comm.Iscatter if nb else self.comm.Scatter
        return call(_b(send) if send is not None else None, _b(recv), root)

    def reduce_scatter(self, send, recv, op, nb):
        call = self.comm.Ireduce_scatter_block if nb else self.comm.Reduce_scatter_block
        return call(_b(send), _b(recv), self._ops[op])

    def alltoallv(self, send, send_counts, recv, recv_counts, nb):
        """Counts in elements of each row block; the blocks follow each other in rank order."""
        scale = 1 if _b(send) is send else send.dtype.itemsize
        sc = [c * scale for c in send_counts]
        rc = [c * scale for c in recv_counts]
        sd = [sum(sc[:i]) for i in range(len(sc))]
        rd = [sum(rc[:i]) for i in range(len(rc))]
        call = self.comm.Ialltoallv if nb else self.comm.Alltoallv
        return call([_b(send), (sc, sd)], [_b(recv), (rc, rd)])

    def barrier(self, nb):
        return self.comm.Ibarrier() if nb else self.comm.Barrier()

    # --- point to point -----------------------------------------------------------------------
    def send(self, buf, dst, tag, nb):
        return (self.comm.Isend if nb else self.comm.Send)(_b(buf), dst, tag)

    def recv(self, buf, src, tag, nb):
        """Blocking: returns the sender's rank; nonblocking: the request."""
        src = self.MPI.ANY_SOURCE if src is None else src
        if nb:
            return self.comm.Irecv(_b(buf), src, tag)
        status = self.MPI.Status()
        self.comm.Recv(_b(buf), src, tag, status)
        return status.Get_source()

    # --- Python objects (pickled, as torch's object collectives) --------------------------------
    def allgather_obj(self, obj):
        return self.comm.allgather(obj)

    def bcast_obj(self, obj, root):
        return self.comm.bcast(obj, root=root)

    def gather_obj(self, obj, root):
        return self.comm.gather(obj, root=root)

    def scatter_obj(self, objs, root):
        return self.comm.scatter(objs, root=root)

    # --- groups ---------------------------------------------------------------------------------
    def subgroup(self, ranks):
        """The engine over ``ranks`` (ranks of this communicator, in that order), or None on a
        process outside them; every process of this communicator calls it."""
        group = self.comm.Get_group().Incl(list(ranks))
        comm = self.comm.Create(group)
        group.Free()
        return None if comm == self.MPI.COMM_NULL else MpiComm(comm)

    def free(self):
        if self.comm != self.MPI.COMM_WORLD and self.comm != self.MPI.COMM_NULL:
            self.comm.Free()

    def abort(self, code=1):
        self.MPI.COMM_WORLD.Abort(code)

    def test(self, req):
        return req.Test()

    def wait(self, req):
        req.Wait()
