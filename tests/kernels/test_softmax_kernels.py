"""The compiled softmax family (softmax, log_softmax and their VJPs along the last dim, a row at
a time) against the NumPy reference: random shapes, rows with infinities and NaN, one and
several threads, and the inputs that go to the reference."""

import numpy as np
import pytest

from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference

NAMES = ("softmax", "log_softmax", "softmax_backward", "log_softmax_backward")
# The sums are made in double blocks (the reference's in the dtype): float32 results differ in
# the last bits, more where g - exp(y) * sum(g) cancels.
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-13)}


def _args(name, x, g):
    if name == "softmax_backward":
        return R.softmax(x, x.ndim - 1), g
    if name == "log_softmax_backward":
        return R.log_softmax(x, x.ndim - 1), g
    return (x,)


def _check(name, x, g, dim, exact=False):
    args = _args(name, x, g)
    got, want = getattr(K, name)(*args, dim), getattr(R, name)(*args, dim)
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, **TOL[str(want.dtype)])


@pytest.fixture(params=[1, 3], ids=["1thread", "3threads"])
def threads(request, use_threads):
    use_threads(request.param)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(1,), (5, 7), (3, 4, 130), (2, 3, 1), (64, 32, 40)])
def test_random_rows_match_the_reference(name, shape, threads, dtype_name, rng):
    x = (rng.standard_normal(shape) * 4).astype(dtype_name)
    g = rng.standard_normal(shape).astype(dtype_name)
    _check(name, x, g, len(shape) - 1)
    _check(name, x, g, -1)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_infinite_and_nan_rows_as_the_reference(name, dtype_name):
    """A -inf entry gives 0 (softmax) or -inf; a row holding +inf or NaN, or all -inf, NaN."""
    inf, nan = np.inf, np.nan
    x = np.array([[1, -inf, 2], [inf, 1, 0], [-inf, -inf, -inf], [1, nan, 2]], dtype=dtype_name)
    _check(name, x, None, 1, exact=True)


@pytest.mark.parametrize("name", NAMES)
def test_other_inputs_go_to_the_reference(name, rng):
    x = rng.standard_normal((4, 6))
    g = rng.standard_normal((4, 6))
    _check(name, x, g, 0, exact=True)  # not the last dim
    _check(name, x[:, ::2], g[:, ::2], 1, exact=True)  # not contiguous
    _check(name, x.astype(np.float16), g.astype(np.float16), 1, exact=True)  # half precision
    _check(name, np.zeros((3, 0)), np.zeros((3, 0)), 1, exact=True)  # empty rows


def test_the_compiled_kernels_are_loaded():
    ext = pytest.importorskip("mytorch._ext._reduce")
    for name in NAMES:
        assert getattr(K, name) is getattr(ext, name)
