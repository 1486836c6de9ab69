"""The collectives and point-to-point calls of torch.distributed on tensors, and the object
collectives.

A tensor's call runs on the tensor's own memory where it is contiguous (MPI reads and writes
the NumPy array, or NCCL the CuPy array, in place); a non-contiguous tensor, or a dtype the
engine cannot reduce (bool, bfloat16 on MPI), goes through a staging copy written back when the
call completes. With ``async_op=True`` the call returns a Work whose ``wait()`` completes it.
"""

from mytorch import _backends, _views
from mytorch import _dtype as D
from mytorch._core import Tensor
from mytorch.distributed.distributed_c10d import _STATE, ReduceOp, Work, op_name, resolve

__all__ = [
    "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
    "all_to_all_single", "barrier", "broadcast", "broadcast_object_list", "gather",
    "gather_object", "irecv", "isend", "recv", "reduce", "reduce_scatter",
    "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]  # fmt: skip

_SUM = ReduceOp.SUM
_STATE_get = _STATE.get
_FLOATS = (D.float16, D.bfloat16, D.float32, D.float64, D.complex64, D.complex128)


def _check(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
            f"             but got {type(t)} instead."
        )


def _xp(t):
    return _backends.for_array(t._data).xp


def _own_array(t):
    """The tensor's array (a 0-d tensor held as a NumPy scalar gets a 0-d array)."""
    if _backends.is_host_scalar(t._data):
        t._data = _xp(t).array(t._data)
    return t._data


def _compute_dtype(t, engine, reducing):
    """The dtype a reduction runs in: the tensor's, or a wider one the engine can add."""
    if not reducing:
        return None
    if t.dtype is D.bool_:
        return D.uint8.np
    if t.dtype is D.bfloat16 and engine.host:  # MPI has no bfloat16 (NCCL has)
        return D.float32.np
    return None


class _Buf:
    """A tensor's memory for one call: its own array, or a staging copy written back by
    ``done()``."""

    def __init__(self, t, engine, reducing=False):
        if engine.host != (t.device.type == "cpu"):
            raise RuntimeError(f"No backend type associated with device type {t.device.type} "
                               f"(the {type(engine).__name__[:-4].upper()} backend takes "
                               f"{'CPU' if engine.host else 'CUDA'} tensors)")  # fmt: skip
        d = _own_array(t)
        compute = _compute_dtype(t, engine, reducing)
        self.t = t
        flags = d.flags  # (CuPy's have no writeable: its arrays are)
        self.staged = compute is not None or not (
            flags.c_contiguous and getattr(flags, "writeable", True)
        )
        if self.staged:
            xp = _xp(t)
            self.arr = xp.ascontiguousarray(d if compute is None else d.astype(compute))
        else:
            self.arr = d

    def done(self):
        if self.staged:
            self.t._data[...] = self.arr.reshape(self.t._data.shape)
        _views._bump_version(self.t)


def _assign(t, value):
    d = _own_array(t)
    d[...] = value.reshape(d.shape)
    _views._bump_version(t)


def _go(pg, what, async_op, start, finish=None):
    """Starts a call (``start(nb)`` returns the engine's requests) and completes it, or hands
    back its Work for ``async_op``."""
    nb = async_op or pg.timeout is not None
    reqs = start(nb)
    work = Work(pg, reqs if nb else [], finish, what)
    if async_op:
        return work
    work.wait()
    return None


def _root(pg, glob, grp, what):
    if grp is not None:
        if not 0 <= grp < pg.size():
            raise ValueError(f"Group rank {grp} is not part of the group")
        return grp
    if glob is None:
        raise ValueError(f"Either {what} or group_{what} must be specified")
    return pg.group_rank(glob, f"{'root' if what in ('src', 'dst') else what} rank")


def _reduce_op(t, op, engine):
    """(engine op, whether to divide by the world size afterwards)."""
    name = op_name(op)
    if name != "avg":
        return name, False
    if t.dtype not in _FLOATS:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{t.dtype.name.capitalize()}")  # fmt: skip
    return ("avg", False) if engine.native_avg else ("sum", True)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Matches torch.distributed.all_reduce: ``tensor`` becomes the reduction over all ranks."""
    fast = _STATE_get("in_place_sum")  # the common call (DDP's, a loop's): straight to MPI
    if fast is not None and op is _SUM and group is None and not async_op and fast(tensor):
        return None
    return _all_reduce(tensor, op, group, async_op)


def _all_reduce(tensor, op, group, async_op):
    """all_reduce's every other call (kept apart: its closure's cells cost the shortcut 0.1 us)."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    eng = pg.engine
    name, divide = _reduce_op(tensor, op, eng)
    buf = _Buf(tensor, eng, reducing=True)

    def finish():
        if divide:
            buf.arr /= eng.size
        buf.done()

    if not async_op and pg.timeout is None:  # the common case, with nothing in between
        eng.allreduce(buf.arr, name, False)
        finish()
        return None
    return _go(pg, "all_reduce", async_op, lambda nb: [eng.allreduce(buf.arr, name, nb)], finish)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Matches torch.distributed.broadcast: every rank's ``tensor`` becomes ``src``'s."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    buf = _Buf(tensor, pg.engine)
    return _go(pg, "broadcast", async_op, lambda nb: [pg.engine.bcast(buf.arr, root, nb)],
               buf.done)  # fmt: skip


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Matches torch.distributed.reduce: ``dst``'s ``tensor`` becomes the reduction."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    eng = pg.engine
    name, divide = _reduce_op(tensor, op, eng)
    buf = _Buf(tensor, eng, reducing=True)

    def finish():
        if eng.rank == root:
            if divide:
                buf.arr /= eng.size
            buf.done()

    return _go(pg, "reduce", async_op, lambda nb: [eng.reduce(buf.arr, root, name, nb)], finish)


def _same_shapes(tensors, like, what):
    for i, t in enumerate(tensors):
        _check(t, "tensor_list")
        if tuple(t.shape) != tuple(like.shape) or t.dtype is not like.dtype:
            raise RuntimeError(f"{what}: invalid tensor size at index {i} (expected "
                               f"{tuple(like.shape)}, got {tuple(t.shape)})")  # fmt: skip


def _count(tensors, n, what):
    if len(tensors) != n:
        raise RuntimeError(f"{what}: invalid tensor list (expected length {n}, got "
                           f"{len(tensors)})")  # fmt: skip


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Matches torch.distributed.all_gather: ``tensor_list[r]`` becomes rank r's ``tensor``."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    _count(tensor_list, pg.size(), "all_gather")
    _same_shapes(tensor_list, tensor, "all_gather")
    send = _Buf(tensor, pg.engine).arr
    recv = _xp(tensor).empty((pg.size(),) + tuple(send.shape), dtype=send.dtype)

    def finish():
        for i, out in enumerate(tensor_list):
            _assign(out, recv[i])

    return _go(pg, "all_gather", async_op, lambda nb: [pg.engine.allgather(send, recv, nb)],
               finish)  # fmt: skip


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Matches torch.distributed.all_gather_into_tensor: the ranks' inputs, one after the
    other (or stacked) in ``output_tensor``."""
    _check(output_tensor, "output_tensor")
    _check(input_tensor, "input_tensor")
    pg = resolve(group)
    if pg is None:
        return None
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise RuntimeError("output tensor size must be equal to world_size times input tensor size")
    if output_tensor.dtype is not input_tensor.dtype:
        raise RuntimeError("output tensor must have the same type as input tensor")
    send, out = _Buf(input_tensor, pg.engine).arr, _Buf(output_tensor, pg.engine)
    return _go(pg, "all_gather_into_tensor", async_op,
               lambda nb: [pg.engine.allgather(send, out.arr, nb)], out.done)  # fmt: skip


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Matches torch.distributed.reduce_scatter: ``output`` on rank r becomes the reduction
    of every rank's ``input_list[r]``."""
    _check(output, "output")
    pg = resolve(group)
    if pg is None:
        return None
    _count(input_list, pg.size(), "reduce_scatter")
    _same_shapes(input_list, output, "reduce_scatter")
    eng = pg.engine
    name, divide = _reduce_op(output, op, eng)
    out = _Buf(output, eng, reducing=True)
    xp = _xp(output)
    send = xp.concatenate([_Buf(t, eng, True).arr.reshape(-1).astype(out.arr.dtype)
                           for t in input_list])  # fmt: skip
    return _go(pg, "reduce_scatter", async_op,
               lambda nb: [eng.reduce_scatter(send, out.arr, name, nb)],
               lambda: _finish_reduced(out, divide, eng.size))  # fmt: skip


def _finish_reduced(out, divide, size):
    if divide:
        out.arr /= size
    out.done()


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Matches torch.distributed.reduce_scatter_tensor: rank r's ``output`` becomes the
    reduction of the r-th blocks of every rank's ``input``."""
    _check(output, "output")
    _check(input, "input")
    pg = resolve(group)
    if pg is None:
        return None
    if input.numel() != pg.size() * output.numel():
        raise RuntimeError("input tensor must be the same size as output size times world size")
    eng = pg.engine
    name, divide = _reduce_op(output, op, eng)
    out = _Buf(output, eng, reducing=True)
    send = _Buf(input, eng, reducing=True).arr
    return _go(pg, "reduce_scatter_tensor", async_op,
               lambda nb: [eng.reduce_scatter(send, out.arr, name, nb)],
               lambda: _finish_reduced(out, divide, eng.size))  # fmt: skip


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Matches torch.distributed.gather: ``dst``'s ``gather_list[r]`` becomes rank r's
    ``tensor``."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst")
    me = pg.rank() == root
    if me and not gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if not me and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    send = _Buf(tensor, pg.engine).arr
    recv = None
    if me:
        _count(gather_list, pg.size(), "gather")
        _same_shapes(gather_list, tensor, "gather")
        recv = _xp(tensor).empty((pg.size(),) + tuple(send.shape), dtype=send.dtype)

    def finish():
        for i, out in enumerate(gather_list or ()):
            _assign(out, recv[i])

    return _go(pg, "gather", async_op, lambda nb: [pg.engine.gather(send, recv, root, nb)],
               finish)  # fmt: skip


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Matches torch.distributed.scatter: rank r's ``tensor`` becomes ``src``'s
    ``scatter_list[r]``."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src")
    me = pg.rank() == root
    if me and not scatter_list:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    if not me and scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    out = _Buf(tensor, pg.engine)
    send = None
    if me:
        _count(scatter_list, pg.size(), "scatter")
        _same_shapes(scatter_list, tensor, "scatter")
        send = _xp(tensor).concatenate([_Buf(t, pg.engine).arr.reshape(-1) for t in scatter_list])
    return _go(pg, "scatter", async_op, lambda nb: [pg.engine.scatter(send, out.arr, root, nb)],
               out.done)  # fmt: skip


def _splits(t, splits, size, what):
    rows = t.shape[0] if t.dim() else 1
    if splits is None:
        if rows % size:
            raise RuntimeError(f"Tensor's dim 0 does not divide equally across group size ({what})")
        splits = [rows // size] * size
    if len(splits) != size or sum(splits) != rows:
        raise RuntimeError(f"Split sizes doesn't match total dim 0 size ({what})")
    row = t.numel() // rows if rows else 0
    return [int(s) * row for s in splits]


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):  # fmt: skip
    """Matches torch.distributed.all_to_all_single: rank r sends its j-th block of rows of
    ``input`` to rank j, which puts it at its r-th block of ``output``."""
    _check(output, "output")
    _check(input, "input")
    pg = resolve(group)
    if pg is None:
        return None
    sc = _splits(input, input_split_sizes, pg.size(), "input")
    rc = _splits(output, output_split_sizes, pg.size(), "output")
    send, out = _Buf(input, pg.engine).arr, _Buf(output, pg.engine)
    return _go(pg, "all_to_all_single", async_op,
               lambda nb: [pg.engine.alltoallv(send, sc, out.arr, rc, nb)], out.done)  # fmt: skip


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Matches torch.distributed.all_to_all: ``output_tensor_list[r]`` becomes rank r's
    ``input_tensor_list[me]``."""
    pg = resolve(group)
    if pg is None:
        return None
    _count(output_tensor_list, pg.size(), "all_to_all")
    _count(input_tensor_list, pg.size(), "all_to_all")
    xp = _xp(input_tensor_list[0])
    send = xp.concatenate([_Buf(t, pg.engine).arr.reshape(-1) for t in input_tensor_list])
    rc = [t.numel() for t in output_tensor_list]
    recv = xp.empty(sum(rc), dtype=send.dtype)
    sc = [t.numel() for t in input_tensor_list]

    def finish():
        start = 0
        for t, n in zip(output_tensor_list, rc):
            _assign(t, recv[start : start + n])
            start += n

    return _go(pg, "all_to_all", async_op,
               lambda nb: [pg.engine.alltoallv(send, sc, recv, rc, nb)], finish)  # fmt: skip


def _peer(pg, glob, grp, what):
    peer = _root(pg, glob, grp, what)
    if peer == pg.rank():
        kind = "destination" if what == "dst" else "source"
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank "
                         "of the current process.")  # fmt: skip
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Matches torch.distributed.isend: starts sending ``tensor`` to ``dst``; returns a Work."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst")
    send = _Buf(tensor, pg.engine).arr
    return _go(pg, "send", True, lambda nb: [pg.engine.send(send, peer, tag, nb)])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Matches torch.distributed.send."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Matches torch.distributed.irecv: starts receiving into ``tensor``; returns a Work."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "src")
    buf = _Buf(tensor, pg.engine)
    return _go(pg, "recv", True, lambda nb: [pg.engine.recv(buf.arr, peer, tag, nb)], buf.done)


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Matches torch.distributed.recv: receives into ``tensor`` (from anyone when ``src`` is
    None); returns the sender's rank."""
    _check(tensor)
    pg = resolve(group)
    if pg is None:
        return -1
    if src is not None or group_src is not None or pg.timeout is not None:
        irecv(tensor, src, group, tag, group_src).wait()
        return src if src is not None else pg.ranks[group_src] if group_src is not None else -1
    buf = _Buf(tensor, pg.engine)
    sender = pg.engine.recv(buf.arr, None, tag, False)
    buf.done()
    return pg.ranks[sender]


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Matches torch.distributed.barrier: returns once every rank of the group called it."""
    pg = resolve(group)
    if pg is None:
        return None
    if timeout is None or async_op:
        return _go(pg, "barrier", async_op, lambda nb: [pg.engine.barrier(nb)])
    work = Work(pg, [pg.engine.barrier(True)], None, "barrier")
    work.wait(timeout)
    return None


# --- Python objects (pickled, as in torch) ------------------------------------------------------
def all_gather_object(object_list, obj, group=None):
    """Matches torch.distributed.all_gather_object: ``object_list[r]`` becomes rank r's
    ``obj``."""
    pg = resolve(group)
    if pg is None:
        return
    for i, o in enumerate(pg.engine.allgather_obj(obj)):
        object_list[i] = o


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Matches torch.distributed.broadcast_object_list: the list's items become ``src``'s."""
    pg = resolve(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    got = pg.engine.bcast_obj(list(object_list) if pg.rank() == root else None, root)
    object_list[:] = got


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Matches torch.distributed.gather_object."""
    pg = resolve(group)
    if pg is None:
        return
    root = _root(pg, dst, group_dst, "dst")
    got = pg.engine.gather_obj(obj, root)
    if pg.rank() == root:
        if object_gather_list is None:
            raise ValueError("Must provide object_gather_list on dst rank")
        for i, o in enumerate(got):
            object_gather_list[i] = o


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):  # fmt: skip
    """Matches torch.distributed.scatter_object_list: ``scatter_object_output_list[0]``
    becomes ``src``'s ``scatter_object_input_list[me]``."""
    pg = resolve(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "src")
    objs = list(scatter_object_input_list) if pg.rank() == root else None
    scatter_object_output_list[0] = pg.engine.scatter_obj(objs, root)
