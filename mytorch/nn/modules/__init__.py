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
from mytorch.nn.modules.flatten import Flatten, Unflatten
from mytorch.nn.modules.lazy import LazyModuleMixin  # noqa: F401  (torch.nn.modules has it)
from mytorch.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear

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
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
]
