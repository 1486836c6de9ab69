"""mytorch.nn.utils.init: skip_init. Matches torch.nn.utils.init."""

import inspect

import mytorch

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters need not be initialised. Matches
    torch.nn.utils.skip_init, whose parameters hold whatever memory held; mytorch has no meta
    device, so they hold the module's usual initial values (equally unspecified to a caller)."""
    # NOTE: read when called: mytorch.nn.modules imports mytorch.nn.utils
    if not issubclass(module_cls, mytorch.nn.Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
