"""The reference kernels of the convolutions (their primitives live in mytorch._ops.conv),
written once against the backend's array module ``xp``: a base class of reference.Backend.

im2col lays every kernel window of the zero-padded x out as columns (the padding written into a
zero array, one strided view, one copy); col2im is its adjoint: each kernel offset's columns
added into the positions that offset reads, the padding then cropped.

Geometry, per spatial dim: window o's entry k reads the input at o * stride + k * dilation - lo
(a zero outside [0, size)), for o < out. Columns come in one of two layouts: (N, C, *kernel,
*out), or with ``batch_inner`` (C, *kernel, N, *out), which reshapes to the (C * K, N * L) GEMM
operand of a convolution without a copy.

The convolution itself is three kernels, the three contractions of one trilinear form
T(x, w, g) = sum g[n, o, p] w[o, c, k] x[n, c, p * stride + k * dilation - lo] (per group):
conv_forward (the output), conv_input_grad (T's gradient in x: the transposed convolution) and
conv_weight_grad (in w). Each is im2col or col2im and one GEMM per group, a chunk of the batch at a
time on the CPU: a chunk's columns (about CHUNK_BYTES) stay in the cache between im2col and
the GEMM, where the whole batch's would go to memory and back (16 x 64 x 32 x 32, 3 x 3:
37.7 MB of columns; the forward ran in 13.7 ms a chunk at a time against 19.8 ms at once, one
thread).
"""

import itertools
import math

import numpy as np

# The columns of one chunk of the batch, in bytes (whole images; at least one). 2.4 MB chunks
# (one 64 x 32 x 32 image, 3 x 3) beat 4.7 MB ones by 3-10% and 9.4 MB ones by 45% here.
CHUNK_BYTES = 3 << 20


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

    # --- the convolution's three contractions --------------------------------------------
    def _chunks(self, nb, per_image):
        """[(start, stop)] of the batch's chunks: CHUNK_BYTES of columns each on the CPU, the
        whole batch on a device (where a kernel launch per image would cost more)."""
        if self.xp is not np:
            return [(0, nb)] if nb else []
        step = max(1, CHUNK_BYTES // max(1, per_image))
        return [(a, min(a + step, nb)) for a in range(0, nb, step)]

    def _mm(self):
        return getattr(self, "matmul", None) or self.xp.matmul

    def conv_forward(self, x, w, stride, dilation, lo, out, groups):
        """y (N, Cout, *out): x (N, C, *spatial) convolved with w (Cout, C / groups, *kernel),
        x zero-padded by lo before each spatial dim."""
        xp, mm = self.xp, self._mm()
        nb, c = x.shape[:2]
        cout, kernel = w.shape[0], tuple(w.shape[2:])
        ck, length = w.shape[1] * math.prod(kernel), math.prod(out)
        res = xp.empty((nb, cout) + tuple(out), dtype=x.dtype)
        if res.size == 0 or ck == 0:
            res[...] = 0
            return res
        w3 = w.reshape(groups, cout // groups, ck)
        r3 = res.reshape(nb, cout, length)
        for a, b in self._chunks(nb, c * math.prod(kernel) * length * x.itemsize):
            cols = self.im2col(x[a:b], kernel, dilation, stride, lo, out, True)
            y = mm(w3, cols.reshape(groups, ck, (b - a) * length))
            r3[a:b] = xp.swapaxes(y.reshape(cout, b - a, length), 0, 1)
        return res

    def _grad_chunk(self, g, a, b, length, groups):
        """g[a:b] (m, Cout, *out) as the (groups, Cout / groups, m * L) GEMM operand."""
        m, cout = b - a, g.shape[1]
        chunk = self.xp.swapaxes(g[a:b].reshape(m, cout, length), 0, 1)
        return chunk.reshape(groups, cout // groups, m * length)

    def conv_input_grad(self, g, w, stride, dilation, lo, spatial, groups):
        """T's gradient in x: g (N, Cout, *out) -> (N, C, *spatial) (a transposed
        convolution of g with w)."""
        xp, mm = self.xp, self._mm()
        nb, cout, out = g.shape[0], g.shape[1], tuple(g.shape[2:])
        kernel = tuple(w.shape[2:])
        cin_g = w.shape[1]
        ck, length = cin_g * math.prod(kernel), math.prod(out)
        res = xp.empty((nb, cin_g * groups) + tuple(spatial), dtype=g.dtype)
        if res.size == 0:
            return res
        if length == 0 or cout == 0:
            res[...] = 0
            return res
        wt = xp.swapaxes(w.reshape(groups, cout // groups, ck), 1, 2)
        for a, b in self._chunks(nb, groups * ck * length * g.itemsize):
            cols = mm(wt, self._grad_chunk(g, a, b, length, groups))  # (groups, ck, m * L)
            cols = cols.reshape((cin_g * groups,) + kernel + (b - a,) + out)
            res[a:b] = self.col2im(cols, dilation, stride, lo, spatial, True)
        return res

    def conv_weight_grad(self, x, g, kernel, stride, dilation, lo, groups):
        """T's gradient in w: x (N, C, *spatial), g (N, Cout, *out) -> (Cout, C / groups,
        *kernel)."""
        xp, mm = self.xp, self._mm()
        nb, c = x.shape[:2]
        cout, out, kernel = g.shape[1], tuple(g.shape[2:]), tuple(kernel)
        ck, length = c // groups * math.prod(kernel), math.prod(out)
        shape = (cout, c // groups) + kernel
        acc = None
        for a, b in self._chunks(nb, c * math.prod(kernel) * length * x.itemsize):
            cols = self.im2col(x[a:b], kernel, dilation, stride, lo, out, True)
            cols = cols.reshape(groups, ck, (b - a) * length)
            part = mm(self._grad_chunk(g, a, b, length, groups), xp.swapaxes(cols, 1, 2))
            if acc is None:
                acc = part
            else:
                acc += part
        if acc is None:
            return xp.zeros(shape, dtype=x.dtype)
        return acc.reshape(shape)
