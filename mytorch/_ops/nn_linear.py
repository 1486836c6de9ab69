"""The linear layers' functions in nn.functional: linear, a primitive on rows (one GEMM with the
bias added, as torch's addmm) whose VJP is written in matmul and sum, and otherwise a composite
of matmul and add; and bilinear, a composite. Their gradients of any order are matmul's."""

from mytorch import _dtype as D
from mytorch._applyn import applyn
from mytorch._autocast import STATE as _AUTOCAST
from mytorch._autocast import cast as _autocast_cast
from mytorch._core import SAVE_XY
from mytorch._ops._declare import composite, declare, defop
from mytorch._ops.linalg import matmul
from mytorch._ops.reduction import sum
from mytorch._ops.shape import reshape, transpose


def _linear_vjp(n, g):
    x, w = n.inputs[0], n.inputs[1]
    # NOTE: the bias's sum first, while g is in cache; the weight's gradient is g.T @ x, a
    # product in the weight's own layout (C-contiguous, no transposed copy)
    gb = sum(g, 0) if len(n.inputs) == 3 and n._wants(2) else None
    gx = matmul(g, w) if n._wants(0) else None
    gw = matmul(transpose(g, 0, 1), x) if n._wants(1) else None
    return (gx, gw) if len(n.inputs) == 2 else (gx, gw, gb)


# NOTE: torch's names: linear on rows with a bias is addmm, without one mm.
LINEAR = defop("linear", _linear_vjp, SAVE_XY, node_name="AddmmBackward0")
_LINEAR_MM = LINEAR.variant("MmBackward0")


def _rows(input, weight, bias):
    """Whether linear's primitive takes these: rows (N, I) and a weight (O, I) of one float
    dtype (float32 or float64), and a bias (O,) of it or none."""
    d = input.dtype
    if d not in (D.float32, D.float64) or weight.dtype is not d:
        return False
    x, w = input._data.shape, weight._data.shape
    if len(x) != 2 or len(w) != 2 or x[1] != w[1]:
        return False
    return bias is None or (bias.dtype is d and tuple(bias._data.shape) == (w[0],))


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias. Matches torch.nn.functional.linear."""
    if _AUTOCAST.on:
        input, weight, bias = _autocast_cast(input, weight, bias)
    shape = input._data.shape
    if len(shape) > 2 and weight._data.ndim == 2 and shape[-1] == weight._data.shape[1]:
        # NOTE: the batch dims folded into the rows: one GEMM (a strided input, such as a
        # transposed batch_first one, is copied once rather than multiplied batch by batch)
        out = linear(reshape(input, (-1, shape[-1])), weight, bias)
        return reshape(out, tuple(shape[:-1]) + (out._data.shape[-1],))
    if _rows(input, weight, bias):
        if bias is None:
            return applyn(_LINEAR_MM, (input, weight))
        return applyn(LINEAR, (input, weight, bias))
    out = matmul(input, transpose(weight, 0, -1) if weight._data.ndim > 1 else weight)
    if bias is not None:
        out = out + bias
    return out


declare(linear, namespace="nn.functional", op=LINEAR)


@composite(namespace="nn.functional")
def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]. Matches
    torch.nn.functional.bilinear."""
    s1, s2, sw = input1._data.shape, input2._data.shape, weight._data.shape
    if len(s1) != len(s2):
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}"
        )
    for d in range(len(s1) - 1):
        if s1[d] != s2[d]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {d}: got {s1[d]} and "
                f"{s2[d]}"
            )
    if s1[-1] != sw[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {s1[-1]} but expected {sw[1]}"
        )
    if s2[-1] != sw[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {s2[-1]} but expected {sw[2]}"
        )
    if bias is not None and tuple(bias._data.shape) != (sw[0],):
        got = bias._data.shape[-1] if bias._data.ndim else 1
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {got} but expected {sw[0]}"
        )
    batch = s1[:-1]
    x1 = reshape(input1, (-1, sw[1]))
    x2 = reshape(input2, (-1, sw[2]))
    # NOTE: one GEMM: (n, i) @ (i, o*j) gives t[n, o, j]; then y[n, o] = sum_j t[n, o, j] x2[n, j].
    w = reshape(transpose(weight, 0, 1), (sw[1], sw[0] * sw[2]))
    t = reshape(matmul(x1, w), (-1, sw[0], sw[2]))
    out = sum(t * reshape(x2, (-1, 1, sw[2])), -1)
    if bias is not None:
        out = out + bias
    return reshape(out, tuple(batch) + (sw[0],))


__all__ = []
INTERNAL = []
