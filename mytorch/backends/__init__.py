"""mytorch.backends: the flags scripts set for torch's accelerator libraries (cuDNN, MPS,
CUDA matmul). mytorch runs on NumPy/SciPy (and CuPy): the flags are kept, and read back, but
change nothing; ``cudnn.is_available()`` and ``mps.is_available()`` are False."""

from mytorch.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
