"""RAdam (rectified Adam). Matches torch.optim.RAdam."""

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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Matches torch.optim.RAdam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):  # fmt: skip
        _check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = group["betas"]
            wd = group["weight_decay"]
            for p, g in _grads(group, "RAdam does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _state_zeros(p)
                    state["exp_avg_sq"] = _state_zeros(p)
                step = _next_step(state["step"])
                decay, coupled_wd = None, wd
                if wd != 0 and group["decoupled_weight_decay"]:
                    decay, coupled_wd = 1 - lr * wd, 0
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                rect = None
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5  # fmt: skip
                m, v = state["exp_avg"], state["exp_avg_sq"]
                pa, ma, va = _arrays(p, m, v)
                _backend(p).radam_step(pa, g, ma, va, lr, beta1, beta2, group["eps"], coupled_wd,
                                       decay, bias_correction1, bias_correction2, rect,
                                       group["maximize"])  # fmt: skip
                _written(p, m, v)
        return loss
