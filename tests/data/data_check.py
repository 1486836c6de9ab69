"""Helpers of the mytorch.utils.data tests: batches of either library described as plain Python
values, so that mytorch's and torch's can be compared with ==."""

import mytorch
from helpers import torch


def describe(x):
    """``x`` with every tensor replaced by ('tensor', dtype name, shape, values) and every
    container by its type name and described items (so types, dtypes, shapes and values all
    take part in an == comparison between the two libraries)."""
    if isinstance(x, (mytorch.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).removeprefix("torch."), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: describe(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, x._fields, tuple(describe(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [describe(v) for v in x])
    return (type(x).__name__, x)


def both(fn):
    """(fn(mytorch), fn(torch)), each described."""
    return describe(fn(mytorch)), describe(fn(torch))


def D(T):
    """The library's utils.data module."""
    return T.utils.data
