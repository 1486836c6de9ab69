"""The launcher (torch.distributed.run, torchrun): ``python -m mytorch.distributed.run
--nproc-per-node N script.py args`` (or ``mytorch-run ...``) starts N processes of the script
through MPI's ``mpiexec`` and gives each torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT and the TORCHELASTIC_* ones.

The flags are torchrun's. Several nodes: ``--nnodes M --hostfile FILE`` on node 0 starts all
M x N processes (mpiexec reaches the other nodes, over ssh for MPICH's Hydra); started with
``--node-rank`` > 0 it has nothing to do and says so.

NOTE: restarts, elastic membership (``--nnodes MIN:MAX``, ``--max-restarts``), the rendezvous
flags and the log flags (``--log-dir``, ``--redirects``, ``--tee``) are accepted for
compatibility and do not apply: MPI starts a fixed set of processes once.
"""

import argparse
import os
import shutil
import subprocess
import sys
import uuid

from mytorch import cuda

__all__ = ["get_args_parser", "main", "parse_args", "run"]

# Each started process runs this module with _CHILD first: it sets its variables from MPI's
# (which only exist once mpiexec has started it) and then becomes the user's command (exec).
_CHILD = "--_mytorch-child"


def _flag(parser, *names, **kw):
    """A flag under its torchrun names, dashed and underscored (``--nproc-per-node`` and
    ``--nproc_per_node``)."""
    spelled = []
    for n in names:
        spelled.append(n)
        if n.startswith("--") and "-" in n[2:]:
            spelled.append("--" + n[2:].replace("-", "_"))
    parser.add_argument(*spelled, **kw)


def get_args_parser():
    """torchrun's command line."""
    p = argparse.ArgumentParser(
        prog="mytorch-run", description="Start a script in several processes (through mpiexec)."
    )
    _flag(p, "--nnodes", default="1", help="number of nodes, or MIN:MAX (MAX is used)")
    _flag(p, "--nproc-per-node", default="1", help="processes per node: N, auto, cpu or gpu")
    _flag(p, "--node-rank", type=int, default=0, help="this node's rank (multi-node)")
    _flag(p, "--master-addr", default="127.0.0.1", help="passed on as MASTER_ADDR")
    _flag(p, "--master-port", type=int, default=29500, help="passed on as MASTER_PORT")
    _flag(p, "--hostfile", default=None, help="MPI's host file (multi-node; mytorch only)")
    _flag(p, "--standalone", action="store_true", help="a job on this node alone")
    _flag(p, "--rdzv-backend", default="static")
    _flag(p, "--rdzv-endpoint", default="")
    _flag(p, "--rdzv-id", default="none")
    _flag(p, "--rdzv-conf", default="")
    _flag(p, "--max-restarts", type=int, default=0)
    _flag(p, "--monitor-interval", type=float, default=0.1)
    _flag(p, "--start-method", default="spawn")
    _flag(p, "--role", default="default")
    _flag(p, "--log-dir", default=None)
    _flag(p, "-r", "--redirects", default="0")
    _flag(p, "-t", "--tee", default="0")
    _flag(p, "--local-addr", default=None)
    _flag(p, "--run-path", action="store_true", help="run the script as a path (the default)")
    _flag(p, "-m", "--module", action="store_true", help="the script is a module (python -m)")
    _flag(p, "--no-python", action="store_true", help="run the script without python")
    p.add_argument("training_script", help="the script (or module, or program) to run")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def parse_args(args):
    return get_args_parser().parse_args(args)


def _nproc(value):
    if value in ("cpu", "auto", "gpu"):
        if value != "cpu" and cuda.is_available():
            return cuda.device_count()
        if value == "gpu":
            raise ValueError("--nproc-per-node=gpu but no CUDA GPU is available")
        return os.cpu_count() or 1
    return int(value)


def find_mpiexec():
    """mpiexec beside this Python (the mpich wheel installs it there), else on PATH."""
    here = os.path.dirname(sys.executable)
    return shutil.which("mpiexec", path=here) or shutil.which("mpiexec")


def _command(args):
    """The user's command, as each process runs it."""
    if args.no_python:
        return [args.training_script, *args.training_script_args]
    if args.module:
        return [sys.executable, "-u", "-m", args.training_script, *args.training_script_args]
    return [sys.executable, "-u", args.training_script, *args.training_script_args]


def run(args):
    """Starts the job described by parsed ``args``; returns its exit status."""
    nnodes = int(str(args.nnodes).split(":")[-1])
    nproc = _nproc(args.nproc_per_node)
    if nnodes > 1 and args.node_rank > 0:
        print(
            f"mytorch-run: node {args.node_rank}: under MPI, node 0's launcher starts every "
            "node's processes (--hostfile); nothing to do here",
            file=sys.stderr,
        )
        return 0
    if nnodes > 1 and not args.hostfile:
        raise SystemExit("mytorch-run: --nnodes > 1 needs --hostfile (MPI's list of hosts)")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit(
            "mytorch-run: mpiexec not found: pip install 'mytorch-autograd[mpi]' (the mpich "
            "wheel provides it)"
        )
    env = dict(os.environ)
    env.update(
        WORLD_SIZE=str(nnodes * nproc),
        LOCAL_WORLD_SIZE=str(nproc),
        GROUP_WORLD_SIZE=str(nnodes),
        MASTER_ADDR=str(args.master_addr),
        MASTER_PORT=str(args.master_port),
        ROLE_NAME=args.role,
        TORCHELASTIC_RUN_ID=args.rdzv_id if args.rdzv_id != "none" else uuid.uuid4().hex,
        TORCHELASTIC_RESTART_COUNT="0",
        TORCHELASTIC_MAX_RESTARTS=str(args.max_restarts),
    )
    if nproc > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"  # as torchrun: one thread per process by default
    cmd = [mpiexec, "-n", str(nnodes * nproc)]
    if nnodes > 1:
        cmd += ["-ppn", str(nproc), "-f", args.hostfile]
    cmd += [sys.executable, "-m", "mytorch.distributed.run", _CHILD, *_command(args)]
    sys.stdout.flush()
    status = subprocess.call(cmd, env=env)
    if status:
        print(f"mytorch-run: the job failed (mpiexec exit status {status})", file=sys.stderr)
    return status


def _mpi_rank_vars(environ):
    """This process's (rank, local rank) from the MPI launcher's variables."""
    rank = (
        environ.get("PMI_RANK")
        or environ.get("OMPI_COMM_WORLD_RANK")
        or environ.get("PMIX_RANK", "0")
    )
    local = environ.get("MPI_LOCALRANKID") or environ.get("OMPI_COMM_WORLD_LOCAL_RANK")
    return int(rank), None if local is None else int(local)


def _child(command):
    """Inside mpiexec: set this process's variables, then become the user's command."""
    rank, local = _mpi_rank_vars(os.environ)
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    env = os.environ
    env["RANK"] = str(rank)
    env["LOCAL_RANK"] = str(rank % per_node if local is None else local)
    env["GROUP_RANK"] = str(rank // per_node)
    env["ROLE_RANK"] = str(rank)
    env["ROLE_WORLD_SIZE"] = env.get("WORLD_SIZE", "1")
    os.execvpe(command[0], command, env)


def main(args=None):
    """``mytorch-run`` / ``python -m mytorch.distributed.run``."""
    argv = sys.argv[1:] if args is None else list(args)
    if argv and argv[0] == _CHILD:
        _child(argv[1:])
        return
    sys.exit(run(parse_args(argv)))


if __name__ == "__main__":
    main()
