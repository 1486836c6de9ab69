"""Adamax (Adam on the infinity norm). Matches torch.optim.Adamax."""

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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Matches torch.optim.Adamax."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False,
                 capturable=False):  # fmt: skip
        _check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = group["betas"]
            for p, g in _grads(group, "Adamax does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _state_zeros(p)
                    state["exp_inf"] = _state_zeros(p)
                step = _next_step(state["step"])
                clr = lr / (1 - beta1**step)
                m, u = state["exp_avg"], state["exp_inf"]
                pa, ma, ua = _arrays(p, m, u)
                _backend(p).adamax_step(
                    pa,
                    g,
                    ma,
                    ua,
                    clr,
                    beta1,
                    beta2,
                    group["eps"],
                    group["weight_decay"],
                    group["maximize"],
                )
                _written(p, m, u)
        return loss
