"""Linear algebra: matmul (1-D, 2-D, batched with broadcast batch dims), mm, bmm, dot."""

from mytorch._registry import Op
from mytorch._core import KIND_MATMUL, SAVE_XY, TensorBase, apply2
from mytorch._ops._declare import defop
from mytorch._ops.shape import reshape, squeeze, transpose, unsqueeze
from mytorch._out import check_out, same_dtype, write_out
from mytorch import _dtype as _D
from mytorch._autocast import STATE as _AUTOCAST
from mytorch._autocast import cast as _autocast_cast


def _matmul_vjp(n, g):
    y = n.y  # NOTE: read first, so a version error names it first, as torch's mm does
    x = n.x
    xd, yd = x.ndim, y.ndim
    if xd == 1 and yd == 1:
        return g * y, g * x
    gx = gy = None
    # A vector operand needs no views: g (M,) @ x (M, K) is x^T g, and the outer products are
    # broadcast products.
    if xd == 2 and yd == 1:  # out (M,) = x (M, K) @ y (K,)
        if n.needs_x:
            gx = unsqueeze(g, -1) * y
        if n.needs_y:
            gy = matmul(g, x)
        return gx, gy
    if xd == 1 and yd == 2:  # out (N,) = x (K,) @ y (K, N)
        if n.needs_x:
            gx = matmul(y, g)
        if n.needs_y:
            gy = unsqueeze(x, -1) * g
        return gx, gy
    g1 = unsqueeze(g, -2) if xd == 1 else (unsqueeze(g, -1) if yd == 1 else g)
    x1 = unsqueeze(x, 0) if xd == 1 else x
    y1 = unsqueeze(y, -1) if yd == 1 else y
    if n.needs_x:
        gx = matmul(g1, transpose(y1, -1, -2))
        if xd == 1:
            gx = squeeze(gx, -2)
    if n.needs_y:
        if yd == 2 and x1.ndim > 2:
            # NOTE: y is broadcast over x's batch: its gradient is one GEMM over the batch
            # folded into the rows (not a batched GEMM, then a sum over the batch).
            k = x1.shape[-1]
            x1 = reshape(x1, (-1, k))
            g1 = reshape(g1, (-1, g1.shape[-1]))
        if yd == 2 and x1.ndim == 2 and _transposed(y._data):
            # NOTE: y is a transposed view (linear's weight.T): its gradient as the transpose of
            # a GEMM in the weight's own layout, so the weight's gradient comes out C-contiguous.
            gy = transpose(matmul(transpose(g1, 0, 1), x1), 0, 1)
        elif x1.ndim > 2 and x1.shape[-2] == 1:
            # NOTE: one row per matrix (vmap's per-sample gradients): the outer products as a
            # broadcast multiply, the same values (NumPy's matmul loops over k=1 products slowly)
            gy = transpose(x1, -1, -2) * g1
        else:
            gy = matmul(transpose(x1, -1, -2), g1)
        if yd == 1:
            gy = squeeze(gy, -1)
    return gx, gy


def _transposed(a):
    """Whether 2-d array ``a`` is laid out as the transpose of a C-contiguous array."""
    flags = getattr(a, "flags", None)
    return flags is not None and flags.f_contiguous and not flags.c_contiguous


# fmt: off
MATMUL = defop("matmul", _matmul_vjp, SAVE_XY, KIND_MATMUL, "MmBackward0", xp="matmul")
# PyTorch names the grad_fn after the overload matmul dispatches to.
_BY_NDIM = {(1, 1): MATMUL.variant("DotBackward0"), (2, 1): MATMUL.variant("MvBackward0"),
            (2, 2): MATMUL, (1, 2): MATMUL.variant("SqueezeBackward4")}
_BATCHED = MATMUL.variant("BmmBackward0")
_OTHER   = MATMUL.variant("UnsafeViewBackward0")
# fmt: on


def _dot_rule(result, out):
    """The out dtype rule of dot (and of matmul of two vectors): the result's dtype."""
    if result is not out:
        return RuntimeError(f"result dtype {out.title} does not match input dtype {result.title}")
    return None


def matmul(input, other, out=None):
    """Matches torch.matmul: 1-D, 2-D and batched with broadcast batch dims."""
    if _AUTOCAST.on and out is None:
        return _autocast_matmul(input, other)
    if out is not None:
        check_out("matmul", out, (input, other))
        r = matmul(input, other)
        return write_out(out, r, _dot_rule if input.ndim == other.ndim == 1 else same_dtype)
    if not isinstance(input, TensorBase):
        raise TypeError(
            f"matmul(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if not isinstance(other, TensorBase):
        raise TypeError(
            f"matmul(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    xs, ys = input._data.shape, other._data.shape
    xd, yd = len(xs), len(ys)
    if xd == 0 or yd == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {xd}D and {yd}D"
        )
    kx = xs[-1]
    ky = ys[0] if yd == 1 else ys[-2]
    if kx != ky:
        if xd == 1 and yd == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{kx}] and src [{ky}] to have the "
                f"same number of elements, but got {kx} and {ky} elements respectively"
            )
        if xd <= 2:
            a = f"{xs[-2] if xd > 1 else 1}x{kx}"
        else:
            a = "x".join(map(str, xs))
        b = f"{ky}x{ys[-1]}" if yd > 1 else f"{ky}x1"
        if xd <= 2 and yd <= 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a} and {b})")
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{xs[0] if xd > 2 else 1}, {kx}] but got: [{ys[0] if yd > 2 else 1}, {ky}]."
        )
    op = _BY_NDIM.get((xd, yd))
    if op is None:
        op = _BATCHED if xd == yd == 3 and xs[0] == ys[0] else _OTHER
    if input._data.dtype.kind == "V":  # bfloat16
        op = _bf16(op)
    return apply2(op, input, other)


def _autocast_matmul(input, other):
    """matmul under autocast: operands rounded to the autocast dtype, products accumulated in
    float32 and the result rounded to the autocast dtype, as torch's CPU kernels do."""
    a, b = _autocast_cast(input, other)
    _AUTOCAST.on = False
    try:
        if (
            isinstance(a, TensorBase)
            and a.dtype is _D.float16
            and (isinstance(b, TensorBase) and b.dtype is a.dtype)
        ):
            return matmul(a.float(), b.float()).to(a.dtype)  # NumPy's float16 sums in float16
        return matmul(a, b)  # bfloat16 accumulates in float32 already
    finally:
        _AUTOCAST.on = True


_BF16 = {}  # grad_fn name -> the matmul variant whose kernel computes bfloat16 in float32


def _bf16(op):
    v = _BF16.get(op.node_name)
    if v is None:
        v = _BF16[op.node_name] = Op(
            op.name, "matmul_bf16", op.vjp, op.save, op.kind, op.node_name, op.elementwise
        )
    return v


def mm(input, mat2, out=None):
    """Matches torch.mm (2-D only)."""
    if out is not None:
        check_out("mm", out, (input, mat2))
        return write_out(out, mm(input, mat2), same_dtype)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("self must be a matrix" if input.ndim != 2 else "mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2, out=None):
    """Matches torch.bmm (3-D only)."""
    if out is not None:
        check_out("bmm", out, (input, mat2))
        return write_out(out, bmm(input, mat2), same_dtype)
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(
            "batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor"
        )
    return matmul(input, mat2)


def dot(input, other, out=None):
    """Matches torch.dot (1-D only)."""
    if out is not None:
        check_out("dot", out, (input, other))
        return write_out(out, dot(input, other), _dot_rule)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


__all__ = ["matmul", "mm", "bmm", "dot"]
INTERNAL = []
