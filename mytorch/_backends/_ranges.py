"""Evenly spaced values made on a device, computed as PyTorch's CPU kernels compute them."""

import numpy as np

# The type that linspace computes a float type's values in, on the CPU.
_WIDER = {"f": np.float64, "d": np.longdouble, "F": np.complex128, "D": np.clongdouble}


def linspace(xp, start, end, steps, np_dtype):
    """As PyTorch's CPU kernel: step = (end - start) / (steps - 1) in the result's dtype,
    the first half start + i * step and the second end - (steps - 1 - i) * step, each
    product and sum rounded once (a fused multiply-add: float16 excepted, whose kernel
    rounds each operation); integers from the ends cast to the dtype, in double."""
    i = xp.arange(steps)
    if steps == 1:
        return xp.full((1,), start).astype(np_dtype)
    first = i < steps // 2
    if np_dtype.kind in "iub":
        s, e = (float(np.array(int(v)).astype(np_dtype)) for v in (start, end))
        step = (e - s) / (steps - 1)
        out = xp.where(first, s + i * step, e - (steps - 1 - i) * step)
        return out.astype(np.int64).astype(np_dtype)
    t = np_dtype.type
    s, e = t(start), t(end)
    step = (e - s) / t(steps - 1)
    if np_dtype == np.float16:
        j = i.astype(np_dtype)
        return xp.where(first, s + j * step, e - (t(steps - 1) - j) * step)
    # NOTE: a wider type stands in for the fused multiply-add (exact where long double has
    # 64 bits of mantissa, as on x86; elsewhere, and on a device, within an ulp)
    w = _WIDER[np_dtype.char] if xp is np else np.complex128 if np_dtype.kind == "c" else np.float64
    s, e, step = w(s), w(e), w(step)
    out = xp.where(first, s + i * step, e - (steps - 1 - i) * step)
    return out.astype(np_dtype)
