"""A job where rank 1 misbehaves (argv[1]: raise, exit, or late) while rank 0 waits in an
all_reduce: the job must end with a clear error, not hang."""

import datetime
import os
import sys
import time

import mytorch as torch
import mytorch.distributed as dist

how = sys.argv[1]
dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=3) if how == "late" else None)
if dist.get_rank() == 1:
    if how == "raise":
        raise ValueError("boom on rank 1")
    if how == "exit":
        os._exit(3)
    time.sleep(60)
dist.all_reduce(torch.ones(4))
print("rank 0 finished, which it must not")
