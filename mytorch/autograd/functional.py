"""mytorch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp, as torch's.

Each takes a function of tensors and the point (a Tensor or a tuple of Tensors) and returns
results shaped as torch's: a tuple exactly where the inputs or outputs were given as a tuple.

``jacobian(..., vectorize=True)`` (and so ``hessian``) runs backward once, with the
cotangents batched by vmap (mytorch.func): the engine's VJPs go through vmap's batching rules.
The forward-mode strategy runs forward once, with the tangents batched the same way.
"""

from mytorch._autograd import grad as _grad
from mytorch._core import TensorBase
from mytorch._grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from mytorch._registry import F as _F
from mytorch.autograd import forward_ad as fwAD

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# --- arguments and results ----------------------------------------------------------------------
def _as_tuple(x, what, fn_name):
    """(whether ``x`` was a tuple, ``x`` as a tuple of Tensors), with torch's TypeError."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, TensorBase):
            where = f"value at index {i}" if is_tuple else f"given {what}"
            raise TypeError(
                f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the {where} has type {type(el)}."
            )
    return is_tuple, items


def _unpack(res, is_tuple):
    """A tuple of results as the caller gave its argument: the tuple, or its one element."""
    return res if is_tuple else res[0]


def _unpack2(res, outer, inner):
    """A table res[i][j] (outputs by inputs) as the caller's structure."""
    if not inner:
        res = type(res)(r[0] for r in res)
    return res if outer else res[0]


def _prepare(tensors, create_graph, need_graph):
    """Fresh differentiable stand-ins: with create_graph an input that requires grad stays in
    its own graph (an alias), every other one is detached."""
    out = []
    for t in tensors:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(tensors, create_graph):
    """Results the caller keeps: detached unless a graph was asked for."""
    if create_graph:
        return tensors
    return tuple(_finish(t, False) if isinstance(t, tuple) else t.detach() for t in tensors)


def _check_v(v, refs, refs_is_tuple):
    if len(v) != len(refs):
        if refs_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(refs)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if refs_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got {a.shape}.")


def _check_outputs_require_grad(outputs, strict):
    if not strict:
        return
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when running "
                "in strict mode."
            )


def _check_grads(grads, kind, strict):
    """Strict mode's checks of intermediate gradients (kind: grad_inputs, jacobian, hessian)."""
    if not strict:
        return
    for i, g in enumerate(grads):
        if g is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode."
            )
        if g.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        raise RuntimeError(
            f"The gradient with respect to input {i} is independent of the inputs of the "
            "user-provided function. This is not allowed in strict mode."
        )


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads, refs, strict, create_graph, stage):
    """None gradients become zeros of their reference's shape (strict mode raises instead)."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = _F.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _grads(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None for an input none reaches)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs = tuple(o for o, _ in pairs)
    gos = tuple(g for _, g in pairs)
    if all(g is None for g in gos):
        gos = None
    return _grad(
        outs,
        inputs,
        gos,
        create_graph=create_graph,
        retain_graph=retain_graph if retain_graph is not None else create_graph,
        allow_unused=True,
    )


def _v_for(v, refs, refs_is_tuple, create_graph, fn_name, none_message):
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare(v, create_graph, False)
    _check_v(v, refs, refs_is_tuple)
    return v


_OUTPUTS = "outputs of the user-provided function"
_V_FOR_INPUT = (
    "The vector v can only be None if the input to the user-provided function is a single "
    "Tensor with a single element."
)


# --- vjp and jvp ----------------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.vjp: (func(inputs), v^T J)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "vjp")
        _check_outputs_require_grad(outputs, strict)
        v = _v_for(
            v, outputs, out_tuple, create_graph, "vjp",
            "The vector v can only be None if the user-provided function returns a single "
            "Tensor with a single element.",
        )  # fmt: skip
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grads(outputs, inputs, v, create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(
        _finish(res, create_graph), in_tuple
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.jvp: (func(inputs), J v), by the double-backward trick
    (J v is the gradient of u -> <vjp(u), v>, linear in u)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _v_for(v, inputs, in_tuple, create_graph, "jvp", _V_FOR_INPUT)
        out_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jvp")
        _check_outputs_require_grad(outputs, strict)
        us = tuple(_F.zeros_like(o, requires_grad=True) for o in outputs)
        g = _grads(outputs, inputs, us, create_graph=True)
        _check_grads(g, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grads(g, us, v, create_graph)
        res = _zeros_for_missing(res, outputs, strict, create_graph, "back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(
        _finish(res, create_graph), out_tuple
    )


# --- jacobian and hessian -------------------------------------------------------------------------
def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """Matches torch.autograd.functional.jacobian: J[i][j] of shape out_i.shape + in_j.shape."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs, create_graph, strict, vectorize)
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, True)
        out_tuple, outputs = _as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        _check_outputs_require_grad(outputs, strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                "not supported together. Please either set `strict=False` or `vectorize=False`."
            )
        if vectorize:
            table = _vectorized(outputs, inputs, create_graph)
        else:
            table = _row_by_row(outputs, inputs, create_graph, strict)
    table = _finish(table, create_graph)
    return _unpack2(table, out_tuple, in_tuple)


def _row_by_row(outputs, inputs, create_graph, strict):
    """The Jacobian by one backward pass per output element."""
    table = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for k in range(out.numel()):
            got = _grads((flat[k],), inputs, None, create_graph, retain_graph=True)
            for j, (g, x) in enumerate(zip(got, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of "
                            f"input {j}. This is not allowed in strict mode."
                        )
                    g = _F.zeros_like(x)
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode when create_graph=True."
                    )
                rows[j].append(g)
        table.append(tuple(_stack(r, out.shape + x.shape, x) for r, x in zip(rows, inputs)))
    return tuple(table)


def _vectorized(outputs, inputs, create_graph):
    """The Jacobian by ONE backward pass: vmap (mytorch.func, reached as mytorch.vmap) over the
    VJP with the identity's rows as cotangents, so the engine runs with a leading batch dim.
    Laid out as torch's vectorized Jacobian: one tensor per input over every output's rows,
    split by output (so the pieces share whether they require grad)."""
    sizes = [o.numel() for o in outputs]
    total = sum(sizes)
    live = [o.requires_grad for o in outputs]
    if total == 0 or not any(live):
        big = [_F.zeros((total,) + tuple(x.shape), dtype=x.dtype, device=x.device) for x in inputs]
    else:
        eye = _F.eye(total, dtype=outputs[0].dtype, device=outputs[0].device)
        cts = []
        start = 0
        for o, n in zip(outputs, sizes):
            cts.append(eye[:, start : start + n].reshape((total,) + tuple(o.shape)))
            start += n

        def rows(*ct):
            got = _grads(outputs, inputs, ct, create_graph, retain_graph=True)
            return tuple(_F.zeros_like(x) if g is None else g for g, x in zip(got, inputs))

        big = _F.vmap(rows)(*cts)
    per_input = [_F.split(b, sizes, 0) for b in big]
    return tuple(
        tuple(per_input[j][i].view(tuple(out.shape) + tuple(x.shape)) for j, x in enumerate(inputs))
        for i, out in enumerate(outputs)
    )


def _stack(pieces, shape, like):
    if not pieces:
        return _F.zeros(tuple(shape), dtype=like.dtype, device=like.device)
    return _F.stack(pieces, 0).reshape(tuple(shape))


def _jacobian_forward(func, inputs, create_graph, strict, vectorize):
    """The Jacobian by forward mode: one pass with every column's tangent, batched by vmap."""
    if create_graph:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `create_graph=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`create_graph=False` or `strategy="reverse-mode"`.'
        )
    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
            "are not supported together (yet). Please either set `strict=False` or "
            '`strategy="reverse-mode"`.'
        )
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
            "implemented for `vectorize=True`."
        )
    total = sum(x.numel() for x in inputs)
    if total == 0:  # every input is empty: one call for the outputs' shapes
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs", "jacobian")
        cols = [[None] * len(inputs) for _ in outputs]
    else:
        # ONE forward pass with the identity's columns as tangents, batched by vmap
        # (mytorch.func, reached as mytorch.vmap): forward AD's rules run on batched tangents.
        like = inputs[0]
        eye = _F.eye(total, dtype=like.dtype, device=like.device)
        basis = []
        start = 0
        for x in inputs:
            n = x.numel()
            basis.append(eye[:, start : start + n].reshape((total,) + tuple(x.shape)))
            start += n
        found = {}

        def column(*tangents):
            with fwAD.dual_level():
                duals = [fwAD.make_dual(x, t) for x, t in zip(inputs, tangents)]
                out_tuple, outs = _as_tuple(func(*duals), "outputs", "jacobian")
                found["tuple"] = out_tuple
                res = []
                for o in outs:
                    t = fwAD.unpack_dual(o).tangent
                    res.append(_F.zeros_like(o) if t is None else t)
                return tuple(res)

        tans = _F.vmap(column, randomness="same")(*basis)  # (total, *out_i.shape) each
        out_tuple = found["tuple"]
        outputs = [t[0] for t in tans]  # (their shapes)
        cols = []
        for t in tans:
            pieces = _F.split(_F.movedim(t, 0, -1), [x.numel() for x in inputs], -1)
            cols.append(list(pieces))
    table = []
    for i, out in enumerate(outputs):
        row = []
        for j, x in enumerate(inputs):
            c = cols[i][j]
            if c is not None and x.numel():
                jac = c.reshape(tuple(out.shape) + tuple(x.shape))
            else:
                jac = _F.zeros(tuple(out.shape) + tuple(x.shape), dtype=out.dtype)
            row.append(jac)
        table.append(row)
    # NOTE: torch's forward-mode Jacobian nests lists, not tuples.
    return _unpack2(table, out_tuple, in_tuple)


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """Matches torch.autograd.functional.hessian of a function with one scalar output."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar(*xs):
        out = func(*xs)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_outputs_require_grad(outs, strict)
        if out_tuple or not isinstance(out, TensorBase):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def gradient(*xs):
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) for x in xs)
        jac = jacobian(scalar, xs, create_graph=True)
        _check_grads(jac, "jacobian", strict)
        return jac

    res = jacobian(
        gradient,
        tuple(inputs),
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack2(res, in_tuple, in_tuple)


# --- vhp and hvp ----------------------------------------------------------------------------------
def _scalar_output(func, inputs, strict, fn_name):
    out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_outputs_require_grad(outputs, strict)
    if out_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return out_tuple, outputs


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.vhp: (func(inputs), v^T H)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, True)
        v = _v_for(v, inputs, in_tuple, create_graph, "vhp", _V_FOR_INPUT)
        out_tuple, outputs = _scalar_output(func, inputs, strict, "vhp")
        jac = _grads(outputs, inputs, None, create_graph=True)
        _check_grads(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grads(jac, inputs, v, create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "double_back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(
        _finish(res, create_graph), in_tuple
    )


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches torch.autograd.functional.hvp: (func(inputs), H v), by the double-backward trick
    on the gradient (for a twice-differentiable function H is symmetric, so it equals vhp)."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, True)
        v = _v_for(v, inputs, in_tuple, create_graph, "hvp", _V_FOR_INPUT)
        out_tuple, outputs = _scalar_output(func, inputs, strict, "hvp")
        jac = _grads(outputs, inputs, None, create_graph=True)
        _check_grads(jac, "jacobian", strict)
        us = tuple(_F.zeros_like(x, requires_grad=True) for x in inputs)
        back = _grads(jac, inputs, us, create_graph=True)
        _check_grads(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grads(back, us, v, create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "double_back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(
        _finish(res, create_graph), in_tuple
    )
