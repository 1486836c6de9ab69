"""mytorch.nn.parallel: DataParallel (DistributedDataParallel comes with torch.distributed)."""

from mytorch.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
