"""Products: einsum (a primitive, its VJP einsums with the subscripts permuted), and the
products written in matmul and einsum (mv, vdot, inner, addmm, addbmm, baddbmm, addmv, addr,
tensordot, kron, cross, chain_matmul, linalg.multi_dot, matrix_power)."""

import string
import warnings

from mytorch._aliases import numpy_axis
from mytorch import _backends
from mytorch._applyn import applyn
from mytorch._autocast import STATE as _AUTOCAST
from mytorch._autocast import cast as _autocast_cast
from mytorch._core import SAVE_XY, TensorBase, _wrap
from mytorch._ops._declare import composite, declare, defop
from mytorch._out import C_NAMES, check_out, same_dtype, write_out
from mytorch._dtype import bool_
from mytorch._ops.creation import zeros
from mytorch._ops.indexing import stack
from mytorch._ops.linalg import bmm, matmul, mm
from mytorch._ops.pointwise import where
from mytorch._ops.shape import expand, reshape, unsqueeze
from mytorch._size import _wrap_dim

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


# --- einsum -------------------------------------------------------------------------------------
def _parse(equation, shapes):
    """The equation made explicit: one label string per operand and the output's, with each
    ellipsis spelled out in letters the equation does not use."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if len(terms) < len(shapes)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    free = [c for c in _LETTERS if c not in eq]
    n_ell = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            n_ell = max(n_ell, len(s) - (len(t) - 3))
    ell = "".join(free[:n_ell])
    subs = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[n_ell - k :] if k else "")
        for c in t:
            if c not in _LETTERS:
                raise RuntimeError(
                    "einsum(): invalid subscript given in the equation string, subscripts must "
                    "be in [a-zA-Z]"
                )
        if len(t) != len(s):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(t)}) does not match "
                f"the number of dimensions ({len(s)}) for operand {len(subs)}"
                + ("" if "..." in lhs else " and no ellipsis was given")
            )
        subs.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for t in subs:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return subs, out


def _einsum_vjp(n, g):
    ops = n.inputs
    subs, out = n.params[0].split("->")
    subs = subs.split(",")
    used = set("".join(subs))
    spare = iter(c for c in _LETTERS if c not in used)
    grads = []
    for k, t in enumerate(ops):
        if not n._wants(k):
            grads.append(None)
            continue
        terms, operands = [out], [g]
        for j, (s, o) in enumerate(zip(subs, ops)):
            if j != k:
                terms.append(s)
                operands.append(o)
        sizes = dict(zip(subs[k], t.shape))
        # a label repeated in this operand (a diagonal) gets a fresh letter tied by an identity
        target, seen = [], set()
        for c in subs[k]:
            if c in seen:
                fresh = next(spare)
                terms.append(c + fresh)
                be = _backends.for_array(t._data)
                operands.append(_wrap(be.eye(sizes[c], sizes[c], t._data.dtype)))
                target.append(fresh)
            else:
                seen.add(c)
                target.append(c)
        have = set("".join(terms))
        kept = "".join(c for c in target if c in have)
        gk = einsum(",".join(terms) + "->" + kept, *operands)
        if len(kept) != len(target):  # labels summed over in this operand alone
            gk = reshape(gk, tuple(sizes[c] if c in have else 1 for c in subs[k]))
            gk = expand(gk, tuple(t.shape))
        grads.append(gk)
    return tuple(grads)


EINSUM = defop("einsum", _einsum_vjp, SAVE_XY, node_name="EinsumBackward0")


def einsum(equation, *operands):
    """Matches torch.einsum(equation, *operands) (operands may be one list); NumPy's path
    optimisation contracts three or more operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for o in operands:
        if not isinstance(o, TensorBase):
            raise TypeError(f"einsum(): operands must be Tensors, not {type(o).__name__}")
    subs, out = _parse(equation, [o._data.shape for o in operands])
    eq = ",".join(subs) + "->" + out
    try:
        return applyn(EINSUM, tuple(operands), (eq,))
    except ValueError as e:  # sizes of one subscript that do not broadcast: torch's class
        raise RuntimeError(f"einsum(): {e}") from None


declare(einsum, op=EINSUM)


# --- matrix and vector products written in matmul ---------------------------------------------
def _scaled(t, s):
    return t if s == 1 else t * s


def _add_scaled(input, prod, beta, alpha, name):
    """beta * input + alpha * prod, input ignored (NaN and all) where beta is 0, as in torch."""
    r = _scaled(prod, alpha)
    if beta == 0:  # input still in the graph, with a zero gradient
        return where(zeros(r.shape, dtype=bool_, device=r.device), input, r)
    return r + _scaled(input, beta)


@composite(method=True)
def mv(input, vec):
    """Matches torch.mv."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {1}, {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


@composite(method=True)
def vdot(input, other):
    """Matches torch.vdot (real tensors: dot)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)


@composite(method=True)
def inner(input, other):
    """Matches torch.inner: the products summed over the last dims."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    a = _LETTERS[: input.ndim - 1]
    b = _LETTERS[input.ndim - 1 : input.ndim + other.ndim - 2]
    return einsum(f"{a}z,{b}z->{a}{b}", input, other)


@composite(method=True, inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """Matches torch.addmm: beta * input + alpha * (mat1 @ mat2)."""
    if _AUTOCAST.on:
        input, mat1, mat2 = _autocast_cast(input, mat1, mat2)
    return _add_scaled(input, mm(mat1, mat2), beta, alpha, "addmm")


@composite(method=True, inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """Matches torch.addbmm: beta * input + alpha * sum_b (batch1[b] @ batch2[b])."""
    if _AUTOCAST.on:
        input, batch1, batch2 = _autocast_cast(input, batch1, batch2)
    return _add_scaled(input, bmm(batch1, batch2).sum(0), beta, alpha, "addbmm")


@composite(method=True, inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """Matches torch.baddbmm: beta * input + alpha * (batch1 @ batch2), batched."""
    if _AUTOCAST.on:
        input, batch1, batch2 = _autocast_cast(input, batch1, batch2)
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


@composite(method=True, inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """Matches torch.addmv: beta * input + alpha * (mat @ vec)."""
    return _add_scaled(input, mv(mat, vec), beta, alpha, "addmv")


@composite(method=True, inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """Matches torch.addr: beta * input + alpha * outer(vec1, vec2)."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(
            f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
            if vec1.ndim != 1
            else f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D"
        )
    return _add_scaled(input, unsqueeze(vec1, 1) * vec2, beta, alpha, "addr")


@composite()
def tensordot(a, b, dims=2, out=None):
    """Matches torch.tensordot: dims an int (the last of a with the first of b) or two lists."""
    if isinstance(dims, TensorBase):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    la = list(_LETTERS[: a.ndim])
    lb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db):
        i, j = _wrap_dim(i, a.ndim), _wrap_dim(j, b.ndim)
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim "
                f"{i} and second has size {b.shape[j]} in dim {j}"
            )
        lb[j] = la[i]
    shared = set(la) & set(lb)
    outl = [c for c in la if c not in shared] + [c for c in lb if c not in shared]
    return einsum("".join(la) + "," + "".join(lb) + "->" + "".join(outl), a, b)


@composite(method=True)
def kron(input, other):
    """Matches torch.kron: every product input[i] * other[j] at index i * other.shape + j."""
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = reshape(input, tuple(v for s in sa for v in (s, 1)))
    b = reshape(other, tuple(v for s in sb for v in (1, s)))
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))


def _cross(input, other, d):
    a1, a2, a3 = input.unbind(d)
    b1, b2, b3 = other.unbind(d)
    return stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], d)


def _check_cross(input, other, d, nd):
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d - nd if d >= 0 else d} must have length 3. "
            f"Got {input.shape[d]} and {other.shape[d]}"
        )


@composite(namespace="linalg", name="cross", out=True)
@numpy_axis
def linalg_cross(input, other, *, dim=-1, out=None):
    """Matches torch.linalg.cross (inputs broadcast, dim -1 by default)."""
    if out is not None:
        check_out("linalg_cross", out, (input, other))
        return write_out(out, linalg_cross(input, other, dim=dim), same_dtype)
    nd = max(input.ndim, other.ndim)
    d = _wrap_dim(dim, nd)
    _check_cross(input, other, d, nd)
    return _cross(input, other, d)


@composite(method=True, out=True)
@numpy_axis
def cross(input, other, dim=None, *, out=None):
    """Matches torch.cross: dim None picks the first dim of size 3 (torch warns)."""
    if out is not None:
        check_out("cross", out, (input, other))
        return write_out(out, cross(input, other, dim), same_dtype)
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = (input * 0 + other * 0).shape if input.shape != other.shape else input.shape
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    nd = max(input.ndim, other.ndim)
    d = _wrap_dim(dim, nd)
    _check_cross(input, other, d, nd)
    return _cross(input, other, d)


def _chain_order(shapes):
    """The cheapest order of a chain of matrix products (dynamic programming); split[i][j]."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _multiply(ms, split, i, j):
    if i == j:
        return ms[i]
    k = split[i][j]
    return mm(_multiply(ms, split, i, k), _multiply(ms, split, k + 1, j))


def _multi_dot_rule(result, out):
    if result is not out:
        return RuntimeError(
            f"multi_dot(): expected out tensor to have dtype {C_NAMES[result]} but got "
            f"{C_NAMES[out]}"
        )
    return None


@composite(namespace="linalg", out=True)
def multi_dot(tensors, *, out=None):
    """Matches torch.linalg.multi_dot: the first and last may be vectors; the cheapest order."""
    ms = list(tensors)
    if out is not None:
        check_out("linalg_multi_dot", out, ms)
        return write_out(out, multi_dot(ms), _multi_dot_rule)
    if len(ms) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ms)}")
    first_vec, last_vec = ms[0].ndim == 1, ms[-1].ndim == 1
    if first_vec:
        ms[0] = unsqueeze(ms[0], 0)
    if last_vec:
        ms[-1] = unsqueeze(ms[-1], 1)
    for i, m in enumerate(ms):
        if m.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {m.ndim}D")
    r = _multiply(ms, _chain_order([tuple(m.shape) for m in ms]), 0, len(ms) - 1)
    if first_vec and last_vec:
        return reshape(r, ())
    if first_vec:
        return reshape(r, (r.shape[1],))
    if last_vec:
        return reshape(r, (r.shape[0],))
    return r


@composite(out=True)
def chain_matmul(*matrices, out=None):
    """Matches torch.chain_matmul (deprecated in torch: linalg.multi_dot)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
        "than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1:
        r = matrices[0].clone()
    else:
        r = multi_dot(matrices)
    if out is not None:
        check_out("chain_matmul", out, matrices)
        return write_out(out, r, same_dtype)
    return r


__all__ = []
INTERNAL = []
