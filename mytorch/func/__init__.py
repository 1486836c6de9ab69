"""mytorch.func: composable function transforms, as torch.func: vmap (by batching rules, see
mytorch.func._batched), grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian,
functional_call and stack_module_state."""

from mytorch.func._modules import functional_call, stack_module_state
from mytorch.func._transforms import (
    grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp,
)  # fmt: skip
from mytorch.func._vmap import vmap

__all__ = [
    "grad", "grad_and_value", "vmap", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp",
    "functional_call", "stack_module_state",
]  # fmt: skip
