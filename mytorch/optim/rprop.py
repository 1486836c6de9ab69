"""Resilient backpropagation. Matches torch.optim.Rprop."""

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

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Matches torch.optim.Rprop."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False,
                 differentiable=False):  # fmt: skip
        _check_args(lr=lr, etas=etas)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
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
            etaminus, etaplus = group["etas"]
            size_min, size_max = group["step_sizes"]
            for p, g in _grads(group, "Rprop does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["prev"] = _state_zeros(p)
                    state["step_size"] = mytorch.full_like(p.grad, _value(group["lr"]))
                _next_step(state["step"])
                prev, size = state["prev"], state["step_size"]
                pa, qa, sa = _arrays(p, prev, size)
                _backend(p).rprop_step(pa, g, qa, sa, etaminus, etaplus, size_min, size_max,
                                       group["maximize"])  # fmt: skip
                _written(p, prev, size)
        return loss
