"""torch.Size and dimension wrapping: the shape vocabulary shared by every layer."""


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


def _wrap_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; IndexError otherwise (PyTorch's message)."""
    n = ndim if ndim > 0 else 1
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + ndim if dim < 0 else dim
