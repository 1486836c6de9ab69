"""The layer norm kernels (layer_norm, layer_norm_backward): the compiled ones against the NumPy
reference, with and without weight and bias, over one and two trailing dims, threaded and not,
and the fallbacks (half precision, no stats, non-contiguous)."""

import numpy as np
import pytest

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference


def _close(got, want, dtype):
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, k", [((7, 9), 1), ((3, 4, 37), 1), ((2, 5, 6), 2), ((1, 3), 1)])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("threads", [1, 3])
def test_kernels_match_reference(dtype, shape, k, affine, threads):
    rng = np.random.default_rng(len(shape) * 10 + k)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    ns = shape[len(shape) - k :]
    w = rng.standard_normal(ns).astype(dtype) if affine in ("both", "weight") else None
    b = rng.standard_normal(ns).astype(dtype) if affine in ("both", "bias") else None
    prev = _threads.get_num_threads()
    _threads.set_num_threads(threads)
    try:
        sk, sr = {}, {}
        _close(K.layer_norm(x, w, b, k, 1e-5, sk), R.layer_norm(x, w, b, k, 1e-5, sr), dtype)
        for key in ("mean", "rstd"):
            _close(sk[key], sr[key], dtype)
        holder = w if w is not None else np.zeros(ns, dtype)
        for mask in [(w is not None, True, True), (w is not None, False, True),
                     (w is not None, True, False), (w is not None, False, False)]:  # fmt: skip
            st = (sk["mean"], sk["rstd"])
            got = K.layer_norm_backward(g, x, holder, k, 1e-5, st, mask)
            want = R.layer_norm_backward(g, x, holder, k, 1e-5, st, mask)
            for a, c in zip(got, want):
                _close(a, c, dtype)
    finally:
        _threads.set_num_threads(prev)


def test_fallbacks_are_the_reference():
    x = np.ones((2, 3), "float16")
    np.testing.assert_array_equal(K.layer_norm(x, None, None, 1, 1e-5, {}),
                                  R.layer_norm(x, None, None, 1, 1e-5, {}))  # fmt: skip
    y = np.arange(12.0).reshape(3, 4)[:, ::2]  # not contiguous
    np.testing.assert_array_equal(K.layer_norm(y, None, None, 1, 1e-5, {}),
                                  R.layer_norm(y, None, None, 1, 1e-5, {}))  # fmt: skip
    g = np.ones((3, 2))
    w = np.ones(2)
    for a, c in zip(K.layer_norm_backward(g, y, w, 1, 1e-5, None, (True, True, True)),
                    R.layer_norm_backward(g, y, w, 1, 1e-5, None, (True, True, True))):  # fmt: skip
        np.testing.assert_allclose(a, c)


def test_a_broadcast_gradient_takes_the_compiled_kernel(monkeypatch):
    """A mean's gradient arrives as a broadcast view (stride 0): the kernel copies it rather than
    falling back to the reference (whose GEMVs run on NumPy's own BLAS threads)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    w = rng.standard_normal(6).astype(np.float32)
    saved = {}
    K.layer_norm(x, w, None, 1, 1e-5, saved)
    st = (saved["mean"], saved["rstd"])
    g = np.broadcast_to(np.float32(1 / 24), x.shape)
    want = R.layer_norm_backward(np.ascontiguousarray(g), x, w, 1, 1e-5, st, (True, True, True))
    monkeypatch.setattr(R, "layer_norm_backward", lambda *a: pytest.fail("fell back"))
    got = K.layer_norm_backward(g, x, w, 1, 1e-5, st, (True, True, True))
    for a, c in zip(got, want):
        _close(a, c, "float32")
