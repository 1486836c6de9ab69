"""Attention in nn.functional: scaled_dot_product_attention and multi_head_attention_forward,
composites of matmul, softmax and where (so derivatives of any order are theirs). In
scaled_dot_product_attention, rows that a mask shuts entirely give zeros, as torch's CPU kernels
do (its "safe softmax"), with zero gradients.
"""

import warnings

import math

from mytorch import _dtype as D
from mytorch._ops._declare import composite
from mytorch._ops.nn_linear import linear
from mytorch._ops.nn_misc import dropout
from mytorch._ops.indexing import cat, split
from mytorch._ops.pointwise import where
from mytorch._out import C_NAMES

NN = "nn.functional"
_NEG_INF = float("-inf")


def _c_name(dtype):
    return C_NAMES.get(dtype, str(dtype).replace("torch.", "").replace("mytorch.", ""))


def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal):
    nq, nk, nv = query.ndim, key.ndim, value.ndim
    if min(nq, nk, nv) < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {nq} key.dim: {nk} and value.dim: {nv} instead."
        )
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c_name(query.dtype)} key.dtype: {_c_name(key.dtype)} and value.dtype: "
            f"{_c_name(value.dtype)} instead."
        )
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Float but found {query.dtype.title}")
    if attn_mask is not None:
        md = attn_mask.dtype
        if md is not D.bool_ and md is not D.float32 and md is not query.dtype:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {_c_name(md)} and  query.dtype: {_c_name(query.dtype)} "
                "instead."
            )
        if is_causal and query.shape[-1] != value.shape[-1]:
            # NOTE: torch 2.13's CPU kernels apply both where the head sizes agree, and raise
            # (as its docs say) where they do not.
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
    if dropout_p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_heads(t, heads, what):
    """Key or value with its heads (dim -3) repeated to ``heads`` (grouped-query attention)."""
    h = t.shape[-3]
    if heads % h:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in query"
        )
    return t if h == heads else t.repeat_interleave(heads // h, dim=-3)


@composite(namespace=NN)
def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
    enable_gqa=False,
):  # fmt: skip
    """softmax(query @ key^T * scale + mask) @ value, over the last two dimensions (the rest
    broadcast). Matches torch.nn.functional.scaled_dot_product_attention: a bool ``attn_mask``
    says which positions take part (True), a float one is added to the scores; ``is_causal``
    keeps position j <= i (with a mask too: both apply); ``dropout_p`` drops attention weights (always, as torch does)."""
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa:
        heads = query.shape[-3]
        key = _repeat_heads(key, heads, "key")
        value = _repeat_heads(value, heads, "value")
    L, S = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    # NOTE: the scale on the smaller operand: (L, E) rather than the (L, S) scores.
    if L * query.shape[-1] <= L * S:
        scores = (query * scale).matmul(key.transpose(-2, -1))
    else:
        scores = query.matmul(key.transpose(-2, -1)) * scale
    keep = None  # bool: which scores take part
    if is_causal:
        keep = query.new_ones((L, S), dtype=D.bool_).tril()
    allowed = None  # bool, of the mask's shape: the positions a mask leaves in
    if attn_mask is not None:
        if attn_mask.dtype is D.bool_:
            allowed = attn_mask
            keep = attn_mask if keep is None else keep.logical_and(attn_mask)
        else:
            scores = scores + attn_mask
            allowed = attn_mask != _NEG_INF
        if is_causal:
            allowed = allowed.logical_and(query.new_ones((L, S), dtype=D.bool_).tril())
    # NOTE: a causal mask alone shuts no row (row i keeps position 0)
    if keep is not None:
        scores = where(keep, scores, _NEG_INF)
    dead = None if allowed is None else allowed.any(-1, keepdim=True).logical_not()
    if dead is not None and not bool(dead.any()):
        dead = None
    if dead is not None:
        scores = where(dead, 0.0, scores)
    attn = scores.softmax(-1)
    if dead is not None:
        attn = where(dead, 0.0, attn)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


# --- multi-head attention ----------------------------------------------------------------------
def _none_or_dtype(t):
    return None if t is None else t.dtype


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True: left out) as a float one of ``target_type`` (-inf where True); a float
    mask as it is. torch's rules: other dtypes are refused, masks of two types warn."""
    if mask is None:
        return None
    if mask.dtype is not D.bool_ and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            stacklevel=3,
        )
    if mask.dtype is D.bool_:
        return where(mask, _NEG_INF, mask.new_zeros((), dtype=target_type))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (a 3-D query) or not (2-D); torch's AssertionErrors."""
    nd = query.ndim
    if nd not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {nd}-D query tensor"
        )
    kind = "batched (3-D)" if nd == 3 else "unbatched (2-D)"
    if key.ndim != nd or value.ndim != nd:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {nd}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != nd - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or {nd - 1}-D but "
            f"found {key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(
                f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                f"{attn_mask.ndim}-D tensor instead"
            )
        if nd == 2 and attn_mask.ndim == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                )
    return nd == 3


def _in_projection(query, key, value, w, b, separate):
    """q, k, v: the packed weight ``w`` (3E, E) in one GEMM where query, key and value are one
    tensor (in two where key is value), or three weights ``separate``."""
    E = query.shape[-1]
    if separate is None:
        if key is value:
            if query is key:
                # NOTE: one split Node: three slices would each give their gradient as zeros
                # of qkv's whole shape
                return tuple(split(linear(query, w, b), E, -1))
            bq, bkv = (None, None) if b is None else (b[:E], b[E:])
            kv = linear(key, w[E:], bkv)
            return linear(query, w[:E], bq), kv[..., :E], kv[..., E:]
        ws = (w[:E], w[E : 2 * E], w[2 * E :])
    else:
        ws = separate
        for x, wx, name in zip((query, key, value), ws, ("query", "key", "value")):
            want = (E, x.shape[-1])
            if tuple(wx.shape) != want:
                raise AssertionError(
                    f"expecting {name} weights shape of {want}, but got {tuple(wx.shape)}"
                )
    bs = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
    return tuple(linear(x, wx, bx) for x, wx, bx in zip((query, key, value), ws, bs))


def _pad_last(t):
    """``t`` with one zero appended along its last dimension (a mask gaining a key)."""
    return None if t is None else cat([t, t.new_zeros(tuple(t.shape[:-1]) + (1,))], -1)


def _heads(t, name, static, bh, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim), or the ``static`` one given in its place."""
    if static is None:
        return t.reshape(t.shape[0], bh, head_dim).transpose(0, 1)
    if static.shape[0] != bh:
        raise AssertionError(f"expecting static_{name}.size(0) of {bh}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(
            f"expecting static_{name}.size(2) of {head_dim}, but got {static.shape[2]}"
        )
    return static


@composite(namespace=NN)
def multi_head_attention_forward(
    query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
    bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True,
    key_padding_mask=None, need_weights=True, attn_mask=None, use_separate_proj_weight=False,
    q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
    average_attn_weights=True, is_causal=False,
):  # fmt: skip
    """Multi-head attention of (L, N, E) query, (S, N, kdim) key and (S, N, vdim) value (or
    unbatched (L, E), ...). Returns (output, weights or None). Matches
    torch.nn.functional.multi_head_attention_forward (masks: True = left out)."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        same_kv, same_qk = key is value, query is key
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention's is_causal stands for it
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is not causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        for w, n in ((q_proj_weight, "q"), (k_proj_weight, "k"), (v_proj_weight, "v")):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {n}_proj_weight is None"
                )
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, key.shape[0]):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, key.shape[0])}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, key.shape[0]):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, key.shape[0])}."
            )
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    bh = bsz * num_heads
    q = q.reshape(tgt_len, bh, head_dim).transpose(0, 1)
    k = _heads(k, "k", static_k, bh, head_dim)
    v = _heads(v, "v", static_v, bh, head_dim)
    if add_zero_attn:
        k = cat([k, k.new_zeros((bh, 1, head_dim))], 1)
        v = cat([v, v.new_zeros((bh, 1, head_dim))], 1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bh, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        out = weights.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not batched:
        out = out.squeeze(1)
    return out, None


__all__ = []
INTERNAL = []
