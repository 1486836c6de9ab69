"""NAdam (Adam with Nesterov momentum). Matches torch.optim.NAdam."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Matches torch.optim.NAdam."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):  # fmt: skip
        _check_args(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay
        )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
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
            wd, md = group["weight_decay"], group["momentum_decay"]
            for p, g in _grads(group, "NAdam does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = _state_zeros(p)
                    state["exp_avg_sq"] = _state_zeros(p)
                step = _next_step(state["step"])
                bias_correction2 = 1 - beta2**step
                decay, coupled_wd = None, wd
                if wd != 0 and group["decoupled_weight_decay"]:
                    decay, coupled_wd = 1 - lr * wd, 0
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
                # NOTE: the running product is a scalar tensor (float32 by default), as torch's.
                mu_product = state["mu_product"]
                mu_product.mul_(mu)
                mu_prod = mu_product.item()
                grad_coef = -lr * (1.0 - mu) / (1.0 - mu_prod)
                avg_coef = (-lr * mu_next) / (1.0 - mu_prod * mu_next)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                pa, ma, va = _arrays(p, m, v)
                _backend(p).nadam_step(pa, g, ma, va, beta1, beta2, group["eps"], coupled_wd,
                                       decay, bias_correction2, grad_coef, avg_coef,
                                       group["maximize"])  # fmt: skip
                _written(p, m, v)
        return loss
