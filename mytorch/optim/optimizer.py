"""The Optimizer base class: parameter groups, per-parameter state, state_dict and its loading,
step and state-dict hooks. Matches torch.optim.optimizer.

The optimizers of this package update each parameter and its state through their arrays, in
place, with one backend kernel per parameter (mytorch._backends._optim): ``_arrays`` gives the
kernels a tensor's memory and ``_written`` counts the write on its version counter, as an
in-place op does.
"""

import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy

from numpy import ndarray

import mytorch
from mytorch import _backends
from mytorch._core import Tensor, _shared_data
from mytorch._grad_mode import enable_grad, no_grad
from mytorch._views import _bump_version
from mytorch.nn.modules._hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook):
    """Matches torch.optim.optimizer.register_optimizer_step_pre_hook (every optimizer)."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Matches torch.optim.optimizer.register_optimizer_step_post_hook (every optimizer)."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# --- helpers of the optimizers' steps ------------------------------------------------------------
def _scalar_dtype():
    """The dtype of the scalar state (``step``): float64 under a float64 default, else float32."""
    d = mytorch.get_default_dtype()
    return mytorch.float64 if d is mytorch.float64 else mytorch.float32


def _step_tensor(value=0.0):
    """A 0-d CPU tensor holding a step count (or a running product), as torch keeps it."""
    return mytorch.tensor(float(value), dtype=_scalar_dtype())


def _arrays(*tensors):
    """The arrays holding the tensors' memory, for a kernel to write in place (None stays None).

    NOTE: _shared_data turns a 0-d CPU tensor's immutable NumPy scalar into a 0-d array first;
    an array that cannot be written (read-only memory) is replaced by a writable copy.
    """
    out = []
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        d = t._data
        # NOTE: a writable ndarray (the common case) is the answer as it is.
        if type(d) is not ndarray or not d.flags.writeable:
            d = _shared_data(t)
            be = _backends.for_array(d)
            if not be.writable(d):
                d = t._data = be.copy_array(d)
        out.append(d)
    return out


def _written(*tensors):
    """Count a kernel's in-place write on each tensor's version counter."""
    for t in tensors:
        if t is not None:
            _bump_version(t)


def _backend(t):
    return _backends.for_array(t._data)


def _value(x):
    """A hyperparameter or scalar state as a Python float (a 0-d tensor read once)."""
    return x.item() if isinstance(x, Tensor) else x


# The messages of torch's checks of an optimizer's arguments, by argument name (any other name:
# "Invalid <name> value: <value>").
_INVALID = {"lr": "Invalid learning rate: {}", "eps": "Invalid epsilon value: {}"}


def _check_args(strict=False, nan_ok=False, **args):
    """torch's checks of an optimizer's arguments, each raising its ValueError, in the order given
    (each optimizer passes its arguments in its torch counterpart's order).

    ``lr`` as a Tensor must have one element; ``betas`` each lie in [0, 1), ``rho`` in [0, 1],
    and ``etas`` satisfy 0 < etas[0] < 1 < etas[1]; every other value must be >= 0 (> 0 with
    ``strict``, as SparseAdam asks; with ``nan_ok`` a NaN passes, as SGD's ``x < 0`` lets it).
    """
    lr = args.get("lr")
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, v in args.items():
        if name == "betas":
            for i in range(2):
                if not 0.0 <= v[i] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {v[i]}")
            continue
        if name == "etas":
            if not 0.0 < v[0] < 1.0 < v[1]:
                raise ValueError(f"Invalid eta values: {v[0]}, {v[1]}")
            continue
        if name == "rho":
            ok = 0.0 <= v <= 1.0
        elif nan_ok:
            ok = not v < 0.0
        else:
            ok = 0.0 < v if strict else 0.0 <= v
        if not ok:
            raise ValueError(_INVALID.get(name, f"Invalid {name} value: {{}}").format(v))


def _grads(group, sparse_message=None):
    """The parameters of a group that have a gradient, with their gradients' arrays."""
    out = []
    for p in group["params"]:
        g = p.grad
        if g is not None:
            if getattr(g, "is_sparse", False):
                raise RuntimeError(sparse_message)
            out.append((p, g._data))
    return out


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _with_hooks(func):
    """An optimizer's step, run between the global and the optimizer's own step hooks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        self = args[0]
        for pre_hook in itertools.chain(
            _global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
        ):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{func} must return None or a tuple of (new_args, new_kwargs), but got "
                        f"{result}."
                    )
        out = func(*args, **kwargs)
        for post_hook in itertools.chain(
            self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()
        ):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers. Matches torch.optim.Optimizer."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def _patch_step_function(self):
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_hooks(cls.step)

    # --- hooks ------------------------------------------------------------------------------
    def _register(self, table, hook, prepend=False):
        handle = RemovableHandle(table)
        table[handle.id] = hook
        if prepend:
            table.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before step."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None, after step."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state_dict -------------------------------------------------------------------------
    def state_dict(self):
        """{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}, torch's
        layout; the state's tensors are the optimizer's own (not copies), as in torch."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, sd)
            if result is not None:
                sd = result
        return sd

    @staticmethod
    def _cast_state(param, value, param_id, param_groups, key):
        """A loaded state tensor on param's device (in its dtype when param is floating),
        except ``step`` unless the group is fused or capturable, as in torch."""
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=mytorch.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Load a state dict that state_dict() (here or in torch, converted) returned."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in groups),
            )
        )

        def cast(param, value, param_id, key=None):
            if isinstance(value, Tensor):
                return self._cast_state(param, value, param_id, state_dict["param_groups"], key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved_groups):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # --- gradients and groups ---------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Set the parameters' gradients to None (or to zero in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):
        """Perform one optimization step (subclasses implement it)."""
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Add a group of parameters (with its own options) to the optimizer."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    + name
                )
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {which} to the optimizer"
                )
        if not seen.isdisjoint(param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)


def _no_grad_step(step):
    """An optimizer's step run with grad mode off (torch's @_use_grad_for_differentiable)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with no_grad():
            return step(self, *args, **kwargs)

    return wrapper


def _loss_of(closure):
    """The closure's loss, evaluated with grad mode on (None without a closure)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _next_step(t):
    """Add one to a step-count tensor in place; its new value as a Python float."""
    (d,) = _arrays(t)
    value = float(d) + 1
    if type(d) is ndarray:
        d[()] = value
    else:
        _backends.for_array(d).assign(d, value)
    _bump_version(t)
    return value


def _state_zeros(p):
    """A zero state tensor like parameter p (its dtype, device and layout)."""
    return mytorch.zeros_like(p)
