"""The convolutions' three compiled contractions (conv_forward, conv_input_grad,
conv_weight_grad: one image per thread, a GEMM per group) against the NumPy reference, on random
geometries with groups, one and several threads, non-contiguous operands, and the fallbacks."""

import numpy as np
import pytest

from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference


def _case(rng, n):
    """(x shape, w shape, stride, dilation, lo, out, groups), out as the convolution gives it
    for ``lo`` padding on both sides (or one entry less: a right edge that crops)."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c, cout = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 4, n))
    dilation = tuple(int(d) for d in rng.integers(1, 3, n))
    stride = tuple(int(s) for s in rng.integers(1, 3, n))
    lo = tuple(int(p) for p in rng.integers(0, 2, n))
    out, spatial = [], []
    for k, d, s, p in zip(kernel, dilation, stride, lo):
        size = d * (k - 1) + 1 + int(rng.integers(0, 6))
        spatial.append(size)
        full = (size + 2 * p - d * (k - 1) - 1) // s + 1
        out.append(max(1, full - int(rng.integers(0, 2))))
    x_shape = (int(rng.integers(1, 6)), c) + tuple(spatial)
    w_shape = (cout, c // groups) + kernel
    return x_shape, w_shape, stride, dilation, lo, tuple(out), groups


def _close(got, want):
    assert type(got) is np.ndarray and got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-4 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _check_all(x, w, g, stride, dilation, lo, out, groups):
    _close(
        K.conv_forward(x, w, stride, dilation, lo, out, groups),
        R.conv_forward(x, w, stride, dilation, lo, out, groups),
    )
    spatial = x.shape[2:]
    _close(
        K.conv_input_grad(g, w, stride, dilation, lo, spatial, groups),
        R.conv_input_grad(g, w, stride, dilation, lo, spatial, groups),
    )
    kernel = w.shape[2:]
    _close(
        K.conv_weight_grad(x, g, kernel, stride, dilation, lo, groups),
        R.conv_weight_grad(x, g, kernel, stride, dilation, lo, groups),
    )


@pytest.fixture(params=[1, 3], ids=["1thread", "3threads"])
def threads(request, use_threads):
    use_threads(request.param)
    return request.param


@pytest.mark.parametrize("n", [1, 2, 3])
def test_random_geometries_match_the_reference(n, threads, dtype_name):
    rng = np.random.default_rng(10 * n + threads)
    for _ in range(25):
        x_shape, w_shape, stride, dilation, lo, out, groups = _case(rng, n)
        x = rng.standard_normal(x_shape).astype(dtype_name)
        w = rng.standard_normal(w_shape).astype(dtype_name)
        g = rng.standard_normal((x_shape[0], w_shape[0]) + out).astype(dtype_name)
        _check_all(x, w, g, stride, dilation, lo, out, groups)


def test_a_network_sized_case_matches(threads, rng):
    """The digits CNN's second convolution at batch 8 (float32)."""
    x = rng.standard_normal((8, 32, 26, 26)).astype(np.float32)
    w = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    g = rng.standard_normal((8, 64, 24, 24)).astype(np.float32)
    _check_all(x, w, g, (1, 1), (1, 1), (0, 0), (24, 24), 1)


def test_strided_operands_match(rng):
    """Transposed or sliced operands give what their contiguous copies give."""
    x = rng.standard_normal((6, 5, 9, 4)).transpose(3, 1, 2, 0)[:, :, ::2]  # (4, 5, 5, 6)
    w = rng.standard_normal((3, 2, 5, 7)).transpose(3, 2, 1, 0)  # (7, 5, 2, 3)
    g = rng.standard_normal((4, 7, 4, 4))[:, :, :, ::-1]
    geo = ((1, 1), (1, 1), (0, 0), (4, 4), 1)
    _check_all(x, w, g, *geo)
    want = R.conv_forward(np.ascontiguousarray(x), np.ascontiguousarray(w), *geo)
    _close(K.conv_forward(x, w, *geo), want)


def test_weight_grad_sums_every_image(rng, use_threads):
    """With more images than threads, each thread's sum over its images lands in the result:
    the gradient of a batch is the sum of the single images' gradients."""
    x = rng.standard_normal((7, 2, 5, 5))
    g = rng.standard_normal((7, 3, 3, 3))
    geo = ((1, 1), (1, 1), (0, 0))
    use_threads(2)
    whole = K.conv_weight_grad(x, g, (3, 3), *geo, 1)
    parts = sum(K.conv_weight_grad(x[i : i + 1], g[i : i + 1], (3, 3), *geo, 1) for i in range(7))
    np.testing.assert_allclose(whole, parts, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "dtype, batch", [(np.float16, 2), (np.int64, 2), (np.float32, 0)], ids=["half", "int", "empty"]
)
def test_other_inputs_go_to_the_reference(dtype, batch):
    x = np.arange(batch * 2 * 16).reshape(batch, 2, 4, 4).astype(dtype)
    w = np.arange(3 * 2 * 4).reshape(3, 2, 2, 2).astype(dtype)
    geo = ((1, 1), (1, 1), (0, 0), (3, 3), 1)
    got, want = K.conv_forward(x, w, *geo), R.conv_forward(x, w, *geo)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_mixed_dtypes_go_to_the_reference(rng):
    x = rng.standard_normal((2, 2, 4, 4)).astype(np.float32)
    w = rng.standard_normal((3, 2, 2, 2))
    geo = ((1, 1), (1, 1), (0, 0), (3, 3), 1)
    got, want = K.conv_forward(x, w, *geo), R.conv_forward(x, w, *geo)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)
