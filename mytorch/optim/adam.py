"""Adam (and, with decoupled weight decay, AdamW). Matches torch.optim.Adam."""

import mytorch
from mytorch.optim.optimizer import (
    Optimizer,
    _arrays,
    _backend,
    _check_args,
    _grads,
    _loss_of,
    _next_step,
    _no_grad_step,
    _state_zeros,
    _step_tensor,
    _value,
    _written,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    """Matches torch.optim.Adam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):  # fmt: skip
        _check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        betas = tuple(_value(b) for b in betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            fused = group.setdefault("fused", None)
            for p in group["params"]:
                st = self.state.get(p, {})
                if len(st) != 0 and not isinstance(st["step"], mytorch.Tensor):
                    st["step"] = _new_step(p, group, float(st["step"]), fused)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step(p, group, 0.0, group["fused"])
            state["exp_avg"] = _state_zeros(p)
            state["exp_avg_sq"] = _state_zeros(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _state_zeros(p)
        return state

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        msg = (
            f"{type(self).__name__} does not support sparse gradients, please consider "
            "SparseAdam instead"
        )
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = (_value(b) for b in group["betas"])
            eps, wd = group["eps"], _value(group["weight_decay"])
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            amsgrad = group["amsgrad"]
            # NOTE: the group's tensors go to one kernel call per backend (adam_steps, one pass
            # over all of them); the bias corrections are computed once per step count.
            batches, scalars, written = {}, {}, []
            for p, g in _grads(group, msg):
                state = self.state.get(p) or self._init_state(p, group)
                step = _next_step(state["step"])
                sc = scalars.get(step)
                if sc is None:
                    bias_correction1 = 1 - beta1**step
                    bias_correction2 = 1 - beta2**step
                    sc = scalars[step] = (lr / bias_correction1, bias_correction2**0.5)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                vmax = state.get("max_exp_avg_sq") if amsgrad else None
                pa, ma, va, xa = _arrays(p, m, v, vmax)
                be = _backend(p)
                rows = batches.get(be)
                if rows is None:
                    rows = batches[be] = []
                rows.append((pa, g, ma, va, xa, sc[0], sc[1]))
                written.append((p, m, v, vmax))
            for be, rows in batches.items():
                ps, gs, ms, vs, xs, steps, bc2s = zip(*rows)
                be.adam_steps(ps, gs, ms, vs, xs if amsgrad else None, steps, bc2s, lr, beta1,
                              beta2, eps, wd, decoupled, maximize)  # fmt: skip
            for tensors in written:
                _written(*tensors)
        return loss


def _new_step(p, group, value, fused):
    """Adam's step tensor: a float32 scalar on the parameter's device when capturable or
    fused, else a CPU scalar of the default scalar dtype (torch's note on hosting the step)."""
    if group["capturable"] or fused:
        return mytorch.tensor(value, dtype=mytorch.float32, device=p.device)
    return _step_tensor(value)
