"""The convolution kernels a chunk of the batch at a time (mytorch._backends._conv.CHUNK_BYTES)
give what one chunk of the whole batch gives, in every build."""

import numpy as np
import pytest

from mytorch._backends import CPU as K
from mytorch._backends import _conv

# (x shape, w shape, stride, dilation, lo, groups): 1d, 2d with groups and stride, 3d.
CASES = [
    ((5, 4, 9), (6, 2, 3), (2,), (1,), (1,), 2),
    ((4, 6, 7, 6), (4, 3, 2, 3), (2, 1), (1, 2), (1, 0), 2),
    ((3, 2, 4, 5, 3), (3, 2, 2, 2, 2), (1, 1, 1), (1, 1, 1), (1, 0, 1), 1),
]


def _out(spatial, kernel, stride, dilation, lo):
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, st, d, p in zip(spatial, kernel, stride, dilation, lo))  # fmt: skip


def _all_three(x, w, g, stride, dilation, lo, groups):
    out = g.shape[2:]
    return (
        K.conv_forward(x, w, stride, dilation, lo, out, groups),
        K.conv_input_grad(g, w, stride, dilation, lo, x.shape[2:], groups),
        K.conv_weight_grad(x, g, w.shape[2:], stride, dilation, lo, groups),
    )


@pytest.mark.parametrize("case", CASES)
def test_chunks_of_one_image_match_one_chunk(case, monkeypatch, rng):
    xs, ws, stride, dilation, lo, groups = case
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    g = rng.standard_normal((xs[0], ws[0]) + _out(xs[2:], ws[2:], stride, dilation, lo))
    monkeypatch.setattr(_conv, "CHUNK_BYTES", 1 << 40)
    whole = _all_three(x, w, g, stride, dilation, lo, groups)
    monkeypatch.setattr(_conv, "CHUNK_BYTES", 1)
    chunked = _all_three(x, w, g, stride, dilation, lo, groups)
    for got, want in zip(chunked, whole):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # and the three are one form's contractions: <g, F(x, w)> = <B(g, w), x> = <W(x, g), w>
    t = np.vdot(g, whole[0])
    assert np.isclose(np.vdot(whole[1], x), t) and np.isclose(np.vdot(whole[2], w), t)


def test_chunks_split_the_batch():
    assert K._chunks(5, 1) == [(0, 5)] or _conv.CHUNK_BYTES < 5
    per_image = _conv.CHUNK_BYTES // 2 + 1  # two do not fit: one image a chunk
    assert K._chunks(3, per_image) == [(0, 1), (1, 2), (2, 3)]
    assert K._chunks(0, per_image) == []
    assert K._chunks(4, _conv.CHUNK_BYTES // 2) == [(0, 2), (2, 4)]
