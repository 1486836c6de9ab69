"""nn.functional.pad: constant padding (a scatter of the input into a filled tensor, cropping
for negative pads) and reflect, replicate and circular padding (a gather of the input along
each padded dim by an index made on the input's device); composites, so every derivative is
their ops'.
"""

from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, full
from mytorch._ops.indexing import _device_index, _put, getitem
from mytorch._ops.pointwise import where

_MODES = ("constant", "reflect", "replicate", "circular")


def _pairs(pad, nd):
    """The (before, after) pads per dim, from the last dim backwards as torch reads them."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > nd:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {nd}"
        )
    return {nd - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)}


def _constant(input, pairs, value):
    shape = list(input.shape)
    crop = [slice(None)] * input.ndim
    put = [slice(None)] * input.ndim
    for d, (lo, hi) in pairs.items():
        n = shape[d]
        crop[d] = slice(max(-lo, 0), n - max(-hi, 0))
        put[d] = slice(max(lo, 0), max(lo, 0) + max(n - max(-lo, 0) - max(-hi, 0), 0))
        shape[d] = n + lo + hi
        if shape[d] < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                f"output size, which is invalid. Check dimension {d} of your input."
            )
    x = getitem(input, tuple(crop))
    out = full(tuple(shape), 0 if value is None else value, dtype=input.dtype,
               device=input.device)  # fmt: skip
    return _put(out, _device_index(out, tuple(put)), x, False)


def _gather_index(mode, n, lo, hi, device):
    """Which input entry each output entry of a dim of size n padded by (lo, hi) reads."""
    i = arange(-lo, n + hi, device=device)
    if mode == "replicate":
        return i.clamp(0, n - 1)
    if mode == "circular":
        return i % n
    i = where(i < 0, -i, i)  # reflect
    return where(i > n - 1, 2 * (n - 1) - i, i)


def _check_nonconstant(mode, input, pad, pairs):
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    for d, (lo, hi) in pairs.items():
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")


@composite(namespace="nn.functional")
def pad(input, pad, mode="constant", value=None):
    """Matches torch.nn.functional.pad."""
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = _pairs(pad, input.ndim)
    if mode == "constant":
        return _constant(input, pairs, value)
    _check_nonconstant(mode, input, pad, pairs)
    out = input
    for d, (lo, hi) in sorted(pairs.items()):
        pre = (slice(None),) * d
        if lo < 0 or hi < 0:  # negative pads crop first; the rest pads what is left
            out = getitem(out, pre + (slice(max(-lo, 0), out.shape[d] - max(-hi, 0)),))
            lo, hi = max(lo, 0), max(hi, 0)
        idx = _gather_index(mode, out.shape[d], lo, hi, input.device)
        out = getitem(out, pre + (idx,))
    return out


__all__ = []
INTERNAL = []
