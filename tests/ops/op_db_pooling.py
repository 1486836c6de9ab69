"""op_db rows of max pooling's primitives (mytorch/_ops/pooling.py): max_pool through
F.max_pool1d/2d/3d (padding, dilation, ceil_mode, overlapping windows; at ties, where only
torch's choice of index is compared), and max_pool_backward through the input's gradient of a
max_pool2d taken with create_graph (the row's input is the output gradient, so its derivatives
go through the backward's own VJP, a gather by the saved indices)."""

import numpy as np

from op_db import TIES, OpInfo, _unary

_X = np.random.default_rng(12).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 7.0


def _pool_grad(T, g):
    """max_pool2d's gradient in x (fixed, distinct values) for the output gradient g."""
    x = T.tensor(_X, dtype=g.dtype, device=g.device, requires_grad=True)
    out = T.nn.functional.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    (gx,) = T.autograd.grad(out, x, grad_outputs=g, create_graph=g.requires_grad)
    return gx


def _mp(n, **kw):
    return lambda T, x: getattr(T.nn.functional, f"max_pool{n}d")(x, **kw)


ROWS = [
    _unary(
        "max_pool2d_prim",
        _mp(2, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
        shapes=[((2, 2, 5, 6),), ((2, 4, 5),)],
        op="max_pool",
        grad_fn="MaxPool2DWithIndicesBackward0",
    ),
    _unary(
        "max_pool2d_ceil",
        _mp(2, kernel_size=2, ceil_mode=True),
        shapes=[((1, 2, 5, 5),)],
        op="max_pool",
        grad_fn="MaxPool2DWithIndicesBackward0",
    ),
    _unary(
        "max_pool2d_ties",
        _mp(2, kernel_size=2, stride=1, padding=1),
        shapes=[((1, 2, 3, 4),)],
        domain=TIES,
        op="max_pool",
        smooth=False,
    ),
    _unary(
        "max_pool1d_prim",
        _mp(1, kernel_size=3, stride=2, padding=1),
        shapes=[((2, 3, 7),)],
        op="max_pool",
    ),
    _unary(
        "max_pool3d_prim",
        _mp(3, kernel_size=2, stride=(1, 2, 2), padding=(1, 0, 1)),
        shapes=[((1, 2, 3, 4, 3),)],
        op="max_pool",
        grad_fn="MaxPool3DWithIndicesBackward0",
    ),
    OpInfo(
        "max_pool2d_backward",
        _pool_grad,
        [((2, 2, 3, 4),)],
        op="max_pool_backward",
        grad_fn="MaxPool2DWithIndicesBackwardBackward0",
    ),
]
