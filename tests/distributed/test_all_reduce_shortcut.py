"""all_reduce's shortcut (the default group's blocking SUM straight into MPI's in-place
Allreduce), without MPI: a recording engine stands in for mpi4py's Allreduce. The compiled
shortcut (mytorch._ext._shape.InPlaceCall) and the Python one take and turn away the same
tensors, and both count the write in the tensor's version counter."""

import numpy as np
import pytest

import mytorch as torch
from mytorch import _backends
from mytorch.distributed import distributed_c10d as c10d


class Recorder:
    """An engine whose in-place sum doubles the array (as a world of two equal ranks) and
    records each call."""

    def __init__(self):
        self.calls = []

    def allreduce(self, first, arr, last):
        self.calls.append((first, arr, last))
        arr *= 2

    def in_place_sum(self):
        return self.allreduce, "IN_PLACE", "SUM"


def _builds():
    out = [pytest.param(False, id="python")]
    shape = getattr(_backends.CPU, "loaded", {}).get("_shape")
    marks = () if hasattr(shape, "InPlaceCall") else pytest.mark.skip("no compiled kernels")
    return out + [pytest.param(True, id="compiled", marks=marks)]


@pytest.fixture(params=_builds())
def shortcut(request):
    rec = Recorder()
    return c10d._in_place_sum(rec, compiled=request.param), rec


def test_compiled_build_uses_the_compiled_shortcut():
    fast = c10d._in_place_sum(Recorder())
    expect = hasattr(getattr(_backends.CPU, "loaded", {}).get("_shape"), "InPlaceCall")
    assert (type(fast).__name__ == "InPlaceCall") == expect


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "complex64"]
)
def test_takes_a_contiguous_tensor_and_counts_the_write(shortcut, dtype):
    fast, rec = shortcut
    t = torch.arange(6).reshape(2, 3).to(getattr(torch, dtype))
    before = t._version
    ptr = t.data_ptr()
    assert fast(t) is True
    assert len(rec.calls) == 1 and rec.calls[0][0] == "IN_PLACE" and rec.calls[0][2] == "SUM"
    assert rec.calls[0][1] is t._data
    assert t.data_ptr() == ptr and t._version == before + 1
    np.testing.assert_array_equal(t.numpy(), 2 * np.arange(6).reshape(2, 3).astype(dtype))


def test_the_write_fails_a_backward_that_saved_the_tensor(shortcut):
    fast, _ = shortcut
    a = torch.ones(4, requires_grad=True)
    x = a * 1.0
    y = (x * x).sum()  # saves x
    assert fast(x) is True
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_a_fresh_counter_is_linked_to_the_node_that_made_the_tensor(shortcut):
    fast, _ = shortcut
    a = torch.ones(3, requires_grad=True)
    x = a.exp()  # exp's backward uses its output x
    assert fast(x) is True
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        x.sum().backward()


def _turned_away():
    base = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    ro = np.arange(4.0, dtype=np.float32)
    ro.flags.writeable = False
    meta = np.zeros(4, dtype=np.dtype(np.float32, metadata={"unit": "m"}))
    return {
        "transposed": torch.from_numpy(base).t(),
        "strided": torch.from_numpy(base)[:, ::2],
        "bool": torch.tensor([True, False]),
        "bfloat16": torch.ones(3, dtype=torch.bfloat16),
        "read-only": torch.ones(4).expand(2, 4),
        "byte-swapped": ("raw", np.arange(4.0, dtype=">f4")),
        "read-only array": ("raw", ro),
        "dtype with metadata": ("raw", meta),
        "not a tensor": np.ones(3, np.float32),
    }


@pytest.mark.parametrize("case", list(_turned_away()))
def test_turns_away_what_mpi_cannot_take_as_it_is(shortcut, case):
    fast, rec = shortcut
    t = _turned_away()[case]
    if isinstance(t, tuple):  # an array NumPy-made tensors never hold: set it in place
        arr = t[1]
        t = torch.zeros(arr.shape)
        t._data = arr
    snapshot = np.array(t._data if isinstance(t, torch.Tensor) else t, copy=True)
    version = t._version if isinstance(t, torch.Tensor) else None
    assert fast(t) is False
    assert rec.calls == []
    after = t._data if isinstance(t, torch.Tensor) else t
    np.testing.assert_array_equal(np.asarray(after), snapshot)
    if version is not None:
        assert t._version == version
