"""mytorch.nn.utils.parametrizations: orthogonal, spectral_norm and weight_norm as
parametrizations (nn.utils.parametrize). Matches torch.nn.utils.parametrizations (real
tensors only: mytorch has no complex conjugate yet)."""

from enum import Enum, auto

import mytorch
import mytorch.nn.functional as F
from mytorch.nn.modules.module import Module
from mytorch.nn.utils import parametrize
from mytorch.nn.utils.spectral_norm import _is_conv_transpose, _to_matrix
from mytorch.nn.utils.weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _is_orthogonal(q):
    n, k = q.shape[-2], q.shape[-1]
    eye = mytorch.eye(k, dtype=q.dtype, device=q.device)
    eps = 10.0 * n * mytorch.finfo(q.dtype).eps
    return mytorch.allclose(q.mT @ q, eye, atol=eps)


def _make_orthogonal(a):
    """The Q of a's QR decomposition with R's diagonal made positive (columns scaled by the
    signs of R's diagonal), as torch's geqrf + householder_product route gives."""
    q, r = mytorch.linalg.qr(a)
    return q * mytorch.sgn(r.diagonal(dim1=-2, dim2=-1)).unsqueeze(-2)


def _geqrf(a):
    """LAPACK geqrf of ``a`` (..., m, n), m >= n: the Householder vectors below the diagonal,
    R on and above it, and tau. Written in tensor ops (batched, no gradient) so that it runs on
    any device; follows dlarfg's conventions (beta = -sign(alpha) * norm, tau = 0 where the
    column below the diagonal is already zero)."""
    a = a.clone()
    n = a.shape[-1]
    taus = []
    for j in range(n):
        alpha = a[..., j, j]
        x = a[..., j + 1 :, j]
        xnorm = mytorch.linalg.vector_norm(x, dim=-1)
        flat = xnorm == 0
        sign = mytorch.where(alpha >= 0, 1.0, -1.0).to(a.dtype)
        beta = mytorch.where(flat, alpha, -sign * mytorch.hypot(alpha, xnorm))
        tau = mytorch.where(flat, mytorch.zeros_like(alpha), (beta - alpha) / beta)
        denom = mytorch.where(flat, mytorch.ones_like(alpha), alpha - beta)
        vec = mytorch.cat([mytorch.ones_like(alpha).unsqueeze(-1), x / denom.unsqueeze(-1)], -1)
        # apply H = I - tau v v^T to the columns on the right
        rest = a[..., j:, j + 1 :]
        w = (vec.unsqueeze(-1) * rest).sum(-2, keepdim=True)
        a[..., j:, j + 1 :] = rest - tau[..., None, None] * vec.unsqueeze(-1) * w
        a[..., j, j] = beta
        a[..., j + 1 :, j] = vec[..., 1:]
        taus.append(tau)
    return a, mytorch.stack(taus, -1)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                pad = X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)
                X = mytorch.cat([X, pad], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = mytorch.matrix_exp(A)
            else:
                eye = mytorch.eye(n, dtype=A.dtype, device=A.device)
                Q = mytorch.linalg.solve(
                    mytorch.add(eye, A, alpha=-0.5), mytorch.add(eye, A, alpha=0.5)
                )
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = mytorch.linalg.householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with mytorch.no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False."
                )
            # the Householder vectors of Q, with the signs of R's diagonal (flipped where
            # the reflection is the identity) on the diagonal
            A, tau = _geqrf(Q)
            diag = mytorch.sgn(A.diagonal(dim1=-2, dim2=-1))
            diag = mytorch.where(tau == 0.0, -diag, diag)
            on_diag = mytorch.eye(n, k, dtype=mytorch.bool, device=A.device)
            A = mytorch.where(on_diag, diag.unsqueeze(-2), A)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            N = mytorch.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(mytorch.cat([Q, N], dim=-1))
        self.base = Q
        rows, cols = Q_init.shape[-2], Q_init.shape[-1]
        neg_eye = -mytorch.eye(rows, cols, dtype=Q_init.dtype, device=Q_init.device)
        return neg_eye.expand(Q_init.shape).clone()


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Makes ``module.<name>`` an orthogonal matrix (or batch of them): the image of a
    matrix_exp, cayley or householder map, by default composed with a fixed orthogonal base
    (``use_trivialization``). Matches torch.nn.utils.parametrizations.orthogonal."""
    weight = getattr(module, name, None)
    if not isinstance(weight, mytorch.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """``module.<name>`` becomes ``original0 * original1 / ||original1||`` (the norm over every
    dimension but ``dim``; ``dim=None``: the whole norm). State dicts of the old
    ``<name>_g``/``<name>_v`` form load too. Matches
    torch.nn.utils.parametrizations.weight_norm."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            kw = dict(dtype=weight.dtype, device=weight.device)
            self.register_buffer("_u", F.normalize(mytorch.randn(h, **kw), dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(mytorch.randn(w, **kw), dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if weight.ndim <= 1:
            raise AssertionError(
                f"Expected weight to have more than 1 dimension, got {weight.ndim}"
            )
        return _to_matrix(weight, self.dim)

    def _power_method(self, weight_mat, n_power_iterations):
        # NOTE: the buffers are updated in place (their identity is kept, as torch's out=)
        with mytorch.no_grad():
            weight_mat = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(mytorch.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mytorch.mv(weight_mat.mT, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = mytorch.vdot(u, mytorch.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name>`` divided by its largest singular value, estimated by power iteration
    (``n_power_iterations`` steps per training forward, none in eval; the vectors are the
    buffers ``_u`` and ``_v``). ``dim`` defaults to 1 for ConvTranspose, else 0. Matches
    torch.nn.utils.parametrizations.spectral_norm."""
    weight = getattr(module, name, None)
    if not isinstance(weight, mytorch.Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
