"""The rest of torch.linalg, written in the primitives of linalg_ops and linalg_decomp: cond,
diagonal, matmul, vecdot, solve_ex, lu_factor_ex, lu, tensorinv, tensorsolve, and
torch.lu / torch.lu_unpack; ldl_factor(_ex) and ldl_solve (LAPACK's sytrf and sytrs through
SciPy, CPU only, no derivatives: torch has none either).
"""

import warnings

from mytorch import _dtype as D
from mytorch._applyn import apply_multi, applyn
from mytorch._backends.base import _LinAlgError
from mytorch._core import _wrap
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import declare, defop
from mytorch._ops.linalg import matmul as _matmul
from mytorch._ops.linalg_decomp import LU_FACTOR, _lu_info, _perm_matrix, _raise_singular
from mytorch._ops.linalg_ops import (
    _be,
    _castable,
    _eye,
    _float_check,
    _result,
    _singular_info,
    _square_check,
    _tril,
    _triu,
    inv,
    inv_ex,
    linalg_out,
    slogdet,
    solve,
    svdvals,
)
from mytorch._ops.norms import matrix_norm
from mytorch._ops.pointwise import where
from mytorch._ops.rearrange import movedim
from mytorch._ops.shape import reshape, unsqueeze
from mytorch._ops.strided import diagonal as _diagonal
from mytorch._out import C_NAMES, same_dtype

_SAME2 = (same_dtype, same_dtype)
_SAME3 = (same_dtype, same_dtype, same_dtype)


def _empty(like, dtype=None):
    return _wrap(_be(like).full((0,), 0, (dtype or like.dtype).np))


# --- diagonal, matmul, vecdot -------------------------------------------------------------------
def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """Matches torch.linalg.diagonal (torch.diagonal with the last two dims by default)."""
    return _diagonal(A, offset, dim1, dim2)


@linalg_out("linalg_matmul")
def matmul(input, other):
    """Matches torch.linalg.matmul (torch.matmul)."""
    return _matmul(input, other)


def _vecdot_rule(result, out):
    if result is not out:
        return RuntimeError(
            f"linalg.vecdot: Expected out of dtype{result.title} but found {out.title}"
        )  # fmt: skip
    return None


@linalg_out("linalg_vecdot", _vecdot_rule)
def vecdot(x, y, *, dim=-1):
    """Matches torch.linalg.vecdot: sum(x * y) along dim, batch dims broadcast (real)."""
    _float_check("linalg.vecdot", x, y)
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{x.dtype.title} and y of type {y.dtype.title} instead"
        )
    return (x * y).sum(dim)


declare(diagonal, namespace="linalg", composite=True)
declare(matmul, namespace="linalg", composite=True, out=True)
declare(vecdot, namespace="linalg", composite=True, out=True)


# --- solve_ex, lu_factor_ex ---------------------------------------------------------------------
_SOLVE_EX = _result("linalg_solve_ex", ["result", "info"])


@linalg_out("linalg_solve_ex", _SAME2, ["result", "info"])
def solve_ex(A, B, *, left=True, check_errors=False):
    """Matches torch.linalg.solve_ex: (X, info), info LAPACK's getrf's (the first zero pivot,
    1-based) where a matrix is singular; X is NaN there (torch's is what the LU solve leaves)."""
    try:
        x = solve(A, B, left=left)
        return _SOLVE_EX(x, _wrap(_be(A).full(A.shape[:-2], 0, D.int32.np)))
    except _LinAlgError:
        if check_errors:
            raise _LinAlgError(
                "torch.linalg.solve_ex: The solver failed because the input matrix is singular."
            ) from None
    with no_grad():
        sign = slogdet(A)[0]
    bad = unsqueeze(unsqueeze(sign == 0, -1), -1)
    x = solve(where(bad, _eye(A), A), B, left=left)
    if x.ndim == A.ndim - 1:
        bad = bad[..., 0]
    return _SOLVE_EX(where(bad, float("nan"), x), _singular_info(A, sign))


_LU_FACTOR_EX = _result("linalg_lu_factor_ex", ["LU", "pivots", "info"])


@linalg_out("linalg_lu_factor_ex", _SAME3, ["LU", "pivots", "info"])
def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """Matches torch.linalg.lu_factor_ex: (LU, pivots, info) of A = P L U (CPU)."""
    _float_check("linalg.lu_factor_ex", A)
    if A.ndim < 2:
        raise RuntimeError(
            "torch.linalg.lu_factor_ex: Expected tensor with 2 or more dimensions. Got size: "
            f"{list(A.shape)} instead"
        )
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv = apply_multi(LU_FACTOR, A, save=(0, 1))
    info = _lu_info(lu)
    if check_errors:
        _raise_singular("torch.linalg.lu_factor_ex", info)
    return _LU_FACTOR_EX(lu, piv, info)


declare(solve_ex, namespace="linalg", composite=True, out=True)
declare(lu_factor_ex, namespace="linalg", composite=True, out=True)


# --- lu_unpack, lu, torch.lu --------------------------------------------------------------------
_LU_UNPACK = _result("lu_unpack", ["P", "L", "U"])
_LU = _result("linalg_lu", ["P", "L", "U"])
_LU_INFO = _result("_lu_with_info", ["LU", "pivots", "info"])


def _unpack_lu(lu):
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = _tril(lu, -1)[..., :, :k] + _wrap(_be(lu).eye(m, k, lu._data.dtype))
    return low, _triu(lu)[..., :k, :]


@linalg_out("lu_unpack", _SAME3, ["P", "L", "U"])
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """Matches torch.lu_unpack: P, L, U from lu_factor's packed LU and pivots (empty where not
    asked for)."""
    if LU_pivots.dtype is not D.int32:
        raise RuntimeError(
            f"torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 "
            f"dtype. Note: this function is intended to be used with the output produced by "
            f"torch.linalg.lu_factor, got {LU_pivots.dtype}"
        )
    m = LU_data.shape[-2]
    p = _perm_matrix(LU_pivots, m, LU_data) if unpack_pivots else _empty(LU_data)
    if not unpack_data:
        return _LU_UNPACK(p, _empty(LU_data), _empty(LU_data))
    low, up = _unpack_lu(LU_data)
    return _LU_UNPACK(p, low, up)


@linalg_out("linalg_lu", _SAME3, ["P", "L", "U"])
def lu(A, *, pivot=True):
    """Matches torch.linalg.lu: A = P L U (CPU), any shape; lu_factor unpacked (so its
    gradients are lu_factor's)."""
    _float_check("linalg.lu", A)
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.lu: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} "
            "instead"
        )
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu_, piv = apply_multi(LU_FACTOR, A, save=(0, 1))
    low, up = _unpack_lu(lu_)
    return _LU(_perm_matrix(piv, A.shape[-2], A), low, up)


def torch_lu(A, pivot=True, get_infos=False):
    """Matches torch.lu (deprecated in torch, which warns): (LU, pivots) or (LU, pivots,
    info)."""
    warnings.warn(
        "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
        "and will be removed in a future PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    res = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return _LU_INFO(*res)
    return res[0], res[1]


declare(lu_unpack, composite=True, out=True)
declare(lu, namespace="linalg", composite=True, out=True)
declare(torch_lu, name="lu", method=True, composite=True)


# --- cond, tensorinv, tensorsolve ---------------------------------------------------------------
_NORMS = ("fro", "nuc", float("inf"), float("-inf"), 1, -1)


@linalg_out("linalg_cond", _castable("linalg.cond"))
def cond(A, p=None):
    """Matches torch.linalg.cond: ||A||_p ||A^-1||_p; p None, 2, -2 through the singular
    values (any shape), the others square only, inf where A is singular."""
    _float_check("linalg.cond", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2):
        s = svdvals(A)
        if s.shape[-1] == 0:
            return s.sum(-1)
        big, small = s[..., 0], s[..., -1]
        return small / big if p == -2 else big / small
    if p not in _NORMS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    if p == "nuc":
        s = svdvals(A)
        return s.sum(-1) * (1 / s).sum(-1)
    ai, info = inv_ex(A)
    bad = info > 0
    fixed = where(bad[..., None, None], _eye(A), ai)
    r = matrix_norm(A, p) * matrix_norm(fixed, p)
    return where(bad, float("inf"), r)


def _prod(shape):
    r = 1
    for s in shape:
        r *= s
    return r


@linalg_out("linalg_tensorinv", _castable("tensorinv"))
def tensorinv(A, ind=2):
    """Matches torch.linalg.tensorinv: the inverse of A seen as a matrix of A.shape[:ind] by
    A.shape[ind:], shaped A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if _prod(rows) != _prod(cols):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {_prod(cols)} != {_prod(rows)}"
        )
    return reshape(inv(reshape(A, (_prod(rows), _prod(cols)))), cols + rows)


@linalg_out("linalg_tensorsolve", _castable("tensorsolve"))
def tensorsolve(A, B, dims=None):
    """Matches torch.linalg.tensorsolve: X with tensordot(A, X, X.ndim) = B (``dims`` of A moved
    to the end first)."""
    if dims is not None:
        dims = tuple(dims)
        A = movedim(A, dims, tuple(range(A.ndim - len(dims), A.ndim)))
    lead, rest = tuple(A.shape[: B.ndim]), tuple(A.shape[B.ndim :])
    if _prod(rest) != _prod(lead):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {_prod(rest)} != {_prod(lead)}"
        )
    x = solve(reshape(A, (_prod(lead), _prod(rest))), reshape(B, (_prod(lead),)))
    return reshape(x, rest)


declare(cond, namespace="linalg", composite=True, out=True)
declare(tensorinv, namespace="linalg", composite=True, out=True)
declare(tensorsolve, namespace="linalg", composite=True, out=True)


# --- ldl_factor, ldl_solve ----------------------------------------------------------------------
def _no_derivative(name):
    def vjp(n, *grads):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")

    return vjp


LDL_FACTOR = defop(
    "linalg_ldl_factor",
    _no_derivative("linalg_ldl_factor_ex"),
    node_name="torch::autograd::NotImplemented",
)
LDL_SOLVE = defop(
    "linalg_ldl_solve",
    _no_derivative("linalg_ldl_solve"),
    node_name="torch::autograd::NotImplemented",
)
_LDL = _result("linalg_ldl_factor", ["LD", "pivots"])
_LDL_EX = _result("linalg_ldl_factor_ex", ["LD", "pivots", "info"])


@linalg_out("linalg_ldl_factor_ex", _SAME3, ["LD", "pivots", "info"])
def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """Matches torch.linalg.ldl_factor_ex: LAPACK's sytrf (Bunch-Kaufman) of the lower
    triangle: (LD, pivots, info) (CPU; not differentiable, as in torch)."""
    _float_check("torch.linalg.ldl_factor_ex", A)
    _square_check("torch.linalg.ldl_factor_ex", A)
    ld, piv, info = apply_multi(LDL_FACTOR, A, (bool(hermitian),))
    if check_errors:
        _ldl_check(info, "ldl_factor_ex")
    return _LDL_EX(ld, piv, info)


def _ldl_check(info, name):
    """torch's error for the first nonzero LAPACK code (of any example under vmap: a batched
    tensor's data reads its physical array)."""
    codes = info._data.ravel()
    bad = codes[codes != 0]
    if bad.size:
        raise RuntimeError(f"torch.linalg.{name}: Unknown error code: {int(bad[0])}.")


@linalg_out("linalg_ldl_factor", _SAME2, ["LD", "pivots"])
def ldl_factor(A, *, hermitian=False):
    """Matches torch.linalg.ldl_factor (ldl_factor_ex with its errors checked)."""
    ld, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    _ldl_check(info, "ldl_factor")
    return _LDL(ld, piv)


@linalg_out("linalg_ldl_solve")
def ldl_solve(LD, pivots, B, *, hermitian=False):
    """Matches torch.linalg.ldl_solve: A X = B from ldl_factor's (LD, pivots) (CPU)."""
    _float_check("torch.linalg.ldl_solve", LD, B)
    _square_check("torch.linalg.ldl_solve", LD, "LD")
    if B.ndim < 2:
        raise RuntimeError(
            "torch.linalg.ldl_solve: Expected B to have at least 2 dimensions, but it has "
            f"{B.ndim} dimensions instead"
        )
    if B.shape[-2] != LD.shape[-1]:
        n, k = LD.shape[-1], B.shape[-1]
        raise RuntimeError(
            f"Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is {n} by {n} "
            f"but each b matrix is {B.shape[-2]} by {k}"
        )
    if pivots.dtype is not D.int32:
        raise RuntimeError(
            "torch.linalg.ldl_solve: Expected pivots to be integers. Got "
            f"{C_NAMES.get(pivots.dtype, pivots.dtype.title)}"
        )
    return applyn(LDL_SOLVE, (LD, B), (pivots._data, bool(hermitian)))


declare(ldl_factor_ex, namespace="linalg", op=LDL_FACTOR, out=True)
declare(ldl_factor, namespace="linalg", composite=True, out=True)
declare(ldl_solve, namespace="linalg", op=LDL_SOLVE, out=True)


__all__ = []
INTERNAL = []
