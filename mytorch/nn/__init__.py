"""mytorch.nn: torch.nn's modules, parameters, functional interface, init and utils."""

from mytorch.nn import functional
from mytorch.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from mytorch.nn import init
from mytorch.nn.modules import *  # noqa: F403
from mytorch.nn.modules import __all__ as _modules_all
from mytorch.nn import utils

__all__ = [
    "functional",
    "init",
    "utils",
    "Parameter",
    "UninitializedParameter",
    "UninitializedBuffer",
    "Buffer",
] + list(_modules_all)
