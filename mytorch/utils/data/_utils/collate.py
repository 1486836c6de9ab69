"""Collation (torch.utils.data._utils.collate): default_collate turns a list of samples into a
batch (tensors stacked, numbers made tensors, containers collated field by field), and
default_convert turns one sample's NumPy arrays into tensors without batching."""

import collections.abc
import copy
import re

import numpy as np

import mytorch
from mytorch._core import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

# NumPy dtype kinds that cannot become tensors: bytes, strings and Python objects.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy_type(elem_type):
    return elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_")


def default_convert(data):
    """Matches torch.utils.data.default_convert: NumPy arrays and scalars inside ``data`` become
    tensors; containers keep their types (tuples become lists); anything else is returned."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_numpy_type(elem_type):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return mytorch.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Matches torch.utils.data._utils.collate.collate: the batch's first element picks the
    rule, from ``collate_fn_map`` (type -> fn(batch, *, collate_fn_map)) first, then the
    containers: mappings by key, namedtuples and sequences field by field."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    def sub(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: sub([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: sub([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: sub([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return elem_type(*(sub(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [sub(samples) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = sub(samples)
                return clone
            return elem_type([sub(samples) for samples in transposed])
        except TypeError:
            return [sub(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors: stacked along a new first dimension."""
    return mytorch.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays: made tensors, then stacked (arrays of strings or objects are refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([mytorch.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars: one tensor of their (promoted) dtype."""
    # NOTE: one scalar at a time: mytorch.as_tensor(list) gives a list of NumPy scalars
    # Python's default dtypes (float32, int64), where torch keeps theirs (float64, int16).
    return mytorch.stack([mytorch.as_tensor(b) for b in batch])


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats: a float64 tensor."""
    return mytorch.tensor(batch, dtype=mytorch.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints (and bools): an int64 (bool) tensor."""
    return mytorch.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes: the list as it is."""
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    np.memmap: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Matches torch.utils.data.default_collate: the DataLoader's collation when it batches.

    Tensors are stacked, NumPy arrays and scalars and Python numbers become tensors (float ->
    float64, int -> int64, bool -> bool), strings stay a list, and mappings, namedtuples,
    tuples and lists are collated field by field (tuples and lists come back transposed: a list
    with one batch per field).
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
