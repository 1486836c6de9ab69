"""mytorch.func.vmap: a function mapped over a dim of its inputs by batching rules (see
mytorch.func._batched), as torch.func.vmap."""

import functools

from mytorch import _registry
from mytorch._core import TensorBase
from mytorch._registry import F as _F
from mytorch.func import _rules, _rules_more  # noqa: F401  (fill the batching rules)
from mytorch.func import _rules_norm  # noqa: F401  (layer norm's)
from mytorch.func._batched import pop, push, unwrap, wrap

_RANDOMNESS = ("error", "different", "same")


# --- pytrees (tuples, lists, dicts) ----------------------------------------------------------
def tree_flatten(x):
    """(leaves, spec): tuples, lists, dicts (and namedtuples) are nodes, the rest leaves."""
    if isinstance(x, (tuple, list)):
        leaves = []
        specs = []
        for y in x:
            lv, sp = tree_flatten(y)
            leaves.extend(lv)
            specs.append(sp)
        return leaves, (type(x), None, specs)
    if isinstance(x, dict):
        keys = list(x)
        leaves = []
        specs = []
        for k in keys:
            lv, sp = tree_flatten(x[k])
            leaves.extend(lv)
            specs.append(sp)
        return leaves, (dict, keys, specs)
    return [x], None


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(sp):
        if sp is None:
            return next(it)
        kind, keys, specs = sp
        items = [build(s) for s in specs]
        if kind is dict:
            return dict(zip(keys, items))
        if kind is tuple or kind is list:
            return kind(items)
        if hasattr(kind, "_fields"):
            return kind(*items)
        return kind(items)

    return build(spec)


def _spec_str(spec):
    if spec is None:
        return "*"
    kind, _, specs = spec
    return f"{kind.__name__}({', '.join(_spec_str(s) for s in specs)})"


def _broadcast_dims(dims, spec, what, name, fdesc):
    """``dims`` (an int, None, or a tree with the structure of ``spec``'s prefix) as one entry
    per leaf of ``spec``."""
    if dims is None or isinstance(dims, int):
        n = len(tree_unflatten_count(spec))
        return [dims] * n
    if spec is None or not isinstance(dims, (tuple, list, dict)):
        raise ValueError(
            f"{fdesc}: {what} is not compatible with the structure of `{name}`. "
            f"{what} has structure {type(dims).__name__} but {name} has structure "
            f"{_spec_str(spec)}."
        )
    kind, keys, specs = spec
    if isinstance(dims, dict) != (kind is dict) or len(dims) != len(specs):
        raise ValueError(
            f"{fdesc}: {what} is not compatible with the structure of `{name}`. "
            f"{what} has structure {_spec_str(tree_flatten(dims)[1])} but {name} has "
            f"structure {_spec_str(spec)}."
        )
    out = []
    items = [dims[k] for k in keys] if kind is dict else list(dims)
    for d, s in zip(items, specs):
        out.extend(_broadcast_dims(d, s, what, name, fdesc))
    return out


def tree_unflatten_count(spec):
    if spec is None:
        return [None]
    out = []
    for s in spec[2]:
        out.extend(tree_unflatten_count(s))
    return out


# --- vmap ---------------------------------------------------------------------------------------
def _fname(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Matches torch.func.vmap: ``func`` mapped over dim ``in_dims`` of its inputs (None: not
    mapped; a tuple per argument, nested as the arguments), results stacked along ``out_dims``.
    Nested vmaps, ``randomness`` ('error', 'different', 'same') and ``chunk_size`` as torch."""
    if randomness not in _RANDOMNESS:
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        name = _fname(func)
        fdesc = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
            raise ValueError(
                f"{fdesc}: expected `in_dims` to be int or a (potentially nested) tuple matching "
                f"the structure of inputs, got: {type(in_dims)}."
            )
        if not args:
            raise ValueError(
                f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
                "are trying to vmap over a function with no inputs. The latter is unsupported."
            )
        leaves, spec = tree_flatten(args)
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(
                f"{fdesc}: in_dims is not compatible with the structure of `inputs`. in_dims has "
                f"structure {_spec_str(tree_flatten(in_dims)[1])} but inputs has structure "
                f"{_spec_str(spec)}."
            )
        dims = _broadcast_dims(in_dims, spec, "in_dims", "inputs", fdesc)
        size = None
        sizes = []
        norm = []
        for x, d in zip(leaves, dims):
            if d is None:
                norm.append(None)
                continue
            if not isinstance(d, int) or isinstance(d, bool):
                raise ValueError(
                    f"{fdesc}: in_dims must be int or None, got {type(d)}"
                )  # fmt: skip
            if not isinstance(x, TensorBase):
                raise ValueError(
                    f"{fdesc}: Got in_dim={d} for an input but the input is of type {type(x)}. "
                    "We cannot vmap over non-Tensor arguments, please use None as the "
                    "respective in_dim"
                )
            nd = x.ndim
            if not -nd <= d < nd:
                raise ValueError(
                    f"{fdesc}: Got in_dim={d} for some input, but that input is a Tensor of "
                    f"dimensionality {nd} so expected in_dim to satisfy {-nd} <= in_dim < {nd}."
                )
            d = d + nd if d < 0 else d
            norm.append(d)
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError(
                f"{fdesc}: at least one input must be batched (an in_dim that is not None "
                "for a Tensor input)."
            )
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, "
                f"got sizes {sizes} for the mapped dimension"
            )
        size = sizes[0]
        if chunk_size is None or chunk_size >= size:
            return _run(func, name, leaves, spec, norm, kwargs, size, out_dims, randomness)
        parts = []
        for start in range(0, size, chunk_size):
            n = min(chunk_size, size - start)
            chunk = [
                x if d is None else _F.narrow(x, d, start, n) for x, d in zip(leaves, norm)
            ]  # fmt: skip
            parts.append(_run(func, name, chunk, spec, norm, kwargs, n, out_dims, randomness))
        return _cat_chunks(parts, out_dims, name)

    return wrapped


def _run(func, name, leaves, spec, dims, kwargs, size, out_dims, randomness):
    level = push(size, randomness)
    try:
        ins = [x if d is None else wrap(_F.movedim(x, d, 0), level) for x, d in zip(leaves, dims)]
        out = func(*tree_unflatten(ins, spec), **kwargs)
        return _outputs(out, out_dims, level, size, name)
    finally:
        pop(level)


def _outputs(out, out_dims, level, size, name):
    leaves, spec = tree_flatten(out)
    if isinstance(out_dims, (int, type(None))):
        dims = [out_dims] * len(leaves)
    else:
        fdesc = f"vmap({name}, ...)"
        if isinstance(out_dims, tuple) and spec is None and len(out_dims) == 1:
            out_dims = out_dims[0]
            dims = [out_dims]
        else:
            dims = _broadcast_dims(out_dims, spec, "out_dims", "outputs", fdesc)
    res = []
    for o, d in zip(leaves, dims):
        if not isinstance(o, TensorBase):
            if d is None:
                res.append(o)
                continue
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(o)}. "
                "Did you mean to set out_dims= to None for output?"
            )
        p, batched = unwrap(o, level)
        if d is None:
            if batched:
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            res.append(o)
            continue
        if not batched:
            p = _F.expand(_F.unsqueeze(o, 0), (size,) + tuple(o.shape))
        res.append(_F.movedim(p, 0, d))
    return tree_unflatten(res, spec)


def _cat_chunks(parts, out_dims, name):
    flat = [tree_flatten(p) for p in parts]
    leaves0, spec = flat[0]
    if isinstance(out_dims, (int, type(None))):
        dims = [out_dims] * len(leaves0)
    else:
        dims = _broadcast_dims(out_dims, spec, "out_dims", "outputs", f"vmap({name}, ...)")
    res = []
    for i, d in enumerate(dims):
        if d is None:
            res.append(leaves0[i])
        else:
            res.append(_F.cat([f[0][i] for f in flat], d))
    return tree_unflatten(res, spec)


# torch.vmap is torch.func.vmap: published as mytorch.vmap (autograd.functional reaches it there)
_registry.publish("torch", "vmap", vmap)
_registry.register_functions({"vmap": vmap}, ["vmap"])
