"""mytorch.nn.functional: the functions of torch.nn.functional, each declared in its op family
with ``namespace="nn.functional"`` (see mytorch._ops._declare)."""

from mytorch import _registry

_registry.open_namespace("nn.functional", globals())
