"""mytorch.backends.cuda: torch's CUDA matmul flags, kept and read back (CuPy's GEMMs do not
read them)."""

__all__ = ["is_built", "matmul"]


class _MatmulFlags:
    """torch.backends.cuda.matmul: allow_tf32 and the reduced-precision reductions."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self):
        return "<mytorch.backends.cuda.matmul flags>"


matmul = _MatmulFlags()


def is_built():
    """Matches torch.backends.cuda.is_built: whether this build has the CUDA (CuPy) backend;
    False, as torch's CPU build (CuPy is found at run time)."""
    return False
