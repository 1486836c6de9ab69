"""Stochastic gradient descent (optionally with momentum). Matches torch.optim.SGD."""

from mytorch.optim.optimizer import (
    Optimizer,
    _arrays,
    _backend,
    _check_args,
    _grads,
    _loss_of,
    _no_grad_step,
    _state_zeros,
    _value,
    _written,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Matches torch.optim.SGD."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):  # fmt: skip
        _check_args(nan_ok=True, lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            momentum = group["momentum"]
            wd, dampening = _value(group["weight_decay"]), group["dampening"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p, g in _grads(group, "SGD does not support sparse gradients"):
                buf = None
                first = False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = _state_zeros(p)
                        first = True
                pa, ba = _arrays(p, buf)
                _backend(p).sgd_step(pa, g, ba, lr, wd, momentum, dampening, nesterov, maximize,
                                     first)  # fmt: skip
                _written(p, buf)
        return loss
