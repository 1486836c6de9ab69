"""Views share memory with their base, against torch.

Every case of VIEWS is a function of a base tensor that owns its memory. Compared with torch:
values, ``_is_view()``, ``_base`` (the root base, also for a view of a view), ``is_contiguous()``,
``stride()``, ``storage_offset()``, ``data_ptr()`` relative to the base's, what ``contiguous()``
returns, and that writes through the view show in the base and back (or, for results that are
copies, do not). Then the errors (``view`` of a non-contiguous tensor, negative steps, writes to
expanded tensors) and gradients through views, to second order.
"""

import numpy as np
import pytest
from helpers import (
    LIBS,
    lib as _lib,
    raises_like as _raises_like,
    TOL2,
    assert_matches,
    assert_same_exception,
    seeded_rng,
    to_numpy,
)

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


# --- helpers ------------------------------------------------------------------------------


def _dev(T, device):
    return device if T is mytorch else "cpu"


def _base_values(shape):
    """Distinct values, so a wrong offset or stride shows."""
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * 0.5 - 3.0).reshape(shape)


def _make_base(T, shape, device, dtype_name="float32", requires_grad=False):
    return T.tensor(
        _base_values(shape).astype(dtype_name),
        requires_grad=requires_grad,
        device=_dev(T, device),
    )


def _base_kind(v, base):
    """How ``v._base`` relates to ``base``: the base itself, None, or something else."""
    if v._base is None:
        return "none"
    return "base" if v._base is base else "other"


def _outcome(fn):
    """('ok', None) or ('raise', exception) for ``fn()``."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is compared with torch's
        return "raise", e
    return "ok", None


def _same_outcome(om, ot):
    assert om[0] == ot[0], f"mytorch: {om}, torch: {ot}"
    if ot[0] == "raise":
        em, et = om[1], ot[1]
        assert_same_exception(em, et)
        # The first sentence of torch's message, e.g. "unsupported operation: ...".
        key = str(et).split(".")[0].lower()
        assert key in str(em).lower(), f"mytorch's message lacks {key!r}: {em}"


# --- the cases --------------------------------------------------------------------------------
# (id, base shape, fn(T, base) -> a view of base, or a tensor torch copies)
VIEWS = [
    ("identity_slice", (3, 4), lambda T, b: b[:]),
    ("slice_rows", (3, 4), lambda T, b: b[1:]),
    ("slice_cols", (3, 4), lambda T, b: b[:, 1:3]),
    ("slice_steps", (3, 4), lambda T, b: b[::2, 1::2]),
    ("slice_3d_step", (2, 3, 4), lambda T, b: b[:, ::2, 1:]),
    ("slice_negative_bounds", (3, 4), lambda T, b: b[-2:, :-1]),
    ("int", (3, 4), lambda T, b: b[1]),
    ("int_int_0d", (3, 4), lambda T, b: b[1, 2]),
    ("int_of_1d_0d", (5,), lambda T, b: b[3]),
    ("negative_int", (3, 4), lambda T, b: b[-1]),
    ("int_slice_int_3d", (2, 3, 4), lambda T, b: b[1, :, 2]),
    ("none_ellipsis_int", (2, 3, 4), lambda T, b: b[None, ..., 1]),
    ("ellipsis", (2, 3, 4), lambda T, b: b[...]),
    ("view", (3, 4), lambda T, b: b.view(4, 3)),
    ("view_infer", (2, 3, 4), lambda T, b: b.view(-1, 4)),
    ("view_flat", (3, 4), lambda T, b: b.view(-1)),
    ("view_of_slice", (3, 4), lambda T, b: b[1:].view(8)),
    ("view_of_step_slice", (3, 4), lambda T, b: b[:, ::2].view(6)),  # strides still merge
    ("reshape_as_view", (3, 4), lambda T, b: b.reshape(2, 6)),
    ("reshape_copy", (3, 4), lambda T, b: b.t().reshape(-1)),
    ("reshape_of_step_slice_copy", (3, 4), lambda T, b: b[:, ::2].reshape(6)),
    ("flatten", (2, 3, 4), lambda T, b: b.flatten()),
    ("transpose", (3, 4), lambda T, b: b.transpose(0, 1)),
    ("transpose_3d", (2, 3, 4), lambda T, b: b.transpose(0, 2)),
    ("t", (3, 4), lambda T, b: b.t()),
    ("t_1d", (4,), lambda T, b: b.t()),
    ("T", (3, 4), lambda T, b: b.T),
    ("mT", (2, 3, 4), lambda T, b: b.mT),
    ("permute", (2, 3, 4), lambda T, b: b.permute(2, 0, 1)),
    ("permute_negative", (2, 3, 4), lambda T, b: b.permute(-1, -3, -2)),
    ("expand", (3, 1), lambda T, b: b.expand(3, 4)),
    ("expand_new_dim", (4,), lambda T, b: b.expand(2, 4)),
    ("expand_minus1", (3, 1), lambda T, b: b.expand(-1, 2)),
    ("squeeze_dim", (3, 1, 4), lambda T, b: b.squeeze(1)),
    ("squeeze_all", (1, 3, 1), lambda T, b: b.squeeze()),
    ("unsqueeze", (3, 4), lambda T, b: b.unsqueeze(1)),
    ("unsqueeze_last", (3, 4), lambda T, b: b.unsqueeze(-1)),
    ("narrow", (3, 4), lambda T, b: b.narrow(1, 1, 2)),
    ("narrow_rows", (3, 4), lambda T, b: b.narrow(0, 1, 2)),
    ("select", (3, 4), lambda T, b: b.select(1, 2)),
    ("select_negative", (2, 3, 4), lambda T, b: b.select(-2, 0)),
    ("diagonal", (3, 4), lambda T, b: b.diagonal()),
    ("diagonal_offset", (3, 4), lambda T, b: b.diagonal(1)),
    ("diagonal_negative_offset", (3, 4), lambda T, b: b.diagonal(-1)),
    ("diagonal_3d", (2, 3, 3), lambda T, b: b.diagonal(0, 1, 2)),
    ("detach", (3, 4), lambda T, b: b.detach()),
    ("as_strided", (3, 4), lambda T, b: b.as_strided((2, 2), (1, 2), 1)),
    ("torch_as_strided", (3, 4), lambda T, b: T.as_strided(b, (3,), (4,), 2)),
    ("split_piece", (3, 4), lambda T, b: b.split(2, dim=1)[1]),
    ("split_sizes_piece", (3, 4), lambda T, b: b.split([1, 2])[1]),
    ("chunk_piece", (3, 4), lambda T, b: b.chunk(3)[2]),
    ("unbind_piece", (3, 4), lambda T, b: b.unbind(1)[2]),
    ("view_of_view", (3, 4), lambda T, b: b[1:].t()),
    ("view_of_view_of_view", (3, 4), lambda T, b: b.t()[1:][:, 0]),
    ("view_of_detach", (3, 4), lambda T, b: b.detach()[1]),
    ("contiguous_of_contiguous", (3, 4), lambda T, b: b.contiguous()),
    ("contiguous_of_transposed", (3, 4), lambda T, b: b.t().contiguous()),
]


def _view_params():
    return [pytest.param(shape, fn, id=name) for name, shape, fn in VIEWS]


@pytest.mark.parametrize("shape, fn", _view_params())
def test_view_metadata_matches_torch(shape, fn, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        b = _make_base(T, shape, device)
        v = fn(T, b)
        res[name] = b, v
    (bm, vm), (bt, vt) = res["mytorch"], res["torch"]
    assert_matches(vm, vt)
    assert str(vm.device).partition(":")[0] == device
    assert vm._is_view() == vt._is_view(), "_is_view()"
    assert _base_kind(vm, bm) == _base_kind(vt, bt), "_base"
    assert (vm is bm) == (vt is bt), "returns the base itself"
    assert vm.is_contiguous() == vt.is_contiguous(), "is_contiguous()"
    assert tuple(vm.stride()) == tuple(vt.stride()), "stride()"
    assert vm.storage_offset() == vt.storage_offset(), "storage_offset()"
    assert vm.element_size() == vt.element_size()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape, fn", _view_params())
def test_view_data_ptr_matches_torch(shape, fn, dtype, device):
    """A view's data_ptr is its base's plus storage_offset() * element_size(); a copy's lies
    elsewhere."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        b = _make_base(T, shape, device, dtype)
        v = fn(T, b)
        res[name] = b, v
    (bm, vm), (bt, vt) = res["mytorch"], res["torch"]
    assert vm.element_size() == vt.element_size()
    if vt._is_view() or vt.data_ptr() == bt.data_ptr():  # views, detach, returned-self
        assert vm.data_ptr() - bm.data_ptr() == vt.data_ptr() - bt.data_ptr()
        assert vm.data_ptr() - bm.data_ptr() == vm.storage_offset() * vm.element_size()
    else:  # a copy: its memory is its own
        assert vm.data_ptr() != bm.data_ptr()
        assert vm.storage_offset() == 0


@pytest.mark.parametrize("shape, fn", _view_params())
def test_contiguous_matches_torch(shape, fn, device):
    """contiguous() returns the tensor itself when it is contiguous, a contiguous copy (not a
    view) otherwise."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        v = fn(T, _make_base(T, shape, device))
        c = v.contiguous()
        res[name] = v, c
    (vm, cm), (vt, ct) = res["mytorch"], res["torch"]
    assert_matches(cm, ct)
    assert (cm is vm) == (ct is vt)
    assert cm.is_contiguous() and ct.is_contiguous()
    assert tuple(cm.stride()) == tuple(ct.stride())
    assert cm._is_view() == ct._is_view()
    if ct is not vt:
        assert cm._base is None and cm.storage_offset() == 0


def _write_inplace(T, b, v):
    v.add_(100.0)


def _write_setitem(T, b, v):
    v[...] = T.full(tuple(v.shape), -7.0, dtype=v.dtype, device=v.device)


def _write_setitem_scalar(T, b, v):
    v[...] = 9.5


def _write_base(T, b, v):
    b.mul_(-2.0)


def _write_base_setitem(T, b, v):
    b[...] = 4.0


WRITERS = [
    ("view_inplace", _write_inplace),
    ("view_setitem", _write_setitem),
    ("view_setitem_scalar", _write_setitem_scalar),
    ("base_inplace", _write_base),
    ("base_setitem", _write_base_setitem),
]


@pytest.mark.parametrize("writer", [pytest.param(w, id=n) for n, w in WRITERS])
@pytest.mark.parametrize("shape, fn", _view_params())
@pytest.mark.parametrize("grad", [False, True], ids=["plain", "no_grad"])
def test_writes_through_views(shape, fn, writer, grad, device):
    """Write through the view (or the base) and read the other side: views show each other's
    writes, copies do not. ``no_grad``: the base is a leaf that requires grad and the write is
    made under no_grad."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        b = _make_base(T, shape, device, "float64", requires_grad=grad)
        v = fn(T, b)
        with T.no_grad():
            outcome = _outcome(lambda: writer(T, b, v))
        res[name] = b, v, outcome
    (bm, vm, om), (bt, vt, ot) = res["mytorch"], res["torch"]
    _same_outcome(om, ot)
    assert_matches(bm, bt)
    assert_matches(vm, vt)
    assert (bm._version, vm._version) == (bt._version, vt._version), "version counters"


# --- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda T: T.ones(3, 4).t().view(-1), id="transposed"),
        pytest.param(lambda T: T.ones(3, 4)[:, :2].view(6), id="column_slice"),
        pytest.param(lambda T: T.ones(2, 3, 4).permute(1, 0, 2).view(6, 4), id="permuted"),
    ],
)
def test_view_of_non_contiguous_raises(fn):
    _raises_like(
        fn, ["view size is not compatible with input tensor's size and stride"], RuntimeError
    )


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda T: T.ones(3, 4)[::-1], id="rows"),
        pytest.param(lambda T: T.ones(3, 4)[:, ::-2], id="cols"),
        pytest.param(lambda T: T.ones(3)[2:0:-1], id="bounds"),
    ],
)
def test_negative_step_raises(fn):
    _raises_like(fn, ["step must be greater than zero"], ValueError)


def _expand_setitem(T, e):
    e[...] = T.ones(2, 3, device=e.device)


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda T, e: e.add_(1), id="add_"),
        pytest.param(lambda T, e: e.mul_(T.ones(2, 3, device=e.device)), id="mul_"),
        pytest.param(lambda T, e: e.copy_(T.ones(2, 3, device=e.device)), id="copy_"),
        pytest.param(lambda T, e: e.exp_(), id="exp_"),
        pytest.param(_expand_setitem, id="setitem"),
    ],
)
def test_write_to_expanded_raises(write, device):
    def run(T):
        e = T.arange(3.0, device=_dev(T, device)).expand(2, 3)
        write(T, e)

    _raises_like(
        run,
        [
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location"
        ],
        RuntimeError,
    )


# --- views and autograd -----------------------------------------------------------------------
def test_views_of_a_leaf_requiring_grad():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.ones(3, 4, requires_grad=True)
        flags = []
        for v in (x[1:], x.t(), x.view(12), x.unsqueeze(0), x.detach(), x[0, 0]):
            flags.append((v.requires_grad, v.is_leaf, v.grad_fn is None, _base_kind(v, x)))
        res[name] = flags
    assert res["mytorch"] == res["torch"]


def test_view_of_a_nonleaf_has_it_as_base():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.ones(3, 4, requires_grad=True)
        b = x * 2
        res[name] = [_base_kind(v, b) for v in (b[1:], b.t()[0], b.expand(2, 3, 4), b.clone())]
    assert res["mytorch"] == res["torch"]


# fn(T, x) with x of shape (3, 4): a function through views, with curvature.
GRAD_CASES = [
    ("slice_square", lambda T, x: x[1:, ::2] ** 2),
    ("int_index_exp", lambda T, x: x[1].exp() * x[:, 2].sum()),
    ("transpose_mul", lambda T, x: x.t() * x.t().sin()),
    ("t_of_exp_slice", lambda T, x: x.exp().t()[1:] ** 2),
    ("view_diagonal", lambda T, x: x.view(4, 3).diagonal().sin()),
    ("reshape_copy", lambda T, x: x.t().reshape(-1) ** 3),
    ("expand_permute", lambda T, x: x.expand(2, 3, 4).permute(2, 0, 1) * x.t().unsqueeze(1)),
    ("squeeze_unsqueeze", lambda T, x: x.unsqueeze(1).squeeze(1).tanh() * x),
    ("narrow_select", lambda T, x: x.narrow(1, 1, 2) * x.select(1, 0).unsqueeze(1)),
    ("as_strided", lambda T, x: x.as_strided((2, 2), (1, 2), 1).exp()),
    (
        "unbind_split_chunk",
        lambda T, x: x.unbind(0)[1] * x.split(2, dim=1)[1].sum() + x.chunk(3)[0],
    ),
    ("mT_matmul", lambda T, x: x.mT @ x.sin()),
]


@pytest.mark.parametrize("name, fn", [pytest.param(n, f, id=n) for n, f in GRAD_CASES])
def test_gradients_through_views(name, fn, dtype_name, device):
    rng = seeded_rng("views", name)
    xv = rng.uniform(-1.5, 1.5, (3, 4))
    res, outs = {}, {}
    for lib in LIBS:
        T = _lib(lib)
        res[lib] = T.tensor(xv.astype(dtype_name), requires_grad=True, device=_dev(T, device))
        outs[lib] = fn(T, res[lib])
    assert_matches(outs["mytorch"], outs["torch"])
    v = rng.standard_normal(tuple(outs["torch"].shape)).astype(dtype_name)
    w = rng.standard_normal((3, 4)).astype(dtype_name)
    grads = {}
    for lib in LIBS:
        T = _lib(lib)
        dev = _dev(T, device)
        (g,) = T.autograd.grad(outs[lib], res[lib], T.tensor(v, device=dev), create_graph=True)
        (h,) = T.autograd.grad((g * T.tensor(w, device=dev)).sum(), res[lib])
        grads[lib] = g, h
    assert_matches(grads["mytorch"][0], grads["torch"][0])
    np.testing.assert_allclose(
        to_numpy(grads["mytorch"][1]), to_numpy(grads["torch"][1]), **TOL2[dtype_name]
    )
