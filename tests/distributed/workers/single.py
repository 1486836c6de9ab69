"""A job of one started without MPI (argv[1]: how init_process_group is called)."""

import sys

import mytorch as torch
import mytorch.distributed as dist

how = sys.argv[1]
if how == "env":
    dist.init_process_group("gloo")
elif how == "args":
    dist.init_process_group("mpi", rank=0, world_size=1, init_method="tcp://127.0.0.1:23456")
try:
    dist.init_process_group("gloo", rank=0, world_size=1)
except ValueError as e:
    print("twice:", e)
t = torch.arange(3.0)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))
model(torch.ones(3, 2)).sum().backward()
print(
    dist.get_rank(),
    dist.get_world_size(),
    dist.get_backend(),
    t.tolist(),
    model.module.weight.grad.tolist(),
)
