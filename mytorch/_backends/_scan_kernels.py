"""The reference kernels of the cumulative and order-statistic ops (cumsum, cumprod, cummax,
cummin, prod, median, mode, unique) and of vector norms, written once against ``xp`` with
only what CuPy has.

``ScanKernels`` is mixed into mytorch._backends.reference.Backend; its members are declared in
mytorch._backends.base (KERNELS) like every other kernel.
"""

import numpy as np


def _acc_dtype(x):
    """torch's result dtype of a cumulative sum or product: int64 for bools and integers."""
    return np.int64 if x.dtype.kind in "biu" else x.dtype


def _last(xp, x, dim):
    """x with ``dim`` moved last and the rest flattened: (rows, n), and how to undo it."""
    moved = xp.moveaxis(x, dim, -1)
    return moved.reshape(-1, x.shape[dim] if x.ndim else 1), moved.shape


class ScanKernels:
    """Cumulative and order-statistic kernels over ``self.xp``."""

    def cumsum(self, x, dim, reverse):
        """Running sums along ``dim`` (from the end when ``reverse``); ints sum in int64."""
        return self._cumulative(self.xp.cumsum, x, dim, reverse)

    def cumprod(self, x, dim, reverse):
        """Running products along ``dim`` (from the end when ``reverse``); ints in int64."""
        return self._cumulative(self.xp.cumprod, x, dim, reverse)

    def _cumulative(self, fn, x, dim, reverse):
        xp = self.xp
        if x.ndim == 0:
            return self.scalar(xp.array(x, dtype=_acc_dtype(x)))
        if reverse:
            return xp.flip(fn(xp.flip(x, axis=dim), axis=dim, dtype=_acc_dtype(x)), axis=dim)
        return fn(x, axis=dim, dtype=_acc_dtype(x))

    def cummax(self, x, dim):
        """(running maximum along ``dim``, the int64 index where it was last reached; NaN
        propagates and takes the index of the latest NaN)."""
        return self._cum_select(x, dim, True)

    def cummin(self, x, dim):
        """(running minimum along ``dim``, its int64 index as in cummax)."""
        return self._cum_select(x, dim, False)

    def _cum_select(self, x, dim, largest):
        # NOTE: CuPy has no maximum.accumulate: a Hillis-Steele scan over (value, index) pairs,
        # log2(n) passes. Combining an earlier prefix a with a later one b takes b when b is NaN
        # or (a is not NaN and b >= a), which is associative and is torch's sequential rule.
        xp = self.xp
        if x.ndim == 0:
            return self.scalar(xp.array(x)), self.scalar(xp.zeros((), dtype=np.int64))
        v, shape = _last(xp, x, dim)
        v = xp.array(v)
        n = v.shape[1]
        i = xp.broadcast_to(xp.arange(n, dtype=np.int64), v.shape).copy()
        floating = v.dtype.kind in "fc"
        s = 1
        while s < n:
            a, b = v[:, :-s], v[:, s:]
            take = (b >= a) if largest else (b <= a)
            if floating:
                take = xp.isnan(b) | (take & ~xp.isnan(a))
            nv = xp.where(take, b, a)
            ni = xp.where(take, i[:, s:], i[:, :-s])
            v[:, s:] = nv
            i[:, s:] = ni
            s *= 2
        v = xp.moveaxis(v.reshape(shape), -1, dim)
        i = xp.moveaxis(i.reshape(shape), -1, dim)
        return xp.ascontiguousarray(v), xp.ascontiguousarray(i)

    def vector_norm(self, x, ord, dim, keepdim):
        """The ``ord``-norm of x over ``dim`` (None: all): 0 counts nonzeros, +-inf is the
        largest/smallest magnitude."""
        xp = self.xp
        a = xp.abs(x)
        if ord == 0:
            r = xp.sum(a != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
        elif ord == float("inf"):
            r = xp.amax(a, axis=dim, keepdims=keepdim)
        elif ord == float("-inf"):
            r = xp.amin(a, axis=dim, keepdims=keepdim)
        elif ord == 1:
            r = xp.sum(a, axis=dim, keepdims=keepdim)
        elif ord == 2:
            r = xp.sqrt(xp.sum(a * a, axis=dim, keepdims=keepdim))
        else:
            r = xp.sum(a**ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)
        return self.scalar(xp.asarray(r, dtype=x.dtype))

    def prod(self, x, dim, keepdim):
        """The product over ``dim`` (None: all); bools and integers multiply in int64."""
        return self.scalar(
            self.xp.asarray(self.xp.prod(x, axis=dim, keepdims=keepdim, dtype=_acc_dtype(x)))
        )

    def median(self, x, ignore_nan):
        """The lower median of all entries (NaN if any is NaN, unless ``ignore_nan``)."""
        v, _ = self.median_dim(self.xp.reshape(x, (-1,)), 0, False, ignore_nan)
        return v

    def median_dim(self, x, dim, keepdim, ignore_nan):
        """(lower median along ``dim``, its int64 index: the entry at that place of a stable
        sort; NaN and the first NaN's index where a slice holds one, unless ``ignore_nan``)."""
        xp = self.xp
        if x.ndim == 0:
            return self.scalar(xp.array(x)), self.scalar(xp.zeros((), dtype=np.int64))
        order = xp.argsort(x, axis=dim, kind="stable")  # NaN sorts last
        nan = xp.isnan(x) if x.dtype.kind in "fc" else xp.zeros(x.shape, dtype=bool)
        n = x.shape[dim]
        if ignore_nan:
            valid = n - xp.sum(nan, axis=dim, keepdims=True)
            k = xp.maximum((valid - 1) // 2, 0)
        else:
            # the first NaN sorts first among NaNs (stable): at place n - (count of NaN)
            count = xp.sum(nan, axis=dim, keepdims=True)
            k = xp.where(count > 0, n - count, (n - 1) // 2)
        i = xp.take_along_axis(order, k.astype(np.int64), axis=dim)
        v = xp.take_along_axis(x, i, axis=dim)
        if not keepdim:
            v, i = xp.squeeze(v, axis=dim), xp.squeeze(i, axis=dim)
        return self.scalar(v), self.scalar(i.astype(np.int64))

    def mode(self, x, dim, keepdim):
        """(most frequent value along ``dim``, the smallest of equally frequent ones; the int64
        index of its last occurrence)."""
        xp = self.xp
        if x.ndim == 0:
            return self.scalar(xp.array(x)), self.scalar(xp.zeros((), dtype=np.int64))
        rows, shape = _last(xp, x, dim)
        order = xp.argsort(rows, axis=1, kind="stable")
        sv = xp.take_along_axis(rows, order, axis=1)
        n = sv.shape[1]
        pos = xp.broadcast_to(xp.arange(n, dtype=np.int64), sv.shape)
        new = xp.ones(sv.shape, dtype=bool)
        new[:, 1:] = sv[:, 1:] != sv[:, :-1]
        end = xp.ones(sv.shape, dtype=bool)
        end[:, :-1] = new[:, 1:]
        start, _ = self.cummax(xp.where(new, pos, 0), 1)
        stop, _ = self.cummin(xp.flip(xp.where(end, pos, n), axis=1), 1)
        stop = xp.flip(stop, axis=1)
        length = stop - start + 1
        best = xp.argmax(length == xp.amax(length, axis=1, keepdims=True), axis=1)[:, None]
        last = best + xp.take_along_axis(length, best, axis=1) - 1
        v = xp.take_along_axis(sv, best, axis=1).reshape(shape[:-1] + (1,))
        i = xp.take_along_axis(order, last, axis=1).astype(np.int64).reshape(shape[:-1] + (1,))
        v, i = xp.moveaxis(v, -1, dim), xp.moveaxis(i, -1, dim)
        if not keepdim:
            v, i = xp.squeeze(v, axis=dim), xp.squeeze(i, axis=dim)
        return self.scalar(xp.ascontiguousarray(v)), self.scalar(xp.ascontiguousarray(i))

    def unique_consecutive(self, x, dim):
        """(the entries of x with consecutive repeats along ``dim`` dropped (None: of flat x),
        the int64 inverse, the int64 counts)."""
        xp = self.xp
        if dim is None:
            x, dim = xp.reshape(x, (-1,)), 0
        rows = xp.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
        n = rows.shape[0]
        new = xp.ones((n,), dtype=bool)
        if n > 1:
            new[1:] = xp.any(rows[1:] != rows[:-1], axis=1)
        inverse = xp.cumsum(new, dtype=np.int64) - 1
        starts = xp.nonzero(new)[0]
        counts = xp.diff(xp.concatenate([starts, xp.asarray([n], dtype=starts.dtype)]))
        out = xp.take(x, starts, axis=dim)
        return out, inverse.astype(np.int64), counts.astype(np.int64)

    def unique(self, x, dim):
        """(the distinct entries of x sorted (along ``dim``: distinct slices; None: of flat x),
        the int64 inverse, the int64 counts)."""
        xp = self.xp
        if dim is None:
            flat = xp.reshape(x, (-1,))
            u, inverse, counts = xp.unique(flat, return_inverse=True, return_counts=True)
            return u, xp.reshape(inverse, x.shape).astype(np.int64), counts.astype(np.int64)
        rows = xp.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
        n = rows.shape[0]
        order = xp.arange(n, dtype=np.int64)
        for c in range(rows.shape[1] - 1, -1, -1):  # a lexicographic sort, last key first
            order = order[xp.argsort(rows[order, c], kind="stable")]
        srt = rows[order]
        new = xp.ones((n,), dtype=bool)
        if n > 1:
            new[1:] = xp.any(srt[1:] != srt[:-1], axis=1)
        group = xp.cumsum(new, dtype=np.int64) - 1
        inverse = xp.empty((n,), dtype=np.int64)
        inverse[order] = group
        starts = xp.nonzero(new)[0]
        counts = xp.diff(xp.concatenate([starts, xp.asarray([n], dtype=starts.dtype)]))
        out = xp.take(x, order[starts], axis=dim)
        return out, inverse, counts.astype(np.int64)
