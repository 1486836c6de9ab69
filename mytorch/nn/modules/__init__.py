"""mytorch.nn.modules: every module class, each at torch's path (nn.modules.<file>.<Class>)."""

from mytorch.nn.modules.module import Module
from mytorch.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from mytorch.nn.modules.flatten import Flatten, Unflatten
from mytorch.nn.modules.lazy import LazyModuleMixin  # noqa: F401  (torch.nn.modules has it)
from mytorch.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear
from mytorch.nn.modules.pooling import *  # noqa: F403
from mytorch.nn.modules.pooling import __all__ as _pooling_all
from mytorch.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from mytorch.nn.modules.instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from mytorch.nn.modules.normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = [
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
] + list(_pooling_all)
