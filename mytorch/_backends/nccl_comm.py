"""The NCCL communication engine of mytorch.distributed, for CUDA tensors (CuPy's
``cupy.cuda.nccl``, imported on first use).

NCCL's communicators are set up from a unique id that rank 0 creates and the MPI job hands to
every process (the "bootstrap" MPI engine, which also carries the object collectives). Each call
is queued on CuPy's current stream; a nonblocking call returns an event recorded after it, and
waiting on it makes the current stream wait (as torch's Work.wait on NCCL).

NOTE: written against cupy.cuda.nccl's documented API and not run on a GPU here (this machine
has none); tests/distributed exercise its logic with a stand-in communicator.
"""

__all__ = ["NcclComm", "nccl"]


def nccl():
    """cupy.cuda.nccl (importing it needs CuPy built with NCCL)."""
    from cupy.cuda import nccl as _nccl

    return _nccl


def _cupy():
    import cupy

    return cupy


_DTYPES = {
    "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
    "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "int64": "NCCL_INT64",
    "bool": "NCCL_UINT8", "bfloat16": "NCCL_BFLOAT16",
}  # fmt: skip
_OPS = {"sum": "NCCL_SUM", "product": "NCCL_PROD", "max": "NCCL_MAX", "min": "NCCL_MIN",
        "avg": "NCCL_AVG"}  # fmt: skip


class _Event:
    """A request: done once the GPU has run everything queued before it."""

    def __init__(self, stream):
        self.event = _cupy().cuda.Event(block=False, disable_timing=True)
        self.event.record(stream)

    def Test(self):
        return self.event.done

    def Wait(self):
        _cupy().cuda.get_current_stream().wait_event(self.event)


class NcclComm:
    """One NCCL communicator over the processes of ``bootstrap`` (an MpiComm), one GPU each."""

    native_avg = True
    host = False  # its arrays are CuPy arrays, on a GPU

    def in_place_sum(self):
        """None: all_reduce's shortcut is MPI's (see MpiComm.in_place_sum)."""
        return None

    def __init__(self, bootstrap, device_index, lib=None):
        self.nccl = lib if lib is not None else nccl()
        self.bootstrap = bootstrap
        self.rank = bootstrap.rank
        self.size = bootstrap.size
        self.device_index = device_index
        uid = self.nccl.get_unique_id() if self.rank == 0 else None
        uid = bootstrap.bcast_obj(uid, 0)
        # as torch.cuda.set_device(LOCAL_RANK) in a torch script: this process's GPU becomes
        # the current device, where the staging copies and results of its calls are made
        _cupy().cuda.Device(device_index).use()
        self.comm = self.nccl.NcclCommunicator(self.size, uid, self.rank)

    def _dt(self, arr):
        name = _DTYPES.get(arr.dtype.name)
        if name is None:
            raise TypeError(f"NCCL does not support tensors of dtype {arr.dtype.name}")
        return getattr(self.nccl, name)

    def _op(self, op):
        return getattr(self.nccl, _OPS[op])

    def _issue(self, nb, fn, *args):
        stream = _cupy().cuda.get_current_stream()
        fn(*args, stream.ptr)
        return _Event(stream) if nb else None

    # --- collectives ----------------------------------------------------------------------------
    def allreduce(self, buf, op, nb):
        p = buf.data.ptr
        return self._issue(nb, self.comm.allReduce, p, p, buf.size, self._dt(buf), self._op(op))

    def bcast(self, buf, root, nb):
        p = buf.data.ptr
        return self._issue(nb, self.comm.broadcast, p, p, buf.size, self._dt(buf), root)

    def reduce(self, buf, root, op, nb):
        p = buf.data.ptr
        dt, o = self._dt(buf), self._op(op)
        return self._issue(nb, self.comm.reduce, p, p, buf.size, dt, o, root)

    def allgather(self, send, recv, nb):
        dt = self._dt(send)
        return self._issue(nb, self.comm.allGather, send.data.ptr, recv.data.ptr, send.size, dt)

    def reduce_scatter(self, send, recv, op, nb):
        s, r, dt = send.data.ptr, recv.data.ptr, self._dt(send)
        return self._issue(nb, self.comm.reduceScatter, s, r, recv.size, dt, self._op(op))

    def _grouped(self, nb, pairs):
        """Runs the (send or recv, ...) calls of ``pairs`` as one NCCL group."""
        stream = _cupy().cuda.get_current_stream()
        self.nccl.groupStart()
        try:
            for fn, args in pairs:
                fn(*args, stream.ptr)
        finally:
            self.nccl.groupEnd()
        return _Event(stream) if nb else None

    def gather(self, send, recv, root, nb):
        n, dt = send.size, self._dt(send)
        calls = [(self.comm.send, (send.data.ptr, n, dt, root))]
        if self.rank == root:
            base, step = recv.data.ptr, n * send.dtype.itemsize
            calls += [(self.comm.recv, (base + r * step, n, dt, r)) for r in range(self.size)]
        return self._grouped(nb, calls)

    def scatter(self, send, recv, root, nb):
        n, dt = recv.size, self._dt(recv)
        calls = []
        if self.rank == root:
            base, step = send.data.ptr, n * recv.dtype.itemsize
            calls += [(self.comm.send, (base + r * step, n, dt, r)) for r in range(self.size)]
        calls.append((self.comm.recv, (recv.data.ptr, n, dt, root)))
        return self._grouped(nb, calls)

    def alltoallv(self, send, send_counts, recv, recv_counts, nb):
        dt, size = self._dt(send), send.dtype.itemsize
        calls, s_off, r_off = [], 0, 0
        for r in range(self.size):
            calls.append((self.comm.send, (send.data.ptr + s_off * size, send_counts[r], dt, r)))
            calls.append((self.comm.recv, (recv.data.ptr + r_off * size, recv_counts[r], dt, r)))
            s_off += send_counts[r]
            r_off += recv_counts[r]
        return self._grouped(nb, calls)

    def barrier(self, nb):
        # NOTE: as torch's NCCL barrier, an all-reduce of one element on the GPU.
        one = _cupy().zeros(1, dtype="float32")
        req = self.allreduce(one, "sum", True)
        if not nb:
            _cupy().cuda.get_current_stream().synchronize()
            return None
        return req

    def send(self, buf, dst, tag, nb):
        return self._issue(nb, self.comm.send, buf.data.ptr, buf.size, self._dt(buf), dst)

    def recv(self, buf, src, tag, nb):
        if src is None:
            raise RuntimeError("NCCL cannot receive from any source: give src")
        req = self._issue(nb, self.comm.recv, buf.data.ptr, buf.size, self._dt(buf), src)
        return req if nb else src

    # --- objects and groups go through the bootstrap MPI communicator -----------------------------
    def allgather_obj(self, obj):
        return self.bootstrap.allgather_obj(obj)

    def bcast_obj(self, obj, root):
        return self.bootstrap.bcast_obj(obj, root)

    def gather_obj(self, obj, root):
        return self.bootstrap.gather_obj(obj, root)

    def scatter_obj(self, objs, root):
        return self.bootstrap.scatter_obj(objs, root)

    def subgroup(self, ranks):
        sub = self.bootstrap.subgroup(ranks)
        return None if sub is None else NcclComm(sub, self.device_index, self.nccl)

    def free(self):
        self.comm.destroy()
        self.bootstrap.free()

    def abort(self, code=1):
        self.comm.abort()
        self.bootstrap.abort(code)

    def test(self, req):
        return True if req is None else req.Test()

    def wait(self, req):
        if req is not None:
            req.Wait()
