"""default_collate and default_convert against torch's on the same inputs: output types,
dtypes, shapes and values, for tensors, numbers, NumPy arrays and scalars, strings and the
containers, and the errors torch raises."""

import collections

import numpy as np
import pytest

import mytorch
from data_check import D, both
from helpers import raises_like

pytestmark = pytest.mark.torch

Point = collections.namedtuple("Point", ["x", "y"])


class Record(collections.abc.Mapping):
    """A read-only mapping whose type cannot be rebuilt from a dict (collate falls back)."""

    def __init__(self, **kw):
        self._d = kw

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


BATCHES = {
    "tensors": lambda T: [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0]), T.tensor([5.0, 6.0])],
    "int_tensors_0d": lambda T: [T.tensor(1), T.tensor(2)],
    "float64_tensors": lambda T: [T.zeros(2, 3, dtype=T.float64), T.ones(2, 3, dtype=T.float64)],
    "floats": lambda T: [1.5, 2.0, -3.25],
    "ints": lambda T: [1, 2, 3],
    "bools": lambda T: [True, False],
    "ints_and_bools": lambda T: [1, True],
    "np_float32": lambda T: [np.ones(3, np.float32), np.zeros(3, np.float32)],
    "np_int32_2d": lambda T: [np.arange(6, dtype=np.int32).reshape(2, 3)] * 2,
    "np_float64": lambda T: [np.array([0.5]), np.array([1.5])],
    "np_bool": lambda T: [np.array([True, False]), np.array([False, False])],
    "np_0d": lambda T: [np.array(2.5, np.float32), np.array(1.0, np.float32)],
    "np_scalars_f32": lambda T: [np.float32(1.5), np.float32(2.0)],
    "np_scalars_i16": lambda T: [np.int16(3), np.int16(-4)],
    "np_scalars_f64": lambda T: [np.float64(0.25), np.float64(1)],
    "np_scalars_bool": lambda T: [np.bool_(True), np.bool_(False)],
    "np_scalars_mixed": lambda T: [np.float32(1), np.float64(2)],
    "np_scalars_mixed_int": lambda T: [np.int16(1), np.int32(2)],
    "strings": lambda T: ["a", "bc"],
    "bytes": lambda T: [b"a", b"b"],
    "tuples": lambda T: [(1, 2.0, "a"), (3, 4.0, "b")],
    "lists": lambda T: [[1, 2, 3], [4, 5, 6]],
    "namedtuples": lambda T: [Point(1, T.tensor(1.0)), Point(2, T.tensor(2.0))],
    "dicts": lambda T: [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    "ordered_dicts": lambda T: [collections.OrderedDict(z=1, a=2)] * 2,
    "mapping": lambda T: [Record(a=1.0), Record(a=2.0)],
    "nested": lambda T: [
        {"img": T.ones(2, 2), "meta": (np.int64(1), "x", {"w": 0.5})},
        {"img": T.zeros(2, 2), "meta": (np.int64(2), "y", {"w": 1.5})},
    ],
    "tensor_and_label": lambda T: [(T.arange(3), 0), (T.arange(3) + 3, 1)],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_matches_torch(name):
    m, t = both(lambda T: D(T).default_collate(BATCHES[name](T)))
    assert m == t


def test_default_collate_dtypes():
    c = D(mytorch).default_collate
    assert c([1.0, 2.0]).dtype == mytorch.float64
    assert c([1, 2]).dtype == mytorch.int64
    assert c([True, False]).dtype == mytorch.bool
    assert c([np.float32(1)]).dtype == mytorch.float32
    assert isinstance(c([np.ones(2)]), mytorch.Tensor)
    assert type(c([Point(1, 2)])) is Point


def test_collate_keeps_list_subclass_and_falls_back_for_mappings():
    class MyList(list):
        pass

    m, t = both(lambda T: D(T).default_collate([MyList([1, 2]), MyList([3, 4])]))
    assert m == t and m[0] == "MyList"
    m, t = both(lambda T: D(T).default_collate([Record(a=1), Record(a=2)]))
    assert m == t and m[0] == "dict"


def test_default_collate_errors():
    c = lambda T, batch: D(T).default_collate(batch)  # noqa: E731
    raises_like(lambda T: c(T, [[1, 2], [3]]), ["equal size"], RuntimeError)
    raises_like(lambda T: c(T, [None, None]), ["batch must contain"], TypeError)
    raises_like(lambda T: c(T, [{1, 2}, {3, 4}]), ["batch must contain"], TypeError)
    raises_like(lambda T: c(T, [np.array(["a"]), np.array(["b"])]), ["batch must contain"])
    raises_like(lambda T: c(T, [T.zeros(2), T.zeros(3)]), ["equal size"], RuntimeError)
    raises_like(lambda T: c(T, []), [], IndexError)


CONVERT = {
    "np_array": lambda T: np.arange(4, dtype=np.int32),
    "np_scalar": lambda T: np.float32(2.5),
    "np_str_array": lambda T: np.array(["a", "b"]),
    "tensor": lambda T: T.ones(2),
    "number": lambda T: 3,
    "string": lambda T: "abc",
    "tuple": lambda T: (np.zeros(2), 1),
    "list": lambda T: [np.ones(1), "s"],
    "namedtuple": lambda T: Point(np.ones(2), 1),
    "dict": lambda T: {"a": np.ones(2, np.float32), "b": [np.int64(3)]},
    "mapping": lambda T: Record(a=np.ones(1)),
}


@pytest.mark.parametrize("name", sorted(CONVERT))
def test_default_convert_matches_torch(name):
    def run(T):
        out = D(T).default_convert(CONVERT[name](T))
        return out.tolist() if isinstance(out, np.ndarray) else out

    m, t = both(run)
    assert m == t
