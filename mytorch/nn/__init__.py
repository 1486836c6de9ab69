"""mytorch.nn: torch.nn's modules, parameters, functional interface, init and utils."""

from mytorch.nn import functional
from mytorch.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from mytorch.nn import init
from mytorch.nn.modules import *  # noqa: F403
from mytorch.nn.modules import __all__ as _modules_all
from mytorch.nn import utils
from mytorch.nn import parallel
from mytorch.nn.parallel import DataParallel, DistributedDataParallel

__all__ = [
    "functional",
    "init",
    "utils",
    "parallel",
    "DataParallel",
    "DistributedDataParallel",
    "Parameter",
    "UninitializedParameter",
    "UninitializedBuffer",
    "Buffer",
] + list(_modules_all)
