"""Adagrad. Matches torch.optim.Adagrad."""

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
    _step_tensor,
    _value,
    _written,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Matches torch.optim.Adagrad."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False,
                 fused=None):  # fmt: skip
        _check_args(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if group["fused"]:
                    state["step"] = mytorch.zeros((), dtype=mytorch.float32, device=p.device)
                else:
                    state["step"] = _step_tensor()
                state["sum"] = mytorch.full_like(p, group["initial_accumulator_value"])

    def share_memory(self):
        """Matches torch.optim.Adagrad.share_memory (a no-op for host memory here)."""

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            for p, g in _grads(group, "Adagrad does not support sparse gradients here"):
                state = self.state[p]
                step = _next_step(state["step"])
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                s = state["sum"]
                pa, sa = _arrays(p, s)
                _backend(p).adagrad_step(pa, g, sa, clr, group["weight_decay"], group["eps"],
                                         group["maximize"])  # fmt: skip
                _written(p, s)
        return loss
