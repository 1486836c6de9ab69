"""op_db rows of the in-place forms (mytorch/_ops/inplace_forms.py) and the miscellaneous ops
(mytorch/_ops/misc_ops.py, linalg_legacy.py): values, first and second derivatives against
torch on every device."""

import numpy as np
from op_db import INT, NONZERO, POS, OpInfo, _nograd, _unary

R23 = [((2, 3),)]
SHIFTS = lambda rng, shape: np.resize(np.array([1, 2, 64, 70, -1, 0, 5]), shape)  # noqa: E731
INTS = lambda rng, shape: np.resize(np.array([1, -8, 3, 5, -1, 0, 7]), shape)  # noqa: E731


def _two(name, fn, shapes, domains, **kw):
    return OpInfo(name, fn, shapes, domains=list(domains), **kw)


ROWS = [
    # --- torch.<op>_ and Tensor in-place forms (composites of other families' ops) ---------
    _unary("torch_exp_", lambda T, x: T.exp_(x * 1), op="exp"),
    _unary("torch_clamp_", lambda T, x: T.clamp_(x * 1, -0.5, 0.5), op="clamp"),
    _unary("torch_fill_", lambda T, x: T.fill_(x * 1, 2.0) * x, op="fill"),
    _unary("torch_zero_", lambda T, x: T.zero_(x * 1) + x, op="fill"),
    _unary("torch_xlogy_", lambda T, x: T.xlogy_(x * 1, x), POS, op="xlogy"),
    _unary("sign_", lambda T, x: (x * 1).sign_() * x, NONZERO, op="sign"),
    _unary("clamp_min_", lambda T, x: (x * 1).clamp_min_(0.2), op="clamp"),
    _unary("clamp_max_", lambda T, x: T.clamp_max_(x * 1, 0.2), op="clamp"),
    _unary("negative_", lambda T, x: T.negative_(x * 1), op="neg"),
    _unary("fix_", lambda T, x: T.fix_(x * 3) * x, op="trunc"),
    _unary("float_power_", lambda T, x: (x.double() * 1).float_power_(2), POS, op="pow"),
    _unary("lt_", lambda T, x: (x * 1).lt_(0.1) * x, op="copy"),
    _unary(
        "fill_diagonal_",
        lambda T, x: (x * 1).fill_diagonal_(3.0),
        shapes=[((3, 2),), ((2, 3),)],
        op="where",
    ),
    _unary(
        "fill_diagonal_wrap",
        lambda T, x: (x * 1).fill_diagonal_(3.0, wrap=True),
        shapes=[((7, 2),)],
        op="where",
    ),
    _unary(
        "fill_diagonal_3d",
        lambda T, x: (x * 1).fill_diagonal_(-1.0),
        shapes=[((2, 2, 2),)],
        op="where",
    ),
    _unary("squeeze_", lambda T, x: (x * 1).squeeze_(1), shapes=[((2, 1, 3),)], op="reshape"),
    _unary("unsqueeze_", lambda T, x: (x * 1).unsqueeze_(-1), op="reshape"),
    _unary("t_", lambda T, x: (x * 1).t_() * 2, shapes=R23, op="transpose"),
    _unary("transpose_", lambda T, x: (x * 1).transpose_(0, 1)[1:], shapes=R23, op="transpose"),
    # --- shifts: integers only ----------------------------------------------------------------
    _two(
        "bitwise_left_shift",
        lambda T, x, y: T.bitwise_left_shift(x, y),
        [((7,), (7,)), ((2, 7), (7,))],
        (INTS, SHIFTS),
        grad=False,
        gradgrad=False,
    ),
    _two(
        "bitwise_right_shift",
        lambda T, x, y: x >> y,
        [((7,), (7,)), ((2, 7), (7,))],
        (INTS, SHIFTS),
        grad=False,
        gradgrad=False,
    ),
    _nograd(
        "lshift_scalar",
        lambda T, x: (x << 3) + (2 << x.clamp(0, 5)),
        R23,
        INT,
        op="bitwise_left_shift",
    ),
]
