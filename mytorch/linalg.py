"""mytorch.linalg: the functions of torch.linalg, each declared in its op family with
``namespace="linalg"`` (see mytorch._ops._declare)."""

from mytorch import _registry

_registry.open_namespace("linalg", globals())
