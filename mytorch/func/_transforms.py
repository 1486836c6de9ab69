"""mytorch.func's autograd transforms: grad, grad_and_value, vjp, jvp, linearize, jacrev,
jacfwd, hessian, as torch.func's.

They differentiate the physical computation (mytorch.func._batched): an input is taken to the
plain tensor under its wrappers, with a dim for every vmap level active when the transform
starts (an input not batched at a level is expanded along it, so that each example gets its own
gradient), and a fresh differentiable alias of it is what the function sees. A VJP function
called inside vmaps that started later (jacrev: vmap over the VJP with the identity's rows) runs
backward ONCE with the cotangents batched at those levels: the engine's VJPs go through vmap's
batching rules.

A result is differentiable again (create_graph) while it is computed inside another transform
or from inputs that require grad; at the outermost level it is detached, as torch's.
"""

import functools

from mytorch._autograd import grad as _autograd_grad
from mytorch._core import TensorBase
from mytorch._grad_mode import enable_grad
from mytorch._registry import F as _F
from mytorch._size import Size
from mytorch.autograd import forward_ad as _fwad
from mytorch.func._batched import LEVELS, rewrap, to_full
from mytorch.func._vmap import tree_flatten, tree_unflatten, vmap

_DEPTH = [0]  # transforms being evaluated (their results keep their graph)


def _active():
    return [(lv[0], lv[1]) for lv in LEVELS]


def _leaf(p, keep):
    """A differentiable stand-in for plain ``p``: an alias in its graph (``keep``), else a new
    leaf."""
    if keep and p.requires_grad:
        return p.view_as(p)
    tangent = _fwad.unpack_dual(p).tangent if keep else None
    leaf = p.detach().requires_grad_(True)
    if tangent is not None:  # forward over reverse (hessian): the leaf keeps p's tangent
        return _fwad.make_dual(leaf, tangent)
    return leaf


def _argnums(args, argnums, fname):
    if isinstance(argnums, int):
        if not -len(args) <= argnums < len(args):
            raise RuntimeError(
                f"Got argnums={argnums} but only {len(args)} positional inputs"
            )  # fmt: skip
        return argnums % len(args), True
    if not isinstance(argnums, tuple) or not argnums:
        raise RuntimeError(
            f"{fname}: argnums must be int or Tuple[int, ...], got: {type(argnums)}"
        )  # fmt: skip
    return tuple(a % len(args) for a in argnums), False


def _outer_needs_graph(leaves):
    """Whether results must stay differentiable: inside another transform, under an open
    forward-AD level, or from inputs that require grad."""
    return _DEPTH[0] > 0 or _fwad._state["level"] >= 0 or any(x.requires_grad for x in leaves)


def _finish(x, keep):
    if isinstance(x, TensorBase) and not keep:
        return x.detach()
    return x


# --- vjp ----------------------------------------------------------------------------------------
def _vjp_core(func, primals, has_aux, fname):
    """(output, vjp function, aux), the output and aux as the function returned them."""
    active = _active()
    flat, spec = tree_flatten(tuple(primals))
    for x in flat:
        if not isinstance(x, TensorBase):
            raise RuntimeError(
                f"{fname}: Expected primals to be Tensors, got {type(x)}"
            )  # fmt: skip
    keep = _outer_needs_graph(flat)
    with enable_grad():
        leaves = [_leaf(to_full(x, active), keep) for x in flat]
        _DEPTH[0] += 1
        try:
            out = func(*tree_unflatten([rewrap(lf, active) for lf in leaves], spec))
        finally:
            _DEPTH[0] -= 1
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError(
                f"{fname}(f, ...): output of function f should be a tuple: (output, aux) if "
                "has_aux is True"
            )
        out, aux = out
    outs, ospec = tree_flatten(out)
    for o in outs:
        if not isinstance(o, TensorBase):
            raise RuntimeError(
                f"{fname}: Expected f(*primals) to return only tensors, got unsupported type "
                f"{type(o)}"
            )
    plain_outs = [to_full(o, active) for o in outs]

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        cts, cspec = tree_flatten(cotangents)
        if len(cts) != len(plain_outs):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {cotangents}, outputs: {out}"
            )
        now = _active()
        new = [lv for lv in now if lv not in active]
        k = len(active)
        n = len(new)
        seeds = []
        for ct, o in zip(cts, outs):
            if tuple(ct.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {Size(ct.shape)} and "
                    f"output[0] has a shape of {Size(o.shape)}."
                )
            p = to_full(ct, now)
            if n:  # the later levels in front, batched: the engine runs over them
                order = list(range(k, k + n)) + list(range(k)) + list(range(k + n, p.ndim))
                p = rewrap(_F.permute(p, order), new)
            seeds.append(p)
        graph = keep if create_graph is None else create_graph
        with enable_grad():
            grads = _autograd_grad(
                plain_outs, leaves, seeds, retain_graph=retain_graph, create_graph=graph,
                allow_unused=True,
            )  # fmt: skip
        res = []
        for g, lf in zip(grads, leaves):
            if g is None:
                g = _expand_new(_F.zeros_like(lf), new)
            elif n:
                g = to_full(g, new)
            if n:  # the later levels back behind the earlier ones (ascending)
                order = list(range(n, n + k)) + list(range(n)) + list(range(n + k, g.ndim))
                g = _F.permute(g, order)
            res.append(_finish(rewrap(g, now), graph))
        return tree_unflatten(res, spec)

    return _finish_tree(out, keep), vjp_fn, _finish_tree(aux, keep)


def _expand_new(g, new):
    for i, (_, size) in enumerate(new):
        s = tuple(g.shape)
        g = _F.expand(_F.unsqueeze(g, i), s[:i] + (size,) + s[i:])
    return g


def _finish_tree(x, keep):
    if x is None:
        return None
    leaves, spec = tree_flatten(x)
    return tree_unflatten([_finish(v, keep) for v in leaves], spec)


def vjp(func, *primals, has_aux=False):
    """Matches torch.func.vjp: (func(*primals), vjp_fn[, aux])."""
    out, fn, aux = _vjp_core(func, primals, has_aux, "vjp")
    if has_aux:
        return out, fn, aux
    return out, fn


# --- grad -----------------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """Matches torch.func.grad_and_value: (gradient, value) of a function with a scalar
    output (and its aux with ``has_aux``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = _argnums(args, argnums, "grad_and_value")
        picked = (args[nums],) if single else tuple(args[i] for i in nums)

        def inner(*diff):
            full = list(args)
            for i, d in zip((nums,) if single else nums, diff):
                full[i] = d
            return func(*full, **kwargs)

        check = _checked(inner, has_aux)
        value, fn, aux = _vjp_core(check, picked, has_aux, "grad_and_value")
        ones = _F.ones_like(value)
        grads = fn(ones)
        g = grads[0] if single else grads
        if has_aux:
            return g, (value, aux)
        return g, value

    return wrapper


def _checked(func, has_aux):
    def inner(*a):
        out = func(*a)
        res = out
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(
                    "grad_and_value(f)(*args): output of function f should be a tuple: "
                    "(output, aux) if has_aux is True"
                )
            res = out[0]
        if not isinstance(res, TensorBase):
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(res)}"
            )
        if res.ndim != 0:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                f"tensor with {res.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                "instead?"
            )
        return out

    return inner


def grad(func, argnums=0, has_aux=False):
    """Matches torch.func.grad: the gradient of a function with a scalar output."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, (_, aux) = (
            grad_and_value(func, argnums, True)(*args, **kwargs)
            if has_aux
            else (grad_and_value(func, argnums, False)(*args, **kwargs)[0], (None, None))
        )
        return (g, aux) if has_aux else g

    return wrapper


# --- forward mode ---------------------------------------------------------------------------------
def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Matches torch.func.jvp: (func(*primals), its JVP with ``tangents``[, aux])."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be "
            f"valid to call f(*primals). Got: {type(primals)}"
        )  # fmt: skip
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            "structure. For example, if primals is a tuple of 3 tensors, tangents also must "
            "be. Got primals with structure "
            f"{_spec_str_of(primals)} and tangents with structure {_spec_str_of(tangents)}"
        )
    active = _active()
    flat_p, spec = tree_flatten(primals)
    flat_t, _ = tree_flatten(tangents)
    keep = _outer_needs_graph(flat_p + flat_t)
    with _fwad.dual_level():
        duals = []
        for p, t in zip(flat_p, flat_t):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(
                    "jvp(f, primals, tangents): Expected primals and tangents to have the same "
                    f"shape. Got primal of shape {tuple(p.shape)} and tangent of shape "
                    f"{tuple(t.shape)}"
                )
            pp = to_full(p, active)
            pt = to_full(t, active)
            if not keep:
                pp = pp.detach()
            duals.append(rewrap(_fwad.make_dual(pp, pt), active))
        _DEPTH[0] += 1
        try:
            out = func(*tree_unflatten(duals, spec))
        finally:
            _DEPTH[0] -= 1
        aux = None
        if has_aux:
            out, aux = out
        outs, ospec = tree_flatten(out)
        po = []
        to = []
        for o in outs:
            if not isinstance(o, TensorBase):
                raise RuntimeError(
                    "jvp(f, primals, tangents): Expected f(*primals) to return only tensors, "
                    f"got unsupported type {type(o)}"
                )
            prim, tan = _fwad.unpack_dual(to_full(o, active))
            if tan is None:
                tan = _F.zeros_like(prim)
            po.append(_finish(rewrap(prim, active), keep))
            to.append(_finish(rewrap(tan, active), keep))
    res = (tree_unflatten(po, ospec), tree_unflatten(to, ospec))
    if has_aux:
        return res + (_finish_tree(aux, keep),)
    return res


def _spec_str_of(x):
    return type(x).__name__


def linearize(func, *primals):
    """Matches torch.func.linearize: (func(*primals), jvp_fn) where jvp_fn(*tangents) is the
    JVP at ``primals``."""
    out = func(*primals)
    out = _finish_tree(out, _DEPTH[0] > 0)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


# --- Jacobians ----------------------------------------------------------------------------------
def _basis(n, like):
    return _F.eye(n, dtype=like.dtype, device=like.device)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """Matches torch.func.jacrev: the Jacobian by reverse mode, one vectorised backward pass
    (vmap over the VJP with the identity's rows)."""

    @functools.wraps(func)
    def wrapper(*args):
        nums, single = _argnums(args, argnums, "jacrev")
        idx = (nums,) if single else nums
        picked = tuple(args[i] for i in idx)

        def inner(*diff):
            full = list(args)
            for i, d in zip(idx, diff):
                full[i] = d
            return func(*full)

        out, fn, aux = _vjp_core(inner, picked, has_aux, "jacrev")
        outs, ospec = tree_flatten(out)
        sizes = [o.numel() for o in outs]
        total = sum(sizes)
        eye = _basis(total, outs[0])
        cts = []
        start = 0
        for o, n in zip(outs, sizes):
            cts.append(_F.reshape(eye[:, start : start + n], (total,) + tuple(o.shape)))
            start += n
        rows = vmap(lambda *c: fn(tree_unflatten(list(c), ospec)), chunk_size=chunk_size)(*cts)
        table = []
        for i, (o, n) in enumerate(zip(outs, sizes)):
            per = []
            for r, x in zip(rows, picked):
                piece = _F.narrow(r, 0, sum(sizes[:i]), n)
                per.append(_F.reshape(piece, tuple(o.shape) + tuple(x.shape)))
            table.append(per[0] if single else tuple(per))
        res = tree_unflatten(table, ospec)
        return (res, aux) if has_aux else res

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """Matches torch.func.jacfwd: the Jacobian by forward mode (vmap over the JVP with the
    identity's columns)."""

    @functools.wraps(func)
    def wrapper(*args):
        nums, single = _argnums(args, argnums, "jacfwd")
        idx = (nums,) if single else nums
        picked = tuple(args[i] for i in idx)
        sizes = [x.numel() for x in picked]
        total = sum(sizes)
        eye = _basis(total, picked[0])
        tans = []
        start = 0
        for x, n in zip(picked, sizes):
            tans.append(_F.reshape(eye[:, start : start + n], (total,) + tuple(x.shape)))
            start += n

        def inner(*diff):
            full = list(args)
            for i, d in zip(idx, diff):
                full[i] = d
            return func(*full)

        found = {}

        def push(*t):
            res = jvp(inner, picked, tuple(t), has_aux=has_aux)
            if not has_aux:
                return res[1], []
            leaves, spec = tree_flatten(res[2])
            found["aux"] = (leaves, spec)
            return res[1], [v for v in leaves if isinstance(v, TensorBase)]

        cols, aux_tensors = vmap(push, randomness=randomness)(*tans)
        aux = None
        if has_aux:  # the same for every column: the first one's
            leaves, spec = found["aux"]
            it = iter(aux_tensors)
            leaves = [next(it)[0] if isinstance(v, TensorBase) else v for v in leaves]
            aux = tree_unflatten(leaves, spec)
        outs, ospec = tree_flatten(cols)
        table = []
        for c in outs:
            c = _F.movedim(c, 0, -1)  # out.shape + (total,)
            oshape = tuple(c.shape)[:-1]
            per = []
            start = 0
            for x, n in zip(picked, sizes):
                per.append(_F.reshape(_F.narrow(c, -1, start, n), oshape + tuple(x.shape)))
                start += n
            table.append(per[0] if single else tuple(per))
        res = tree_unflatten(table, ospec)
        if has_aux:
            return res, aux
        return res

    return wrapper


def hessian(func, argnums=0):
    """Matches torch.func.hessian: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)
