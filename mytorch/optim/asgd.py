"""Averaged stochastic gradient descent. Matches torch.optim.ASGD."""

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
    _scalar_dtype,
    _state_zeros,
    _value,
    _written,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Matches torch.optim.ASGD."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False,
                 capturable=False):  # fmt: skip
        _check_args(lr=lr, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
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
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p, g in _grads(group, "ASGD does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    dt = _scalar_dtype()
                    state["step"] = mytorch.zeros((), device=p.device, dtype=dt)
                    state["eta"] = mytorch.tensor(lr, device=p.device, dtype=dt)
                    state["mu"] = mytorch.ones((), device=p.device, dtype=dt)
                    state["ax"] = _state_zeros(p)
                step = _next_step(state["step"])
                eta, mu, ax = state["eta"], state["mu"], state["ax"]
                pa, xa = _arrays(p, ax)
                _backend(p).asgd_step(pa, g, xa, eta.item(), lambd, mu.item(),
                                      group["weight_decay"], group["maximize"])  # fmt: skip
                _written(p, ax)
                # NOTE: the new eta and mu are kept in the scalar dtype (float32), as torch's.
                eta.fill_(lr / ((1 + lambd * lr * step) ** alpha))
                mu.fill_(1 / max(1, step - t0))
        return loss
