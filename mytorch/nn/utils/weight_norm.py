"""mytorch.nn.utils.weight_norm: the hook-based weight normalisation (weight_norm,
remove_weight_norm: ``weight = weight_g * weight_v / ||weight_v||``). Matches
torch.nn.utils.weight_norm; new code uses nn.utils.parametrizations.weight_norm."""

import warnings

import mytorch
from mytorch.nn.parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of ``v`` over every dimension but ``dim``, keeping them as size 1 (over all
    of them, a 0-d result, for ``dim == -1``). Matches torch.norm_except_dim(v, 2, dim)."""
    if dim == -1:
        return mytorch.linalg.vector_norm(v)
    d = dim % v.ndim
    others = tuple(i for i in range(v.ndim) if i != d)
    if not others:  # NOTE: dim=() would mean every dimension to vector_norm
        return mytorch.abs(v)
    return mytorch.linalg.vector_norm(v, 2, dim=others, keepdim=True)


def _weight_norm(v, g, dim):
    """``v * (g / norm_except_dim(v, 2, dim))``. Matches torch._weight_norm."""
    return v * (g / _norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``<name>`` from ``<name>_g`` and ``<name>_v``.
    Matches torch.nn.utils.weight_norm.WeightNorm."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of "
            "`torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `WeightNorm` can't have uninitialized parameters. "
                "Make sure to run the dummy forward before applying weight normalization"
            )
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replaces parameter ``name`` by ``name_g`` (its norm over all dimensions but ``dim``;
    ``dim=None``: the whole norm) and ``name_v`` (its direction), recombined before each
    forward. Matches torch.nn.utils.weight_norm (deprecated there too: FutureWarning)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undoes weight_norm: ``name`` is one parameter again. Matches
    torch.nn.utils.remove_weight_norm."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
