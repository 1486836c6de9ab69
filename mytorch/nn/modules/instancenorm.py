"""mytorch.nn.modules.instancenorm: InstanceNorm1d/2d/3d (statistics per sample and channel;
running statistics only with track_running_stats)."""

import warnings

from mytorch.nn import functional as F
from mytorch.nn.modules.batchnorm import _lazy, _NormBase

__all__ = [
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
]  # fmt: skip


class _InstanceNorm(_NormBase):
    _NO_BATCH_DIM = 0

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias
        )

    def _check_input_dim(self, input):
        nd = self._NO_BATCH_DIM
        if input.ndim not in (nd, nd + 1):
            raise ValueError(f"expected {nd}D or {nd + 1}D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.ndim - self._NO_BATCH_DIM
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        if input.ndim == self._NO_BATCH_DIM:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _apply_instance_norm(self, input):
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )


class InstanceNorm1d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm1d: (N, C, L) or (C, L) inputs."""

    _NO_BATCH_DIM = 2


class InstanceNorm2d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm2d: (N, C, H, W) or (C, H, W) inputs."""

    _NO_BATCH_DIM = 3


class InstanceNorm3d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm3d: (N, C, D, H, W) or (C, D, H, W) inputs."""

    _NO_BATCH_DIM = 4


LazyInstanceNorm1d = _lazy(InstanceNorm1d, "Matches torch.nn.LazyInstanceNorm1d.")
LazyInstanceNorm2d = _lazy(InstanceNorm2d, "Matches torch.nn.LazyInstanceNorm2d.")
LazyInstanceNorm3d = _lazy(InstanceNorm3d, "Matches torch.nn.LazyInstanceNorm3d.")
