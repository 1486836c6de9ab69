"""The rearrange, scatter and pad families against torch where op_db's rows do not reach:
exception classes on bad input, views that share memory, in-place and out= forms."""

import numpy as np
import pytest
import torch
from helpers import raises_like

import mytorch

F = "nn.functional"


def _x(T, *shape):
    return T.arange(float(np.prod(shape))).reshape(shape)


def _i(T, data):
    return T.tensor(data)


BAD = {
    "flip_repeated_dim": lambda T: T.flip(_x(T, 2, 3), [0, 0]),
    "roll_misaligned": lambda T: T.roll(_x(T, 2, 3), (1, 2), 0),
    "triu_1d": lambda T: T.triu(_x(T, 3)),
    "movedim_mismatch": lambda T: T.movedim(_x(T, 2, 3), (0, 1), (0,)),
    "movedim_mixed": lambda T: T.movedim(_x(T, 2, 3), (0, 1), 0),
    "movedim_repeated": lambda T: T.movedim(_x(T, 2, 3), (0, 0), (0, 1)),
    "unflatten_sizes": lambda T: _x(T, 2, 6).unflatten(1, (4, 2)),
    "repeat_too_few": lambda T: _x(T, 2, 3).repeat(2),
    "hsplit_indivisible": lambda T: T.hsplit(_x(T, 2, 3), 2),
    "vsplit_1d": lambda T: T.vsplit(_x(T, 4), 2),
    "rot90_one_dim": lambda T: T.rot90(_x(T, 2, 3), 1, [0]),
    "rot90_same_dims": lambda T: T.rot90(_x(T, 2, 3), 1, [1, 1]),
    "diag_3d": lambda T: T.diag(_x(T, 2, 2, 2)),
    "trace_3d": lambda T: T.trace(_x(T, 2, 2, 2)),
    "meshgrid_2d": lambda T: T.meshgrid(_x(T, 2, 2), indexing="ij"),
    "meshgrid_indexing": lambda T: T.meshgrid(_x(T, 2), indexing="yx"),
    "broadcast_shapes": lambda T: T.broadcast_shapes((2, 3), (4,)),
    "unfold_too_big": lambda T: _x(T, 2, 3).unfold(1, 4, 1),
    "unfold_step_0": lambda T: _x(T, 2, 3).unfold(1, 2, 0),
    "gather_float_index": lambda T: T.gather(_x(T, 2, 3), 1, _x(T, 1, 1)),
    "gather_out_of_range": lambda T: T.gather(_x(T, 2, 3), 1, _i(T, [[5]])),
    "gather_ndim": lambda T: T.gather(_x(T, 2, 3), 1, _i(T, [0])),
    "gather_too_big": lambda T: T.gather(_x(T, 2, 3), 1, _i(T, [[0], [0], [0]])),
    "scatter_out_of_range": lambda T: _x(T, 3).scatter(0, _i(T, [5]), 1.0),
    "scatter_dtype": lambda T: _x(T, 3).scatter(0, _i(T, [1]), _i(T, [1])),
    "scatter_reduce_name": lambda T: _x(T, 3).scatter_reduce(0, _i(T, [1]), _x(T, 1), "add"),
    "index_select_2d_index": lambda T: T.index_select(_x(T, 3), 0, _i(T, [[0]])),
    "index_select_out_of_range": lambda T: T.index_select(_x(T, 3), 0, _i(T, [7])),
    "masked_select_float_mask": lambda T: T.masked_select(_x(T, 3), _x(T, 3)),
    "take_int32": lambda T: T.take(_x(T, 3), _i(T, [0]).int()),
    "kthvalue_k": lambda T: T.kthvalue(_x(T, 3), 4),
    "bincount_negative": lambda T: T.bincount(_i(T, [-1, 2])),
    "bincount_2d": lambda T: T.bincount(_i(T, [[1, 2]])),
    "bucketize_2d_boundaries": lambda T: T.bucketize(_x(T, 3), _x(T, 2, 2)),
    "pad_odd": lambda T: T.nn.functional.pad(_x(T, 2, 3), (1,)),
    "pad_mode": lambda T: T.nn.functional.pad(_x(T, 2, 3), (1, 1), mode="foo"),
    "pad_reflect_too_big": lambda T: T.nn.functional.pad(_x(T, 2, 3), (3, 3), mode="reflect"),
    "pad_reflect_1d": lambda T: T.nn.functional.pad(_x(T, 3), (1, 1), mode="reflect"),
    "pad_circular_wrap": lambda T: T.nn.functional.pad(_x(T, 2, 3), (4, 0), mode="circular"),
    "pad_too_long": lambda T: T.nn.functional.pad(_x(T, 2), (1, 1, 1, 1)),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_match_torch(name):
    raises_like(BAD[name])


def test_views_share_memory():
    x = mytorch.arange(12.0).reshape(3, 4).clone()
    for v in (x.movedim(0, 1), x.unflatten(1, (2, 2)), x.unfold(1, 2, 1), x.moveaxis(1, 0)):
        assert v.data_ptr() == x.data_ptr()
        assert v._base is x
    w = x.unfold(1, 2, 2)
    w[1, 1, 0] = 100.0
    assert x[1, 2].item() == 100.0
    f = x.flip(0)  # a copy, as torch's
    f[0, 0] = -1.0
    assert x[2, 0].item() == 8.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inplace_and_out_forms(dtype):
    idx = [[0, 1], [3, 2], [2, 0]]
    res = []
    for T in (torch, mytorch):
        dt = getattr(T, dtype)
        x = _x(T, 3, 4).to(dt)
        y = x[:, :2] * -1
        a = x.clone().scatter_(1, T.tensor(idx), y)
        b = x.clone().scatter_add_(1, T.tensor(idx), y)
        c = x.clone().triu_(1)
        d = x.clone().index_fill_(1, T.tensor([0, 3]), 7.0)
        e = x.clone().index_add_(0, T.tensor([2, 2]), x[:2])
        f = T.flip(x, [1])
        g = T.gather(x, 1, T.tensor(idx), out=T.empty(3, 2, dtype=dt))
        h = T.hstack([x, x], out=T.empty(0, dtype=dt))
        res.append([a, b, c, d, e, f, g, h])
    for t, m in zip(*res):
        assert str(t.dtype).split(".")[-1] == str(m.dtype).split(".")[-1]
        np.testing.assert_array_equal(t.numpy(), m.numpy())


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        mytorch.meshgrid(mytorch.arange(2), mytorch.arange(3))


def test_return_types():
    for T in (torch, mytorch):
        r = T.kthvalue(_x(T, 2, 3), 2, 1, keepdim=True)
        assert tuple(r.values.shape) == (2, 1) and r.indices.tolist() == [[1], [1]]
    assert mytorch.broadcast_shapes((3, 1), (2, 1, 4)) == torch.broadcast_shapes((3, 1), (2, 1, 4))
