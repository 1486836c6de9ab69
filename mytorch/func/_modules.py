"""mytorch.func's module helpers: functional_call (mytorch.nn.utils.stateless's) and
stack_module_state, as torch.func's."""

from mytorch._registry import F as _F
from mytorch.nn.utils.stateless import functional_call

__all__ = ["functional_call", "stack_module_state"]


def stack_module_state(models):
    """Matches torch.func.stack_module_state: (params, buffers), each name's tensors of the
    models stacked along a new dim 0; the stacked parameters are new leaves that require grad
    where all the models' do."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {}
    for k in all_params[0]:
        ts = [p[k] for p in all_params]
        s = _F.stack([t.detach() for t in ts], 0)
        params[k] = s.requires_grad_(all(t.requires_grad for t in ts))
    buffers = {k: _F.stack([b[k] for b in all_buffers], 0) for k in all_buffers[0]}
    return params, buffers
