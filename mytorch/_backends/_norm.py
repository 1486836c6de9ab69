"""The reference kernels of layer norm (its primitives live in mytorch._ops.nn_layer_norm),
written once against the backend's array module ``xp``: a base class of reference.Backend.

Each views its operands as rows: (M, N), N the size of the normalised trailing dims. As torch's,
the variance is the biased one, rstd = 1 / sqrt(var + eps), and half precision (float16,
bfloat16) is computed in float32 and rounded once.
"""

import numpy as np


def _rows(shape, k):
    """(M, N): the leading dims' size and the trailing ``k`` dims' size."""
    m = 1
    for s in shape[: len(shape) - k]:
        m *= s
    n = 1
    for s in shape[len(shape) - k :]:
        n *= s
    return m, n


class NormKernels:
    """layer_norm and layer_norm_backward over ``self.xp``."""

    def _acc(self, a, m, n):
        """``a`` as rows (M, N) in its accumulation type (float32 for half precision)."""
        a = a.reshape(m, n)
        return a.astype(self.xp.float32) if a.dtype.itemsize < 4 else a

    def _moments(self, a, n, eps):
        """The rows' mean and rstd (both (M, 1)) and a - mean."""
        xp = self.xp
        mu = xp.sum(a, axis=1, keepdims=True) / n
        d = a - mu
        var = xp.einsum("ij,ij->i", d, d).reshape(-1, 1) / n
        return mu, 1 / xp.sqrt(var + eps), d

    def layer_norm(self, x, w, b, k, eps, saved):
        """(x - mean) * rstd * w + b over x's last k dims (w, b: None or of those dims' shape);
        ``saved`` gets the rows' "mean" and "rstd" ((M, 1), float32 for half precision)."""
        m, n = _rows(x.shape, k)
        a = self._acc(x, m, n)
        with np.errstate(invalid="ignore", divide="ignore"):  # no entries in a row: NaN
            mu, rstd, d = self._moments(a, n, eps)
            d *= rstd
            if w is not None:
                d *= w.reshape(1, n).astype(d.dtype, copy=False)
            if b is not None:
                d += b.reshape(1, n).astype(d.dtype, copy=False)
        saved["mean"] = mu
        saved["rstd"] = rstd
        return d.astype(x.dtype, copy=False).reshape(x.shape)

    def layer_norm_backward(self, g, x, w, k, eps, stats, mask):
        """(d x, d w, d b) of layer_norm for output gradient g, in one pass over the rows;
        ``stats`` the forward's (mean, rstd) or None (computed here), ``mask`` (whether w is a
        weight (else it is ignored: no weight), whether d w is wanted, whether d b is): one not
        wanted is zeros of w's shape."""
        xp = self.xp
        m, n = _rows(x.shape, k)
        ga = self._acc(g, m, n)
        a = self._acc(x, m, n)
        has_w, need_w, need_b = mask
        with np.errstate(invalid="ignore", divide="ignore"):
            if stats is None:
                mu, rstd, xh = self._moments(a, n, eps)
            else:
                mu, rstd = stats
                xh = a - mu
            xh *= rstd
            # NOTE: few temporaries (fresh arrays cost page faults): g * xh once, its column
            # sums d w, its row sums (weighted) c2; the weighted row sums of g as a GEMV
            p = ga * xh
            dw = xp.ones(m, p.dtype) @ p if need_w else None
            db = xp.ones(m, ga.dtype) @ ga if need_b else None
            if has_w:
                wa = w.reshape(n).astype(ga.dtype, copy=False)
                c1, c2 = ga @ wa, p @ wa
            else:
                c1, c2 = ga @ xp.ones(n, ga.dtype), p @ xp.ones(n, ga.dtype)
            xh *= (c2 / n).reshape(-1, 1)
            xh += (c1 / n).reshape(-1, 1)
            if has_w:
                dx = xp.multiply(ga, wa.reshape(1, n), out=p)
            else:
                dx = p
                dx[...] = ga
            dx -= xh
            dx *= rstd
        dx = dx.astype(x.dtype, copy=False).reshape(x.shape)
        zeros = xp.zeros(w.shape, w.dtype)
        dw = zeros if dw is None else dw.astype(w.dtype, copy=False).reshape(w.shape)
        db = zeros if db is None else db.astype(w.dtype, copy=False).reshape(w.shape)
        return dx, dw, db
