"""mytorch.linalg: the functions of torch.linalg, each declared in its op family with
``namespace="linalg"`` (see mytorch._ops._declare)."""

from mytorch import _registry
from mytorch._backends.base import _LinAlgError as LinAlgError  # noqa: F401  (torch's name)

_registry.open_namespace("linalg", globals())
