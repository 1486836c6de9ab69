"""Fractional max pooling in nn.functional (2 and 3 spatial dims). A composite: each (batch,
plane) draws its window starts from its random sample u in [0, 1), as torch does:
start_i = int((i + u) * alpha) - int(u * alpha) with alpha = (in - k) / (out - 1), the last
window ending at the input's end (computed in the input's dtype on its device); the windows
are read with one gather from the flattened planes and reduced with max (ties: the first in
scan order, as torch's), so the gradient goes to each window's argmax.
"""

import struct

from mytorch import _dtype as D
from mytorch._ops._declare import composite
from mytorch._ops.creation import arange, full, rand
from mytorch._ops.indexing import cat
from mytorch._ops.pooling import _tuple
from mytorch._ops.shape import reshape

NN = "nn.functional"
_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _starts(u, in_size, out_size, k):
    """(N, C, out) int64 window starts from the samples u (N, C) of one dim."""
    last = full(tuple(u.shape) + (1,), in_size - k, dtype=D.int64, device=u.device)
    if out_size == 1:
        return last
    alpha = (in_size - k) / (out_size - 1)
    if u.dtype != D.float64:  # torch's alpha is of the input's type
        alpha = struct.unpack("f", struct.pack("f", alpha))[0]
    i = arange(out_size - 1, dtype=u.dtype, device=u.device)
    first = (u * alpha).trunc().to(D.int64).unsqueeze(-1)
    seq = ((i + u.unsqueeze(-1)) * alpha).trunc().to(D.int64) - first
    return cat([seq, last], -1)


def _check(name, input, n, k, out, samples):
    if input.ndim not in (n + 1, n + 2) or any(s == 0 for s in input.shape[1:]):
        where = "fractional_max_pool2d()" if n == 2 else "fractional_max_pool3d_out()"
        raise RuntimeError(
            f"{where}: Expected {n + 1}D or {n + 2}D tensor, but got: {list(input.shape)}"
        )
    sizes = input.shape[input.ndim - n :]
    where = "fractional_max_pool2d()" if n == 2 else "fractional_max_pool3d_out()"
    for dim, kk, o, s in zip(_DIMS[n], k, out, sizes):
        if o + kk - 1 > s or n == 3 and o + kk - 1 == s:  # torch's 3-d check is strict
            raise RuntimeError(f"{where}: pool {dim} {kk} too large relative to input {dim} {s}")
    batch = input.shape[0] if input.ndim == n + 2 else 1
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != input.shape[input.ndim - n - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {samples.shape[2]}.")


def _fractional(name, n, input, kernel_size, output_size, output_ratio, samples):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if n == 2 and len(output_ratio) > 2:
            raise ValueError(
                f"{name} requires output_ratio to either be a single Int or tuple of Ints."
            )
        if isinstance(output_ratio, (list, tuple)):
            ratio = tuple(float(r) for r in output_ratio)
        else:
            ratio = (float(output_ratio),) * n
        sizes = input.shape[input.ndim - n :]
        output_size = [int(sizes[d] * ratio[d]) for d in range(n)]
    k = _tuple(kernel_size, n, "kernel_size")
    out = _tuple(output_size, n, "output_size")
    batched = input.ndim == n + 2
    if samples is None:
        c = input.shape[-n - 1] if input.ndim > n else 1
        samples = rand(
            input.shape[0] if batched else 1, c, n, dtype=input.dtype, device=input.device
        )
    _check(name, input, n, k, out, samples)
    x = input if batched else input.unsqueeze(0)
    nb, c = x.shape[:2]
    sizes = tuple(x.shape[2:])
    samples = samples[:nb]
    # torch's samples: [.., 0] drives the width for 2-d input, the time (first) dim for 3-d
    order = (1, 0) if n == 2 else (0, 1, 2)
    flat = None
    for d in range(n):
        starts = _starts(samples[..., order[d]], sizes[d], out[d], k[d])  # (N, C, out_d)
        pos = starts.unsqueeze(-1) + arange(k[d], dtype=D.int64, device=x.device)
        shape = [nb, c] + [1] * (2 * n)
        shape[2 + d], shape[2 + n + d] = out[d], k[d]
        pos = pos.reshape(tuple(shape))
        flat = pos if flat is None else flat * sizes[d] + pos
    kk = 1
    for a in k:
        kk *= a
    q = 1
    for a in out:
        q *= a
    flat = flat.expand((nb, c) + tuple(out) + tuple(k)).reshape(nb, c, q * kk)
    win = reshape(x, (nb, c, -1)).gather(2, flat).reshape((nb, c) + tuple(out) + (kk,))
    values, arg = win.max(-1)
    idx = flat.reshape((nb, c) + tuple(out) + (kk,)).gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    if not batched:
        values, idx = values.squeeze(0), idx.squeeze(0)
    return values, idx


@composite(namespace=NN)
def fractional_max_pool2d_with_indices(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Matches torch.nn.functional.fractional_max_pool2d_with_indices."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    return _fractional("fractional_max_pool2d", 2, input, *args)


@composite(namespace=NN)
def fractional_max_pool2d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Matches torch.nn.functional.fractional_max_pool2d (``_random_samples``: (N, C, 2) in
    [0, 1), drawn with rand when not given)."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    out = _fractional("fractional_max_pool2d", 2, input, *args)
    return out if return_indices else out[0]


@composite(namespace=NN)
def fractional_max_pool3d_with_indices(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Matches torch.nn.functional.fractional_max_pool3d_with_indices."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    return _fractional("fractional_max_pool3d", 3, input, *args)


@composite(namespace=NN)
def fractional_max_pool3d(
    input,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices=False,
    _random_samples=None,
):
    """Matches torch.nn.functional.fractional_max_pool3d (``_random_samples``: (N, C, 3) in
    [0, 1), drawn with rand when not given)."""
    args = (kernel_size, output_size, output_ratio, _random_samples)
    out = _fractional("fractional_max_pool3d", 3, input, *args)
    return out if return_indices else out[0]


__all__ = []
INTERNAL = []
