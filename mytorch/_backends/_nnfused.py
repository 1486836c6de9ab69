"""Fused kernels of the nn layers, written once against the backend's array module ``xp``: a
base class of reference.Backend.

Max pooling (mytorch._ops.pooling's primitives) in one pass each way: ``max_pool`` gives every
window's largest entry and its flat index in the input's spatial plane (torch's rules: the
first largest in scan order, the last NaN when a window holds one, entries in the padding never
chosen), ``max_pool_backward`` adds each output's gradient into the input position its index
names. The compiled twins live in csrc/_im2col.pyx.

Geometry, per spatial dim (n of them, the last n of the array): window o's entry k reads the
input at o * stride + k * dilation - lo, entries outside [0, size) are padding.
"""

import math

import numpy as np


def _lowest(dtype):
    """The padding value of max pooling: below (or equal to) every value of ``dtype``."""
    if dtype.kind in "iub":
        return np.iinfo(dtype).min if dtype.kind != "b" else False
    return -np.inf


class NNFusedKernels:
    """max_pool and max_pool_backward over ``self.xp``."""

    def _pool_positions(self, spatial, kernel, stride, dilation, lo, out):
        """(flat input position, validity) of every window entry: (*out, K) arrays, K the
        product of the kernel sizes (entries in scan order)."""
        xp = self.xp
        n = len(kernel)
        flat, valid = 0, True
        plane = 1
        for j in reversed(range(n)):
            shape = [1] * (2 * n)
            shape[j], shape[n + j] = out[j], kernel[j]
            o = xp.arange(out[j], dtype=np.int64).reshape(-1, 1) * stride[j]
            pos = o - lo[j] + xp.arange(kernel[j], dtype=np.int64).reshape(1, -1) * dilation[j]
            pos = pos.reshape(tuple(shape))
            valid = valid & (pos >= 0) & (pos < spatial[j])
            flat = flat + pos * plane
            plane *= spatial[j]
        full = tuple(out) + tuple(kernel)
        k = math.prod(kernel)
        flat = xp.broadcast_to(flat, full).reshape(tuple(out) + (k,))
        valid = xp.broadcast_to(valid, full).reshape(tuple(out) + (k,))
        return flat, valid

    def max_pool(self, x, kernel, stride, dilation, lo, out):
        """(values, int64 flat indices into the spatial plane) of max pooling x (..., *spatial)
        over the last len(kernel) dims: both (..., *out)."""
        xp = self.xp
        n = len(kernel)
        lead, spatial = x.shape[: x.ndim - n], x.shape[x.ndim - n :]
        k = math.prod(kernel)
        geo = zip(kernel, dilation, stride, out)
        span = tuple((o - 1) * s + d * (kk - 1) + 1 for kk, d, s, o in geo)
        full = tuple(max(e, low + s) for e, low, s in zip(span, lo, spatial))
        padded = xp.full(lead + full, _lowest(x.dtype), dtype=x.dtype)
        padded[(Ellipsis,) + tuple(slice(low, low + s) for low, s in zip(lo, spatial))] = x
        st = padded.strides
        m = len(lead)
        strides = (
            st[:m]
            + tuple(a * s for a, s in zip(st[m:], stride))
            + tuple(a * d for a, d in zip(st[m:], dilation))
        )
        win = self.strided(padded, lead + tuple(out) + tuple(kernel), strides)
        win = xp.ascontiguousarray(win).reshape(lead + tuple(out) + (k,))
        flat, valid = self._pool_positions(spatial, kernel, stride, dilation, lo, out)
        values = win.max(axis=-1)
        arg = xp.argmax((win == values[..., None]) & valid, axis=-1)
        if x.dtype.kind not in "iub":
            nan = xp.isnan(win)
            last = (k - 1) - xp.argmax(nan[..., ::-1], axis=-1)
            arg = xp.where(nan.any(axis=-1), last, arg)
        flat = xp.broadcast_to(flat, win.shape)
        index = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
        # NOTE: a window with no entry inside (dilation past a short input, ceil_mode) gets
        # torch's index: its first position at or past 0 in each dim, even outside the plane
        # (computed for every window: asking whether any is empty would sync a device)
        firsts = self._pool_firsts(spatial, stride, dilation, lo, out)
        index = xp.where(valid.any(axis=-1), index, firsts)
        return values, xp.ascontiguousarray(index)

    def _pool_firsts(self, spatial, stride, dilation, lo, out):
        """Each window's first position at or past 0 per dim, flat: (*out) int64."""
        xp = self.xp
        n = len(out)
        flat, plane = 0, 1
        for j in reversed(range(n)):
            start = xp.arange(out[j], dtype=np.int64) * stride[j] - lo[j]
            start = xp.where(
                start < 0, start + (-start + dilation[j] - 1) // dilation[j] * dilation[j], start
            )
            shape = [1] * n
            shape[j] = out[j]
            flat = flat + start.reshape(tuple(shape)) * plane
            plane *= spatial[j]
        return flat

    def max_pool_backward(self, g, indices, spatial):
        """The gradient of max pooling's values: g (..., *out) added into zeros of shape
        (..., *spatial) at the flat positions ``indices`` (of g's shape) name, per plane."""
        xp = self.xp
        n = len(spatial)
        lead = g.shape[: g.ndim - n]
        planes, plane = math.prod(lead), math.prod(spatial)
        res = xp.zeros(planes * plane, dtype=g.dtype)
        if res.size and g.size:
            base = xp.arange(planes, dtype=np.int64).reshape(-1, 1) * plane
            index = indices.reshape(planes, -1)
            inside = (index >= 0) & (index < plane)  # an index outside its plane adds nothing
            index = (xp.where(inside, index, 0) + base).reshape(-1)
            vals = xp.where(inside.reshape(g.shape), g, 0).astype(g.dtype, copy=False)
            self.scatter_add(res, index, xp.ascontiguousarray(vals).reshape(-1))
        return res.reshape(tuple(lead) + tuple(spatial))
