"""layer_norm's core as primitives (torch's native_layer_norm and native_layer_norm_backward):
the forward normalises over the trailing dims and applies the optional weight and bias in one
kernel call (backend method ``layer_norm``; it keeps the rows' mean and rstd for the backward
pass), the backward gives the gradients of the input, weight and bias in one kernel call
(``layer_norm_backward``), and that one's VJP is written in mytorch ops (with the backward
primitive itself), so derivatives of any order work.

With y = xh * w + b, xh = (x - mean) * r, r = 1 / sqrt(var + eps) (biased variance) per row of
N entries, the backward pass is d b = sum(g), d w = sum(g * xh) (over the leading dims) and
d x = P(g * w), P(a) = r * (a - mean(a) - xh * mean(a * xh)). Its VJP for cotangents (u, p, q)
of (d x, d w, d b) follows from <u, P(a)> = <P(u), a> and d r / d x = -r^2 xh / N: see
_layer_norm_backward_vjp.
"""

from mytorch._applyn import applyn, applyn_multi
from mytorch._core import KIND_SAME, SAVE_XY
from mytorch._ops._declare import defop
from mytorch._ops.creation import empty
from mytorch._ops.math import rsqrt
from mytorch._ops.reduction import mean, sum


def _trailing_dims(x, k):
    return tuple(range(x.ndim - k, x.ndim))


def _leading_sum(t, k):
    """t summed over all but its last k dims (to a weight's shape)."""
    lead = tuple(range(t.ndim - k))
    return sum(t, lead) if lead else t


# --- the VJPs ----------------------------------------------------------------------------------
def _layer_norm_vjp(n, g):
    x, w, b = n.inputs
    k, eps, saved = n.params
    stats = (saved["mean"], saved["rstd"]) if "mean" in saved else None
    need_w = w is not None and n._wants(1)
    need_b = b is not None and n._wants(2)
    holder = w if w is not None else (b if b is not None else _placeholder(x, k))
    gx, gw, gb = layer_norm_backward(g, x, holder, k, eps, stats, (w is not None, need_w, need_b))
    return gx, (gw if need_w else None), (gb if need_b else None)


def _unweighted(a, x, w, k, eps):
    """P(a): the input gradient of the unweighted layer norm for output gradient a."""
    return layer_norm_backward(a, x, w, k, eps, None, (False, False, False))[0]


def _layer_norm_backward_vjp(n, u, p, q):
    g, x, w = n.inputs
    k, eps, _, (has_w, need_w, need_b) = n.params
    dims = _trailing_dims(x, k)
    count = 1
    for s in x.shape[x.ndim - k :]:
        count *= s
    mu = mean(x, dims, keepdim=True)
    r = rsqrt(x.var(dims, correction=0, keepdim=True) + eps)
    xh = (x - mu) * r
    a = g * w if has_w else g
    dg = dw = h = c = None
    if u is not None:
        da = _unweighted(u, x, w, k, eps)
        dg = da * w if has_w else da
        if has_w and n._wants(2):
            dw = _leading_sum(g * da, k)
        sa = sum(a * xh, dims, keepdim=True)
        su = sum(u * xh, dims, keepdim=True)
        h = (u * sa + a * su) * (-r / count)
        c = (
            sum(u * a, dims, keepdim=True)
            - (sum(u, dims, keepdim=True) * sum(a, dims, keepdim=True) + su * sa) / count
        )
    if p is not None and need_w:
        dg = xh * p if dg is None else dg + xh * p
        h = g * p if h is None else h + g * p
    if q is not None and need_b:
        qq = q.expand(tuple(g.shape))
        dg = qq if dg is None else dg + qq
    dx = None
    if n._wants(1) and h is not None:
        dx = _unweighted(h, x, w, k, eps)
        if c is not None:
            dx = dx - c * r * r * xh / count
    return dg, dx, dw


# NOTE: not elementwise (no ew=): forward-mode AD takes their tangents by transposing the VJPs.
# fmt: off
LAYER_NORM = defop("native_layer_norm", _layer_norm_vjp, SAVE_XY, KIND_SAME, "NativeLayerNormBackward0", kernel="layer_norm")
LAYER_NORM_BACKWARD = defop("layer_norm_backward", _layer_norm_backward_vjp, SAVE_XY, KIND_SAME, "NativeLayerNormBackwardBackward0", kernel="layer_norm_backward")
# fmt: on


def _placeholder(x, k):
    """An operand of the weight's shape standing for no weight (its values are not read)."""
    return empty(tuple(x.shape[x.ndim - k :]), dtype=x.dtype, device=x.device)


def layer_norm_core(x, k, weight, bias, eps, saved=None):
    """layer_norm over x's last k dims (weight, bias: None or of those dims' shape, x's dtype
    and device), one kernel call; ``saved`` (a dict) gets the rows' "mean" and "rstd" arrays."""
    return applyn(LAYER_NORM, (x, weight, bias), (k, float(eps), {} if saved is None else saved))


def layer_norm_backward(g, x, w, k, eps, stats=None, mask=(True, True, True)):
    """(d x, d w, d b) of layer_norm over x's last k dims for output gradient g, one kernel
    call; ``w`` the weight, or any tensor of its shape when mask[0] says there is none."""
    return applyn_multi(LAYER_NORM_BACKWARD, (g, x, w), (k, eps, stats, mask))


__all__ = []
INTERNAL = ["layer_norm_backward"]
