"""SyncBatchNorm on every rank against one BatchNorm over the whole batch (each rank builds the
reference itself, float64). argv: a comma-separated list of options
(uneven: rank r holds 2r + 1 samples; empty: rank 0 holds none; pairs: two groups of half
the ranks each, every group its own batch; ddp: a model converted with convert_sync_batchnorm
trained with DistributedDataParallel for 3 steps against one process; nccl: on the stand-in
device, one per rank, with the NCCL stand-in). Prints OK."""

import sys

import mytorch as torch
import mytorch.distributed as dist
from mytorch import nn
from mytorch.nn.parallel import DistributedDataParallel as DDP

C, STEPS = 3, 3
DEV = "cpu"


def close(a, b, what):
    a = a.cpu()
    if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-10, atol=1e-12):
        diff = (a - b).abs().max().item() if a.shape == b.shape else (a.shape, b.shape)
        raise AssertionError(f"{what}: {diff} away from one process")


def sizes(opts, n):
    if "uneven" in opts:
        return [2 * k + 1 for k in range(n)]
    if "empty" in opts:
        return [0] + [4] * (n - 1)
    return [4] * n


def reference_class(ndim):
    return {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[ndim]


def check_layer(opts, members, me, group, tail, kwargs):
    """One SyncBatchNorm per rank of ``members`` (this one is ``me``) against one BatchNorm
    over their batches, for two training steps and an eval step."""
    counts = sizes(opts, len(members))
    start = sum(counts[:me])
    mine = slice(start, start + counts[me])
    ref = reference_class(len(tail) + 2)(C, **kwargs).double()
    if ref.affine:
        with torch.no_grad():
            ref.weight.copy_(torch.linspace(0.5, 1.5, C))
            if ref.bias is not None:
                ref.bias.copy_(torch.linspace(-1.0, 1.0, C))
    local = nn.SyncBatchNorm.convert_sync_batchnorm(
        reference_class(len(tail) + 2)(C, **kwargs), group
    )
    local.load_state_dict(ref.state_dict())
    local = local.double().to(DEV)
    assert isinstance(local, nn.SyncBatchNorm) and local.process_group is group
    for step in range(2):
        g = torch.Generator().manual_seed(100 * step + len(tail))
        x = (torch.randn(sum(counts), C, *tail, generator=g, dtype=torch.float64) * (step + 2)
             + 3.0)  # fmt: skip
        w = torch.randn(x.shape, generator=g, dtype=torch.float64)
        xr = x.clone().requires_grad_()
        out = ref(xr)
        (out * w).sum().backward()
        xl = x[mine].to(DEV).requires_grad_()
        got = local(xl)
        (got * w[mine].to(DEV)).sum().backward()
        close(got.detach(), out.detach()[mine], f"output {tail} {kwargs}")
        close(xl.grad, xr.grad[mine], f"input grad {tail} {kwargs}")
        for name in ("weight", "bias"):
            if getattr(ref, name) is not None:
                total = getattr(local, name).grad.clone()
                dist.all_reduce(total, group=group)  # each rank's own share, as torch
                close(total, getattr(ref, name).grad, f"{name} grad {tail} {kwargs}")
                getattr(local, name).grad = None
                getattr(ref, name).grad = None
        for k, v in ref.state_dict().items():
            close(local.state_dict()[k].to(v.dtype), v, f"{k} {tail} {kwargs}")
    ref.eval()
    local.eval()
    x = torch.randn(3, C, *tail, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    close(local(x.to(DEV)), ref(x), f"eval {tail} {kwargs}")


def check_ddp(opts, r, n):
    """Linear, BatchNorm1d, Tanh, Linear converted to SyncBatchNorm and trained under DDP for
    3 steps against one process on the whole batch."""
    B, D, H = 4, 5, C

    def net():
        return nn.Sequential(nn.Linear(D, H), nn.BatchNorm1d(H), nn.Tanh(), nn.Linear(H, 1))

    torch.manual_seed(0)
    ref = net().double()
    local = nn.SyncBatchNorm.convert_sync_batchnorm(net()).double()
    local.load_state_dict(ref.state_dict())
    assert isinstance(local[1], nn.SyncBatchNorm) and local[1].training
    model = DDP(local.to(DEV))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(n * B, D, generator=g, dtype=torch.float64)
        y = x.sum(1, keepdim=True).sin()
        opt.zero_grad()
        ref_opt.zero_grad()
        ((ref(x) - y) ** 2).mean().backward()
        mine = slice(r * B, (r + 1) * B)
        ((model(x[mine].to(DEV)) - y[mine].to(DEV)) ** 2).mean().backward()
        opt.step()
        ref_opt.step()
    for (k, v), m in zip(ref.state_dict().items(), local.state_dict().values()):
        close(m.to(v.dtype), v, f"DDP {k}")


def main():
    global DEV
    opts = set(sys.argv[1].split(",")) if len(sys.argv) > 1 else set()
    if "nccl" in opts:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from collectives import use_nccl_standin

        DEV = use_nccl_standin()
    dist.init_process_group("nccl" if "nccl" in opts else "gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    if "ddp" in opts:
        check_ddp(opts, r, n)
    else:
        members, group = list(range(n)), None
        if "pairs" in opts:
            halves = [list(range(n // 2)), list(range(n // 2, n))]
            groups = [dist.new_group(h) for h in halves]
            members = halves[r >= n // 2]
            group = groups[r >= n // 2]
        me = members.index(r)
        for tail in ((), (4,), (2, 3)):
            check_layer(opts, members, me, group, tail, {})
        check_layer(opts, members, me, group, (2,), {"momentum": None, "eps": 1e-3})
        check_layer(opts, members, me, group, (2,), {"affine": False})
        check_layer(opts, members, me, group, (), {"track_running_stats": False})
        check_layer(opts, members, me, group, (), {"bias": False})
    dist.destroy_process_group()
    print(f"OK {r}")


if __name__ == "__main__":
    main()
