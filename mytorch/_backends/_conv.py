"""The reference kernels of the convolutions (their primitives live in mytorch._ops.conv),
written once against the backend's array module ``xp``: a base class of reference.Backend.

im2col lays every kernel window of the zero-padded x out as columns (the padding written into a
zero array, one strided view, one copy); col2im is its adjoint: each kernel offset's columns
added into the positions that offset reads, the padding then cropped.

Geometry, per spatial dim: window o's entry k reads the input at o * stride + k * dilation - lo
(a zero outside [0, size)), for o < out. Columns come in one of two layouts: (N, C, *kernel,
*out), or with ``batch_inner`` (C, *kernel, N, *out), which reshapes to the (C * K, N * L) GEMM
operand of a convolution without a copy.
"""

import itertools


def _span(kernel, dilation, stride, out):
    """The extent of the padded input the windows read, per dim."""
    return tuple((o - 1) * s + d * (k - 1) + 1 for k, d, s, o in zip(kernel, dilation, stride, out))


def _cols_geometry(cols, n, batch_inner):
    """(N, C, kernel, out) of a columns array in its layout."""
    if batch_inner:
        return cols.shape[1 + n], cols.shape[0], cols.shape[1 : 1 + n], cols.shape[2 + n :]
    return cols.shape[0], cols.shape[1], cols.shape[2 : 2 + n], cols.shape[2 + n :]


def _batch_inner_axes(n):
    """The axes that take (N, C, *kernel, *out) to (C, *kernel, N, *out)."""
    return (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))


class ConvKernels:
    """im2col and col2im over ``self.xp`` (``self.strided`` makes the windows)."""

    def im2col(self, x, kernel, dilation, stride, lo, out, batch_inner):
        """x (N, C, *spatial) -> the windows of x zero-padded by ``lo`` before each spatial
        dim, ``out`` of them per dim: (N, C, *kernel, *out), or (C, *kernel, N, *out) with
        ``batch_inner``; a new contiguous array."""
        xp = self.xp
        n = len(kernel)
        nb, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
        shape = (nb, c) + tuple(kernel) + tuple(out)
        if batch_inner:
            shape = tuple(shape[a] for a in _batch_inner_axes(n))
        if 0 in out or x.size == 0:
            return xp.zeros(shape, dtype=x.dtype)
        span = _span(kernel, dilation, stride, out)
        if any(lo) or tuple(spatial) != span:
            padded = xp.zeros((nb, c) + span, dtype=x.dtype)
            dst, src = [], []
            for size, low, ext in zip(spatial, lo, span):
                m = max(0, min(size, ext - low))  # input positions inside the span
                dst.append(slice(low, low + m))
                src.append(slice(0, m))
            if all(s.stop > 0 for s in src):
                padded[(Ellipsis, *dst)] = x[(Ellipsis, *src)]
            x = padded
        st = x.strides
        strides = (
            st[:2]
            + tuple(s * d for s, d in zip(st[2:], dilation))
            + tuple(s * t for s, t in zip(st[2:], stride))
        )
        windows = self.strided(x, (nb, c) + tuple(kernel) + tuple(out), strides)
        if batch_inner:
            windows = xp.transpose(windows, _batch_inner_axes(n))
        return xp.ascontiguousarray(windows)

    def col2im(self, cols, dilation, stride, lo, spatial, batch_inner):
        """The adjoint of im2col: cols (in its layout) -> the (N, C, *spatial) array in which
        each window entry is added where im2col took it (entries that fall in the padding
        dropped)."""
        xp = self.xp
        n = len(dilation)
        nb, c, kernel, out = _cols_geometry(cols, n, batch_inner)
        if 0 in out or cols.size == 0:
            return xp.zeros((nb, c) + tuple(spatial), dtype=cols.dtype)
        span = _span(kernel, dilation, stride, out)
        full = tuple(max(e, low + s) for e, low, s in zip(span, lo, spatial))
        # NOTE: summed in the columns' own order of (N, C) (C, N with batch_inner), so that
        # each kernel offset's add runs along the columns' rows; one copy puts N first.
        lead = (c, nb) if batch_inner else (nb, c)
        res = xp.zeros(lead + full, dtype=cols.dtype)
        keep = (slice(None),) * (1 if batch_inner else 2)
        for offs in itertools.product(*(range(k) for k in kernel)):
            dst = tuple(
                slice(j * d, j * d + (o - 1) * s + 1, s)
                for j, d, o, s in zip(offs, dilation, out, stride)
            )
            res[(slice(None), slice(None)) + dst] += cols[keep + offs]
        if batch_inner:
            res = xp.swapaxes(res, 0, 1)
        crop = tuple(slice(low, low + s) for low, s in zip(lo, spatial))
        if not batch_inner and crop == tuple(slice(0, e) for e in full):
            return res
        return xp.ascontiguousarray(res[(slice(None), slice(None)) + crop])
