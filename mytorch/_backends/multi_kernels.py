"""Kernels of the multi-output ops (max/min along a dim, sort, topk) and the index utility their
VJPs scatter with, written once against ``self.xp`` like the reference kernels.

NOTE: these methods belong in ``reference.Backend`` (and their names in ``Backend.KERNELS``);
until they are merged there, mytorch._applyn.apply_multi calls them as plain functions with the
backend as ``self`` (``MultiKernels.sort(backend, x, ...)``) when a backend lacks the kernel.
"""

import numpy as np


class MultiKernels:
    """Each kernel returns a tuple of arrays: (values, int64 indices)."""

    def max_dim(self, x, dim, keepdim):
        """The largest entry along ``dim`` and its index (the first of ties; NaN wins)."""
        return _select_dim(self, self.xp.argmax, x, dim, keepdim)

    def min_dim(self, x, dim, keepdim):
        """The smallest entry along ``dim`` and its index (the first of ties; NaN wins)."""
        return _select_dim(self, self.xp.argmin, x, dim, keepdim)

    def sort(self, x, dim, descending):
        """``x`` sorted along ``dim`` (stably; NaN sorts as the largest value) and the indices
        that sort it."""
        xp = self.xp
        if x.ndim == 0:
            return _zero_d(self, x)
        if descending:
            # Stable and descending: sort the reversed array ascending, then reverse back.
            i = xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
            i = (x.shape[dim] - 1) - i
        else:
            i = xp.argsort(x, axis=dim, kind="stable")
        return xp.take_along_axis(x, i, axis=dim), i.astype(np.int64)

    def topk(self, x, k, dim, largest, sorted):
        """The ``k`` largest (or smallest) entries along ``dim``, in order, and their indices."""
        if x.ndim == 0:
            return _zero_d(self, x)
        v, i = MultiKernels.sort(self, x, dim, largest)
        first = (slice(None),) * dim + (slice(0, k),)
        xp = self.xp
        return xp.ascontiguousarray(v[first]), xp.ascontiguousarray(i[first])

    def along_index(self, ind, dim):
        """The advanced index that picks, along ``dim``, the entries that ``ind`` names
        (``x[along_index(ind, dim)]`` is take_along_axis(x, ind, dim))."""
        xp = self.xp
        nd = ind.ndim
        out = []
        for a in range(nd):
            if a == dim:
                out.append(ind)
            else:
                shape = [1] * nd
                shape[a] = ind.shape[a]
                out.append(xp.arange(ind.shape[a], dtype=np.int64).reshape(tuple(shape)))
        return tuple(out)


def _select_dim(be, arg, x, dim, keepdim):
    xp = be.xp
    if x.ndim == 0:
        return _zero_d(be, x)
    i = arg(x, axis=dim, keepdims=True)
    v = xp.take_along_axis(x, i, axis=dim)
    i = i.astype(np.int64)
    if not keepdim:
        v = xp.squeeze(v, axis=dim)
        i = xp.squeeze(i, axis=dim)
    return be.scalar(v), be.scalar(i)


def _zero_d(be, x):
    """A 0-d input: itself (a copy) at index 0."""
    xp = be.xp
    return be.scalar(xp.array(x)), be.scalar(xp.zeros((), dtype=np.int64))


KERNELS = ("max_dim", "min_dim", "sort", "topk")
