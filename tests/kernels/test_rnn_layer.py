"""The LSTM layer kernels (lstm_layer, lstm_layer_backward): the compiled time loops against the
NumPy reference, forward and reverse, with and without each incoming gradient, threaded cells,
and the inputs that go to the reference."""

import numpy as np
import pytest

from mytorch import _threads
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference

# The compiled loops compute the recurrent products in another order (BLAS, or the AVX-512
# kernel's fused multiply-adds): float32 rounding differs, by up to about 3e-5 on the 4H = 1024
# terms of the threaded case's backward products.
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-12, atol=1e-12)}


def _inputs(rng, dt, steps=5, rows=3, k=4):
    gi = rng.standard_normal((steps, rows, 4 * k)).astype(dt)
    w = (rng.standard_normal((4 * k, k)) * 0.5).astype(dt)
    h0 = rng.standard_normal((rows, k)).astype(dt)
    c0 = rng.standard_normal((rows, k)).astype(dt)
    return gi, w, h0, c0


def _close(got, want, dt):
    for a, b in zip(got, want):
        assert type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, **TOL[dt])


def _check(rng, dt, reverse, **shape):
    gi, w, h0, c0 = _inputs(rng, dt, **shape)
    mine, ref = {}, {}
    want = R.lstm_layer(gi, w, h0, c0, reverse, ref)
    _close(K.lstm_layer(gi, w, h0, c0, reverse, mine), want, dt)
    out_shape = gi.shape[:2] + (h0.shape[1],)
    gout = rng.standard_normal(out_shape).astype(dt)
    gh, gc = rng.standard_normal(h0.shape).astype(dt), rng.standard_normal(h0.shape).astype(dt)
    for grads in ((gout, gh, gc), (gout, None, None), (None, gh, None), (None, None, gc)):
        want = R.lstm_layer_backward(*grads, w, h0, c0, reverse, ref)
        _close(K.lstm_layer_backward(*grads, w, h0, c0, reverse, mine), want, dt)


@pytest.mark.parametrize("reverse", [False, True])
def test_layers_match_the_reference(reverse, dtype_name):
    rng = np.random.default_rng(1 + reverse)
    for steps, rows, k in ((1, 1, 1), (5, 3, 4), (7, 2, 9)):
        _check(rng, dtype_name, reverse, steps=steps, rows=rows, k=k)


def test_threaded_cells_match(dtype_name):
    before = _threads.get_num_threads()
    _threads.set_num_threads(3)
    try:  # rows * k from 1 << 17 splits the cells' rows across threads
        _check(np.random.default_rng(3), dtype_name, False, steps=2, rows=512, k=256)
    finally:
        _threads.set_num_threads(before)


def test_gradients_of_another_dtype_are_cast():
    rng = np.random.default_rng(4)
    gi, w, h0, c0 = _inputs(rng, "float32")
    mine, ref = {}, {}
    K.lstm_layer(gi, w, h0, c0, False, mine)
    R.lstm_layer(gi, w, h0, c0, False, ref)
    gout = rng.standard_normal((5, 3, 4))  # float64
    got = K.lstm_layer_backward(gout, None, None, w, h0, c0, False, mine)
    want = R.lstm_layer_backward(gout.astype("float32"), None, None, w, h0, c0, False, ref)
    _close(got, want, "float32")


def test_other_inputs_go_to_the_reference():
    rng = np.random.default_rng(5)
    gi, w, h0, c0 = _inputs(rng, "float64")
    for args in (
        (gi.astype(np.float16), w.astype(np.float16), h0.astype(np.float16), c0.astype(np.float16)),
        (gi[:, :, ::-1], w, h0, c0),  # not contiguous
        (gi, w.astype(np.float32), h0, c0),  # mixed dtypes
    ):
        mine, ref = {}, {}
        got = K.lstm_layer(*args, False, mine)
        want = R.lstm_layer(*args, False, ref)
        assert sorted(mine) == sorted(ref)  # the reference's saved state
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
        gout = np.ones(want[0].shape, want[0].dtype)
        back = K.lstm_layer_backward(gout, None, None, *args[1:], False, mine)
        for a, b in zip(back, R.lstm_layer_backward(gout, None, None, *args[1:], False, ref)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("small_gemm", [True, False], ids=["avx512-kernel", "blas"])
def test_both_product_paths_match(small_gemm):
    """Hidden sizes of a multiple of 16 (4H a multiple of 64) take the AVX-512 product kernel
    where the CPU has it, on 4-row blocks and a remainder; BLAS otherwise: both agree with the
    reference."""
    ext = pytest.importorskip("mytorch._ext._rnn")
    prev = ext._set_small_gemm(small_gemm)
    before = _threads.get_num_threads()
    _threads.set_num_threads(2)
    try:
        for rows in (9, 32):
            for reverse in (False, True):
                _check(np.random.default_rng(rows), "float32", reverse, steps=4, rows=rows, k=64)
    finally:
        _threads.set_num_threads(before)
        ext._set_small_gemm(prev)


def _lstm_input_case(rng, m, k, n, dt="float32"):
    x = rng.standard_normal((m, k)).astype(dt)
    w = (rng.standard_normal((n, k)) * 0.5).astype(dt)
    b = rng.standard_normal(n).astype(dt)
    return x, w, b


@pytest.mark.parametrize("threads", [1, 3])
def test_lstm_input_matches_the_reference(threads, use_threads):
    """lstm_input (x @ w.T + b): the AVX-512 kernel's fast path (4H a multiple of 64, I x 4H up
    to 2^17) on 1 and 3 threads, blocks of 64 rows and a last partial one, against float64."""
    use_threads(threads)
    rng = np.random.default_rng(7)
    for m, k, n in ((1, 1, 64), (5, 3, 64), (130, 64, 512), (64, 256, 512), (700, 32, 128)):
        x, w, b = _lstm_input_case(rng, m, k, n)
        got = K.lstm_input(x, w, b)
        want = x.astype(np.float64) @ w.astype(np.float64).T + b
        assert type(got) is np.ndarray and got.dtype == np.float32 and got.shape == (m, n)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.sqrt(k))
        np.testing.assert_allclose(got, R.lstm_input(x, w, b), rtol=1e-5, atol=1e-5 * np.sqrt(k))


def test_lstm_input_off_the_fast_path_is_the_reference():
    """Other widths, larger weights, float64, strided operands and a CPU without AVX-512 (the
    switch off) give the reference's result."""
    rng = np.random.default_rng(8)
    cases = [_lstm_input_case(rng, 9, 4, 96), _lstm_input_case(rng, 9, 257, 512),
             _lstm_input_case(rng, 9, 4, 64, "float64")]  # fmt: skip
    x, w, b = _lstm_input_case(rng, 9, 8, 64)
    cases += [(x[:, ::2], w[:, ::2], b), (x, w, b[::-1].copy()[::-1])]
    for x, w, b in cases:
        np.testing.assert_array_equal(K.lstm_input(x, w, b), R.lstm_input(x, w, b))
    ext = pytest.importorskip("mytorch._ext._rnn")
    prev = ext._set_small_gemm(False)
    try:
        x, w, b = _lstm_input_case(rng, 9, 8, 64)
        np.testing.assert_array_equal(K.lstm_input(x, w, b), R.lstm_input(x, w, b))
    finally:
        ext._set_small_gemm(prev)
