"""The reference kernels of the convolutions (their primitives live in mytorch._ops.conv),
written once against the backend's array module ``xp``: a base class of reference.Backend.

im2col lays every kernel window of x out as columns (one strided view, one copy); col2im is
its adjoint: each kernel offset's columns added into the positions that offset reads.
"""

import itertools


def _out_sizes(spatial, kernel, dilation, stride):
    return tuple(
        (n - d * (k - 1) - 1) // s + 1 for n, k, d, s in zip(spatial, kernel, dilation, stride)
    )


class ConvKernels:
    """im2col and col2im over ``self.xp`` (``self.strided`` makes the windows)."""

    def im2col(self, x, kernel, dilation, stride):
        """x (N, C, *spatial) -> its windows (N, C, *kernel, *out), a new contiguous array."""
        n = len(kernel)
        lead, spatial = x.shape[: x.ndim - n], x.shape[x.ndim - n :]
        out = _out_sizes(spatial, kernel, dilation, stride)
        st = x.strides
        lead_st, sp_st = st[: x.ndim - n], st[x.ndim - n :]
        strides = (
            lead_st
            + tuple(s * d for s, d in zip(sp_st, dilation))
            + tuple(s * t for s, t in zip(sp_st, stride))
        )
        windows = self.strided(x, lead + tuple(kernel) + out, strides)
        return self.xp.ascontiguousarray(windows)

    def col2im(self, cols, dilation, stride):
        """cols (N, C, *kernel, *out) -> the (N, C, *spatial) array (spatial the smallest that
        the windows cover) in which each window's entries are added where im2col took them."""
        xp = self.xp
        n = len(dilation)
        lead = cols.shape[: cols.ndim - 2 * n]
        kernel = cols.shape[cols.ndim - 2 * n : cols.ndim - n]
        out = cols.shape[cols.ndim - n :]
        spatial = tuple((o - 1) * s + d * (k - 1) + 1
                        for k, o, d, s in zip(kernel, out, dilation, stride))  # fmt: skip
        res = xp.zeros(lead + spatial, dtype=cols.dtype)
        keep = (slice(None),) * len(lead)
        for offs in itertools.product(*(range(k) for k in kernel)):
            dst = tuple(
                slice(j * d, j * d + (o - 1) * s + 1, s)
                for j, d, o, s in zip(offs, dilation, out, stride)
            )
            res[keep + dst] += cols[keep + offs]
        return res
