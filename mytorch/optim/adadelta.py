"""Adadelta. Matches torch.optim.Adadelta."""

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

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Matches torch.optim.Adadelta."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):  # fmt: skip
        _check_args(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            for p, g in _grads(group, "Adadelta does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _state_zeros(p)
                    state["acc_delta"] = _state_zeros(p)
                _next_step(state["step"])
                sq, acc = state["square_avg"], state["acc_delta"]
                pa, sa, aa = _arrays(p, sq, acc)
                _backend(p).adadelta_step(
                    pa,
                    g,
                    sa,
                    aa,
                    lr,
                    group["rho"],
                    group["eps"],
                    group["weight_decay"],
                    group["maximize"],
                )
                _written(p, sq, acc)
        return loss
