"""mytorch.nn.modules: every module class, each at torch's path (nn.modules.<file>.<Class>)."""

from mytorch.nn.modules.module import Module
from mytorch.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from mytorch.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from mytorch.nn.modules.conv import __all__ as _conv_all
from mytorch.nn.modules.conv import *  # noqa: F403
from mytorch.nn.modules.flatten import Flatten, Unflatten
from mytorch.nn.modules.lazy import LazyModuleMixin  # noqa: F401  (torch.nn.modules has it)
from mytorch.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear
from mytorch.nn.modules.pooling import *  # noqa: F403
from mytorch.nn.modules.pooling import __all__ as _pooling_all
from mytorch.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from mytorch.nn.modules.batchnorm import SyncBatchNorm
from mytorch.nn.modules.batchnorm import *  # noqa: F403
from mytorch.nn.modules import batchnorm as _batchnorm
from mytorch.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from mytorch.nn.modules.instancenorm import *  # noqa: F403
from mytorch.nn.modules import instancenorm as _instancenorm
from mytorch.nn.modules.normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm
from mytorch.nn.modules.normalization import CrossMapLRN2d
from mytorch.nn.modules.fold import Fold, Unfold
from mytorch.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss
from mytorch.nn.modules.container import Container
from mytorch.nn.modules.linear_cross_entropy_options import LinearCrossEntropyOptions

from mytorch.nn.modules.activation import *  # noqa: F403
from mytorch.nn.modules import activation as _activation
from mytorch.nn.modules.channelshuffle import *  # noqa: F403
from mytorch.nn.modules import channelshuffle as _channelshuffle
from mytorch.nn.modules.distance import *  # noqa: F403
from mytorch.nn.modules import distance as _distance
from mytorch.nn.modules.dropout import *  # noqa: F403
from mytorch.nn.modules import dropout as _dropout
from mytorch.nn.modules.loss import *  # noqa: F403
from mytorch.nn.modules import loss as _loss
from mytorch.nn.modules.padding import *  # noqa: F403
from mytorch.nn.modules import padding as _padding
from mytorch.nn.modules.pixelshuffle import *  # noqa: F403
from mytorch.nn.modules import pixelshuffle as _pixelshuffle
from mytorch.nn.modules.sparse import *  # noqa: F403
from mytorch.nn.modules import sparse as _sparse
from mytorch.nn.modules import transformer as _transformer
from mytorch.nn.modules.transformer import *  # noqa: F403
from mytorch.nn.modules.rnn import *  # noqa: F403
from mytorch.nn.modules import rnn as _rnn
from mytorch.nn.modules.upsampling import *  # noqa: F403
from mytorch.nn.modules import upsampling as _upsampling

__all__ = (
    [
        "Module",
        "Sequential",
        "ModuleList",
        "ModuleDict",
        "ParameterList",
        "ParameterDict",
        "Flatten",
        "Unflatten",
        "Identity",
        "Linear",
        "LazyLinear",
        "Bilinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "LayerNorm",
        "GroupNorm",
        "RMSNorm",
        "LocalResponseNorm",
    ]
    + list(_pooling_all)
    + [n for n in _conv_all if n.startswith("Lazy")]
    + ["CrossMapLRN2d", "Fold", "Unfold", "AdaptiveLogSoftmaxWithLoss", "Container"]
    + ["LinearCrossEntropyOptions"]
    + ["SyncBatchNorm"]
    + [n for n in _batchnorm.__all__ + _instancenorm.__all__ if n.startswith("Lazy")]
    + [
        _name
        for _mod in (
            _activation,
            _channelshuffle,
            _distance,
            _dropout,
            _loss,
            _padding,
            _pixelshuffle,
            _sparse,
            _transformer,
            _rnn,
            _upsampling,
        )
        for _name in _mod.__all__
    ]
)
