"""op_db rows of the rearrange2 family (issue 15, shape and indexing, the rest): cartesian_prod,
combinations, block_diag, narrow_copy, the *_scatter ops, index_reduce, cdist, histc,
histogram, tril/triu_indices, and as_strided of non-contiguous inputs."""

from op_db import INT, OpInfo, _nograd, _unary, cycle

M34 = [((3, 4),)]
V3 = [((3,),)]
P = dict(op="index_put")
CPU = dict(op="index_put", devices=("cpu",))  # torch.histogram runs on the CPU only
NO_GG = dict(gradgrad=False)  # torch: "the derivative for '_cdist_backward' is not implemented"


def _ix(T, like, data):
    return T.tensor(data, device=like.device)


ROWS = [
    _unary(
        "cartesian_prod", lambda T, x: T.cartesian_prod(x, x[:2] * 2) ** 2, shapes=V3, op="stack"
    ),  # fmt: skip
    _unary("cartesian_prod_one", lambda T, x: T.cartesian_prod(x) ** 2, shapes=V3, op="pow"),
    _unary(
        "combinations", lambda T, x: T.combinations(x, 2) ** 2, shapes=[((4,),)], op="getitem"
    ),  # fmt: skip
    _unary(
        "combinations_replacement",
        lambda T, x: T.combinations(x, 3, with_replacement=True) ** 2,
        shapes=V3,
        op="getitem",
    ),
    _unary(
        "block_diag",
        lambda T, x: T.block_diag(x, x[0, 0], x[1], x[:2, :1] * 2) ** 2,
        shapes=M34,
        op="cat",
    ),
    _unary("narrow_copy", lambda T, x: T.narrow_copy(x, 1, 1, 2) ** 2, shapes=M34, op="getitem"),
    _unary(
        "narrow_copy_method", lambda T, x: x.narrow_copy(0, 1, 2) ** 2, shapes=M34, op="getitem"
    ),  # fmt: skip
    OpInfo(
        "select_scatter", lambda T, x, y: T.select_scatter(x, y, 1, -1) ** 2, [((3, 4), (3,))], **P
    ),  # fmt: skip
    OpInfo(
        "slice_scatter",
        lambda T, x, y: x.slice_scatter(y, 1, 0, None, 2) ** 2,
        [((3, 4), (3, 2))],
        **P,
    ),  # fmt: skip
    OpInfo(
        "diagonal_scatter", lambda T, x, y: T.diagonal_scatter(x, y, 1) ** 2, [((3, 4), (3,))], **P
    ),  # fmt: skip
    OpInfo(
        "diagonal_scatter_apart",
        lambda T, x, y: x.diagonal_scatter(y, -1, 0, 2) ** 2,
        [((3, 2, 4), (2, 2))],
        **P,
    ),
    OpInfo(
        "index_reduce_prod",
        lambda T, x, y: T.index_reduce(x, 0, _ix(T, x, [0, 2, 0]), y, "prod"),
        [((3, 4), (3, 4))],
        op="where",
    ),
    OpInfo(
        "index_reduce_mean",
        lambda T, x, y: x.index_reduce(1, _ix(T, x, [0, 0, 3]), y, "mean", include_self=False) ** 2,
        [((3, 4), (3, 3))],
        **P,
    ),
    OpInfo(
        "index_reduce_amax",
        lambda T, x, y: x.index_reduce(1, _ix(T, x, [3, 1]), y * 3, "amax") ** 2,
        [((3, 4), (3, 2))],
        op="amax",
    ),
    OpInfo(
        "index_reduce_amin",
        lambda T, x, y: x.clone().index_reduce_(0, _ix(T, x, [1]), y * 3, "amin"),
        [((3, 4), (1, 4))],
        op="amax",
    ),
    OpInfo(
        "cdist", lambda T, x, y: T.cdist(x, y), [((3, 4), (2, 4))], op="linalg_vector_norm", **NO_GG
    ),  # fmt: skip
    OpInfo(
        "cdist_p1",
        lambda T, x, y: T.cdist(x, y, 1.0),
        [((3, 4), (2, 4))],
        op="linalg_vector_norm",
        **NO_GG,
    ),  # fmt: skip
    OpInfo(
        "cdist_p3_batch",
        lambda T, x, y: T.cdist(x, y, 3.0),
        [((2, 3, 4), (1, 2, 4))],
        op="linalg_vector_norm",
        **NO_GG,
    ),  # fmt: skip
    OpInfo(
        "cdist_inf",
        lambda T, x, y: T.cdist(x, y, float("inf")),
        [((3, 4), (2, 4))],
        op="linalg_vector_norm",
        **NO_GG,
    ),  # fmt: skip
    # at zero distance (a kink): torch's gradient there is 0
    OpInfo(
        "cdist_zero",
        lambda T, x: T.cdist(x, x),
        [((3, 2),)],
        smooth=False,
        op="linalg_vector_norm",
        **NO_GG,
    ),  # fmt: skip
    # histc and histogram: torch's results require grad but have no derivative (NotImplemented);
    # these results do not require grad, so the rows read detached inputs.
    _nograd("histc", lambda T, x: T.histc(x.detach(), 5, -2.0, 2.0), M34, op="index_put"),
    _nograd("histc_range", lambda T, x: x.detach().histc(4, -0.5, 0.5), M34, op="index_put"),
    _nograd("histogram", lambda T, x: T.histogram(x.detach(), 4)[0], M34, **CPU),
    _nograd("histogram_edges", lambda T, x: T.histogram(x.detach(), 4)[1], M34, **CPU),
    _nograd(
        "histogram_weight_density",
        lambda T, x: x.detach().histogram(
            3, range=(-1.0, 1.0), weight=x.detach().abs(), density=True
        )[0],
        M34,
        **CPU,
    ),
    _nograd(
        "tril_indices",
        lambda T, x: T.tril_indices(4, 3, -1, device=x.device) + x[0, 0],
        M34,
        INT,
        op="add",
    ),  # fmt: skip
    _nograd(
        "triu_indices",
        lambda T, x: T.triu_indices(3, 5, 1, device=x.device) * x[0, 0],
        M34,
        INT,
        op="mul",
    ),  # fmt: skip
    _unary(
        "as_strided_t",
        lambda T, x: x.t().as_strided((2, 2), (1, 2), 1) ** 2,
        shapes=M34,
        op="as_strided",
    ),  # fmt: skip
    _unary(
        "as_strided_slice_overlap",
        lambda T, x: T.as_strided(x.t(), (3, 3), (1, 1), 2) ** 2,
        shapes=M34,
        op="as_strided",
    ),
    _unary(
        "take_cycle",
        lambda T, x: x.take(_ix(T, x, [0, 0, 3])) ** 2,
        shapes=M34,
        domain=cycle(1, 1, 2),
        op="getitem",
        smooth=False,
    ),  # fmt: skip
]
