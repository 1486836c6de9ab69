"""mytorch.nn.modules.batchnorm: BatchNorm1d/2d/3d and their base _NormBase (weight, bias and
the running statistics as buffers: running_mean, running_var, num_batches_tracked)."""

import mytorch
from mytorch import distributed as dist
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.modules import _functions
from mytorch.nn.modules.lazy import LazyModuleMixin
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter, UninitializedBuffer, UninitializedParameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "SyncBatchNorm",
]  # fmt: skip


class _NormBase(Module):
    """The state shared by the batch and instance norms. Matches torch's _NormBase."""

    _version = 2
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        bias=True,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = dict(device=device, dtype=dtype)
        if affine:
            self.weight = Parameter(mytorch.empty(num_features, **kw))
            if bias:
                self.bias = Parameter(mytorch.empty(num_features, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", mytorch.zeros(num_features, **kw))
            self.register_buffer("running_var", mytorch.ones(num_features, **kw))
            self.register_buffer(
                "num_batches_tracked", mytorch.tensor(0, dtype=mytorch.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    def _factor(self):
        """The running statistics' momentum for this forward (counting the batch)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with mytorch.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        return factor

    def forward(self, input):
        self._check_input_dim(input)
        factor = self._factor()
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


def _dims(name, allowed):
    def check(self, input):
        if input.ndim not in allowed:
            raise ValueError(f"expected {name} input (got {input.ndim}D input)")

    return check


class BatchNorm1d(_BatchNorm):
    """Matches torch.nn.BatchNorm1d: (N, C) or (N, C, L) inputs."""

    _check_input_dim = _dims("2D or 3D", (2, 3))


class BatchNorm2d(_BatchNorm):
    """Matches torch.nn.BatchNorm2d: (N, C, H, W) inputs."""

    _check_input_dim = _dims("4D", (4,))


class BatchNorm3d(_BatchNorm):
    """Matches torch.nn.BatchNorm3d: (N, C, D, H, W) inputs."""

    _check_input_dim = _dims("5D", (5,))


class SyncBatchNorm(_BatchNorm):
    """Matches torch.nn.SyncBatchNorm: batch normalisation whose statistics, in training, are
    those of the batches of every process of ``process_group`` (default: the whole job) put
    together. In eval mode, or without an initialised process group of more than one process,
    it is BatchNorm. Unlike torch it synchronises CPU tensors too (over MPI)."""

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
        process_group=None, device=None, dtype=None, *, bias=True,
    ):  # fmt: skip
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias
        )
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def _check_non_zero_input_channels(self, input):
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = self._factor()
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        mean, var = (self.running_mean, self.running_var) if keep else (None, None)
        group = None
        if use_batch and self.training and dist.is_available() and dist.is_initialized():
            group = dist.group.WORLD if self.process_group is None else self.process_group
            world_size = dist.get_world_size(group)
        if group is None or world_size <= 1:
            return F.batch_norm(
                input, mean, var, self.weight, self.bias, use_batch, factor, self.eps
            )
        return _functions.SyncBatchNorm.apply(
            input, self.weight, self.bias, mean, var, self.eps, factor, group, world_size
        )

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Matches torch.nn.SyncBatchNorm.convert_sync_batchnorm: every BatchNorm*d in
        ``module`` becomes a SyncBatchNorm sharing its parameters and buffers and keeping its
        training mode (a BatchNorm given itself is returned converted, a new module)."""
        out = module
        if isinstance(module, _BatchNorm):
            out = cls(
                module.num_features, module.eps, module.momentum, module.affine,
                module.track_running_stats, process_group, bias=module.bias is not None,
            )  # fmt: skip
            if module.affine:
                with mytorch.no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """A batch or instance norm whose num_features is read from its first input (then it
    becomes ``cls_to_become``). Matches torch's _LazyNormBase."""

    def __init__(
        self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
        dtype=None,
    ):  # fmt: skip
        # NOTE: no affine parameters and no statistics first: they are made unsized below.
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = mytorch.tensor(0, dtype=mytorch.long, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        with mytorch.no_grad():
            if self.affine:
                self.weight.materialize((self.num_features,))
                self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                # NOTE: fresh tensors rather than materialize(): see _MaterializedBuffer
                for name in ("running_mean", "running_var"):
                    old = self._buffers[name]
                    self._buffers[name] = mytorch.empty(
                        self.num_features, device=old.device, dtype=old.dtype
                    )
            self.reset_parameters()


def _lazy(base, doc):
    cls = type(
        "Lazy" + base.__name__,
        (_LazyNormBase, base),
        {"cls_to_become": base, "__doc__": doc, "__module__": base.__module__},
    )
    return cls


LazyBatchNorm1d = _lazy(BatchNorm1d, "Matches torch.nn.LazyBatchNorm1d.")
LazyBatchNorm2d = _lazy(BatchNorm2d, "Matches torch.nn.LazyBatchNorm2d.")
LazyBatchNorm3d = _lazy(BatchNorm3d, "Matches torch.nn.LazyBatchNorm3d.")
