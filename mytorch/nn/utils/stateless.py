"""mytorch.nn.utils.stateless: functional_call (a module called with other tensors in place of
its parameters and buffers)."""

import contextlib

__all__ = ["functional_call"]


def _owner(module, name):
    prefix, _, attr = name.rpartition(".")
    return module.get_submodule(prefix), attr


def _tied_names(module):
    """For each parameter or buffer object, every name it is reachable by."""
    names = {}
    members = list(module.named_parameters(remove_duplicate=False))
    members += list(module.named_buffers(remove_duplicate=False))
    for name, t in members:
        names.setdefault(id(t), []).append(name)
    return {n: group for group in names.values() for n in group}


@contextlib.contextmanager
def _reparametrize(module, tensors, tie_weights, strict):
    if tie_weights:
        tied = _tied_names(module)
        extra = {}
        for name, value in tensors.items():
            for other in tied.get(name, ()):
                if other == name:
                    continue
                if other in tensors and tensors[other] is not value:
                    given = sorted(n for n in tied[name] if n in tensors)
                    raise ValueError(
                        f"functional_call got multiple values for keys {given}, which are "
                        "tied. Consider using tie_weights=False"
                    )
                extra[other] = value
        tensors = {**extra, **tensors}
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(expected - set(tensors))
        unexpected = sorted(set(tensors) - expected)
        msgs = []
        if unexpected:
            msgs.append("Unexpected key(s): {}.".format(", ".join(map(repr, unexpected))))
        if missing:
            msgs.append("Missing key(s): {}.".format(", ".join(map(repr, missing))))
        if msgs:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs)
            )
    saved = []
    try:
        for name, value in tensors.items():
            owner, attr = _owner(module, name)
            for store in (owner._parameters, owner._buffers):
                if attr in store:
                    saved.append((store, attr, store[attr]))
                    store[attr] = value
                    break
            else:
                saved.append((owner.__dict__, attr, owner.__dict__.get(attr, _MISSING)))
                owner.__dict__[attr] = value
        yield
    finally:
        for store, attr, old in reversed(saved):
            if old is _MISSING:
                store.pop(attr, None)
            else:
                store[attr] = old


_MISSING = object()


def functional_call(
    module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False
):  # fmt: skip
    """Calls ``module`` with the tensors of ``parameters_and_buffers`` (by dotted name) in
    place of its own. Matches torch.func.functional_call and
    torch.nn.utils.stateless.functional_call."""
    if isinstance(parameters_and_buffers, (list, tuple)):
        merged = {}
        for d in parameters_and_buffers:
            dup = sorted(set(merged) & set(d))
            if dup:
                raise ValueError(
                    f"{dup} appeared in multiple dictionaries; behavior of functional call is "
                    "ambiguous"
                )
            merged.update(d)
        parameters_and_buffers = merged
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, dict(parameters_and_buffers), tie_weights, strict):
        return module(*args, **kwargs)
