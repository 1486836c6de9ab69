"""Without mpi4py: the package imports, is_available() says False, and setting up a process
group says what to install (the test hides mpi4py from the importer)."""

import subprocess
import sys

CODE = """
import sys
sys.modules["mpi4py"] = None  # as if it were not installed
import mytorch
import mytorch.distributed as dist
print(dist.is_available(), dist.is_mpi_available(), dist.is_initialized())
try:
    dist.init_process_group("gloo", rank=0, world_size=1)
except RuntimeError as e:
    print("RuntimeError", "mpi4py" in str(e) and "mytorch-autograd[mpi]" in str(e))
s = mytorch.utils.data.DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
print(list(s))
"""


def test_without_mpi4py():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["False False False", "RuntimeError True", "[1, 3, 0]"]
