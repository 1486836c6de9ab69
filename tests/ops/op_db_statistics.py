"""op_db rows of the statistics (mytorch/_ops/statistics.py) and of the matrix norms through
singular values (mytorch/_ops/norms.py)."""

from op_db import INT, NONZERO, R3, R23, TIES, OpInfo, _kink, _nograd, _unary, cycle

NAN = float("nan")
TIED = cycle(1, 2, 2, 0, 2, 3)  # the median and mode of a row of (2, 3) and of all are tied
TIED4 = cycle(3, 1, 3, 1, 2, 2, 0, 2)  # (2, 4): two modes per row, the smaller wins
WITH_NAN = cycle(1, NAN, 2, 0, 3, -1)  # a NaN in the first row of (2, 3)
NAN_ROW = cycle(NAN, NAN, NAN, 0, 3, -1)  # a row of (2, 3) all NaN
R24 = [((2, 4),)]
R0 = [((),)]
SVD = dict(op="linalg_svd", tol={"float32": dict(rtol=1e-4, atol=1e-4)})

ROWS = [
    # median, nanmedian: over all (the gradient split among the tied entries), along a dim (the
    # gradient to the index returned)
    _unary(
        "median",
        lambda T, x: T.median(x),
        grad_fn="MedianBackward0",
        shapes=R3 + R24 + R0,
        op="nanmedian",
    ),
    _unary("median_dim", lambda T, x: x.median(1)[0], grad_fn="MedianBackward1", shapes=R3),
    _unary(
        "median_dim_keepdims",
        lambda T, x: T.median(x, axis=-1, keepdims=True).values * x,
        shapes=R24,
        op="median",
    ),  # fmt: skip
    _unary("median_0d", lambda T, x: T.median(x, -1)[0] * x, shapes=R0, op="median"),
    _kink("median_ties", lambda T, x: T.median(x), TIED, R23, op="nanmedian"),
    _kink("median_dim_ties", lambda T, x: T.median(x, 1)[0], TIED, R23, op="median"),
    _kink(
        "median_dim0_ties", lambda T, x: x.median(0).values, TIES, [((5, 3),)], op="median"
    ),  # fmt: skip
    _nograd("median_indices_ties", lambda T, x: T.median(x, 1)[1], R23, TIED, op="median"),
    _kink("median_nan", lambda T, x: T.median(x), WITH_NAN, R23, op="nanmedian"),
    _kink("median_dim_nan", lambda T, x: T.median(x, 1)[0], WITH_NAN, R23, op="median"),
    _nograd("median_int", lambda T, x: T.median(x, 0)[0] + T.median(x), R3, INT, op="median"),
    _unary(
        "nanmedian",
        lambda T, x: T.nanmedian(x),
        grad_fn="NanmedianBackward0",
        shapes=R3,
        op="nanmedian",
    ),  # fmt: skip
    _unary(
        "nanmedian_dim",
        lambda T, x: x.nanmedian(1)[0],
        grad_fn="NanmedianBackward1",
        shapes=R3,
        op="median",
    ),  # fmt: skip
    _kink("nanmedian_nan", lambda T, x: T.nanmedian(x), WITH_NAN, R23, op="nanmedian"),
    _kink(
        "nanmedian_dim_nan", lambda T, x: T.nanmedian(x, -1)[0], WITH_NAN, R23, op="median"
    ),  # fmt: skip
    _kink("nanmedian_all_nan", lambda T, x: T.nanmedian(x, 1)[0], NAN_ROW, R23, op="median"),
    _kink("nanmedian_ties", lambda T, x: T.nanmedian(x), TIED, R23, op="nanmedian"),
    # mode: the gradient to the last occurrence of the (smallest) most frequent value
    _kink("mode", lambda T, x: T.mode(x)[0], TIED4, R24, grad_fn="ModeBackward0"),
    _kink("mode_dim0", lambda T, x: x.mode(0).values * 2, TIES, [((6, 3),)], op="mode"),
    _unary("mode_distinct", lambda T, x: T.mode(x, 1, keepdim=True)[0], shapes=R3, op="mode"),
    _unary("mode_0d", lambda T, x: T.mode(x, 0)[0], shapes=R0, op="mode"),
    _nograd("mode_indices", lambda T, x: T.mode(x, 1)[1], R24, TIED4, op="mode"),
    _nograd("mode_int", lambda T, x: T.mode(x, 0)[0], R3, INT, op="mode"),
    # unique, unique_consecutive (never differentiable: the indices and counts, and the values
    # of integer inputs)
    _nograd("unique", lambda T, x: T.unique(x), [((5, 3),)], INT),
    _nograd(
        "unique_inverse", lambda T, x: T.unique(x, return_inverse=True)[1], R23, TIES, op="unique"
    ),  # fmt: skip
    _nograd("unique_counts", lambda T, x: x.unique(return_counts=True)[1], R23, TIES, op="unique"),
    _nograd(
        "unique_dim", lambda T, x: T.unique(x.long(), dim=1), [((2, 8),)], cycle(0, 1), op="unique"
    ),
    _nograd(
        "unique_dim_inverse",
        lambda T, x: T.unique(x, return_inverse=True, return_counts=True, dim=0)[1],
        [((8, 2),)],
        cycle(0, 1, 1, 1),
        op="unique",
    ),  # fmt: skip
    _nograd(
        "unique_consecutive",
        lambda T, x: T.unique_consecutive(x.long()),
        [((12,),)],
        cycle(1, 1, 2, 2, 2, 1, 3, 3, 1, 1, 1, 0),
    ),  # fmt: skip
    _nograd(
        "unique_consecutive_inverse",
        lambda T, x: T.unique_consecutive(x.long(), return_inverse=True)[1],
        R23,
        TIES,
        op="unique_consecutive",
    ),  # fmt: skip
    _nograd(
        "unique_consecutive_counts",
        lambda T, x: x.long().unique_consecutive(return_counts=True, dim=0)[1],
        [((6, 2),)],
        cycle(1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 2, 2),
        op="unique_consecutive",
    ),  # fmt: skip
    # composites
    _unary("aminmax", lambda T, x: T.aminmax(x)[0] * T.aminmax(x).max, shapes=R3 + R0),
    _unary("aminmax_dim", lambda T, x: T.aminmax(x, dim=1)[1] - x.aminmax(dim=0)[0][0], shapes=R3),
    _unary("aminmax_axis", lambda T, x: T.aminmax(x, axis=-1, keepdims=True).min * x, shapes=R3),
    _unary("aminmax_keepdim_all", lambda T, x: T.aminmax(x, keepdim=True).max * x, shapes=R3),
    _kink("aminmax_ties", lambda T, x: T.aminmax(x, dim=1).max, TIED, R23),
    _unary("var_mean", lambda T, x: T.var_mean(x)[0] * T.var_mean(x, 1)[1], shapes=R3, op="var"),
    _unary(
        "var_mean_correction",
        lambda T, x: T.var_mean(x, (0, 2), correction=0, keepdim=True)[0] * x,
        shapes=R3,
        op="var",
    ),  # fmt: skip
    _unary("var_mean_unbiased", lambda T, x: T.var_mean(x, False)[0], shapes=R3, op="var"),
    _unary(
        "std_mean", lambda T, x: T.std_mean(x, 1)[0] * T.std_mean(x, axis=1)[1], shapes=R3, op="var"
    ),  # fmt: skip
    _unary(
        "var_mean_0d",
        lambda T, x: T.var_mean(x, 0, correction=0)[1] * x + T.var_mean(x, -1, correction=0)[0],
        shapes=R0,
        op="var",
    ),  # fmt: skip
    _nograd("count_nonzero", lambda T, x: T.count_nonzero(x), R3, TIES),
    _nograd("count_nonzero_dims", lambda T, x: x.count_nonzero((0, 2)), R3, TIES),
    _nograd("count_nonzero_0d", lambda T, x: T.count_nonzero(x, -1), R0, TIES),
    _unary("nansum", lambda T, x: T.nansum(x, 1), shapes=R3),
    _kink("nansum_nan", lambda T, x: T.nansum(x) + x.nansum(-1, keepdim=True), WITH_NAN, R23),
    _nograd("nansum_int", lambda T, x: T.nansum(x, 0), R3, INT),
    _unary("nanmean", lambda T, x: T.nanmean(x, 1), shapes=R3),
    _kink("nanmean_nan", lambda T, x: T.nanmean(x) * x.nanmean(axis=1)[0], WITH_NAN, R23),
    _unary("quantile", lambda T, x: T.quantile(x, 0.3), shapes=R3),
    *[
        _unary(
            f"quantile_{how}",
            lambda T, x, how=how: T.quantile(
                x, T.tensor([0.2, 0.55], dtype=x.dtype, device=x.device), 1, interpolation=how
            ),
            shapes=R3,
        )
        for how in ("linear", "lower", "higher", "midpoint", "nearest")
    ],  # fmt: skip
    _unary("quantile_keepdim", lambda T, x: x.quantile(0.8, -1, keepdim=True), shapes=R3),
    _unary("quantile_keepdim_all", lambda T, x: T.quantile(x, 0.5, keepdim=True), shapes=R3),
    _unary("quantile_0d", lambda T, x: T.quantile(x, 0.5, dim=0), shapes=R0),
    _kink("quantile_nan", lambda T, x: T.quantile(x, 0.4, 1), WITH_NAN, R23),
    _unary("nanquantile", lambda T, x: T.nanquantile(x, 0.7, 0), shapes=R3),
    _kink("nanquantile_nan", lambda T, x: x.nanquantile(0.4, 1), WITH_NAN, R23),
    _kink("nanquantile_all_nan", lambda T, x: T.nanquantile(x, 0.4, 1), NAN_ROW, R23),
    _unary("diff", lambda T, x: T.diff(x), shapes=R3),
    _unary("diff_n", lambda T, x: x.diff(2, 0) * 1, shapes=[((4, 3),)]),
    _unary("diff_n_large", lambda T, x: T.diff(x, 3, 1), shapes=R3),
    _unary(
        "diff_prepend", lambda T, x: T.diff(x, dim=0, prepend=x[:1] * 2, append=x.exp()), shapes=R23
    ),  # fmt: skip
    _nograd("diff_bool", lambda T, x: T.diff(x > 0, axis=1), R23),
    _nograd("diff_int", lambda T, x: T.diff(x), R3, INT),
    _unary("trapezoid", lambda T, x: T.trapezoid(x), shapes=R3),
    _unary("trapezoid_dx", lambda T, x: T.trapezoid(x, dx=0.5, dim=0), shapes=R3),
    OpInfo(
        "trapezoid_x", lambda T, y, x: T.trapezoid(y, x, dim=1), [((2, 3), (3,)), ((2, 3), (2, 3))]
    ),  # fmt: skip
    _unary("trapz", lambda T, x: T.trapz(x, dim=1), shapes=R3),
    _unary("cov", lambda T, x: T.cov(x), shapes=[((3, 5),), ((4,),)]),
    _unary("cov_correction", lambda T, x: x.cov(correction=0), shapes=[((2, 4),)]),
    _unary("corrcoef", lambda T, x: T.corrcoef(x), shapes=[((3, 5),)]),
    _unary("corrcoef_1d", lambda T, x: x.corrcoef(), shapes=[((4,),)]),
    # matrix norms through singular values
    *[
        _unary(
            f"matrix_norm_{o}",
            lambda T, x, o=o: T.linalg.matrix_norm(x, o),
            shapes=R3,
            domain=NONZERO,
            **SVD,
        )
        for o in ("nuc", 2, -2)
    ],  # fmt: skip
    _unary(
        "matrix_norm_nuc_dims",
        lambda T, x: T.linalg.matrix_norm(x, "nuc", dim=(2, 0), keepdim=True),
        shapes=R3,
        domain=NONZERO,
        **SVD,
    ),  # fmt: skip
    _unary("linalg_norm_2", lambda T, x: T.linalg.norm(x, 2), shapes=[((3, 2),)], **SVD),
    _unary("norm_nuc", lambda T, x: T.norm(x, "nuc"), shapes=[((3, 2),)], **SVD),
]
