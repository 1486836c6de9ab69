"""linalg.lu_factor of empty batches and matrices (both builds): torch's shapes and dtypes."""

import pytest

import mytorch

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 3), (2, 3, 0)])
def test_lu_factor_empty_as_torch(shape):
    lu, piv = mytorch.linalg.lu_factor(mytorch.zeros(shape))
    tlu, tpiv = torch.linalg.lu_factor(torch.zeros(shape))
    assert tuple(lu.shape) == tuple(tlu.shape) and tuple(piv.shape) == tuple(tpiv.shape)
    assert str(piv.dtype) == str(tpiv.dtype)
