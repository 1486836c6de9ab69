"""op_db rows of the rearrange and scatter families (issue 15, shape and indexing): flip, roll,
triu/tril, Tensor.unfold (primitives) and the composites built from views and index ops."""

from op_db import INT, OpInfo, R3, _nograd, _unary


def _ix(T, like, data):
    """An int64 index tensor on ``like``'s device."""
    return T.tensor(data, device=like.device)


M34 = [((3, 4),)]
V3 = [((3,),)]
G = dict(op="getitem")  # the composites that gather through getitem
P = dict(op="index_put")  # and those that scatter through index_put

ROWS = [
    # --- primitives ----------------------------------------------------------------------------
    _unary(
        "flip",
        lambda T, x: T.flip(x, [0, -1]),
        grad_fn="FlipBackward0",
        shapes=[((3, 4),), ((2, 3, 2),)],
    ),
    _unary("flip_0d", lambda T, x: T.flip(x, [0]) * 2, shapes=[((),)], op="flip"),
    _unary("fliplr", lambda T, x: T.fliplr(x) ** 2, shapes=M34, op="flip"),
    _unary("flipud", lambda T, x: x.flipud() ** 2, shapes=V3, op="flip"),
    _unary("rot90", lambda T, x: T.rot90(x) * x.T, shapes=M34, op="flip"),
    _unary("rot90_k", lambda T, x: T.rot90(x, -1, [2, 0]) ** 2, shapes=R3, op="flip"),
    _unary("roll", lambda T, x: T.roll(x, (1, -2), (0, 1)) * x, shapes=M34),
    _unary("roll_flat", lambda T, x: x.roll(5) ** 2, shapes=M34, op="roll"),
    _unary(
        "triu",
        lambda T, x: T.triu(x, 1) ** 2,
        shapes=[((3, 4),), ((2, 3, 2),)],
    ),
    _unary(
        "tril",
        lambda T, x: x.tril(-1) ** 2,
        shapes=[((3, 4),), ((2, 3, 2),)],
    ),
    _unary("unfold", lambda T, x: x.unfold(1, 2, 1) ** 2, shapes=M34),
    _unary("unfold_step", lambda T, x: x.unfold(-1, 2, 2) * 3, shapes=[((2, 3, 5),)], op="unfold"),
    # --- views and joins -----------------------------------------------------------------------
    _unary("movedim", lambda T, x: T.movedim(x, (0, 1), (2, 0)) ** 2, shapes=R3, op="permute"),
    _unary("moveaxis", lambda T, x: x.moveaxis(-1, 0) ** 2, shapes=R3, op="permute"),
    _unary("unflatten", lambda T, x: x.unflatten(1, (2, -1)) ** 2, shapes=M34, op="reshape"),
    _unary("repeat", lambda T, x: x.repeat(2, 1, 3) ** 2, shapes=M34, op="expand"),
    _unary("tile", lambda T, x: T.tile(x, (2,)) ** 2, shapes=M34, op="expand"),
    _unary(
        "repeat_interleave",
        lambda T, x: T.repeat_interleave(x, 2, dim=1) ** 2,
        shapes=M34,
        op="expand",
    ),
    _unary(
        "repeat_interleave_flat", lambda T, x: x.repeat_interleave(3) ** 2, shapes=M34, op="expand"
    ),
    _unary("hstack", lambda T, x: T.hstack([x, x * 2]) ** 2, shapes=[((3, 4),), ((3,),)], op="cat"),
    _unary("vstack", lambda T, x: T.vstack([x, x * 2]) ** 2, shapes=V3, op="cat"),
    _unary("row_stack", lambda T, x: T.row_stack((x, x)) * x[0], shapes=M34, op="cat"),
    _unary("dstack", lambda T, x: T.dstack([x, x * 2]) ** 2, shapes=M34, op="cat"),
    _unary("column_stack", lambda T, x: T.column_stack([x, x * 2]) ** 2, shapes=V3, op="cat"),
    _unary(
        "tensor_split", lambda T, x: T.tensor_split(x, 3, dim=1)[0] ** 2, shapes=M34, op="getitem"
    ),
    _unary(
        "tensor_split_indices",
        lambda T, x: x.tensor_split([1, 5], 1)[1] ** 2,
        shapes=M34,
        op="getitem",
    ),
    _unary("hsplit", lambda T, x: T.hsplit(x, 2)[1] ** 2, shapes=M34, op="getitem"),
    _unary("vsplit", lambda T, x: T.vsplit(x, [1])[1] ** 2, shapes=M34, op="getitem"),
    _unary("atleast_3d", lambda T, x: T.atleast_3d(x) ** 2, shapes=[((3,),), ((),)], op="reshape"),
    _unary(
        "broadcast_tensors",
        lambda T, x: T.broadcast_tensors(x[:, :1], x)[0] ** 2,
        shapes=M34,
        op="expand",
    ),
    _unary(
        "meshgrid_xy",
        lambda T, x: T.meshgrid(x, x[:2], indexing="xy")[0] ** 2,
        shapes=V3,
        op="expand",
    ),
    _unary(
        "meshgrid_ij",
        lambda T, x: T.meshgrid([x, x[:2]], indexing="ij")[1] ** 2,
        shapes=V3,
        op="expand",
    ),
    # --- diagonals -----------------------------------------------------------------------------
    _unary("diag_vector", lambda T, x: T.diag(x, 1) ** 2, shapes=V3, op="where"),
    _unary("diag_vector_below", lambda T, x: T.diag(x, -2) ** 2, shapes=V3, op="where"),
    _unary("diag_matrix", lambda T, x: T.diag(x, 1) ** 2, shapes=M34, op="diagonal"),
    _unary("diag_embed", lambda T, x: T.diag_embed(x, 1, 0, 2) ** 2, shapes=M34, op="where"),
    _unary("diagflat", lambda T, x: T.diagflat(x) ** 2, shapes=[((2, 2),)], op="where"),
    _unary("trace", lambda T, x: T.trace(x) ** 2, shapes=M34, op="diagonal"),
    _nograd("trace_int", lambda T, x: T.trace(x), M34, INT, op="diagonal"),
    # --- gather and scatter --------------------------------------------------------------------
    _unary(
        "gather",
        lambda T, x: T.gather(x, 1, _ix(T, x, [[0, 0], [1, 3], [2, 2]])) ** 2,
        shapes=M34,
        **G,
    ),
    _unary(
        "gather_dim0", lambda T, x: x.gather(0, _ix(T, x, [[0, 2, 1, 0]])) ** 2, shapes=M34, **G
    ),
    OpInfo(
        "scatter",
        lambda T, x, y: T.scatter(x, 1, _ix(T, x, [[0, 1], [3, 2], [2, 0]]), y) ** 2,
        [((3, 4), (3, 2))],
        **P,
    ),
    _unary(
        "scatter_value",
        lambda T, x: x.scatter(0, _ix(T, x, [[0, 1, 2, 0]]), 1.5) ** 2,
        shapes=M34,
        **P,
    ),
    OpInfo(
        "scatter_add",
        lambda T, x, y: T.scatter_add(x, 1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y) ** 2,
        [((3, 4), (3, 2))],
        **P,
    ),
    OpInfo(
        "scatter_reduce_sum",
        lambda T, x, y: T.scatter_reduce(x, 1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y, "sum") ** 2,
        [((3, 4), (3, 2))],
        **P,
    ),
    OpInfo(
        "scatter_reduce_mean",
        lambda T, x, y: (
            x.scatter_reduce(1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y, "mean", include_self=False)
            ** 2
        ),
        [((3, 4), (3, 2))],
        **P,
    ),
    OpInfo(
        "scatter_reduce_prod",
        lambda T, x, y: x.scatter_reduce(1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y, "prod"),
        [((3, 4), (3, 2))],
        op="where",
    ),
    OpInfo(
        "scatter_reduce_amax",
        lambda T, x, y: (
            x.scatter_reduce(
                1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y * 3, "amax", include_self=False
            )
            ** 2
        ),
        [((3, 4), (3, 2))],
        op="amax",
    ),
    OpInfo(
        "scatter_reduce_amin",
        lambda T, x, y: T.scatter_reduce(x, 1, _ix(T, x, [[0, 0], [3, 3], [2, 0]]), y * 3, "amin"),
        [((3, 4), (3, 2))],
        op="amax",
    ),
    _unary(
        "index_select",
        lambda T, x: T.index_select(x, 1, _ix(T, x, [0, 3, 3])) ** 2,
        shapes=M34,
        **G,
    ),
    OpInfo(
        "index_add",
        lambda T, x, y: T.index_add(x, 1, _ix(T, x, [0, 3, 3]), y, alpha=2) ** 2,
        [((3, 4), (3, 3))],
        **P,
    ),
    OpInfo(
        "index_copy",
        lambda T, x, y: x.index_copy(0, _ix(T, x, [2, 0]), y) ** 2,
        [((3, 4), (2, 4))],
        **P,
    ),
    _unary(
        "index_fill", lambda T, x: x.index_fill(1, _ix(T, x, [0, 3]), -1.0) ** 2, shapes=M34, **P
    ),
    _unary("masked_select", lambda T, x: T.masked_select(x, x > 0) ** 2, shapes=M34, **G),
    _unary("masked_select_broadcast", lambda T, x: x.masked_select(x[0] > 0) ** 2, shapes=M34, **G),
    OpInfo(
        "masked_scatter", lambda T, x, y: x.masked_scatter(x > 0, y) ** 2, [((3, 4), (3, 4))], **P
    ),
    _unary("take", lambda T, x: T.take(x, _ix(T, x, [[0, 5], [11, 5]])) ** 2, shapes=M34, **G),
    OpInfo(
        "put",
        lambda T, x, y: x.put(_ix(T, x, [0, 5]), y, accumulate=True) ** 2,
        [((3, 4), (2,))],
        **P,
    ),
    _unary(
        "take_along_dim",
        lambda T, x: T.take_along_dim(x, _ix(T, x, [[0], [3], [1]]), 1) ** 2,
        shapes=M34,
        **G,
    ),
    _unary(
        "take_along_dim_flat",
        lambda T, x: T.take_along_dim(x, _ix(T, x, [0, 7])) ** 2,
        shapes=M34,
        **G,
    ),
    # --- index-valued ops ----------------------------------------------------------------------
    _nograd("argsort", lambda T, x: T.argsort(x, 1, descending=True), M34, op="sort"),
    _nograd("argsort_stable", lambda T, x: x.argsort(stable=True), M34, INT, op="sort"),
    _unary("msort", lambda T, x: T.msort(x) ** 2, shapes=M34, op="sort"),
    _unary("kthvalue", lambda T, x: T.kthvalue(x, 2, 1)[0] ** 2, shapes=M34, op="sort"),
    _unary(
        "kthvalue_keepdim", lambda T, x: x.kthvalue(3, 0, True).values ** 2, shapes=M34, op="sort"
    ),
    _nograd("searchsorted", lambda T, x: T.searchsorted(T.sort(x)[0], x[:, :2]), M34, op="sum"),
    _nograd(
        "searchsorted_right",
        lambda T, x: T.searchsorted(T.sort(x[0])[0], x, right=True),
        M34,
        op="sum",
    ),
    _nograd(
        "bucketize",
        lambda T, x: T.bucketize(x, _ix(T, x, [-1.0, 0.0, 1.0]), out_int32=True),
        M34,
        op="sum",
    ),
    _nograd("argwhere", lambda T, x: T.argwhere(x > 0), M34, op="nonzero"),
    # --- nn.functional.pad ----------------------------------------------------------------------
    _unary("pad_constant", lambda T, x: T.nn.functional.pad(x, (1, 2)) ** 2, shapes=M34, **P),
    _unary(
        "pad_constant_crop",
        lambda T, x: T.nn.functional.pad(x, (-1, 2, 1, -1), value=3.0) ** 2,
        shapes=M34,
        **P,
    ),
    _unary(
        "pad_reflect", lambda T, x: T.nn.functional.pad(x, (2, 3), "reflect") ** 2, shapes=M34, **G
    ),
    _unary(
        "pad_reflect_2d",
        lambda T, x: T.nn.functional.pad(x, (2, 3, 1, 2), mode="reflect") ** 2,
        shapes=[((1, 2, 3, 4),)],
        **G,
    ),
    _unary(
        "pad_replicate",
        lambda T, x: T.nn.functional.pad(x, (2, 3, 1, 0), mode="replicate") ** 2,
        shapes=[((2, 3, 4),)],
        **G,
    ),
    _unary(
        "pad_circular",
        lambda T, x: T.nn.functional.pad(x, (-1, 3), mode="circular") ** 2,
        shapes=M34,
        **G,
    ),
    _nograd("pad_int", lambda T, x: T.nn.functional.pad(x, (1, 1), value=2.5), M34, INT, **P),
]
