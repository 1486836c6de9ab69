"""mytorch.special: the functions of torch.special, each declared in its op family with
``namespace="special"`` (see mytorch._ops._declare)."""

from mytorch import _registry

_registry.open_namespace("special", globals())
