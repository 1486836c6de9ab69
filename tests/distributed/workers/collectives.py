"""Every collective on every rank, checked against NumPy on the inputs of all ranks (each rank
can rebuild every rank's input from its rank number). Prints OK on success.

argv[1]: the backend (gloo, mpi; nccl runs on the stand-in device with the NCCL stand-in of
fake_nccl.py, one device per rank)."""

import os
import sys

import numpy as np

import mytorch as torch
import mytorch.distributed as dist


DEV = "cpu"


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a)).to(DEV)


def data(r, shape=(3, 4), dtype=np.float64):
    return (np.arange(np.prod(shape)).reshape(shape) * (r + 1) + r).astype(dtype)


def check(got, want, what):
    got = got.cpu().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    if got.shape != np.shape(want) or not np.allclose(got, want):
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def use_nccl_standin():
    """The stand-in device and an NCCL stand-in in place of CuPy's (tests only)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fake_nccl
    from backends.standin_backend import BACKEND

    from mytorch._backends import nccl_comm, register

    register(BACKEND)
    nccl_comm.nccl = lambda: fake_nccl
    nccl_comm._cupy = lambda: fake_nccl.cupy
    return f"standin:{os.environ.get('PMI_RANK', '0')}"


def main():
    global DEV
    backend = sys.argv[1] if len(sys.argv) > 1 else "gloo"
    if backend == "nccl":
        DEV = use_nccl_standin()
    dist.init_process_group(backend)
    r, n = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == backend
    inputs = [data(k) for k in range(n)]
    ops = {
        dist.ReduceOp.SUM: np.sum,
        dist.ReduceOp.AVG: np.mean,
        dist.ReduceOp.MAX: np.max,
        dist.ReduceOp.MIN: np.min,
        dist.ReduceOp.PRODUCT: np.prod,
    }
    for op, f in ops.items():
        for dtype in (np.float32, np.float64):
            t = T(data(r, dtype=dtype))
            ptr = t.data_ptr()
            dist.all_reduce(t, op=op)
            check(t, f(np.stack(inputs), axis=0).astype(dtype), f"all_reduce {op}")
            assert t.data_ptr() == ptr, "all_reduce must work in place"
        t = T(data(r, dtype=np.int64))
        if op is not dist.ReduceOp.AVG:
            dist.all_reduce(t, op=op)
            check(t, f(np.stack(inputs).astype(np.int64), axis=0), f"all_reduce int {op}")
    # non-contiguous, bfloat16 and bool go through staging copies
    t = T(data(r, (4, 6))).t()
    dist.all_reduce(t)
    check(t, sum(data(k, (4, 6)) for k in range(n)).T, "all_reduce non-contiguous")
    if backend != "nccl":  # (the NCCL stand-in reduces through MPI, which has no bfloat16)
        t = T(data(r)).to(torch.bfloat16)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        check(t.float(), np.max(np.stack(inputs), 0).astype(np.float32), "bfloat16 max")
    t = torch.tensor([r == 0, False, True], device=DEV)
    dist.all_reduce(t)
    check(t, np.array([True, False, True]), "bool sum")
    # async
    t = T(data(r))
    w = dist.all_reduce(t, async_op=True)
    assert w.wait() is True and w.is_completed()
    check(t, sum(inputs), "async all_reduce")
    # broadcast / reduce
    for root in range(n):
        t = T(data(r))
        dist.broadcast(t, src=root)
        check(t, inputs[root], "broadcast")
        t = T(data(r))
        dist.reduce(t, dst=root, op=dist.ReduceOp.MAX)
        check(t, np.max(np.stack(inputs), 0) if r == root else inputs[r], "reduce")
    # all_gather, all_gather_into_tensor
    outs = [torch.zeros(3, 4, dtype=torch.float64, device=DEV) for _ in range(n)]
    dist.all_gather(outs, T(data(r)))
    for k in range(n):
        check(outs[k], inputs[k], "all_gather")
    out = torch.zeros(3 * n, 4, dtype=torch.float64, device=DEV)
    dist.all_gather_into_tensor(out, T(data(r)))
    check(out, np.concatenate(inputs), "all_gather_into_tensor")
    out = torch.zeros(n, 3, 4, dtype=torch.float64, device=DEV)
    dist.all_gather_into_tensor(out, T(data(r)), async_op=True).wait()
    check(out, np.stack(inputs), "all_gather_into_tensor stacked")
    # reduce_scatter, reduce_scatter_tensor
    big = [data(k, (n * 2, 3)) for k in range(n)]
    out = torch.zeros(2, 3, dtype=torch.float64, device=DEV)
    dist.reduce_scatter(out, list(T(big[r]).split(2)))
    check(out, sum(big)[2 * r : 2 * r + 2], "reduce_scatter")
    out = torch.zeros(2, 3, dtype=torch.float64, device=DEV)
    dist.reduce_scatter_tensor(out, T(big[r]), op=dist.ReduceOp.AVG)
    check(out, (sum(big) / n)[2 * r : 2 * r + 2], "reduce_scatter_tensor avg")
    # gather, scatter
    for root in range(n):
        lst = (
            [torch.zeros(3, 4, dtype=torch.float64, device=DEV) for _ in range(n)]
            if r == root
            else None
        )
        dist.gather(T(data(r)), lst, dst=root)
        if r == root:
            for k in range(n):
                check(lst[k], inputs[k], "gather")
        t = torch.zeros(3, 4, dtype=torch.float64, device=DEV)
        src_list = [T(data(k) * 10) for k in range(n)] if r == root else None
        dist.scatter(t, src_list, src=root)
        check(t, data(r) * 10, "scatter")
    # all_to_all_single, equal and uneven splits
    inp = torch.arange(n * 2, dtype=torch.float32, device=DEV) + 100 * r
    out = torch.zeros(n * 2, device=DEV)
    dist.all_to_all_single(out, inp)
    want = np.concatenate([np.arange(2 * r, 2 * r + 2) + 100 * k for k in range(n)])
    check(out, want, "all_to_all_single")
    in_splits = [k + 1 for k in range(n)]  # rank r sends k+1 rows to rank k
    inp = torch.full((sum(in_splits), 2), float(r), device=DEV)
    out = torch.zeros((r + 1) * n, 2, device=DEV)
    dist.all_to_all_single(out, inp, [r + 1] * n, in_splits)
    check(out, np.repeat(np.arange(n, dtype=np.float32), r + 1)[:, None].repeat(2, 1), "a2a v")
    outs = [torch.zeros(2, device=DEV) for _ in range(n)]
    dist.all_to_all(outs, [torch.full((2,), float(10 * r + k), device=DEV) for k in range(n)])
    for k in range(n):
        check(outs[k], np.full(2, 10 * k + r), "all_to_all")
    # point to point: a ring
    nxt, prv = (r + 1) % n, (r - 1) % n
    if n > 1:
        t = torch.zeros(3, 4, dtype=torch.float64, device=DEV)
        w = dist.isend(T(data(r)), nxt)
        got = dist.recv(t, src=prv if r % 2 or backend == "nccl" else None)
        w.wait()
        check(t, inputs[prv], "send/recv")
        assert got == prv, (got, prv)
        t = torch.zeros(3, 4, dtype=torch.float64, device=DEV)
        w1 = dist.irecv(t, prv)
        dist.send(T(data(r)), nxt)
        w1.wait()
        check(t, inputs[prv], "isend/irecv")
    # objects
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r, "name": f"p{r}"})
    assert objs == [{"rank": k, "name": f"p{k}"} for k in range(n)], objs
    lst = [r, "x", None] if r == 0 else [None, None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == [0, "x", None], lst
    # subgroups: the even ranks (not with the NCCL stand-in, whose communicators span the job)
    evens = list(range(0, n, 2)) if backend != "nccl" else list(range(n))
    g = dist.new_group(evens)
    if r in evens:
        t = T(data(r))
        dist.all_reduce(t, group=g)
        check(t, sum(inputs[k] for k in evens), "group all_reduce")
        assert dist.get_world_size(g) == len(evens) and dist.get_rank(g) == evens.index(r)
        t = T(data(r))
        dist.broadcast(t, src=evens[-1], group=g)
        check(t, inputs[evens[-1]], "group broadcast")
    else:
        assert g is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
    dist.barrier()
    dist.barrier(async_op=True).wait()
    dist.destroy_process_group()
    assert not dist.is_initialized()
    if backend == "nccl":
        import fake_nccl

        assert {"allReduce", "broadcast", "allGather", "reduceScatter", "send"} <= set(
            fake_nccl.calls
        ), fake_nccl.calls
    print(f"OK {r}")


if __name__ == "__main__":
    main()
