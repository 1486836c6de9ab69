"""Shape kernels (expand, reshape, transpose, permute): the active dispatch against NumPy's
own functions, including the views' memory, strides and write flags."""

import numpy as np
import pytest
from helpers import raises

from mytorch._backends import CPU as K

# Each test compares the active CPU kernels with the NumPy reference (or NumPy itself): skipped
# where the kernels are the reference (tests/conftest.py).
pytestmark = pytest.mark.kernels_vs_reference

# (input shape, target shape): new leading dims, size-1 dims broadcast, nothing to do, empty.
EXPANDS = [
    ((3,), (4, 3)),
    ((1,), (5,)),
    ((2, 1), (2, 6)),
    ((1, 3, 1), (2, 4, 3, 5)),
    ((4, 3), (4, 3)),
    ((0, 1), (0, 3)),
    ((), (2, 3)),
    ((), ()),
]


def _check_view(got, want, base):
    assert type(got) is np.ndarray
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.strides == want.strides
    np.testing.assert_array_equal(got, want)
    assert got.flags.writeable == want.flags.writeable
    if base.size and got.size:
        assert np.shares_memory(got, base)


@pytest.mark.parametrize("src,shape", EXPANDS)
def test_expand_matches_broadcast_to(src, shape, dtype_name, rng):
    x = rng.standard_normal(src).astype(dtype_name)
    _check_view(K.expand(x, shape), np.broadcast_to(x, shape), x)


def test_expand_of_strided_views(rng):
    x = rng.standard_normal((6, 4))
    for v, shape in [(x.T[:1], (3, 6)), (x[::2, 1:2], (3, 5)), (x[:, ::-1][:1], (2, 4))]:
        _check_view(K.expand(v, shape), np.broadcast_to(v, shape), x)


@pytest.mark.parametrize("value", [np.float32(1.5), np.float64(-2.0), np.int64(3), np.bool_(1)])
def test_expand_of_numpy_scalars(value):
    got = K.expand(value, (2, 3))
    want = np.broadcast_to(value, (2, 3))
    assert got.shape == want.shape and got.dtype == want.dtype and got.strides == (0, 0)
    np.testing.assert_array_equal(got, want)
    assert not got.flags.writeable


def test_expand_keeps_its_base_alive(rng):
    x = rng.standard_normal(3)
    want = x.copy()
    v = K.expand(x, (1000, 3))
    del x
    np.testing.assert_array_equal(v[-1], want)


@pytest.mark.parametrize("src,shape", [((3,), (4,)), ((2, 3), (3,)), ((2,), (2, 3))])
def test_expand_mismatch_raises_as_numpy(src, shape):
    x = np.zeros(src)
    with raises(ValueError):
        np.broadcast_to(x, shape)
    with raises(ValueError):
        K.expand(x, shape)


def test_reshape_transpose_permute_match_numpy(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    _check_view(K.reshape(x, (6, 4)), np.reshape(x, (6, 4)), x)
    _check_view(K.transpose(x, 0, 2), np.swapaxes(x, 0, 2), x)
    _check_view(K.permute(x, (1, 2, 0)), np.transpose(x, (1, 2, 0)), x)
    t = x.transpose(2, 0, 1)
    got = K.reshape(t, (24,))  # not viewable: a copy, as np.reshape makes
    np.testing.assert_array_equal(got, np.reshape(t, (24,)))
    assert not np.shares_memory(got, x)
    s = np.float32(2.5)
    assert K.reshape(s, (1, 1)).shape == (1, 1) and K.permute(s, ()) == s
