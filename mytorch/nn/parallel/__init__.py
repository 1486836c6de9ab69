"""mytorch.nn.parallel: DataParallel and DistributedDataParallel."""

from mytorch.nn.parallel.data_parallel import DataParallel, data_parallel
from mytorch.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
