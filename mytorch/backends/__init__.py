"""mytorch.backends: torch.backends' switches that scripts set (``cudnn``, ``mps``).

mytorch has neither cuDNN nor MPS: each reports itself unavailable, and its flags can be set
and read back (``torch.backends.cudnn.deterministic = True`` and the like) without effect.
"""

from mytorch.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
