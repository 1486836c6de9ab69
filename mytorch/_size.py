"""torch.Size, dimension wrapping and the checks of int and bool arguments: the shape
vocabulary shared by every layer."""

import operator


class Size(tuple):
    """A tensor shape. Matches torch.Size (a tuple subclass printed as ``torch.Size([2, 3])``)."""

    __slots__ = ()

    def __repr__(self):
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


def _type_name(v):
    """A type's name as torch's messages print it (``str``, ``numpy.bool``)."""
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _int_arg(v, what):
    """``v`` as an int: a Python or NumPy integer or a one-element integer tensor (anything
    with __index__), not a bool, float or string; torch's TypeError otherwise."""
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"argument '{what}' must be int, not {_type_name(v)}")
    return operator.index(v)


def _bool_arg(name, what, v):
    """A flag (keepdim, descending, ...) must be a Python bool, as torch requires."""
    if type(v) is not bool:
        raise TypeError(f"{name}(): argument '{what}' must be bool, not {_type_name(v)}")
    return v


def _wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; IndexError otherwise (PyTorch's message)."""
    if type(dim) is not int:
        dim = _int_arg(dim, "dim")
    n = ndim if ndim > 0 else 1
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + ndim if dim < 0 else dim
