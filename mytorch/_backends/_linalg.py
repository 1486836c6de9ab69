"""The linear algebra kernels of the reference backend, written once against ``self.xp``.

Batched throughout: ``xp.linalg`` (NumPy's gufuncs over LAPACK, CuPy's over cuSOLVER) takes
stacks of matrices, so no kernel loops over a batch in Python. Kernels that exist only in SciPy
(matrix exponential, LU factors) run on the CPU and raise NotImplementedError elsewhere.
"""

import numpy as np
import scipy.linalg as _sl
import scipy.linalg.lapack as _lapack_fns

from mytorch._backends.base import _LinAlgError


def _lapack(fn, *args, **kwargs):
    """fn(*args), its LAPACK failures raised as torch's linalg.LinAlgError."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise _LinAlgError(str(e)) from None


def _as_matmul(xp, matmul, equation, a, b):
    """einsum of two operands as permute, reshape, ``matmul``; None where a label repeats within
    an operand, is summed within one operand, or sizes broadcast."""
    lhs, out = equation.split("->")
    sa, sb = lhs.split(",")
    if len(set(sa)) != len(sa) or len(set(sb)) != len(sb) or len(set(out)) != len(out):
        return None
    size = {}
    for labels, arr in ((sa, a), (sb, b)):
        for c, n in zip(labels, arr.shape):
            if size.setdefault(c, n) != n:
                return None
    batch = [c for c in out if c in sa and c in sb]
    left = [c for c in out if c in sa and c not in sb]
    right = [c for c in out if c in sb and c not in sa]
    summed = [c for c in sa if c in sb and c not in out]
    if len(batch) + len(left) + len(summed) != len(sa):
        return None
    if len(batch) + len(right) + len(summed) != len(sb):
        return None

    def prod(labels):
        p = 1
        for c in labels:
            p *= size[c]
        return p

    nb, nl, nr, ns = prod(batch), prod(left), prod(right), prod(summed)
    a2 = xp.transpose(a, [sa.index(c) for c in batch + left + summed]).reshape(nb, nl, ns)
    b2 = xp.transpose(b, [sb.index(c) for c in batch + summed + right]).reshape(nb, ns, nr)
    r = matmul(a2, b2).reshape(tuple(size[c] for c in batch + left + right))
    order = batch + left + right
    return xp.transpose(r, [order.index(c) for c in out])


class LinalgKernels:
    """Mixed into mytorch._backends.reference.Backend."""

    def _host_only(self, name):
        if self.xp is not np:
            raise NotImplementedError(
                f"{name} has no kernel on {self.device_type} devices (it needs SciPy)"
            )

    def linear(self, x, w, b=None):
        """x (N, I) @ w.T (I, O), plus b (O,) where given: nn.functional.linear's product, on
        the backend's matmul where it has one (see einsum)."""
        out = (getattr(self, "matmul", None) or self.xp.matmul)(x, w.T)
        if b is not None:
            out += b
        return out

    def einsum(self, *arrays_and_equation):
        """Two operands as one batched matmul where the labels allow (as torch's bmm path);
        otherwise xp.einsum, with NumPy's path optimisation for three or more."""
        *arrays, equation = arrays_and_equation
        if len(arrays) == 2:
            # NOTE: the backend's matmul where it has one (the compiled build's calls SciPy's
            # BLAS, whose thread pool every other product uses: NumPy's own OpenBLAS pool,
            # alternated with it, ran a 64 x 128 x 128 batch 10x slower on two busy cores).
            matmul = getattr(self, "matmul", None) or self.xp.matmul
            r = _as_matmul(self.xp, matmul, equation, *arrays)
            if r is not None:
                return r
        return self.xp.einsum(equation, *arrays, optimize=len(arrays) > 2)

    def linalg_inv(self, a):
        return _lapack(self.xp.linalg.inv, a)

    def linalg_det(self, a):
        return self.scalar(self.xp.asarray(self.xp.linalg.det(a)))

    def linalg_slogdet(self, a):
        sign, logabsdet = self.xp.linalg.slogdet(a)
        xp = self.xp
        return xp.asarray(sign, dtype=a.dtype), xp.asarray(logabsdet, dtype=a.dtype)

    def linalg_solve(self, a, b):
        return _lapack(self.xp.linalg.solve, a, b)

    def linalg_cholesky(self, a, upper):
        lower = _lapack(self.xp.linalg.cholesky, a)
        return self.xp.ascontiguousarray(self.xp.swapaxes(lower, -1, -2)) if upper else lower

    def linalg_qr(self, a, mode):
        xp = self.xp
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.empty((0,), dtype=a.dtype), r
        q, r = xp.linalg.qr(a, mode=mode)
        return q, r

    def linalg_eigh(self, a, uplo):
        w, v = _lapack(self.xp.linalg.eigh, a, UPLO=uplo)
        return w, v

    def linalg_svd(self, a, full_matrices):
        u, s, vh = _lapack(self.xp.linalg.svd, a, full_matrices=full_matrices)
        return u, s, vh

    def linalg_solve_triangular(self, a, b, upper, unit):
        """Through a general solve of the masked triangle: one batched LAPACK call on every
        device (the LU of a triangular matrix is itself, up to pivoting)."""
        xp = self.xp
        n = a.shape[-1]
        t = xp.triu(a) if upper else xp.tril(a)
        if unit:
            eye = xp.eye(n, dtype=a.dtype)
            t = t * (1 - eye) + eye
        return _lapack(xp.linalg.solve, t, b)

    def linalg_matrix_exp(self, a):
        self._host_only("linalg.matrix_exp")
        if a.shape[-1] == 0 or a.size == 0:
            return np.array(a)
        return np.asarray(_sl.expm(a), dtype=a.dtype)

    def linalg_lu_factor(self, a):
        """SciPy's batched LU (one C loop), its row order turned into LAPACK's swaps."""
        self._host_only("linalg.lu_factor")
        m, n = a.shape[-2:]
        if a.size == 0:  # NOTE: SciPy's lu takes no empty batch
            return np.zeros(a.shape, a.dtype), np.zeros(a.shape[:-2] + (min(m, n),), np.int32)
        p, lo, up = _sl.lu(a, p_indices=True)  # a = lo[p] @ up: row i of a is row p[i] of lo@up
        k = min(m, n)
        lu = np.zeros(a.shape, dtype=a.dtype)
        lu[..., :, :k] += np.tril(lo, -1)
        lu[..., :k, :] += np.triu(up)
        # order[j]: the row of a that is row j of lo @ up
        order = np.argsort(p, axis=-1)
        batch = order.shape[:-1]
        cur = np.broadcast_to(np.arange(m), batch + (m,)).copy()  # cur[i]: the row of a at i
        pos = cur.copy()  # pos[r]: where row r of a is now
        piv = np.empty(batch + (k,), dtype=np.int32)
        idx = np.indices(batch) if batch else ()
        for i in range(k):
            want = order[..., i]
            j = pos[(*idx, want)] if batch else pos[want]
            piv[..., i] = j + 1
            ri = cur[..., i].copy()
            if batch:
                cur[(*idx, i)] = want
                cur[(*idx, j)] = ri
                pos[(*idx, want)] = i
                pos[(*idx, ri)] = j
            else:
                cur[i], cur[j] = want, ri
                pos[want], pos[ri] = i, j
        return np.ascontiguousarray(lu, dtype=a.dtype), piv

    def lu_pivots_to_perm(self, pivots, m):
        """perm with (P^T A) = A[perm]: the swaps row i <-> pivots[i] - 1 applied in order."""
        xp = self.xp
        batch = pivots.shape[:-1]
        perm = xp.broadcast_to(xp.arange(m, dtype=np.int64), batch + (m,)).copy()
        flat = perm.reshape(-1, m)
        piv = pivots.reshape(-1, pivots.shape[-1]).astype(np.int64) - 1
        rows = xp.arange(flat.shape[0], dtype=np.int64)
        for i in range(piv.shape[-1]):
            j = piv[:, i]
            a = flat[:, i].copy()
            flat[:, i] = flat[rows, j]
            flat[rows, j] = a
        return flat.reshape(batch + (m,))

    def linalg_eig(self, a, is_complex=False):
        self._host_only("linalg.eig")
        ct = np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128
        if a.size == 0:
            return np.zeros(a.shape[:-1], ct), np.zeros(a.shape, ct)
        w, v = _lapack(np.linalg.eig, a)
        return w.astype(ct), v.astype(ct)

    def linalg_ldl_factor(self, a, hermitian):
        """(LD, int32 pivots, int32 info) of LAPACK's sytrf (hetrf when hermitian) on the lower
        triangle of each matrix; LD keeps that triangle. SciPy's LAPACK wrappers take one
        matrix, so the batch is a loop of LAPACK calls."""
        self._host_only("linalg.ldl_factor")
        name = "hetrf" if hermitian and np.iscomplexobj(a) else "sytrf"
        (fn,) = _lapack_fns.get_lapack_funcs((name,), (a,))
        n = a.shape[-1]
        batch = a.shape[:-2]
        flat = a.reshape(-1, n, n)
        ld = np.empty_like(flat)
        piv = np.empty((flat.shape[0], n), dtype=np.int32)
        info = np.empty(flat.shape[0], dtype=np.int32)
        for i in range(flat.shape[0]):
            if n:
                f, p, inf = fn(flat[i], lower=1)
                ld[i], piv[i], info[i] = np.tril(f), p, inf
            else:
                info[i] = 0
        return ld.reshape(a.shape), piv.reshape(batch + (n,)), info.reshape(batch)

    def linalg_ldl_solve(self, ld, b, pivots, hermitian):
        """X with A X = b from sytrf's factors (sytrs / hetrs), batch dims broadcast."""
        self._host_only("linalg.ldl_solve")
        name = "hetrs" if hermitian and np.iscomplexobj(ld) else "sytrs"
        (fn,) = _lapack_fns.get_lapack_funcs((name,), (ld, b))
        n, k = ld.shape[-1], b.shape[-1]
        batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2], pivots.shape[:-1])
        lds = np.broadcast_to(ld, batch + (n, n)).reshape(-1, n, n)
        ps = np.broadcast_to(pivots, batch + (n,)).reshape(-1, n)
        bs = np.broadcast_to(b, batch + (n, k)).reshape(-1, n, k)
        x = np.empty(bs.shape, dtype=np.result_type(ld, b))
        for i in range(bs.shape[0]):
            x[i] = fn(lds[i], ps[i], bs[i], lower=1)[0] if n and k else bs[i]
        return x.reshape(batch + (n, k))

    def linalg_eig_backward(self, w, v, gw, gv, has_w, has_v, real):
        """torch's linalg_eig_backward: gA = V^-H (diag(gw) + (V^H gv - V^H V diag(re(diag(
        V^H gv)))) / conj(E)) V^H, E_ij = w_j - w_i (1 on the diagonal); the real part for a
        real input. A loss that depends on the eigenvectors' phases raises, as torch."""
        self._host_only("linalg.eig")
        vh = np.conj(np.swapaxes(v, -1, -2))
        n = w.shape[-1]
        eye = np.eye(n, dtype=bool)
        if has_v:
            vhgv = vh @ gv
            diag = np.diagonal(vhgv, 0, -2, -1)
            if not np.allclose(diag.imag, 0, rtol=1e-2, atol=1e-2):
                raise RuntimeError(
                    "linalg_eig_backward: The eigenvectors in the complex case are specified up "
                    "to multiplication by e^{i phi}. The specified loss function depends on this "
                    "quantity, so it is ill-defined."
                )
            inner = vhgv - vh @ (v * diag.real[..., None, :])
            wc = np.conj(w)
            e = np.where(eye, 1, wc[..., None, :] - wc[..., :, None])
            inner = inner / e
            if has_w:
                inner[..., eye] = gw
        else:
            inner = gw[..., :, None] * eye
        ga = np.linalg.solve(vh, inner @ vh)
        if real:
            ga = np.ascontiguousarray(ga.real)
        return ga

    def linalg_lstsq_gelsy(self, a, b, rcond):
        """(solutions, int64 ranks) of LAPACK's gelsy (complete orthogonal factorization; the
        rank from rcond), batch dims broadcast: SciPy's batched lstsq."""
        self._host_only("linalg.lstsq(driver='gelsy')")
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = np.broadcast_to(a, batch + a.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        if a.size == 0 or b.size == 0:
            x = np.zeros(batch + (a.shape[-1], b.shape[-1]), dtype=a.dtype)
            return x, np.zeros(batch, dtype=np.int64)
        x, _, rank, _ = _sl.lstsq(a, b, cond=rcond, lapack_driver="gelsy", check_finite=False)
        return np.ascontiguousarray(x, dtype=a.dtype), np.asarray(rank, dtype=np.int64)

    def linalg_pinv(self, a, atol, rtol, hermitian):
        """The pseudo-inverses: singular values (|eigenvalues| when hermitian) at or below
        max(atol, rtol * the largest) dropped; batched SVD (eigh)."""
        xp = self.xp
        if a.size == 0:
            return xp.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), dtype=a.dtype)
        if hermitian:
            lam, v = _lapack(xp.linalg.eigh, a)
            mag = xp.abs(lam)
            tol = xp.maximum(atol, rtol * mag.max(-1, keepdims=True))
            keep = mag > tol
            inv = xp.where(keep, 1 / xp.where(keep, lam, 1), 0).astype(a.dtype)
            return xp.matmul(v * inv[..., None, :], xp.swapaxes(v, -1, -2))
        u, s, vh = _lapack(xp.linalg.svd, a, full_matrices=False)
        tol = xp.maximum(atol, rtol * s[..., :1])
        keep = s > tol
        inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        return xp.matmul(xp.swapaxes(vh, -1, -2) * inv[..., None, :], xp.swapaxes(u, -1, -2))
