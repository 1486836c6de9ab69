"""mytorch.nn.utils.memory_format: convert_conv2d/3d_weight_memory_format. Matches
torch.nn.utils.memory_format; mytorch tensors have one memory format (contiguous), so the
module comes back unchanged."""

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """Returns ``module`` (mytorch keeps one memory format). Matches
    torch.nn.utils.convert_conv2d_weight_memory_format."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Returns ``module`` (mytorch keeps one memory format). Matches
    torch.nn.utils.convert_conv3d_weight_memory_format."""
    return module
