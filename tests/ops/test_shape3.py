"""The rearrange2 family, nested-sequence indices, as_strided of any input and the out= forms
against torch where op_db's rows do not reach: exception classes, edge cases, views, out=."""

import warnings

import numpy as np
import pytest
import torch
from helpers import assert_matches, raises_like

import mytorch


def _x(T, *shape, dtype="float64"):
    return (T.arange(float(np.prod(shape))) * 0.7 - 3).reshape(shape).to(getattr(T, dtype))


def _i(T, data):
    return T.tensor(data)


BAD = {
    "cartesian_prod_2d": lambda T: T.cartesian_prod(_x(T, 2, 2)),
    "combinations_2d": lambda T: T.combinations(_x(T, 2, 2)),
    "combinations_negative": lambda T: T.combinations(_x(T, 3), -1),
    "tril_indices_float": lambda T: T.tril_indices(3, 3, dtype=T.float32),
    "triu_indices_negative": lambda T: T.triu_indices(-1, 3),
    "block_diag_3d": lambda T: T.block_diag(_x(T, 2, 2, 2)),
    "narrow_copy_too_long": lambda T: T.narrow_copy(_x(T, 3, 4), 0, 2, 5),
    "narrow_copy_start": lambda T: T.narrow_copy(_x(T, 3, 4), 0, -4, 1),
    "narrow_start": lambda T: T.narrow(_x(T, 3, 4), 0, 4, 0),
    "narrow_too_long": lambda T: T.narrow(_x(T, 3, 4), 0, -1, 2),
    "select_scatter_shape": lambda T: T.select_scatter(_x(T, 3, 4), _x(T, 4), 1, 0),
    "select_scatter_index": lambda T: T.select_scatter(_x(T, 3, 4), _x(T, 3), 1, 7),
    "slice_scatter_shape": lambda T: T.slice_scatter(_x(T, 3, 4), _x(T, 3, 3), 1, 0, 2),
    "diagonal_scatter_shape": lambda T: T.diagonal_scatter(_x(T, 3, 4), _x(T, 4)),
    "index_reduce_name": lambda T: T.index_reduce(_x(T, 3), 0, _i(T, [0]), _x(T, 1), "sum"),
    "cdist_1d": lambda T: T.cdist(_x(T, 3), _x(T, 3)),
    "cdist_columns": lambda T: T.cdist(_x(T, 2, 3), _x(T, 2, 4)),
    "cdist_negative_p": lambda T: T.cdist(_x(T, 2, 3), _x(T, 2, 3), -1.0),
    "cdist_int": lambda T: T.cdist(_i(T, [[1, 2]]), _i(T, [[1, 2]])),
    "histc_int": lambda T: T.histc(_i(T, [1, 2])),
    "histc_min_max": lambda T: T.histc(_x(T, 3), 4, 2, 1),
    "histogram_int": lambda T: T.histogram(_i(T, [1, 2]), 2),
    "as_strided_out_of_storage": lambda T: _x(T, 3, 4).t().as_strided((3, 2), (4, 1), 20),
    "as_strided_lengths": lambda T: _x(T, 3, 4).as_strided((3, 2), (4,)),
    "take_out_dtype": lambda T: T.take(_x(T, 3), _i(T, [0]), out=T.empty(0, dtype=T.float32)),
    "argsort_out_no_stable": lambda T: T.argsort(_x(T, 3), out=T.empty(0, dtype=T.long)),
    "argsort_out_dtype": lambda T: T.argsort(_x(T, 3), stable=True, out=T.empty(0)),
    "kthvalue_out_values": lambda T: T.kthvalue(
        _x(T, 3), 1, out=(T.empty(0, dtype=T.long), T.empty(0, dtype=T.long))
    ),
    "kthvalue_out_indices": lambda T: T.kthvalue(_x(T, 3), 1, out=(T.empty(0), T.empty(0))),
    "vstack_out_dtype": lambda T: T.vstack([_x(T, 2)], out=T.empty(0, dtype=T.long)),
    "index_true_mask_shape": lambda T: _x(T, 4, 3)[[True]],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(BAD[name])


# --- nested sequences in an index ------------------------------------------------------------
INDICES = [
    "[0, 1]", "[[0, 1], [1, 0]]", "(0, [1, 2])", "[True, False, True, False]", "[[0, 1]]",
    "[[0, 1], [1, 0], [0, 0]]", "[slice(None), 0]", "[0, slice(None)]", "[None, 0]",
    "[T.tensor(0), T.tensor(1)]", "[[0, 1], 0]", "[(0, 1), (1, 0)]", "(0, (1, 2))",
    "[[True, False, True, False]]", "[0, None]", "[Ellipsis, 1]", "((0, 1),)",
    "([[0, 1], [1, 0]],)", "[[[0, 1]]]", "[True, 1]", "[[0, 1], [1]]", "[]", "[[]]",
    "[[0, 1]] * 33", "[0, 1, 2] * 11 + [0]", "[T.tensor([0, 1])]", "[0, [1]]",
    "(slice(None), [[0, 1], [2, 0]])", "[[True, False, True, False], [0, 2]]",
    "[[0, 1], slice(None), [1, 0]]", "(..., [1, 0])",
]  # fmt: skip


@pytest.mark.parametrize("index", INDICES)
def test_nested_sequence_indices(index):
    """getitem, setitem and the gradient read a nested-sequence index as torch does."""
    res = []
    for T in (torch, mytorch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = _x(T, 4, 3, 2).requires_grad_()
            r = x[eval(index)]
            (g,) = T.autograd.grad((r * r).sum(), x)
            y = T.zeros(4, 3, 2)
            y[eval(index)] = 1.0
            z = T.zeros(4, 3, 2, dtype=T.float64).requires_grad_()
            w = z * 1
            w[eval(index)] = x[eval(index)] * 2  # setitem with a value that requires grad
            (gw,) = T.autograd.grad((w * w).sum() + w.sum(), x)
        res.append((r, g, y, w, gw))
    for m, t in zip(res[1], res[0]):
        assert_matches(m, t)


def test_nested_sequence_warns_as_torch():
    for T in (torch, mytorch):
        x = _x(T, 4, 3)
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            x[[0, slice(None)]]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x[[0, 1]]  # one index tensor: no warning


# --- as_strided of any input -----------------------------------------------------------------
STRIDED = {
    "transposed": lambda b: b.t().as_strided((2, 2), (1, 2), 1),
    "transposed_default_offset": lambda b: b.t().as_strided((3, 2), (4, 1)),
    "slice": lambda b: b[1:, ::2].as_strided((2, 3), (3, 1)),
    "slice_offset_0": lambda b: b[1:, 1:].as_strided((2, 2), (2, 1), 0),
    "reads_outside_the_view": lambda b: b[:, 1].as_strided((3, 3), (1, 1), 2),
    "contiguous_view": lambda b: b[1].as_strided((2,), (2,)),
    "expanded": lambda b: b[:1].expand(3, 4).as_strided((2, 3), (1, 2), 1),
}


@pytest.mark.parametrize("name", sorted(STRIDED))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_as_strided_any_input(name, dtype):
    """Values, strides, storage offset, first and second derivatives, as torch's (strides
    relative to the storage; gradients only to the input's own elements)."""
    res = []
    for T in (torch, mytorch):
        b = _x(T, 3, 4, dtype=dtype).requires_grad_()
        r = STRIDED[name](b)
        w = T.arange(float(r.numel()), dtype=r.dtype).reshape(r.shape) + 1
        (g,) = T.autograd.grad((r * r * w).sum(), b, create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), b)
        res.append((r, g, gg, r.stride(), r.storage_offset()))
    (rt, gt, ggt, st, ot), (rm, gm, ggm, sm, om) = res
    assert (sm, om) == (st, ot)
    for m, t in ((rm, rt), (gm, gt), (ggm, ggt)):
        assert_matches(m, t)


def test_as_strided_is_a_view_of_the_storage():
    b = mytorch.arange(12.0).reshape(3, 4).clone()
    v = b.t().as_strided((2, 2), (1, 4), 5)
    assert v._base is b and v.tolist() == [[5.0, 9.0], [6.0, 10.0]]
    v[1, 1] = -1.0
    assert b[2, 2].item() == -1.0


# --- edge cases of the new ops ---------------------------------------------------------------
EDGES = {
    "combinations_0": lambda T: T.combinations(_x(T, 3), 0),
    "combinations_too_many": lambda T: T.combinations(_x(T, 3), 5),
    "combinations_empty": lambda T: T.combinations(_x(T, 0), 2),
    "combinations_int": lambda T: T.combinations(_i(T, [4, 5, 6, 7]), 3),
    "cartesian_prod_int": lambda T: T.cartesian_prod(_i(T, [1, 2]), _i(T, [3, 4, 5])),
    "tril_indices_empty": lambda T: T.tril_indices(0, 4),
    "triu_indices_int32": lambda T: T.triu_indices(4, 3, -1, dtype=T.int32),
    "block_diag_promotes": lambda T: T.block_diag(_i(T, [[1, 2]]), _x(T, 2, 1, dtype="float32")),
    "block_diag_empty_block": lambda T: T.block_diag(_x(T, 0, 2), _x(T, 2)),
    "block_diag_none": lambda T: T.block_diag(),
    "narrow_copy_negative": lambda T: T.narrow_copy(_x(T, 3, 4), 0, -2, 2),
    "select_scatter_casts": lambda T: T.select_scatter(
        _x(T, 3, 4, dtype="float32"), _x(T, 4), 0, -1
    ),
    "slice_scatter_step": lambda T: _x(T, 5, 2).slice_scatter(_x(T, 2, 2), 0, 1, None, 3),
    "diagonal_scatter_neighbours": lambda T: T.diagonal_scatter(
        T.zeros(2, 3, 4), _x(T, 2, 3), 0, 1, 2
    ),  # fmt: skip
    "index_reduce_inplace": lambda T: _x(T, 3, 4).index_reduce_(
        1, _i(T, [0, 0]), _x(T, 3, 2) * 2, "amax", include_self=False
    ),
    "index_reduce_mean_self": lambda T: _x(T, 3, 4).index_reduce(
        0, _i(T, [2, 2, 0]), _x(T, 3, 4) + 1, "mean"
    ),
    "cdist_p0": lambda T: T.cdist(_x(T, 3, 2), _x(T, 2, 2).round(), 0.0),
    "cdist_broadcast": lambda T: T.cdist(_x(T, 2, 1, 3, 2), _x(T, 4, 2, 2) * 0.5),
    "histc_data_range": lambda T: T.histc(_x(T, 3, 4, dtype="float32"), 5),
    "histc_constant": lambda T: T.histc(T.ones(3, dtype=T.float64), 4),
    "histc_empty": lambda T: T.histc(T.ones(0), 4),
    "histc_outside": lambda T: T.histc(_x(T, 3, 4), 3, -1.0, 1.0),
    "histogram_constant": lambda T: T.histogram(T.ones(3, dtype=T.float64), 2)[1],
    "histogram_edges_tensor": lambda T: T.histogram(
        _x(T, 3, 4), _x(T, 4) * 2, weight=_x(T, 3, 4).abs()
    )[0],
    "histogram_density": lambda T: T.histogram(_x(T, 3, 4), 4, density=True)[0],
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases_match_torch(name):
    assert_matches(EDGES[name](mytorch), EDGES[name](torch))


def test_histogram_return_type():
    for T in (torch, mytorch):
        r = T.histogram(_x(T, 3, 4), 3)
        assert tuple(r.hist.shape) == (3,) and tuple(r.bin_edges.shape) == (4,)
        h, e = r
        assert h.sum().item() == 12


def test_histogram_cpu_only():
    x = _x(mytorch, 3).to("standin")
    with pytest.raises(NotImplementedError):
        mytorch.histogram(x, 2)


# --- out= forms ------------------------------------------------------------------------------
OUTS = {
    "take": lambda T: T.take(_x(T, 3, 4), _i(T, [0, 5]), out=T.empty(0, dtype=T.float64)),
    "argsort": lambda T: T.argsort(_x(T, 3, 4), stable=True, out=T.empty(0, dtype=T.long)),
    "argsort_kw": lambda T: T.argsort(
        _x(T, 3, 4), dim=0, descending=True, stable=False, out=T.empty(4, 3, dtype=T.long)
    ),
    "kthvalue_values": lambda T: T.kthvalue(
        _x(T, 3, 4), 2, 0, True, out=(T.empty(0, dtype=T.float64), T.empty(0, dtype=T.long))
    )[0],
    "kthvalue_indices": lambda T: T.kthvalue(
        _x(T, 3, 4), 2, out=[T.empty(0, dtype=T.float64), T.empty(0, dtype=T.long)]
    ).indices,
    "column_stack": lambda T: T.column_stack([_x(T, 3), _x(T, 3)], out=T.empty(0, dtype=T.float64)),
    "dstack_up": lambda T: T.dstack([_x(T, 2, 2, dtype="float32")], out=T.empty(0, dtype=T.double)),
    "narrow_copy": lambda T: T.narrow_copy(_x(T, 3, 4), 1, 1, 2, out=T.empty(0, dtype=T.float64)),
    "histc": lambda T: T.histc(_x(T, 3, 4), 3, out=T.empty(0, dtype=T.float64)),
    "histogram": lambda T: T.histogram(
        _x(T, 3, 4), 3, out=(T.empty(0, dtype=T.float64), T.empty(0, dtype=T.float64))
    )[1],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OUTS))
def test_out_forms_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_matches(OUTS[name](mytorch), OUTS[name](torch))


def test_out_is_written_in_place():
    for T in (torch, mytorch):
        out = T.empty(2, dtype=T.long)
        r = T.argsort(T.tensor([2.0, 1.0]), stable=True, out=out)
        assert r is out and out.tolist() == [1, 0]
        vals, idx = T.empty(0), T.empty(0, dtype=T.long)
        r = T.kthvalue(T.tensor([3.0, 1.0, 2.0]), 2, out=(vals, idx))
        assert r.values is vals and r.indices is idx and idx.item() == 2
