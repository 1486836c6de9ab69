"""mytorch.backends.cuda: torch's CUDA matmul flags. ``allow_tf32`` is
``torch.set_float32_matmul_precision`` seen as a flag (True: "high"), as in torch; the CUDA
backend's GEMMs run float32 in TF32 while it is on (mytorch/_backends/_cupy_kernels.py)."""

from mytorch import _settings

__all__ = ["is_built", "matmul"]


class _MatmulFlags:
    """torch.backends.cuda.matmul: allow_tf32 and the reduced-precision reductions."""

    def __init__(self):
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self):
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        _settings.set_float32_matmul_precision("high" if value else "highest")

    def __repr__(self):
        return "<mytorch.backends.cuda.matmul flags>"


matmul = _MatmulFlags()


def is_built():
    """Matches torch.backends.cuda.is_built: whether this build has the CUDA (CuPy) backend;
    False, as torch's CPU build (CuPy is found at run time)."""
    return False
