"""vmap's batching rules for windows, convolutions, pooling, recurrent cells, LDL, eig's
backward, index_put, and the ops of data-dependent shape (which raise, as torch's vmap does).
The conventions are mytorch.func._rules'."""

from mytorch._applyn import apply_multi, applyn, applyn_multi
from mytorch._core import TensorBase, apply1, apply2
from mytorch._registry import F as _F
from mytorch.func._batched import RULES, Batched, unwrap
from mytorch.func._rules import _along, _full, _index, _lift, _permuted, _unwrap_all


def _merge(p, dim):
    """Physical ``p`` (batch in dim 0) with the batch merged into the logical ``dim`` (batch
    outer): (B, ..., C, ...) -> (..., B * C, ...)."""
    p = _F.movedim(p, 0, dim)
    s = tuple(p.shape)
    return _F.reshape(p, s[:dim] + (s[dim] * s[dim + 1],) + s[dim + 2 :])


def _split(out, dim, size):
    """The inverse of _merge on a result: its ``dim`` (B * C) split, the batch moved to 0."""
    s = tuple(out.shape)
    out = _F.reshape(out, s[:dim] + (size, s[dim] // size) + s[dim + 1 :])
    return _F.movedim(out, dim, 0)


# --- windows ------------------------------------------------------------------------------------
def _unfold(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, (params[0] + 1,) + tuple(params[1:]))


def _im2col(fn, op, inputs, params, level, size, kernel, save):
    """x (N, C, *spatial): the batch folded into N."""
    p, _ = unwrap(inputs[0], level)
    out = apply1(op, _merge(p, 0), params)
    nk = len(params[0])
    return _split(out, 1 + nk if params[5] else 0, size)


def _col2im(fn, op, inputs, params, level, size, kernel, save):
    """cols (N, C, *kernel, *out), or (C, *kernel, N, *out): the batch folded into N."""
    p, _ = unwrap(inputs[0], level)
    nk = len(params[0])
    out = apply1(op, _merge(p, 1 + nk if params[4] else 0), params)
    return _split(out, 0, size)


# --- convolutions -------------------------------------------------------------------------------
def _conv(fn, op, inputs, params, level, size, kernel, save):
    """conv_forward(x, w) and conv_input_grad(g, w): an unbatched weight folds the batch into
    N; a batched one into the groups (x's channels and w's output channels, batch outer)."""
    (px, bx), (pw, bw) = unwrap(inputs[0], level), unwrap(inputs[1], level)
    if not bw:
        out = apply2(op, _merge(px, 0), pw, params)
        return _split(out, 0, size)
    groups = params[-1]
    if not bx and groups == 1:  # every example's output channels from the same input
        out = apply2(op, px, _merge(pw, 0), params)
        return _split(out, 1, size)
    px = _full(px, bx, size)
    out = apply2(op, _merge(px, 1), _merge(pw, 0), tuple(params[:-1]) + (groups * size,))
    return _split(out, 1, size)


def _conv_weight_grad(fn, op, inputs, params, level, size, kernel, save):
    """conv_weight_grad(x, g) -> (Cout, C / groups, *kernel): the batch folded into the groups
    (an unbatched x with one group: into g's output channels alone)."""
    (px, bx), (pg, bg) = unwrap(inputs[0], level), unwrap(inputs[1], level)
    groups = params[-1]
    if not bx and groups == 1:
        return _split(apply2(op, px, _merge(pg, 1), params), 0, size)
    px = _full(px, bx, size)
    pg = _full(pg, bg, size)
    out = apply2(op, _merge(px, 1), _merge(pg, 1), tuple(params[:-1]) + (groups * size,))
    return _split(out, 0, size)


# --- pooling ------------------------------------------------------------------------------------
def _max_pool(fn, op, inputs, params, level, size, kernel, save):
    """Pooling over the last dims, any leading dims: the op on the physical tensor."""
    p, _ = unwrap(inputs[0], level)
    return apply_multi(op, p, params, kernel, save)


def _max_pool_backward(fn, op, inputs, params, level, size, kernel, save):
    """g (..., *out) with indices (..., *out), a parameter: both with the batch in front."""
    pg, bg = unwrap(inputs[0], level)
    idx = params[0]
    bi = type(idx) is Batched and idx.level == level
    if type(idx) is Batched and not bi:
        return NotImplemented
    pg = _full(pg, bg, size)
    if bi:
        idx = idx.phys._data
    else:
        idx = _F.expand(_F.unsqueeze(_F.as_tensor(idx), 0), (size,) + tuple(idx.shape))._data
    return apply1(op, pg, (idx,) + tuple(params[1:]))


# --- recurrent cells ----------------------------------------------------------------------------
def _cell(fn, op, inputs, params, level, size, kernel, save):
    """lstm/gru cell gates: operands (..., kH) and (..., H) of one leading shape: all batched."""
    ps = tuple(_full(*unwrap(x, level), size) for x in inputs)
    return fn(op, ps, params)


def _lstm_layer(fn, op, inputs, params, level, size, kernel, save):
    """gi (T, N, 4H), w_hh, h0, c0 (N, H): an unbatched w_hh folds the batch into N."""
    gi, w, h0, c0 = inputs
    pw, bw = unwrap(w, level)
    if bw:
        return NotImplemented
    pg = _merge(_full(*unwrap(gi, level), size), 1)
    ph = _merge(_full(*unwrap(h0, level), size), 0)
    pc = _merge(_full(*unwrap(c0, level), size), 0)
    out, h, c = applyn_multi(op, (pg, pw, ph, pc), params)
    return _split(out, 1, size), _split(h, 0, size), _split(c, 0, size)


def _lstm_input(fn, op, inputs, params, level, size, kernel, save):
    """x (N, I), w (4H, I), b (4H): an unbatched weight and bias fold the batch into N; a
    batched one: the same sum as batched products."""
    (px, bx), (pw, bw), (pb, bb) = (unwrap(t, level) for t in inputs)
    if not bw and not bb:
        return _split(applyn(op, (_merge(_full(px, bx, size), 0), pw, pb), params), 0, size)
    px, pw, pb = _full(px, bx, size), _full(pw, bw, size), _full(pb, bb, size)
    return _F.add(_F.matmul(px, _F.transpose(pw, 1, 2)), _F.unsqueeze(pb, 1))


def _linear(fn, op, inputs, params, level, size, kernel, save):
    """x (N, I), w (O, I), b (O,) if given: an unbatched weight and bias fold the batch into
    N; a batched one: the same sum as batched products."""
    un = [unwrap(t, level) for t in inputs]
    (px, bx), (pw, bw) = un[0], un[1]
    if not any(b for _, b in un[1:]):
        ins = (_merge(_full(px, bx, size), 0),) + tuple(p for p, _ in un[1:])
        return _split(applyn(op, ins, params), 0, size)
    out = _F.matmul(_full(px, bx, size), _F.transpose(_full(pw, bw, size), 1, 2))
    if len(un) == 3:
        out = _F.add(out, _F.unsqueeze(_full(*un[2], size), 1))
    return out


# --- nll_loss of rows ---------------------------------------------------------------------------
def _nll_rows(fn, op, inputs, params, level, size, kernel, save):
    """logp (N, C), target (N,): the batch folded into N (reduction 'none'), then each
    example's sum, or mean over its rows not ignored."""
    ignore_index, reduction = params
    (lp, tp), (lb, tb) = _unwrap_all(inputs, level)
    lp, tp = _full(lp, lb, size), _full(tp, tb, size)
    per = _split(applyn(op, (_merge(lp, 0), _merge(tp, 0)), (ignore_index, "none")), 0, size)
    if reduction == "none":
        return per
    total = per.sum(1)
    if reduction == "sum":
        return total
    return total / (tp != ignore_index).sum(1).to(total.dtype)


def _nll_rows_backward(fn, op, inputs, params, level, size, kernel, save):
    """g (a scalar or (N,) per example), target (N,): each example's g spread over its rows
    (divided by its rows not ignored for 'mean'), then the batch folded into N."""
    c, ignore_index, reduction = params
    (gp, tp), (gb, tb) = _unwrap_all(inputs, level)
    gp, tp = _full(gp, gb, size), _full(tp, tb, size)
    if reduction != "none":
        if reduction == "mean":
            gp = gp / (tp != ignore_index).sum(1).to(gp.dtype)
        gp = gp.unsqueeze(1).expand(size, tp.shape[1])
    out = applyn(op, (_merge(gp, 0), _merge(tp, 0)), (c, ignore_index, "none"))
    return _split(out, 0, size)


# --- linear algebra -----------------------------------------------------------------------------
def _ldl_solve(fn, op, inputs, params, level, size, kernel, save):
    """(LD, B) with the pivots a parameter: batch dims broadcast in the kernel."""
    ld, b = inputs
    pl, bl = unwrap(ld, level)
    pb, bb = unwrap(b, level)
    piv = params[0]
    if type(piv) is Batched:
        if piv.level != level:
            return NotImplemented
        piv = _lift(piv.phys, True, piv.ndim, max(ld.ndim, b.ndim) - 1)._data
    rank = max(ld.ndim, b.ndim)
    return applyn(op, (_lift(pl, bl, ld.ndim, rank), _lift(pb, bb, b.ndim, rank)),
                  (piv,) + tuple(params[1:]))  # fmt: skip


def _eig_backward(fn, op, inputs, params, level, size, kernel, save):
    """(w, v, gw, gv): stacked matrices, every operand given the batch."""
    ps = tuple(_full(*unwrap(x, level), size) for x in inputs)
    return applyn(op, ps, params)


# --- index_put ------------------------------------------------------------------------------------
def _indexed_rank(ndim, idx):
    """The rank of x[idx] for x of rank ``ndim`` (idx a normalised index)."""
    out = 0
    consumed = 0
    adv = -1
    for i in idx:
        if i is None:
            out += 1
        elif isinstance(i, slice):
            out += 1
            consumed += 1
        elif i is Ellipsis:
            return None
        elif isinstance(i, Batched) or hasattr(i, "ndim"):
            if i.dtype.kind == "b":
                consumed += i.ndim
                adv = max(adv, 1)
            else:
                consumed += 1
                adv = max(adv, i.ndim)
        elif isinstance(i, bool):
            return None
        else:
            consumed += 1
    return out + max(adv, 0) + (ndim - consumed)


def _index_put(fn, op, inputs, params, level, size, kernel, save):
    """x with v written at idx: x given the batch, the index as getitem's, v lifted to the
    rank of x[idx] (batch first, then in the physical order of x[idx]'s dims)."""
    x, v = inputs
    idx, accumulate = params[0], params[1]
    rank = _indexed_rank(x.ndim, idx)
    got = _index(idx, level, size, x.ndim)
    if got is None or rank is None:
        return NotImplemented
    new, perm = got
    px = _full(*unwrap(x, level), size)
    pv, bv = unwrap(v, level)
    if bv or (perm is not None and isinstance(v, TensorBase)):
        if not bv:
            pv = _F.unsqueeze(pv, 0)
        pv = _permuted(_lift(pv, True, v.ndim, rank), perm, inverse=True)
    return apply2(op, px, pv, (new, accumulate) + tuple(params[2:]))


# --- data-dependent shapes: torch's vmap raises ---------------------------------------------------
def _dynamic(aten):
    def rule(fn, op, inputs, params, level, size, kernel, save):
        name = aten
        if aten == "_unique2" and params and params[0] is not None:
            name = "unique_dim"
        raise RuntimeError(
            "vmap: We do not support batching operators that can output dynamic shape. "
            f"Attempted to vmap over aten::{name}. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues if you need this feature."
        )

    return rule


# --- as_strided -------------------------------------------------------------------------------
def _as_strided(fn, op, inputs, params, level, size, kernel, save):
    """Each example's view from its own storage offset (that of the first plus the batch
    stride times its index): one view of the physical tensor with the batch stride in front.
    As torch's vmap, a view reaching outside its example's memory raises."""
    x = inputs[0]
    p, _ = unwrap(x, level)
    shape, stride, rel = params[0], params[1], params[2]
    first = p.storage_offset()
    ends = (first, first + sum((n - 1) * st for n, st in zip(x.shape, x.stride())) + 1)
    lo = first + rel
    got = (lo, lo + sum((n - 1) * st for n, st in zip(shape, stride)) + 1)
    if all(shape) and all(x.shape) and (got[0] < ends[0] or got[1] > ends[1]):
        raise RuntimeError(
            f"result = tensor.as_strided({list(shape)}, {list(stride)}, {lo}) can access memory "
            f"outside of `tensor`. `result` can access some memory in range [{got[0]}, "
            f"{got[1]}], but `tensor` can only access some memory in range [{ends[0]}, "
            f"{ends[1]}]. This is not supported inside of vmap, please try to rewrite the "
            "`as_strided` call as a sequence of PyTorch view operations"
        )
    in_stride = None if p.is_contiguous() else tuple(p.stride())
    return apply1(op, p, ((size,) + tuple(shape), (p.stride(0),) + tuple(stride), rel, in_stride))


# --- median over all entries ---------------------------------------------------------------------
def _median_all(fn, op, inputs, params, level, size, kernel, save):
    """median() / nanmedian() of each example: the lower median of its flattened row, plus a
    term that is zero in value and gives the gradient of torch's (split evenly among the
    entries equal to the median, NaN ones where it is NaN). An infinite median (inf - inf in
    that term) runs once per example."""
    if fn is not apply1:
        return NotImplemented
    p, _ = unwrap(inputs[0], level)
    flat = _F.reshape(p, (size, -1))
    xd = flat.detach()
    v = (_F.nanmedian if params[0] else _F.median)(xd, 1).values
    if not flat.dtype.is_floating_point:
        return v  # no gradient
    if _F.isinf(v)._data.any():
        return NotImplemented
    col = _F.unsqueeze(v, 1)
    mask = (xd == col) | (_F.isnan(xd) & _F.isnan(col))
    zero = _F.zeros((), dtype=flat.dtype, device=flat.device)
    return v + _F.sum(_F.where(mask, flat - xd, zero), 1) / _F.sum(mask, 1)


def _softmax_backward(fn, op, inputs, params, level, size, kernel, save):
    """softmax_backward / log_softmax_backward (y, g; dim): y and g have one logical shape;
    both batched, the dim shifted past the batch (0-d examples: along dim 1 of (B, 1))."""
    (yp, gp), (yb, gb) = _unwrap_all(inputs, level)
    y, g = _full(yp, yb, size), _full(gp, gb, size)
    if inputs[0].ndim == 0:
        out = apply2(op, _F.unsqueeze(y, 1), _F.unsqueeze(g, 1), (1,))
        return _F.reshape(out, (size,))
    return apply2(op, y, g, (params[0] + 1,))


def _fill():
    for name in ("softmax", "log_softmax"):
        RULES[name] = _along(0, False)
    RULES["softmax_backward"] = _softmax_backward
    RULES["log_softmax_backward"] = _softmax_backward
    RULES["unfold"] = _unfold
    RULES["im2col"] = _im2col
    RULES["col2im"] = _col2im
    RULES["conv_forward"] = _conv
    RULES["conv_input_grad"] = _conv
    RULES["conv_weight_grad"] = _conv_weight_grad
    RULES["max_pool"] = _max_pool
    RULES["max_pool_backward"] = _max_pool_backward
    RULES["lstm_cell_gates"] = _cell
    RULES["gru_cell_gates"] = _cell
    RULES["lstm_layer"] = _lstm_layer
    RULES["lstm_input"] = _lstm_input
    RULES["nll_rows"] = _nll_rows
    RULES["linear"] = _linear
    RULES["nll_rows_backward"] = _nll_rows_backward
    RULES["linalg_ldl_factor"] = _max_pool  # stacked matrices: the op on the physical tensor
    RULES["linalg_ldl_solve"] = _ldl_solve
    RULES["linalg_eig_backward"] = _eig_backward
    RULES["index_put"] = _index_put
    RULES["as_strided"] = _as_strided
    RULES["nanmedian"] = _median_all
    RULES["nonzero"] = _dynamic("nonzero")
    RULES["unique"] = _dynamic("_unique2")
    RULES["unique_consecutive"] = _dynamic("unique_consecutive")


_fill()
