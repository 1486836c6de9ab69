"""DistributedSampler (torch.utils.data.distributed): each process of a job reads its own
share of a dataset, in the same order as torch for the same seed and epoch."""

import math

from mytorch import distributed as dist
from mytorch._backends.mt19937 import torch_randperm
from mytorch.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Matches torch.utils.data.distributed.DistributedSampler: rank ``rank`` of
    ``num_replicas`` gets every ``num_replicas``-th key of a (shuffled, for ``shuffle``) order
    of the dataset, padded by repetition to a multiple of ``num_replicas`` (or cut, for
    ``drop_last``). ``set_epoch`` reshuffles: the order depends on ``seed + epoch`` only, and
    equals torch's for the same values."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):  # fmt: skip
        if num_replicas is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size()
        if rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(self.dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"{len(indices)} indices for a total size of {self.total_size}")
        indices = indices[self.rank : self.total_size : self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"{len(indices)} indices for {self.num_samples} samples")
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Matches DistributedSampler.set_epoch: the epoch that, added to the seed, picks the
        order (call it before each epoch's DataLoader iterator)."""
        self.epoch = epoch
