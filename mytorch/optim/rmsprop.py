"""RMSprop. Matches torch.optim.RMSprop."""

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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Matches torch.optim.RMSprop."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):  # fmt: skip
        _check_args(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None),
                               ("maximize", False), ("differentiable", False),
                               ("capturable", False)):  # fmt: skip
                group.setdefault(key, value)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            momentum = group["momentum"]
            for p, g in _grads(group, "RMSprop does not support sparse gradients"):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _state_zeros(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _state_zeros(p)
                    if group["centered"]:
                        state["grad_avg"] = _state_zeros(p)
                _next_step(state["step"])
                sq = state["square_avg"]
                gavg = state.get("grad_avg") if group["centered"] else None
                buf = state.get("momentum_buffer") if momentum > 0 else None
                pa, sa, ga, ba = _arrays(p, sq, gavg, buf)
                _backend(p).rmsprop_step(
                    pa,
                    g,
                    sa,
                    ga,
                    ba,
                    lr,
                    group["alpha"],
                    group["eps"],
                    group["weight_decay"],
                    momentum,
                    group["maximize"],
                )
                _written(p, sq, gavg, buf)
        return loss
