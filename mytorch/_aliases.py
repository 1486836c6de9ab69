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
