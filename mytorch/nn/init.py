"""mytorch.nn.init: the weight initialisation schemes of torch.nn.init (in place, without
recording gradients), drawn from mytorch's own generators."""

import math
import warnings

import mytorch

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_",
]  # fmt: skip

_LINEAR_GAIN = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
)  # fmt: skip


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity. Matches torch.nn.init.calculate_gain."""
    if nonlinearity in _LINEAR_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out): dim 1 and dim 0 times the receptive field (the rest)."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fills with U(a, b). Matches torch.nn.init.uniform_."""
    with mytorch.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fills with N(mean, std^2). Matches torch.nn.init.normal_."""
    with mytorch.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fills with N(mean, std^2) truncated to [a, b]. Matches torch.nn.init.trunc_normal_
    (by rejection: out-of-range draws are drawn again)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
            "values may be incorrect.",
            stacklevel=2,
        )
    with mytorch.no_grad():
        tensor.normal_(mean, std, generator=generator)
        for _ in range(100):
            bad = (tensor < a) | (tensor > b)
            if not bool(bad.any()):
                break
            fresh = mytorch.empty_like(tensor).normal_(mean, std, generator=generator)
            tensor.copy_(mytorch.where(bad, fresh, tensor))
        return tensor.clamp_(min=a, max=b)


def constant_(tensor, val):
    """Fills with ``val``. Matches torch.nn.init.constant_."""
    with mytorch.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Matches torch.nn.init.ones_."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Matches torch.nn.init.zeros_."""
    with mytorch.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fills a 2-D tensor with the identity. Matches torch.nn.init.eye_."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with mytorch.no_grad():
        eye = mytorch.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device)
        return tensor.copy_(eye)


def dirac_(tensor, groups=1):
    """Fills a 3-, 4- or 5-D tensor with the Dirac delta (a convolution that keeps its input's
    channels). Matches torch.nn.init.dirac_."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    centre = tuple(s // 2 for s in sizes[2:])
    with mytorch.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(out_per_group, sizes[1])):
                tensor[(g * out_per_group + d, d) + centre] = 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform. Matches torch.nn.init.xavier_uniform_."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal. Matches torch.nn.init.xavier_normal_."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform. Matches torch.nn.init.kaiming_uniform_."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal. Matches torch.nn.init.kaiming_normal_."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix (the rest of the dims flattened). Matches
    torch.nn.init.orthogonal_.

    NOTE: torch takes Q of a QR of a normal matrix with Q's columns signed so that R's diagonal
    is positive; Gram-Schmidt on the columns gives exactly that Q.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with mytorch.no_grad():
        a = mytorch.empty(rows, cols, dtype=tensor.dtype, device=tensor.device)
        a.normal_(0.0, 1.0, generator=generator)
        if rows < cols:
            a = a.t()
        q = mytorch.zeros(a.shape[0], a.shape[1], dtype=a.dtype, device=a.device)
        for j in range(a.shape[1]):
            v = a[:, j]
            if j:
                prev = q[:, :j]
                for _ in range(2):  # a second pass restores orthogonality lost to rounding
                    v = v - mytorch.matmul(prev, mytorch.matmul(v, prev))
            q[:, j] = v / mytorch.sqrt(mytorch.sum(v * v))
        if rows < cols:
            q = q.t()
        tensor.copy_(mytorch.reshape(q, tuple(tensor.shape)))
        tensor.mul_(gain)
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """N(0, std^2) with a fraction ``sparsity`` of each column zero. Matches
    torch.nn.init.sparse_."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with mytorch.no_grad():
        tensor.normal_(0, std, generator=generator)
        for col in range(cols):
            zero_rows = mytorch.randperm(rows, generator=generator)[:num_zeros]
            for r in zero_rows.tolist():
                tensor[r, col] = 0
    return tensor
