"""mytorch.nn.utils.clip_grad: clip_grad_norm_, clip_grad_value_, get_total_norm and
clip_grads_with_norm_."""

import math
import warnings

import mytorch

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "get_total_norm",
    "clip_grads_with_norm_",
]


def _grads(parameters):
    if isinstance(parameters, mytorch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(x, norm_type):
    a = mytorch.abs(x)
    if norm_type == math.inf:
        return mytorch.amax(a)
    if norm_type == -math.inf:
        return mytorch.amin(a)
    if norm_type == 0:
        return mytorch.sum(a != 0).to(x.dtype)
    if norm_type == 1:
        return mytorch.sum(a)
    if norm_type == 2:
        return mytorch.sqrt(mytorch.sum(x * x))
    return mytorch.sum(a**norm_type) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type`` norm of all ``tensors`` together (the norm of their norms). Matches
    torch.nn.utils.get_total_norm (``foreach`` is accepted; the loop is the same either
    way)."""
    tensors = [tensors] if isinstance(tensors, mytorch.Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return mytorch.tensor(0.0)
    device = tensors[0].device
    norms = [_vector_norm(t, norm_type).to(device) for t in tensors]
    total_norm = _vector_norm(mytorch.stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(float(total_norm)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total_norm


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients by ``min(max_norm / (total_norm + 1e-6), 1)`` in place. Matches
    torch.nn.utils.clip_grads_with_norm_."""
    grads = _grads(parameters)
    if not grads:
        return
    with mytorch.no_grad():
        clip_coef = mytorch.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
        for g in grads:
            g.mul_(clip_coef.to(g.device))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients so that their joint ``norm_type`` norm is at most ``max_norm``;
    returns the norm before clipping. Matches torch.nn.utils.clip_grad_norm_ (``foreach``
    is accepted; the loop is the same either way)."""
    parameters = [parameters] if isinstance(parameters, mytorch.Tensor) else list(parameters)
    with mytorch.no_grad():
        total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of clip_grad_norm_. Matches torch.nn.utils.clip_grad_norm."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient to [-clip_value, clip_value] in place. Matches
    torch.nn.utils.clip_grad_value_."""
    clip_value = float(clip_value)
    with mytorch.no_grad():
        for g in _grads(parameters):
            g.clamp_(min=-clip_value, max=clip_value)
