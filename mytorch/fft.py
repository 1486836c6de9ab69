"""mytorch.fft: the functions of torch.fft, each declared in its op family with
``namespace="fft"`` (see mytorch._ops._declare)."""

from mytorch import _registry

_registry.open_namespace("fft", globals())
