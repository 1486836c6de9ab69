"""A test-only cupy.cuda.nccl over MPI, for the stand-in device (whose arrays live on the host):
NcclCommunicator's calls take device addresses, as NCCL's do; here they are host addresses that
become NumPy arrays and travel through mpi4py. Grouped sends and receives start at groupEnd.
It lets mytorch's NCCL engine (mytorch/_backends/nccl_comm.py) run its logic, pointer
arithmetic included, in jobs of several processes without a GPU."""

import ctypes
import types

import numpy as np
from mpi4py import MPI

from backends import standin

NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_INT64, NCCL_BFLOAT16 = 0, 1, 2, 4, 9
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
_NP = {
    NCCL_FLOAT16: np.float16,
    NCCL_FLOAT32: np.float32,
    NCCL_FLOAT64: np.float64,
    NCCL_INT8: np.int8,
    NCCL_UINT8: np.uint8,
    NCCL_INT32: np.int32,
    NCCL_INT64: np.int64,
}
_OPS = {
    NCCL_SUM: MPI.SUM,
    NCCL_PROD: MPI.PROD,
    NCCL_MAX: MPI.MAX,
    NCCL_MIN: MPI.MIN,
    NCCL_AVG: MPI.SUM,
}
_GROUP = []
_INFLIGHT = []  # point-to-point calls outside a group, with their buffers
calls = []


def _arr(ptr, count, dt):
    dtype = np.dtype(_NP[dt])
    buf = (ctypes.c_char * (count * dtype.itemsize)).from_address(ptr)
    return np.frombuffer(buf, dtype=dtype, count=count)


def get_unique_id():
    return ("fake-nccl-id", 42)


def groupStart():
    _GROUP.append([])


def groupEnd():
    pending = _GROUP.pop()
    MPI.Request.Waitall([start() for start in pending])


class NcclCommunicator:
    def __init__(self, ndev, uid, rank):
        assert uid == ("fake-nccl-id", 42)
        self.comm = MPI.COMM_WORLD.Dup()
        assert (self.comm.Get_size(), self.comm.Get_rank()) == (ndev, rank)

    def allReduce(self, s, r, count, dt, op, stream):
        calls.append("allReduce")
        out = _arr(r, count, dt)
        self.comm.Allreduce(_arr(s, count, dt).copy(), out, _OPS[op])
        if op == NCCL_AVG:
            out /= self.comm.Get_size()

    def broadcast(self, s, r, count, dt, root, stream):
        calls.append("broadcast")
        self.comm.Bcast(_arr(r, count, dt), root)

    def reduce(self, s, r, count, dt, op, root, stream):
        calls.append("reduce")
        src = _arr(s, count, dt).copy()
        mine = self.comm.Get_rank() == root
        self.comm.Reduce(src, _arr(r, count, dt) if mine else None, _OPS[op], root)
        if mine and op == NCCL_AVG:
            _arr(r, count, dt)[...] /= self.comm.Get_size()

    def allGather(self, s, r, count, dt, stream):
        calls.append("allGather")
        self.comm.Allgather(_arr(s, count, dt).copy(), _arr(r, count * self.comm.Get_size(), dt))

    def reduceScatter(self, s, r, count, dt, op, stream):
        calls.append("reduceScatter")
        out = _arr(r, count, dt)
        src = _arr(s, count * self.comm.Get_size(), dt).copy()
        self.comm.Reduce_scatter_block(src, out, _OPS[op])
        if op == NCCL_AVG:
            out /= self.comm.Get_size()

    def send(self, s, count, dt, peer, stream):
        calls.append("send")
        data = _arr(s, count, dt).copy()
        if _GROUP:
            _GROUP[-1].append(lambda: self.comm.Isend(data, peer, 7))
        else:  # queued, as on a stream: done by the time the stream is waited for
            _INFLIGHT.append((self.comm.Isend(data, peer, 7), data))

    def recv(self, r, count, dt, peer, stream):
        calls.append("recv")
        out = _arr(r, count, dt)
        if _GROUP:
            _GROUP[-1].append(lambda: self.comm.Irecv(out, peer, 7))
        else:
            _INFLIGHT.append((self.comm.Irecv(out, peer, 7), out))

    def destroy(self):
        self.comm.Free()

    def abort(self):
        pass


def _flush():
    MPI.Request.Waitall([req for req, _ in _INFLIGHT])
    _INFLIGHT.clear()


class _Event:
    def __init__(self, block=False, disable_timing=True):
        pass

    def record(self, stream):
        pass

    @property
    def done(self):
        return MPI.Request.Testall([req for req, _ in _INFLIGHT])


class _Stream:
    ptr = 0

    def synchronize(self):
        _flush()

    def wait_event(self, event):
        _flush()


_STREAM = _Stream()
# What mytorch's NCCL engine asks of CuPy, over the stand-in.
cupy = types.SimpleNamespace(
    cuda=types.SimpleNamespace(
        Event=_Event, get_current_stream=lambda: _STREAM, Device=standin.Device
    ),
    zeros=standin.xp.zeros,
)
