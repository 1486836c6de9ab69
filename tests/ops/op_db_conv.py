"""op_db rows of the convolutions (mytorch/_ops/conv.py): im2col through F.unfold, col2im
through F.fold, conv_forward through conv2d, conv_input_grad through conv_transpose2d (weights
made in the row, so the input's first and second derivatives go through the other
contractions), and conv_weight_grad through the weight's gradient of a conv2d, taken with
create_graph (the row's input is the weight)."""

import numpy as np

from op_db import OpInfo, _unary

_W = np.random.default_rng(7).standard_normal((3, 2, 2, 2))


def _w(T, x):
    return T.tensor(_W, dtype=x.dtype, device=x.device)


_X = np.random.default_rng(8).standard_normal((2, 2, 4, 3))


def _weight_grad(T, w):
    """The gradient in w of a grouped, strided conv2d's squared output (so that it depends on
    w, through conv_weight_grad's second operand)."""
    x = T.tensor(_X, dtype=w.dtype, device=w.device)
    forward_only = not w.requires_grad  # then w is a leaf of its own, and g is detached
    if forward_only:
        w = w.detach().requires_grad_()
    out = T.nn.functional.conv2d(x, w.tanh(), padding=(1, 0), stride=(2, 1), groups=2)
    (g,) = T.autograd.grad((out * out).sum(), w, create_graph=not forward_only)
    return g


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
        "conv2d_forward",
        lambda T, x: T.nn.functional.conv2d(x.tanh(), _w(T, x), padding=1),
        [((2, 2, 3, 3),)],
        op="conv_forward",
    ),
    OpInfo(
        "conv_transpose2d_input_grad",
        lambda T, x: T.nn.functional.conv_transpose2d(x.tanh(), _w(T, x).transpose(0, 1)[:2]),
        [((1, 2, 3, 3),)],
        op="conv_input_grad",
    ),
    OpInfo(
        "conv2d_weight_grad",
        lambda T, w: _weight_grad(T, w),
        [((4, 1, 2, 2),)],
        op="conv_weight_grad",
    ),
]
