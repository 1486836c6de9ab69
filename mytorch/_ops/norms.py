"""Norms: linalg.vector_norm (a primitive, with torch's gradient at zero and at ties),
linalg.matrix_norm, linalg.norm, torch.norm and dist (composites of it).

Matrix ord 'nuc', 2 and -2 are the sum, largest and smallest of linalg.svdvals.
"""

import math

from mytorch import _dtype as D
from mytorch._core import SAVE_OUT, SAVE_X, TensorBase, apply1
from mytorch._ops._declare import declare, defop
from mytorch._ops.pointwise import abs, pow, sign, where
from mytorch._ops.reduction import _reduced_back, amax, amin, sum
from mytorch._ops.scan import numpy_aliases
from mytorch._ops.linalg_decomp import svdvals
from mytorch._ops.rearrange import movedim
from mytorch._ops.shape import _dims, squeeze, unsqueeze
from mytorch._out import check_out, same_dtype, write_out
from mytorch._size import _bool_arg

INF = math.inf


def _vector_norm_vjp(n, g):
    """torch's linalg_vector_norm_backward: 0 for ord 0; sgn(x) g for 1; x / norm (0 where the
    norm is 0) for 2; split evenly among the largest (smallest) magnitudes for +-inf; else
    sgn(x) |x|^(p-1) / norm^(p-1), 0 where the norm is 0 (for p < 1: where x is 0)."""
    p, dims, keepdim = n.params
    shape = n.shapes[0]
    x = n.x
    g = _reduced_back(g, shape, dims, keepdim)
    norm = _reduced_back(n.out, shape, dims, keepdim)
    if p == 0:
        return g * 0
    if p == 1:
        return sign(x) * g
    # NOTE: zero norms (and zero x for p < 1) are replaced by 1 before dividing, then masked:
    # the same values as torch's masked_fill, without NumPy's division warnings.
    zero = norm == 0
    safe = where(zero, 1.0, norm)
    if p == 2:
        return g * where(zero, 0.0, x / safe)
    if p == INF or p == -INF:
        ax = abs(x)
        mask = ((ax == norm.detach()) | (ax != ax)).to(g.dtype)
        count = sum(mask, dims, keepdim=True) if dims is not None else sum(mask)
        return sign(x) * (g / count * mask)
    if p < 1:
        x0 = x == 0
        scaled = sign(x) * where(x0, 0.0, pow(where(x0, 1.0, abs(x)), p - 1))
        return scaled * g * pow(norm, 1 - p)
    scaled = sign(x) * pow(abs(x), p - 1) if p < 2 else x * pow(abs(x), p - 2)
    return scaled * where(zero, 0.0, g / pow(safe, p - 1))


# fmt: off
VECTOR_NORM = defop("linalg_vector_norm", _vector_norm_vjp, SAVE_X | SAVE_OUT,
                    node_name="LinalgVectorNormBackward0", kernel="vector_norm")
# fmt: on


def _check_float(name, input):
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {input.dtype.title}"
        )


@numpy_aliases
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches torch.linalg.vector_norm."""
    if out is not None:
        check_out("linalg.vector_norm", out, (x,))
        return write_out(out, vector_norm(x, ord, dim, keepdim, dtype=dtype), same_dtype)
    if dtype is not None:
        x = x.to(dtype)
    _check_float("linalg.vector_norm", x)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}"
        )
    keepdim = _bool_arg("linalg.vector_norm", "keepdim", keepdim)
    dims = _dims(dim, x.ndim) if x.ndim else None
    if ord < 0 and x.numel() == 0:
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    return apply1(VECTOR_NORM, x, (float(ord), dims, keepdim))


@numpy_aliases
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matches torch.linalg.matrix_norm ('nuc', 2 and -2 through linalg.svdvals)."""
    if out is not None:
        check_out("linalg.matrix_norm", out, (A,))
        return write_out(out, matrix_norm(A, ord, dim, keepdim, dtype=dtype), same_dtype)
    if dtype is not None:
        A = A.to(dtype)
    _check_float("linalg.matrix_norm", A)
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got " + str(dim))
    d0, d1 = (d % A.ndim for d in _dims_ordered(dim, A.ndim))
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    keepdim = _bool_arg("linalg.matrix_norm", "keepdim", keepdim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        r = sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        return unsqueeze(unsqueeze(r, min(d0, d1)), max(d0, d1)) if keepdim else r
    if isinstance(ord, str) or ord not in (1, -1, INF, -INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in (1, -1):  # the largest (smallest) column sum: columns run along d0
        inner, outer = d0, d1
    else:
        inner, outer = d1, d0
    r = vector_norm(A, 1, inner, keepdim=True)
    r = amax(r, outer, keepdim=True) if ord > 0 else amin(r, outer, keepdim=True)
    return r if keepdim else squeeze(r, (d0, d1))


def _dims_ordered(dim, ndim):
    _dims(dim, ndim)  # torch's range check and message
    return tuple(d + ndim if d < 0 else d for d in dim)


@numpy_aliases
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Matches torch.linalg.norm: a vector norm over one dim (or all of a flattened input when
    ``ord`` and ``dim`` are None), a matrix norm over two."""
    if out is not None:
        check_out("linalg.norm", out, (A,))
        return write_out(out, norm(A, ord, dim, keepdim, dtype=dtype), same_dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or dim is None and ord is not None and A.ndim == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim or (-2, -1), keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it mut be of length 1 or 2. Got {dim}"
        )
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Matches torch.norm: 'fro' (or None) and numbers p are vector norms (over ``dim``, or
    all); 'nuc' is the nuclear matrix norm."""
    if out is not None:
        check_out("norm", out, (input,))
        return write_out(out, torch_norm(input, p, dim, keepdim, dtype=dtype), same_dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return matrix_norm(input, "nuc", dim or (-2, -1), keepdim, dtype=dtype)
    if p is None or p == "fro":
        if dim is not None and len(dim) > 2:
            raise RuntimeError("frobenius norm expects two dims")
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported p={p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def dist(input, other, p=2):
    """Matches torch.dist: the p-norm of input - other (broadcast)."""
    return vector_norm(input - other, p)


declare(vector_norm, namespace="linalg", op=VECTOR_NORM)
declare(matrix_norm, namespace="linalg")
declare(norm, namespace="linalg")
declare(torch_norm, name="norm", method=True)
declare(dist, method=True)

__all__ = []
INTERNAL = []
