"""op_db rows of the convolutions (mytorch/_ops/conv.py): im2col through F.unfold and
conv2d, col2im through F.fold and conv_transpose2d (weights made in the row, so the input's
first and second derivatives go through both primitives)."""

import numpy as np

from op_db import OpInfo, _unary

_W = np.random.default_rng(7).standard_normal((3, 2, 2, 2))


def _w(T, x):
    return T.tensor(_W, dtype=x.dtype, device=x.device)


ROWS = [
    _unary(
        "unfold_im2col",
        lambda T, x: T.nn.functional.unfold(x, (2, 2), padding=1, stride=(1, 2)),
        shapes=[((2, 2, 3, 4),)],
        op="im2col",
    ),
    _unary(
        "fold_col2im",
        lambda T, x: T.nn.functional.fold(x, (3, 4), (2, 2), dilation=(1, 2)),
        shapes=[((2, 8, 4),)],
        op="col2im",
    ),
    OpInfo(
        "conv2d_im2col",
        lambda T, x: T.nn.functional.conv2d(x.tanh(), _w(T, x), padding=1),
        [((2, 2, 3, 3),)],
        op="im2col",
    ),
    OpInfo(
        "conv_transpose2d_col2im",
        lambda T, x: T.nn.functional.conv_transpose2d(x.tanh(), _w(T, x).transpose(0, 1)[:2]),
        [((1, 2, 3, 3),)],
        op="col2im",
    ),
]
