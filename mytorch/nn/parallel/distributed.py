"""DistributedDataParallel (torch.nn.parallel.distributed): one process per model replica, the
gradients averaged over the processes during backward.

At construction rank 0's parameters and buffers are broadcast to every rank. The parameters are
laid out in buckets (reverse registration order, the order backward tends to produce their
gradients; the first bucket of 1 MiB, the others of ``bucket_cap_mb``). Each parameter's
post-accumulate-grad hook copies its gradient into its bucket (or, with
``gradient_as_bucket_view``, the gradient is a view of the bucket and nothing is copied); a
bucket whose gradients are all in starts its asynchronous all-reduce at once, so communication
runs while backward computes the remaining gradients. The hook of the last gradient waits for the
all-reduces and puts the averaged gradients in ``.grad``.
"""

import contextlib

import mytorch
from mytorch import distributed as dist
from mytorch._views import _bump_version
from mytorch.distributed.distributed_c10d import resolve
from mytorch.nn.modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES
_DEFAULT_BUCKET_MB = 25


class _Bucket:
    """Some parameters of one dtype and device, and the flat tensor their gradients share."""

    def __init__(self, params):
        self.params = params
        self.offsets = []
        n = 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.flat = mytorch.zeros(n, dtype=params[0].dtype, device=params[0].device)
        # the flat array's pieces, one per parameter, in its shape: the gradients go in and out
        # by array copies (the all-reduce writes into this very array)
        self.slots = [self.flat._data[o : o + p.numel()].reshape(p.shape)
                      for o, p in zip(self.offsets, params)]  # fmt: skip
        # the same pieces as tensors (views of ``flat``), the gradients of gradient_as_bucket_view
        self.views = [self.flat[o : o + p.numel()].view(p.shape)
                      for o, p in zip(self.offsets, params)]  # fmt: skip
        self.ptrs = [v.data_ptr() for v in self.views]
        self.pending = len(params)
        self.work = None


def _buckets(params, cap_bytes):
    """The parameters in reverse order, grouped by dtype and device, cut at ``cap_bytes``
    (1 MiB for the first bucket, as torch)."""
    out, open_ = [], {}
    limit = _FIRST_BUCKET_BYTES
    for p in reversed(params):
        key = (p.dtype, str(p.device))
        cur = open_.setdefault(key, [[], 0])
        cur[0].append(p)
        cur[1] += p.numel() * p.element_size()
        if cur[1] >= limit:
            out.append(cur[0])
            del open_[key]
            limit = cap_bytes
    out.extend(c[0] for c in open_.values())
    return [_Bucket(ps) for ps in out]


def _reached_leaves(outputs):
    """The AccumulateGrad nodes that backward from ``outputs`` can reach."""
    stack, seen = [], set()
    for t in outputs:
        if isinstance(t, mytorch.Tensor) and t.grad_fn is not None:
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for nxt, _ in node.next_functions:
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return seen


def _tensors_in(obj):
    if isinstance(obj, mytorch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


class DistributedDataParallel(Module):
    """Matches torch.nn.parallel.DistributedDataParallel on CPU tensors (MPI) and on CUDA
    tensors (NCCL): ``module`` is the wrapped model (state_dict keys start with ``module.``),
    forward calls it, and backward leaves in every rank's ``.grad`` the gradients averaged over
    the ranks. ``no_sync()`` skips the averaging (gradients accumulate locally, and the next
    synchronised backward averages the sums).

    NOTE: ``static_graph``, ``mixed_precision``, ``device_mesh`` and communication hooks
    (``register_comm_hook``) are not implemented; ``device_ids`` names the one device of the
    module, as in torch."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None):  # fmt: skip
        super().__init__()
        pg = resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this process is not in process_group")
        if static_graph or mixed_precision is not None or device_mesh is not None:
            raise NotImplementedError(
                "DistributedDataParallel: static_graph, mixed_precision and device_mesh are "
                "not implemented in mytorch"
            )
        params = []
        for p in module.parameters():
            if p.requires_grad and all(p is not q for q in params):
                params.append(p)
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        self.module = module
        self.process_group = process_group
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = _DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self._pg = pg
        self._params = params
        self._sync_states()
        self._buckets = _buckets(params, self.bucket_bytes_cap)
        self._where = {}  # id(param) -> (bucket, index in it)
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        self._armed = False
        self._next = 0  # the next bucket to launch: buckets start in order on every rank
        self._unused = set()
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    # --- state sync -------------------------------------------------------------------------------
    def _sync_states(self):
        """Every rank takes rank 0's parameters and buffers (one broadcast each, overlapped)."""
        if self._pg.size() == 1:
            return
        root = self._pg.ranks[0]
        with mytorch.no_grad():
            works = [dist.broadcast(t, root, self.process_group, async_op=True)
                     for t in list(self._params) + list(self.module.buffers())]  # fmt: skip
            for w in works:
                w.wait()

    def _sync_buffers(self):
        bufs = list(self.module.buffers())
        if self.broadcast_buffers and bufs and self._pg.size() > 1:
            with mytorch.no_grad():
                works = [dist.broadcast(b, self._pg.ranks[0], self.process_group,
                                        async_op=True) for b in bufs]  # fmt: skip
                for w in works:
                    w.wait()

    # --- forward ----------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._armed and any(b.pending < len(b.params) for b in self._buckets):
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`."
            )
        if self.require_forward_param_sync:
            self._sync_buffers()
        out = self.module(*inputs, **kwargs)
        self._armed = False
        if mytorch.is_grad_enabled() and self.require_backward_grad_sync:
            self._prepare(out)
        return out

    def _prepare(self, out):
        """Arms the hooks for the coming backward."""
        for b in self._buckets:
            b.pending = len(b.params)
            b.work = None
        self._next = 0
        self._unused = set()
        self._armed = True
        if self.find_unused_parameters:
            reached = _reached_leaves(list(_tensors_in(out)))
            for p in self._params:
                if id(p._accumulate_node()) not in reached:
                    self._unused.add(id(p))
                    self._mark(p, None)

    # --- backward ---------------------------------------------------------------------------------
    def _grad_ready(self, p):
        if not self._armed:
            return
        self._mark(p, p.grad)

    def _mark(self, p, grad):
        bucket, i = self._where[id(p)]
        if bucket.work is not None:
            raise RuntimeError(
                "Expected to mark a variable ready only once. This error is caused by one of "
                "the following reasons: the parameter was used in several reentrant backward "
                "passes, or by a second backward of the same graph."
            )
        slot = bucket.slots[i]
        if grad is None:
            slot[...] = 0
        elif grad.data_ptr() != bucket.ptrs[i]:  # (with gradient_as_bucket_view it is there)
            slot[...] = grad._data
        bucket.pending -= 1
        for b in self._buckets[: self._next]:
            b.work.is_completed()  # MPI progresses the started all-reduces while it is called
        while self._next < len(self._buckets) and self._buckets[self._next].pending == 0:
            b = self._buckets[self._next]
            b.work = dist.all_reduce(b.flat, dist.ReduceOp.AVG, self.process_group,
                                     async_op=True)  # fmt: skip
            self._next += 1
        if self._next == len(self._buckets):
            self._finish()

    def _finish(self):
        """Waits for every bucket and writes the averaged gradients into ``.grad``."""
        self._armed = False
        used = None
        if self.find_unused_parameters:
            flags = mytorch.tensor([0 if id(p) in self._unused else 1 for p in self._params],
                                   device=self._params[0].device)  # fmt: skip
            dist.all_reduce(flags, dist.ReduceOp.MAX, self.process_group)
            used = flags.tolist()
        for b in self._buckets:
            b.work.wait()
        with mytorch.no_grad():
            for k, p in enumerate(self._params):
                if used is not None and not used[k]:
                    continue  # unused on every rank: .grad stays as it was, as torch
                b, i = self._where[id(p)]
                if self.gradient_as_bucket_view:
                    if p.grad is None or p.grad.data_ptr() != b.ptrs[i]:
                        p.grad = b.views[i]
                elif p.grad is None:
                    p.grad = b.views[i].clone()
                else:
                    p.grad._data[...] = b.slots[i]
                    _bump_version(p.grad)

    @contextlib.contextmanager
    def no_sync(self):
        """Matches DistributedDataParallel.no_sync: backward inside it keeps its gradients
        local (they accumulate in ``.grad``); the first backward after it averages them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def __getstate__(self):
        raise RuntimeError("DistributedDataParallel cannot be pickled: pickle its .module")
