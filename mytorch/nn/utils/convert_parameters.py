"""mytorch.nn.utils.convert_parameters: parameters_to_vector and vector_to_parameters."""

import mytorch

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, old_device):
    if old_device is not None and param.device != old_device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return param.device


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one vector. Matches torch's."""
    device = None
    flat = []
    for param in parameters:
        device = _check_device(param, device)
        flat.append(mytorch.reshape(param, (-1,)))
    return mytorch.cat(flat)


def vector_to_parameters(vec, parameters):
    """Sets each parameter's data to its slice of ``vec`` (sharing ``vec``'s memory). Matches
    torch.nn.utils.vector_to_parameters."""
    if not isinstance(vec, mytorch.Tensor):
        cls = type(vec)
        name = cls.__qualname__
        if cls.__module__ != "builtins":
            name = f"{cls.__module__}.{name}"
        raise TypeError(f"expected torch.Tensor, but got: {name}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_device(param, device)
        n = param.numel()
        param.data = mytorch.reshape(vec[pointer : pointer + n], tuple(param.shape)).data
        pointer += n
