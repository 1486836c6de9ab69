"""op_db rows of the norms (mytorch/_ops/norms.py)."""

from op_db import NONZERO, R3, R23, OpInfo, _kink, _nograd, _unary, cycle

INF = float("inf")
VN = dict(op="linalg_vector_norm")
TIES = cycle(1, -2, 2, 0, 2, 2)  # tied magnitudes and a zero in each row of (2, 3)
ZERO_ROW = cycle(0, 0, 0, 1, -2, 0)

ROWS = [
    _unary(
        "vector_norm",
        lambda T, x: T.linalg.vector_norm(x),
        grad_fn="LinalgVectorNormBackward0",
        shapes=R3 + [((),)],
        domain=NONZERO,
        **VN,
    ),
    *[
        _unary(
            f"vector_norm_ord{p}",
            lambda T, x, p=p: T.linalg.vector_norm(x, p, dim=1),
            shapes=R3,
            domain=NONZERO,
            **VN,
        )
        for p in (1, 3, 1.5, 0.5, INF, -INF, -2)
    ],
    _nograd("vector_norm_ord0", lambda T, x: T.linalg.vector_norm(x, 0), R23, **VN),
    _unary(
        "vector_norm_keepdims",
        lambda T, x: T.linalg.vector_norm(x, 2, axis=(0, 2), keepdims=True),
        shapes=R3,
        domain=NONZERO,
        **VN,
    ),
    # at ties and zeros: first derivatives only (torch's second derivatives there are NaN)
    *[
        _kink(
            f"vector_norm_ties{p}",
            lambda T, x, p=p: T.linalg.vector_norm(x, p, 1),
            TIES,
            R23,
            gradgrad=False,
            **VN,
        )
        for p in (1, 2, 3, INF, -INF)
    ],  # fmt: skip
    *[
        _kink(
            f"vector_norm_zero{p}",
            lambda T, x, p=p: T.linalg.vector_norm(x, p, -1),
            ZERO_ROW,
            R23,
            gradgrad=False,
            **VN,
        )
        for p in (2, 3, 1.5, INF)
    ],  # fmt: skip
    *[
        _unary(
            f"matrix_norm_{o}",
            lambda T, x, o=o: T.linalg.matrix_norm(x, o),
            shapes=R3,
            domain=NONZERO,
            **VN,
        )
        for o in ("fro", 1, -1, INF, -INF)
    ],  # fmt: skip
    _unary("linalg_norm", lambda T, x: T.linalg.norm(x), shapes=R3, domain=NONZERO, **VN),
    _unary("linalg_norm_dim", lambda T, x: T.linalg.norm(x, 1, 0), shapes=R23, **VN),
    _unary("norm", lambda T, x: T.norm(x), shapes=R3, domain=NONZERO, **VN),
    _unary("norm_method", lambda T, x: x.norm(3, dim=1), shapes=R3, domain=NONZERO, **VN),
    OpInfo("dist", lambda T, x, y: T.dist(x, y, 3), [((2, 3), (3,))], NONZERO, **VN),
]
