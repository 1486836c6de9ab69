"""DDP training on every rank against one process training on the whole batch (each rank
builds the reference itself). argv: a comma-separated list of options
(bucket=<MB>, view, unused, nosync=<micro-batches>, buffers, nccl: the model on the stand-in
device, one per rank, with the NCCL stand-in). Prints OK."""

import sys

import mytorch as torch
import mytorch.distributed as dist
from mytorch import nn
from mytorch.nn.parallel import DistributedDataParallel as DDP

B, D, H, STEPS = 4, 6, 8, 20


class Net(nn.Module):
    def __init__(self, unused):
        super().__init__()
        self.a = nn.Linear(D, H)
        self.b = nn.Linear(H, 1)
        self.spare = nn.Linear(3, 3) if unused else None
        self.register_buffer("seen", torch.zeros(2))

    def forward(self, x):
        return self.b(torch.tanh(self.a(x)))


def batch(step, micro, n):
    g = torch.Generator().manual_seed(1000 * step + micro)
    x = torch.randn(n * B, D, generator=g)
    return x, x.sum(1, keepdim=True).sin()


def main():
    opts = (
        dict(o.partition("=")[::2] for o in sys.argv[1].split(",") if o)
        if len(sys.argv) > 1
        else {}
    )
    dev = "cpu"
    if "nccl" in opts:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from collectives import use_nccl_standin

        dev = use_nccl_standin()
    dist.init_process_group("nccl" if "nccl" in opts else "gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    ref = Net("unused" in opts)
    torch.manual_seed(r + 1)  # every rank starts elsewhere: DDP takes rank 0's
    local = Net("unused" in opts)
    if r == 0:
        local.load_state_dict(ref.state_dict())
    if "buffers" in opts:
        local.seen.fill_(float(r))
    local = local.to(dev)
    model = DDP(
        local,
        bucket_cap_mb=float(opts.get("bucket", 25)),
        gradient_as_bucket_view="view" in opts,
        find_unused_parameters="unused" in opts,
    )
    for (k1, v1), (k2, v2) in zip(ref.state_dict().items(), local.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2.cpu()), f"{k1} was not broadcast from rank 0"
    assert list(model.state_dict()) == ["module." + k for k in ref.state_dict()]
    assert model.module is local
    micro = int(opts.get("nosync", 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        opt.zero_grad()
        ref_opt.zero_grad()
        for m in range(micro):
            x, y = batch(step, m, n)
            ((ref(x) - y) ** 2).mean().backward()
            mine = slice(r * B, (r + 1) * B)
            if m < micro - 1:
                with model.no_sync():
                    ((model(x[mine].to(dev)) - y[mine].to(dev)) ** 2).mean().backward()
            else:
                ((model(x[mine].to(dev)) - y[mine].to(dev)) ** 2).mean().backward()
        opt.step()
        ref_opt.step()
    for (name, p), q in zip(local.named_parameters(), ref.parameters()):
        p = p.cpu()
        if not torch.allclose(p, q, rtol=1e-4, atol=1e-5):
            raise AssertionError(f"{name}: {(p - q).abs().max().item()} away from one process")
    if "unused" in opts:
        assert local.spare.weight.grad is None
    if "buffers" in opts:
        seen = local.seen.cpu()
        assert torch.equal(seen, torch.zeros(2)), "buffers come from rank 0 at each forward"
    dist.destroy_process_group()
    print(f"OK {r}")


if __name__ == "__main__":
    main()
