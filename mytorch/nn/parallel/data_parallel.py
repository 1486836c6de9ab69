"""mytorch.nn.parallel.data_parallel: DataParallel and data_parallel.

NOTE: with no GPU, torch's DataParallel holds no devices and calls its module as it is; so does
this one. With GPUs it runs the module once, on the device its parameters live on: replicating
the module across several GPUs in one process is not implemented (DistributedDataParallel, one
process per device, is the way torch recommends too), and asking for more than one device
raises rather than silently using one.
"""

import mytorch
from mytorch.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_ids(device_ids):
    if not mytorch.cuda.is_available():
        return []
    if device_ids is None:
        device_ids = list(range(mytorch.cuda.device_count()))
    ids = [d.index if isinstance(d, mytorch.device) else int(d) for d in device_ids]
    if len(ids) > 1:
        raise NotImplementedError(
            "DataParallel over several GPUs in one process is not implemented in mytorch: "
            "use one device (device_ids=[0]) or DistributedDataParallel"
        )
    return ids


class DataParallel(Module):
    """Matches torch.nn.DataParallel on a machine without GPUs (and with one): ``module`` is a
    submodule (state_dict keys start with ``module.``) and forward calls it."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = _device_ids(device_ids)
        if not self.device_ids:
            return
        self.dim = dim
        self.output_device = self.device_ids[0] if output_device is None else output_device

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Runs ``module`` on ``inputs`` as DataParallel would. Matches
    torch.nn.parallel.data_parallel on one device (with none it raises, as torch's)."""
    if not _device_ids(device_ids):
        raise RuntimeError("device type could not be determined")
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
