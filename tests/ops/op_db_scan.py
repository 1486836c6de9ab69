"""op_db rows of the cumulative ops and products (mytorch/_ops/scan.py)."""

from op_db import INT, R3, R23, _kink, _nograd, _unary, cycle

ZEROS1 = cycle(1, 0, 2, 3, -1, 2)  # one zero per row of (2, 3)
ZEROS2 = cycle(0, 2, 0, 3, -1, 2, 1, 0, 2, 0, 0, 1)  # several zeros per slice
TIED = cycle(1, 0, 1, 2, 2, 0)

ROWS = [
    _unary("cumsum", lambda T, x: T.cumsum(x, 1), grad_fn="CumsumBackward0", shapes=R3),
    _unary("cumsum_neg", lambda T, x: x.cumsum(-1) * x, shapes=R3 + [((),)], op="cumsum"),
    _unary("cumsum_axis", lambda T, x: T.cumsum(x, axis=0), shapes=R3, op="cumsum"),
    _unary("cumsum_dtype", lambda T, x: T.cumsum(x, 0, dtype=T.float64), shapes=R23, op="cumsum"),
    _nograd("cumsum_int", lambda T, x: T.cumsum(x, 1), R3, INT, op="cumsum"),
    _unary("cumprod", lambda T, x: T.cumprod(x, 1), grad_fn="CumprodBackward0", shapes=R3),
    _unary("cumprod_0d", lambda T, x: x.cumprod(-1), shapes=[((),), ((4,),)], op="cumprod"),
    _kink("cumprod_zero", lambda T, x: T.cumprod(x, 1), ZEROS1, R23, op="cumprod"),
    _kink("cumprod_zeros", lambda T, x: x.cumprod(-1), ZEROS2, [((2, 6),)], op="cumprod"),
    _kink("cumprod_zeros_dim0", lambda T, x: x.cumprod(0), ZEROS2, [((6, 2),)], op="cumprod"),
    _unary("prod", lambda T, x: T.prod(x), grad_fn="ProdBackward0", shapes=R3 + [((),)]),
    _unary("prod_dim", lambda T, x: x.prod(1), grad_fn="ProdBackward1", shapes=R3, op="prod"),
    _unary("prod_keepdims", lambda T, x: T.prod(x, -1, keepdims=True), shapes=R3, op="prod"),
    _unary("prod_0d_dim", lambda T, x: T.prod(x, -1) * x, shapes=[((),)], op="prod"),
    _kink("prod_zero", lambda T, x: T.prod(x), cycle(1, 0, 2, 3), [((4,),)], op="prod"),
    _kink("prod_two_zeros", lambda T, x: x.prod(), cycle(1, 0, 2, 0), [((4,),)], op="prod"),
    _kink("prod_dim_zeros", lambda T, x: x.prod(1), ZEROS2, [((3, 4),)], op="prod"),
    _nograd("prod_int", lambda T, x: T.prod(x, 0), R3, INT, op="prod"),
    _unary("cummax", lambda T, x: T.cummax(x, 1)[0], grad_fn="CummaxBackward0", shapes=R3),
    _unary("cummax_0d", lambda T, x: x.cummax(0).values, shapes=[((),)], op="cummax"),
    _unary("cummin", lambda T, x: T.cummin(x, -1).values, grad_fn="CumminBackward0", shapes=R3),
    _kink("cummax_ties", lambda T, x: T.cummax(x, 1)[0], TIED, R23, op="cummax"),
    _kink("cummin_ties", lambda T, x: T.cummin(x, 0)[0], TIED, [((6, 2),)], op="cummin"),
    _nograd("cummax_indices_ties", lambda T, x: T.cummax(x, 1)[1], R23, TIED, op="cummax"),
    _nograd("cummin_indices_ties", lambda T, x: x.cummin(-1)[1], [((2, 6),)], TIED, op="cummin"),
    _unary("logcumsumexp", lambda T, x: T.logcumsumexp(x, 1), shapes=R3, op="cumsum"),
    _unary("logcumsumexp_0d", lambda T, x: x.logcumsumexp(0), shapes=[((),)], op="cumsum"),
]
