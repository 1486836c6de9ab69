"""vmap's batching rules for layer norm's primitives (mytorch._ops.nn_layer_norm): the batch
in front is one more leading dim of the rows, so the primitives run on the physical tensors; a
batched weight or bias (one per example) is applied outside the kernel, and the weight's and
bias's gradients are summed per example. The conventions are mytorch.func._rules'."""

from mytorch._applyn import applyn, applyn_multi
from mytorch._ops.nn_layer_norm import LAYER_NORM
from mytorch._registry import F as _F
from mytorch.func._batched import RULES, unwrap
from mytorch.func._rules import _full, _lift


def _per_example_sum(t, k):
    """Physical ``t`` (batch in front) summed over its leading dims but the batch: to (B, *w)."""
    lead = tuple(range(1, t.ndim - k))
    return _F.sum(t, lead) if lead else t


def _layer_norm(fn, op, inputs, params, level, size, kernel, save):
    """native_layer_norm(x, w, b; k, eps, saved): x given the batch; an unbatched weight and
    bias go to the kernel, batched ones are applied after it, lifted to x's rank."""
    x, w, b = inputs
    k, eps, _ = params
    px = _full(*unwrap(x, level), size)
    pw, bw = unwrap(w, level)
    pb, bb = unwrap(b, level)
    out = applyn(op, (px, None if bw else pw, None if (bw or bb) else pb), (k, eps, {}))
    if bw:
        out = out * _lift(pw, True, k, x.ndim)
    if (bw or bb) and pb is not None:
        out = out + (_lift(pb, True, k, x.ndim) if bb else pb)
    return out


def _layer_norm_backward(fn, op, inputs, params, level, size, kernel, save):
    """layer_norm_backward(g, x, w; k, eps, stats, mask): g and x given the batch (the
    forward's stats are not the physical rows' then: recomputed); the input's gradient from the
    kernel (a batched weight multiplied into g first), the weight's and bias's per example."""
    g, x, w = inputs
    k, eps, _, (has_w, need_w, need_b) = params
    pg = _full(*unwrap(g, level), size)
    px = _full(*unwrap(x, level), size)
    pw, bw = unwrap(w, level)
    if bw:
        a = pg * _lift(pw, True, k, x.ndim) if has_w else pg
        gx = applyn_multi(op, (a, px, pw[0]), (k, eps, None, (False, False, False)))[0]
    else:
        gx = applyn_multi(op, (pg, px, pw), (k, eps, None, (has_w, False, False)))[0]
    zeros = _full(_F.zeros_like(pw), bw, size)
    gw = gb = zeros
    if need_w:
        xh = applyn(LAYER_NORM, (px, None, None), (k, eps, {}))
        gw = _per_example_sum(pg * xh, k)
    if need_b:
        gb = _per_example_sum(pg, k)
    return gx, gw, gb


def _fill():
    RULES["native_layer_norm"] = _layer_norm
    RULES["layer_norm_backward"] = _layer_norm_backward


_fill()
