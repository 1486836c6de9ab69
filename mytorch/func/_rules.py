"""vmap's batching rules, by op family (see mytorch.func._batched).

A rule receives the op application as the hook saw it (``fn`` one of apply1, apply2, applyn,
apply_multi, applyn_multi; the inputs, some batched at ``level``; the parameters, computed by
the op's function from the logical shapes) and returns the physical result, batch in dim 0, or
NotImplemented to fall back to the per-example loop. A rule works on the physical tensors with
mytorch ops, which go through the hook again for lower levels.
"""

from mytorch._applyn import apply_multi, applyn
from mytorch._core import TensorBase, apply1, apply2
from mytorch._registry import KIND_BINARY, KIND_COMPARE, KIND_DIV, OPS
from mytorch._registry import F as _F
from mytorch.func._batched import RULES, Batched, call, unwrap


# --- helpers ------------------------------------------------------------------------------------
def _lift(p, batched, r, rank):
    """Physical ``p`` (batch in front, logical rank ``r``) with ones inserted after the batch dim
    up to logical rank ``rank`` (so it broadcasts as its logical self against the others)."""
    if not batched or r >= rank:
        return p
    s = tuple(p.shape)
    return _F.reshape(p, (s[0],) + (1,) * (rank - r) + s[1:])


def _full(x, batched, size):
    """``x`` as a physical batched tensor (an unbatched one expanded along a new dim 0)."""
    if batched:
        return x
    return _F.expand(_F.unsqueeze(x, 0), (size,) + tuple(x.shape))


def _unwrap_all(inputs, level):
    ps = []
    bs = []
    for x in inputs:
        p, b = unwrap(x, level)
        ps.append(p)
        bs.append(b)
    return ps, bs


def _rank(x):
    return x.ndim if isinstance(x, TensorBase) else 0


def _has_tensor(params):
    for p in params:
        if isinstance(p, (TensorBase, Batched)):
            return True
        if type(p) is tuple and _has_tensor(p):
            return True
    return False


# --- pointwise ----------------------------------------------------------------------------------
def _unary(fn, op, inputs, params, level, size, kernel, save):
    """One input, no dims in the parameters: the op on the physical tensor."""
    if fn is not apply1 or _has_tensor(params):
        return NotImplemented
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, params)


def _broadcasting(fn, op, inputs, params, level, size, kernel, save):
    """Pointwise ops over several operands (broadcasting): batch dims aligned in front."""
    if _has_tensor(params):
        return NotImplemented
    rank = max(_rank(x) for x in inputs)
    ps = []
    for x in inputs:
        p, b = unwrap(x, level)
        ps.append(_lift(p, b, _rank(x), rank))
    return call(fn, op, ps, params, kernel, save)


# --- reductions and ops along dims ----------------------------------------------------------------
def _shift_dims(dims, r):
    if dims is None:
        return tuple(range(1, r + 1))
    if isinstance(dims, int):
        return dims + 1
    return tuple(d + 1 for d in dims)


def _along(index, none_ok=True):
    """Ops whose parameter ``index`` is a dim or a tuple of dims (None: all dims)."""

    def rule(fn, op, inputs, params, level, size, kernel, save):
        if fn not in (apply1, apply_multi) or _has_tensor(params):
            return NotImplemented
        x = inputs[0]
        dims = params[index]
        if type(dims) is bool or (dims is None and not none_ok):
            return NotImplemented
        p, _ = unwrap(x, level)
        if isinstance(dims, int) and x.ndim == 0:
            if not none_ok:  # along dim 0 of a 0-d input: a 1-element dim of its own
                return _along_0d(fn, op, p, params, index, size, kernel, save)
            dims = None  # a 0-d input's dim 0 is itself
        new = list(params)
        new[index] = _shift_dims(dims, x.ndim)
        return call(fn, op, [p], tuple(new), kernel, save)

    return rule


def _along_0d(fn, op, p, params, index, size, kernel, save):
    """An op along dim 0 (or -1) of 0-d examples: run along dim 1 of (B, 1), each result
    (logically 0-d) reshaped to (B,)."""
    new = list(params)
    new[index] = 1
    out = call(fn, op, [_F.unsqueeze(p, 1)], tuple(new), kernel, save)
    if isinstance(out, (tuple, list)):
        return type(out)(_F.reshape(o, (size,)) for o in out)
    return _F.reshape(out, (size,))


def _argext(fn, op, inputs, params, level, size, kernel, save):
    """argmax/argmin: (dim, keepdim); without a dim, over the flattened example."""
    x = inputs[0]
    d, keepdim = params[0], params[1]
    p, _ = unwrap(x, level)
    if d is None:
        if keepdim:
            return NotImplemented
        return apply1(op, _F.reshape(p, (size, -1)), (1, False) + tuple(params[2:]))
    if x.ndim == 0:
        return _along_0d(fn, op, p, params, 0, size, kernel, save)
    return apply1(op, p, (d + 1, keepdim) + tuple(params[2:]))


# --- shapes and views ---------------------------------------------------------------------------
def _reshape(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, ((size,) + tuple(params[0]),) + tuple(params[1:]))


def _expand(fn, op, inputs, params, level, size, kernel, save):
    x = inputs[0]
    shape = tuple(params[0])
    p, _ = unwrap(x, level)
    p = _lift(p, True, x.ndim, len(shape))
    return apply1(op, p, ((size,) + shape,) + tuple(params[1:]))


def _transpose(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, (params[0] + 1, params[1] + 1))


def _permute(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, ((0,) + tuple(d + 1 for d in params[0]),))


def _diagonal(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    return apply1(op, p, (params[0], params[1] + 1, params[2] + 1))


def _sum_to(fn, op, inputs, params, level, size, kernel, save):
    x = inputs[0]
    shape = tuple(params[0])
    p, _ = unwrap(x, level)
    extra = x.ndim - len(shape)
    if extra > 0:
        p = _F.sum(p, tuple(range(1, extra + 1)))
    return apply1(op, p, ((size,) + shape,))


def _is_advanced(i):
    return isinstance(i, Batched) or (hasattr(i, "ndim") and hasattr(i, "dtype"))


def _raise_if_batched_mask(idx):
    """torch's vmap refuses a boolean mask batched at any level (a shape per example)."""
    for i in idx:
        if isinstance(i, Batched) and i.dtype.kind == "b":
            raise RuntimeError(
                "vmap: We do not support batching operators that can support dynamic shape. "
                "Attempting to batch over indexing with a boolean mask."
            )


def _before(idx, first, ndim):
    """The number of result dims that the entries of ``idx`` before ``first`` make (x of rank
    ``ndim``): a slice or None one each, an Ellipsis the dims nothing else consumes."""
    consumed = 0
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        consumed += i.ndim if _is_advanced(i) and i.dtype.kind == "b" else 1
    n = 0
    for i in idx[:first]:
        if i is Ellipsis:
            n += ndim - consumed
        elif i is None or isinstance(i, slice):
            n += 1
    return n


def _index(idx, level, size, ndim):
    """(the physical index of a logical one on x of logical rank ``ndim``, the permutation that
    puts the physical result's dims in the logical order, batch first (None: the same)); None
    where only the fallback can do it. NumPy puts the broadcast dims of advanced indices that
    slices, None or an Ellipsis separate (and of a batched one, which the batch rows' index
    joins in front) first."""
    _raise_if_batched_mask(idx)
    arrays = [k for k, i in enumerate(idx) if _is_advanced(i)]
    adv = [k for k, i in enumerate(idx)
           if k in arrays or isinstance(i, bool) or (arrays and isinstance(i, int))]  # fmt: skip
    if not adv:
        return (slice(None),) + tuple(idx), None
    separated = adv != list(range(adv[0], adv[-1] + 1))
    if any(isinstance(idx[k], bool) for k in adv) and (separated or len(adv) > 1):
        return None
    rank = 0
    for k in arrays:
        i = idx[k]
        rank = max(rank, 1 if i.dtype.kind == "b" else i.ndim)
    if not any(isinstance(idx[k], Batched) for k in arrays):
        if not separated:
            return (slice(None),) + tuple(idx), None
        # physically (*advanced, batch, *rest): the batch back in front
        return (slice(None),) + tuple(idx), (rank,) + tuple(range(rank))
    new = list(idx)
    like = None
    for k in arrays:
        i = idx[k]
        if isinstance(i, Batched):
            if i.level != level or type(i.phys._data) is Batched:
                return None
            a = i.phys._data
            new[k] = a.reshape((size,) + (1,) * (rank - a.ndim + 1) + a.shape[1:])
            like = a
        elif i.dtype.kind == "b":
            return None  # an unbatched mask beside a batched index
    rows = _F.arange(size, device=_F.as_tensor(like).device)._data
    rows = rows.reshape((size,) + (1,) * rank)
    new = (rows,) + tuple(new)
    if separated or adv[0] == 0:
        return new, None  # physically (batch, *advanced, *rest), as logically
    # logically (*pre, *advanced, *post); physically (batch, *advanced, *pre, *post)
    p = _before(idx, adv[0], ndim)
    perm = (0,) + tuple(range(rank + 1, rank + 1 + p)) + tuple(range(1, rank + 1))
    return new, perm


def _inverse(perm):
    out = [0] * len(perm)
    for k, d in enumerate(perm):
        out[d] = k
    return tuple(out)


def _permuted(t, perm, inverse=False):
    """``t`` with its leading dims permuted by ``perm`` (the rest kept)."""
    if perm is None:
        return t
    perm = _inverse(perm) if inverse else perm
    return _F.permute(t, perm + tuple(range(len(perm), t.ndim)))


def _getitem(fn, op, inputs, params, level, size, kernel, save):
    x = inputs[0]
    p, b = unwrap(x, level)
    idx = params[0]
    got = _index(idx, level, size, x.ndim)
    if got is None:
        return NotImplemented
    new, perm = got
    if not b:
        p = _full(p, False, size)
    basic = params[1] and not any(isinstance(i, Batched) for i in idx)
    return _permuted(apply1(op, p, (new, basic) + tuple(params[2:])), perm)


def _index_backward(fn, op, inputs, params, level, size, kernel, save):
    """getitem's VJP: (grad, (shape, index, basic)), the index unbatched."""
    shape, idx = params[0], params[1]
    if any(isinstance(i, Batched) for i in idx):
        return NotImplemented
    got = _index(idx, level, size, len(shape))
    if got is None:
        return NotImplemented
    new, perm = got
    p, _ = unwrap(inputs[0], level)
    p = _permuted(p, perm, inverse=True)
    return apply1(op, p, ((size,) + tuple(shape), new) + tuple(params[2:]))


def _cat(fn, op, inputs, params, level, size, kernel, save):
    if fn is not applyn:
        return NotImplemented
    if op.name == "cat" and any(x.ndim == 0 or tuple(x.shape) == (0,) for x in inputs):
        return NotImplemented  # torch's errors, and its legacy empty 1-d operands
    ps = [_full(*unwrap(x, level), size) for x in inputs]
    return applyn(op, tuple(ps), (params[0] + 1,) + tuple(params[1:]))


def _split(fn, op, inputs, params, level, size, kernel, save):
    p, _ = unwrap(inputs[0], level)
    if op.name == "unbind":
        return tuple(_F.unbind(p, params[0] + 1))
    return tuple(_F.split(p, list(params[0]), params[1] + 1))


# --- products -----------------------------------------------------------------------------------
def _matmul(fn, op, inputs, params, level, size, kernel, save):
    """matmul with either operand batched: vectors become matrices, the batch dims of both
    aligned in front, the result's vector dims squeezed again."""
    a, b = inputs
    pa, ba = unwrap(a, level)
    pb, bb = unwrap(b, level)
    ra, rb = a.ndim, b.ndim
    if ra == 0 or rb == 0:
        return NotImplemented
    if not bb and ra >= 2:
        return apply2(op, _lift(pa, True, ra, rb), pb, params)  # rows of the batch stacked
    if not ba and rb == 1:
        # A @ v for a batch of vectors: (v_b as columns) then squeezed
        pb = _F.unsqueeze(pb, -1)
        pb = _lift(pb, True, 2, ra)
        return _F.squeeze(apply2(op, pa, pb, params), -1)
    sq = []
    if ra == 1:
        pa = _F.unsqueeze(pa, -2) if ba else _F.unsqueeze(pa, 0)
        ra = 2
        sq.append(-2)
    if rb == 1:
        pb = _F.unsqueeze(pb, -1) if bb else _F.unsqueeze(pb, 1)
        rb = 2
        sq.append(-1)
    rank = max(ra, rb)
    pa = _lift(pa, ba, ra, rank)
    pb = _lift(pb, bb, rb, rank)
    out = apply2(op, pa, pb, params)
    for d in sorted(sq):
        out = _F.squeeze(out, d)
    return out


def _einsum(fn, op, inputs, params, level, size, kernel, save):
    """einsum: a label of its own for the batch, in front of the batched operands' subscripts
    and of the output's."""
    eq = params[0]
    lhs, out = eq.split("->")
    free = [c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in eq]
    if not free or "." in eq:
        return NotImplemented
    b = free[0]
    ps = []
    subs = []
    for x, sub in zip(inputs, lhs.split(",")):
        p, batched = unwrap(x, level)
        ps.append(p)
        subs.append(b + sub if batched else sub)
    return applyn(op, tuple(ps), (",".join(subs) + "->" + b + out,) + tuple(params[1:]))


def _matrix(fn, op, inputs, params, level, size, kernel, save):
    """Linear algebra on the last two dims, batch dims allowed (inv, det, eigh, svd, ...)."""
    if fn not in (apply1, apply_multi) or _has_tensor(params):
        return NotImplemented
    p, _ = unwrap(inputs[0], level)
    return call(fn, op, [p], params, kernel, save)


def _copy(fn, op, inputs, params, level, size, kernel, save):
    """copy(input, src): src's values in input's shape and dtype."""
    (px, bx), (ps, bs) = unwrap(inputs[0], level), unwrap(inputs[1], level)
    px = _full(px, bx, size)
    return apply2(op, px, _lift(ps, bs, _rank(inputs[1]), inputs[0].ndim), params)


# --- the table ----------------------------------------------------------------------------------
_UNARY = (
    "to_dtype", "to_device", "clone", "bitwise_not", "isnan", "isinf", "isfinite", "isneginf",
    "isposinf", "signbit", "logical_not", "conj_physical", "angle", "real", "imag", "triu", "tril",
)  # fmt: skip
_MATRIX = (
    "linalg_inv", "linalg_det", "linalg_slogdet", "linalg_cholesky", "linalg_matrix_exp",
    "linalg_eigh", "linalg_qr", "linalg_svd", "linalg_pinv", "linalg_lu_factor", "linalg_eig",
)  # fmt: skip
_NOT_POINTWISE2 = ("conv_forward", "conv_input_grad", "conv_weight_grad", "matmul", "copy")


def _fill():
    for name, op in OPS.items():
        if op.elementwise or name in _UNARY:
            RULES[name] = _unary
        elif op.kind in (KIND_BINARY, KIND_DIV, KIND_COMPARE) and name not in _NOT_POINTWISE2:
            RULES[name] = _broadcasting
    RULES["where"] = _broadcasting
    for name in ("sum", "mean", "amax", "amin", "all", "any", "prod"):
        RULES[name] = _along(0)
    RULES["var"] = _along(0)
    RULES["linalg_vector_norm"] = _along(1)
    for name in ("cumsum", "cumprod", "cummax", "cummin", "sort", "flip", "logcumsumexp"):
        RULES[name] = _along(0, False)
    for name in ("max", "min", "median", "mode"):
        RULES[name] = _along(0, False)
    RULES["topk"] = _along(1, False)
    RULES["roll"] = _along(1, False)
    RULES["argmax"] = _argext
    RULES["argmin"] = _argext
    RULES["reshape"] = _reshape
    RULES["expand"] = _expand
    RULES["transpose"] = _transpose
    RULES["permute"] = _permute
    RULES["diagonal"] = _diagonal
    RULES["sum_to"] = _sum_to
    RULES["getitem"] = _getitem
    RULES["index_backward"] = _index_backward
    RULES["cat"] = _cat
    RULES["stack"] = _cat
    RULES["split"] = _split
    RULES["unbind"] = _split
    RULES["matmul"] = _matmul
    RULES["einsum"] = _einsum
    RULES["copy"] = _copy
    for name in _MATRIX:
        RULES[name] = _matrix
    for name in ("linalg_solve", "linalg_solve_triangular"):
        RULES[name] = _broadcasting


_fill()
