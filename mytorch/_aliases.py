"""torch's NumPy-style keyword aliases: ``axis=`` for ``dim=`` and ``keepdims=`` for
``keepdim=``, which torch's reductions accept (``x.sum(axis=0, keepdims=True)``)."""


def numpy_kwargs(fname, kwargs, dim, keepdim, dim_default=None):
    """(dim, keepdim) with the aliases in ``kwargs`` applied; torch's TypeError for any other
    keyword, or for an alias whose argument was given too (pass ``keepdim=None`` for a
    function without keepdim)."""
    for k, v in kwargs.items():
        if k == "axis" and dim is dim_default:
            dim = v
        elif k == "keepdims" and keepdim is False:
            keepdim = v
        else:
            raise TypeError(f"{fname}() got an unexpected keyword argument '{k}'")
    return dim, keepdim


_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def numpy_axis(fn):
    """``fn`` taking torch's NumPy-style keywords as well: ``axis=`` for ``dim=`` and
    ``keepdims=`` for ``keepdim=`` (torch's C++ argument parser accepts them on every function
    with those parameters); TypeError when an alias doubles its argument."""
    name = fn.__name__

    def with_aliases(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            kwargs = _renamed(name, kwargs)
        return fn(*args, **kwargs)

    with_aliases.__name__ = name
    with_aliases.__qualname__ = fn.__qualname__
    with_aliases.__doc__ = fn.__doc__
    with_aliases.__wrapped__ = fn
    return with_aliases


def _renamed(name, kwargs):
    kwargs = dict(kwargs)
    for alias, real in _ALIASES:
        if alias in kwargs:
            if real in kwargs:
                raise TypeError(f"{name}() got multiple values for argument '{real}'")
            kwargs[real] = kwargs.pop(alias)
    return kwargs
