"""mnist_digits.py's CNN trained with DistributedDataParallel: each process reads its share
of the digits (DistributedSampler) and the gradients are averaged across processes.

    python -m mytorch.distributed.run --nproc-per-node 2 examples/ddp_digits.py --epochs 2
    python examples/ddp_digits.py        # one process

Needs mpi4py and mpich (pip install "mytorch-autograd[mpi,examples]"). Runs with PyTorch's
torchrun too, after changing the import line to `import torch`.
"""

import mytorch as torch

import argparse
import os
import time

from mnist_digits import Net, load_digits_split, test

dist = torch.distributed
F = torch.nn.functional


def main():
    parser = argparse.ArgumentParser(description="8x8 digits with DistributedDataParallel")
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1.0)
    args = parser.parse_args()

    if "WORLD_SIZE" in os.environ:  # started by the launcher
        dist.init_process_group("gloo")
    else:
        dist.init_process_group("gloo", rank=0, world_size=1)
    rank, world = dist.get_rank(), dist.get_world_size()

    torch.manual_seed(1)
    train_set, test_set = load_digits_split()
    sampler = torch.utils.data.DistributedSampler(train_set, shuffle=True, seed=1)
    loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    model = torch.nn.parallel.DistributedDataParallel(Net())
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        for data, target in loader:
            optimizer.zero_grad()
            F.nll_loss(model(data), target).backward()
            optimizer.step()
        if rank == 0:
            loss, correct, n = test(model.module, torch.utils.data.DataLoader(test_set, 1000))
            print(f"epoch {epoch}: test loss {loss:.4f}, accuracy {100.0 * correct / n:.1f}%")
    if rank == 0:
        print(f"{world} process(es), {time.perf_counter() - start:.1f} s")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
