"""``cupyx.scipy.linalg`` as the stand-in device has it (given to a CUDA backend over the
stand-in as ``scipy_linalg``): CuPy's functions for one matrix on the device, here SciPy's on the
wrapped arrays (arrays of the current device only, nothing copied to the host visibly)."""

import types

import numpy as np
import scipy.linalg as sl
from backends import standin


def _one_matrix(name, fn):
    def call(a, *args, **kwargs):
        if not isinstance(a, standin.StandinArray):
            raise TypeError(f"cupyx.scipy.linalg.{name} takes a cupy.ndarray")
        if a.ndim != 2:
            raise ValueError(f"expected a matrix (2-D array), got {a.ndim}-D")
        return standin._call(fn, (a,) + args, kwargs)

    call.__name__ = name
    return call


def _lu_factor(a, overwrite_a=False, check_finite=True):
    lu, piv = sl.lu_factor(a, check_finite=check_finite)
    return lu, piv.astype(np.int32)  # cuSOLVER's getrf pivots, 0-based as SciPy's


linalg = types.SimpleNamespace(
    expm=_one_matrix("expm", sl.expm),
    lu_factor=_one_matrix("lu_factor", _lu_factor),
)
