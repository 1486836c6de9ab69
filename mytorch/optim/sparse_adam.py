"""SparseAdam. Matches torch.optim.SparseAdam: it takes sparse gradients only, and mytorch
has no sparse tensors, so a step over a dense gradient raises torch's RuntimeError."""

from mytorch.optim.optimizer import Optimizer, _check_args, _loss_of, _no_grad_step

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Matches torch.optim.SparseAdam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_args(strict=True, lr=lr, eps=eps, betas=betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [
            [i, j]
            for i, group in enumerate(self.param_groups)
            for j, p in enumerate(group["params"])
            if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support "
                "complex parameters"
            )

    @_no_grad_step
    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    raise RuntimeError(
                        "SparseAdam does not support dense gradients, please consider Adam instead"
                    )
        return loss
