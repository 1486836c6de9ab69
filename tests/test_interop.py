"""Memory shared with NumPy: ``__array__`` (NumPy 2's copy=), ``__array_priority__``, and
DLPack both ways (``Tensor.__dlpack__``, ``from_dlpack``), against torch."""

import numpy as np
import pytest

import mytorch
from helpers import raises_like, to_numpy, torch

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "complex64"])
def test_numpy_reads_a_tensor_through_dlpack_sharing_memory(dtype):
    m = mytorch.arange(6).reshape(2, 3).to(getattr(mytorch, dtype))
    t = torch.arange(6).reshape(2, 3).to(getattr(torch, dtype))
    a, b = np.from_dlpack(m), np.from_dlpack(t)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert np.shares_memory(a, m.numpy())
    assert tuple(m.__dlpack_device__()) == tuple(int(v) for v in t.__dlpack_device__())


def test_a_strided_view_keeps_its_strides():
    m = mytorch.arange(12.0).reshape(3, 4)[:, ::2]
    t = torch.arange(12.0).reshape(3, 4)[:, ::2]
    assert np.from_dlpack(m).strides == np.from_dlpack(t).strides
    m[0, 0] = 100.0  # a write through the view shows in the exported array
    assert np.from_dlpack(m)[0, 0] == 100.0


@pytest.mark.parametrize("form", ["object", "capsule"])
def test_from_dlpack_shares_numpy_memory(form):
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    src = a if form == "object" else a.__dlpack__()
    m = mytorch.from_dlpack(src)
    t = torch.from_dlpack(a if form == "object" else a.__dlpack__())
    assert repr(m.dtype) == repr(t.dtype) and m.shape == t.shape and m.stride() == t.stride()
    a[0, 0] = -1.0
    assert m[0, 0].item() == -1.0


def test_from_dlpack_of_a_tensor_and_0d():
    x = mytorch.arange(3.0)
    y = mytorch.from_dlpack(x)
    y[0] = 5.0
    assert x[0].item() == 5.0
    assert float(np.from_dlpack(mytorch.tensor(3.0))) == float(np.from_dlpack(torch.tensor(3.0)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: np.from_dlpack(T.ones(2, requires_grad=True)),
        lambda T: T.from_dlpack(T.ones(2, requires_grad=True)),
        lambda T: T.from_dlpack([1.0]),
        lambda T: T.from_dlpack(np.float64(3)),
        lambda T: np.asarray(T.ones(2, requires_grad=True)),
    ],
)
def test_errors(fn):
    raises_like(fn)


def test_array_shares_memory_and_honours_copy():
    m = mytorch.arange(4.0)
    a = np.asarray(m)
    assert np.shares_memory(a, m.numpy())
    assert np.array(m, copy=None).base is not None or np.shares_memory(np.array(m, copy=None), a)
    c = np.array(m, copy=True)
    assert not np.shares_memory(c, a)
    assert np.asarray(m, dtype=np.float64).dtype == np.float64
    # NOTE: torch 2.13's __array__ takes no copy= (NumPy then raises ValueError for copy=False
    # whatever the dtype); mytorch raises only where a copy is needed
    assert np.shares_memory(np.array(m, copy=False), a)
    with pytest.raises(ValueError):
        np.array(m, dtype=np.float64, copy=False)


def test_array_priority_hands_numpy_operands_to_the_tensor():
    assert mytorch.Tensor.__array_priority__ == torch.Tensor.__array_priority__
    for T in (mytorch, torch):
        r = np.float64(2.0) * T.ones(3)
        assert isinstance(r, T.Tensor)
    np.testing.assert_array_equal(
        to_numpy(np.float64(2.0) * mytorch.ones(3)), to_numpy(np.float64(2.0) * torch.ones(3))
    )
