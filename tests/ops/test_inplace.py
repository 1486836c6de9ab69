"""In-place ops, version counters and the leaf rules, against torch.

The rows of tests/ops/inplace_db.py run on every target (a leaf's clone, a non-leaf, views of a
non-leaf): forward values and version counters, first and second derivatives with respect to
every input. Then: the errors of autograd's in-place checks (a saved tensor modified, a leaf
that requires grad modified, a multi-output view modified), ``.data``, ``detach_`` and
``requires_grad_``, and a few small mismatches with torch (div's rounding modes, sign's
backward, where's dtypes).
"""

import re

import numpy as np
import pytest
from helpers import (
    LIBS,
    lib as _lib,
    weighted_sum as _weighted_sum,
    weights_like as _weights,
    grads_or_zeros as _grads,
    raises_like as _raises_like,
    TOL,
    TOL2,
    assert_matches,
    seeded_rng,
    to_numpy,
)
from inplace_db import CONST, FLOAT, INPLACE, INT64, MASK, OTHER, TARGETS, X_SHAPE, arg_shape
from op_db import sample

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


# --- helpers ------------------------------------------------------------------------------


def _other_float(dtype_name):
    return "float64" if dtype_name == "float32" else "float32"


def _on(device, tensors):
    """Every tensor in ``tensors`` lives on ``device``."""
    for t in tensors:
        if t is not None:
            assert str(t.device).partition(":")[0] == device, f"{t.device} is not {device}"


def _arrays(row, shape, rng):
    """NumPy values for x and for the row's other arguments, on a target of ``shape``."""
    x = sample(rng, X_SHAPE, row.domain)
    return x, [sample(rng, arg_shape(a, shape), a.domain) for a in row.args]


def _inputs(T, row, x, others, dtype_name, device, requires_grad):
    """x and the row's other arguments as tensors of ``T``, and the list of those that require
    grad (x first)."""
    dev = device if T is mytorch else "cpu"
    xt = T.tensor(x.astype(dtype_name), requires_grad=requires_grad, device=dev)
    ts, diff = [], [xt] if requires_grad else []
    for arg, a in zip(row.args, others):
        if arg.kind in (FLOAT, CONST, OTHER):
            dt = _other_float(dtype_name) if arg.kind == OTHER else dtype_name
            rg = requires_grad and arg.kind != CONST
            t = T.tensor(a.astype(dt), requires_grad=rg, device=dev)
            if rg:
                diff.append(t)
        else:
            assert arg.kind in (INT64, MASK)
            t = T.tensor(a, device=dev)
        ts.append(t)
    return xt, ts, diff


def _run_row(T, row, target, x, others):
    """Make the target from x, run the row on it: (what the row returned, t, t's bases)."""
    t, bases = target.make(x)
    ret = row.fn(T, t, *others)
    return ret, t, bases


def _compare_grads(gm, gt, tol=None):
    """Gradients equal torch's (``tol``: rtol/atol for all, else per dtype); a None gradient
    (NumPy zeros) is compared by value."""
    for i, (a, b) in enumerate(zip(gm, gt)):
        if isinstance(a, mytorch.Tensor) and torch is not None and isinstance(b, torch.Tensor):
            assert_matches(a, b, **(tol or {}))
        else:  # one side found no dependence: compare values with the other side's (zeros)
            np.testing.assert_allclose(
                to_numpy(a), to_numpy(b), **(tol or dict(rtol=1e-5, atol=1e-6)), err_msg=f"grad {i}"
            )


LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_MSG = "a view of a leaf Variable that requires grad is being used in an in-place"
MODIFIED_MSG = (
    "one of the variables needed for gradient computation has been modified by an inplace operation"
)
MULTI_VIEW_MSG = "This view is the output of a function that returns multiple views."


def _row_params():
    return [pytest.param(row, id=row.name) for row in INPLACE]


def _row_target_params():
    return [
        pytest.param(row, target, id=f"{row.name}-{target.name}")
        for row in INPLACE
        for target in TARGETS
    ]


# --- the in-place database on every target --------------------------------------------------
@pytest.mark.parametrize("row, target", _row_target_params())
def test_inplace_forward_matches_torch(row, target, dtype_name, device):
    """Values of t and its bases, what the op returns (t itself for torch's ``op_``), version
    counters; nothing requires grad, so no graph is recorded."""
    x, others = _arrays(row, target.shape, seeded_rng(row.name, target.name, "forward"))
    res = {}
    for name in LIBS:
        T = _lib(name)
        xt, ts, _ = _inputs(T, row, x, others, dtype_name, device, requires_grad=False)
        res[name] = _run_row(T, row, target, xt, ts)
    (ret_m, t_m, bases_m), (ret_t, t_t, bases_t) = res["mytorch"], res["torch"]
    assert tuple(t_t.shape) == target.shape  # keeps TARGETS honest
    _on(device, [t_m, *bases_m])
    assert_matches(t_m, t_t)
    for bm, bt in zip(bases_m, bases_t):
        assert_matches(bm, bt)
    assert (ret_m is t_m) == (ret_t is t_t), "the op returns t itself in torch"
    assert (ret_m is None) == (ret_t is None)
    assert t_m._version == t_t._version
    assert [b._version for b in bases_m] == [b._version for b in bases_t]
    assert not t_m.requires_grad and t_m.grad_fn is None


@pytest.mark.parametrize("row, target", _row_target_params())
def test_inplace_derivatives_match_torch(row, target, dtype_name, device):
    """First derivatives of a random-weighted sum of t and its bases w.r.t. x and every other
    input that requires grad; then second derivatives (of a random-weighted sum of those)."""
    rng = seeded_rng(row.name, target.name, "grad")
    x, others = _arrays(row, target.shape, rng)
    outs, diffs = {}, {}
    for name in LIBS:
        T = _lib(name)
        xt, ts, diff = _inputs(T, row, x, others, dtype_name, device, requires_grad=True)
        _, t, bases = _run_row(T, row, target, xt, ts)
        outs[name], diffs[name] = [t, *bases], diff
    for om, ot in zip(outs["mytorch"], outs["torch"]):
        assert_matches(om, ot)
        assert om.requires_grad == ot.requires_grad
        assert om.is_leaf == ot.is_leaf
        assert om._version == ot._version
    _on(device, outs["mytorch"])

    w1 = [rng.standard_normal(tuple(o.shape)) for o in outs["torch"]]
    w2 = [rng.standard_normal(tuple(d.shape)) for d in diffs["torch"]]
    firsts, seconds = {}, {}
    for name in LIBS:
        T = _lib(name)
        s = _weighted_sum(T, outs[name], _weights(T, w1, outs[name], device))
        firsts[name] = _grads(T, s, diffs[name], create_graph=row.gradgrad)
        if row.gradgrad:
            pairs = [
                (g, w)
                for g, w in zip(firsts[name], _weights(T, w2, diffs[name], device))
                if not isinstance(g, np.ndarray)
            ]
            s2 = _weighted_sum(T, [g for g, _ in pairs], [w for _, w in pairs])
            seconds[name] = _grads(T, s2, diffs[name], create_graph=False)
    # In a float32 run, a float64 input's gradient carries float32 rounding (torch computes it
    # from float32 tensors): compare all at float32's tolerance.
    _compare_grads(
        firsts["mytorch"], firsts["torch"], TOL["float32"] if dtype_name == "float32" else None
    )
    _on(device, [g for g in firsts["mytorch"] if isinstance(g, mytorch.Tensor)])
    if row.gradgrad:
        for hm, ht in zip(seconds["mytorch"], seconds["torch"]):
            np.testing.assert_allclose(to_numpy(hm), to_numpy(ht), **TOL2[dtype_name])


@pytest.mark.parametrize("row", _row_params())
def test_inplace_on_leaf_requiring_grad_raises(row, device):
    x, others = _arrays(row, X_SHAPE, seeded_rng(row.name, "leaf"))
    leaves = []  # torch's, then mytorch's (the order _raises_like runs them)

    def run(T):
        xt, ts, _ = _inputs(T, row, x, others, "float32", device, requires_grad=True)
        leaves.append(xt)
        row.fn(T, xt, *ts)

    _raises_like(run, [LEAF_MSG], RuntimeError)
    # The check comes first: nothing was written.
    leaf_t, leaf_m = leaves
    assert_matches(leaf_m, leaf_t)
    assert leaf_m._version == leaf_t._version


@pytest.mark.parametrize("row", _row_params())
def test_inplace_on_leaf_under_no_grad(row, device):
    """Allowed under no_grad: the leaf keeps requiring grad, stays a leaf, its version goes up,
    and later graphs see the new values."""
    x, others = _arrays(row, X_SHAPE, seeded_rng(row.name, "no_grad"))
    res = {}
    for name in LIBS:
        T = _lib(name)
        xt, ts, _ = _inputs(T, row, x, others, "float64", device, requires_grad=True)
        with T.no_grad():
            row.fn(T, xt, *ts)
        res[name] = xt
    xm, xt = res["mytorch"], res["torch"]
    assert_matches(xm, xt)
    assert xm._version == xt._version
    assert xm.requires_grad and xm.is_leaf and xm.grad_fn is None
    (gm,) = mytorch.autograd.grad((xm * xm).sum(), [xm])
    (gt,) = torch.autograd.grad((xt * xt).sum(), [xt])
    assert_matches(gm, gt)


def test_view_of_leaf_requiring_grad_raises(device):
    def run(T):
        x = T.ones(3, 4, requires_grad=True, device=device if T is mytorch else "cpu")
        x[1:].add_(1)

    _raises_like(run, [VIEW_OF_LEAF_MSG], RuntimeError)


def test_setitem_on_leaf_requiring_grad_raises():
    def run(T):
        x = T.ones(3, 4, requires_grad=True)
        x[1] = 0.0

    _raises_like(run, [VIEW_OF_LEAF_MSG], RuntimeError)


def test_view_made_under_no_grad_modified_with_grad_raises():
    def run(T):
        x = T.ones(3, 4, requires_grad=True)
        with T.no_grad():
            v = x[1:]
        v.add_(1)

    _raises_like(
        run,
        ["A view was created in no_grad mode and is being modified inplace with grad mode enabled"],
        RuntimeError,
    )


# Dtype rules: the op's result type must be castable to the target's dtype.
CAST_CASES = [
    ("int_add_float_scalar", lambda T: T.tensor([1, 2, 3]).add_(1.5)),
    ("int_mul_float_tensor", lambda T: T.tensor([1, 2, 3]).mul_(T.tensor([1.0, 2.0, 3.0]))),
    ("int_div_true", lambda T: T.tensor([1, 2, 3]).div_(2)),
    ("int_iadd_float", lambda T: T.tensor([1, 2, 3]).__iadd__(0.5)),
    ("int_exp_", lambda T: T.tensor([1, 2, 3]).exp_()),
    ("int_sigmoid_", lambda T: T.tensor([1, 2, 3]).sigmoid_()),
    ("bool_add_int", lambda T: T.tensor([True, False]).add_(1)),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in CAST_CASES])
def test_inplace_result_type_must_cast_to_target(fn):
    m, t = _raises_like(fn, ["can't be cast to the desired output type"], RuntimeError)
    assert m.lower() == t.lower()  # "result type Float can't be cast to ... Long"


CAST_OK = [
    ("float32_add_float64", lambda T: T.ones(3).add_(T.ones(3, dtype=T.float64) / 3)),
    ("float64_mul_float32", lambda T: T.ones(3, dtype=T.float64).mul_(T.ones(3) / 3)),
    ("float_add_int", lambda T: T.ones(3).add_(T.tensor([1, 2, 3]))),
    ("int_add_int_scalar", lambda T: T.tensor([1, 2, 3]).add_(2)),
    ("int_floor_div", lambda T: T.tensor([7, 8, 9]).div_(2, rounding_mode="floor")),
    ("float_copy_bool", lambda T: T.ones(2).copy_(T.tensor([True, False]))),
    (
        "int_copy_float_truncates",
        lambda T: T.zeros(3, dtype=T.int64).copy_(T.tensor([1.7, -1.7, 2.2])),
    ),
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in CAST_OK])
def test_inplace_keeps_target_dtype(fn):
    assert_matches(fn(mytorch), fn(torch))


def test_inplace_output_shape_must_not_broadcast():
    _raises_like(
        lambda T: T.ones(3).add_(T.ones(2, 3)),
        ["output with shape [3] doesn't match the broadcast shape [2, 3]"],
        RuntimeError,
    )


# --- in-place ops seen through other views -------------------------------------------------
# fn(T, x, y) with x (3, 4) and y (4,), both requiring grad: in-place ops on views and bases,
# then tensors made before the writes are read (torch regenerates their grad_fns): the returned
# tensors' values and their first and second derivatives equal torch's.
def _sibling_view(T, x, y):
    b = x * 1.5
    row, col = b[0], b[:, 1]
    row.mul_(y)
    return [col * col, b]


def _view_of_view(T, x, y):
    b = x.sin()
    v = b.t()[1:]
    v.exp_()
    return [b, v]


def _base_after_view(T, x, y):
    b = x * 1.5
    v = b[1:]
    b.mul_(y)
    return [v.tanh(), b]


def _chained_on_views_and_base(T, x, y):
    b = x * 1.5
    b[0].add_(y)
    b.mul_(2)
    b[1:, ::2] = y[:2] * x[0, :2]
    b[:, 1].sigmoid_()  # last: sigmoid saves its output, which any later write would modify
    return [b]


def _two_ops_on_one_view(T, x, y):
    b = x.sin()
    v = b[1]
    v.add_(1)
    v.mul_(y)
    return [v, b.sum(0)]


def _view_of_tensor_without_grad(T, x, y):
    b = T.zeros(3, 4, dtype=x.dtype, device=x.device)
    b[1:].copy_(x[:2] * y)
    b.t()[0].add_(y[:3])
    return [b * b]


def _transposed_then_contiguous(T, x, y):
    b = x * 1.5
    b.t().mul_(x.t())
    c = b.t().contiguous()  # a copy: later writes to b do not reach it
    b.add_(y)
    return [c, b]


VIEW_SCENARIOS = [
    _sibling_view,
    _view_of_view,
    _base_after_view,
    _chained_on_views_and_base,
    _two_ops_on_one_view,
    _view_of_tensor_without_grad,
    _transposed_then_contiguous,
]


@pytest.mark.parametrize("fn", [pytest.param(f, id=f.__name__.lstrip("_")) for f in VIEW_SCENARIOS])
def test_inplace_seen_through_other_views(fn, dtype_name, device):
    rng = seeded_rng(fn.__name__, "views")
    xv, yv = rng.uniform(-1.5, 1.5, (3, 4)), rng.uniform(-1.5, 1.5, (4,))
    outs, diffs = {}, {}
    for name in LIBS:
        T = _lib(name)
        dev = device if T is mytorch else "cpu"
        x = T.tensor(xv.astype(dtype_name), requires_grad=True, device=dev)
        y = T.tensor(yv.astype(dtype_name), requires_grad=True, device=dev)
        outs[name], diffs[name] = fn(T, x, y), [x, y]
    for om, ot in zip(outs["mytorch"], outs["torch"]):
        assert_matches(om, ot)
        assert om._version == ot._version
    w1 = [rng.standard_normal(tuple(o.shape)) for o in outs["torch"]]
    w2 = [rng.standard_normal(tuple(d.shape)) for d in diffs["torch"]]
    firsts, seconds = {}, {}
    for name in LIBS:
        T = _lib(name)
        s = _weighted_sum(T, outs[name], _weights(T, w1, outs[name], device))
        firsts[name] = _grads(T, s, diffs[name], create_graph=True)
        pairs = [
            (g, w)
            for g, w in zip(firsts[name], _weights(T, w2, diffs[name], device))
            if not isinstance(g, np.ndarray)
        ]
        s2 = _weighted_sum(T, [g for g, _ in pairs], [w for _, w in pairs])
        seconds[name] = _grads(T, s2, diffs[name], create_graph=False)
    _compare_grads(firsts["mytorch"], firsts["torch"])
    for hm, ht in zip(seconds["mytorch"], seconds["torch"]):
        np.testing.assert_allclose(to_numpy(hm), to_numpy(ht), **TOL2[dtype_name])


# --- version counters -----------------------------------------------------------------------
def _setitem_step(index, value):
    def step(T, t):
        t[index(T, t) if callable(index) else index] = value

    return step


def _set_data(T, t):
    t.data = T.ones(3, 4, device=t.device)


# fn(T, t) on a (3, 4) float tensor that does not require grad.
VERSION_STEPS = [
    ("add_", lambda T, t: t.add_(1)),
    ("iadd", lambda T, t: t.__iadd__(1)),
    ("mul_tensor", lambda T, t: t.mul_(T.full((4,), 2.0, device=t.device))),
    ("setitem_int", _setitem_step(1, 0.0)),
    ("setitem_mask", _setitem_step(lambda T, t: t > 0, 0.0)),
    ("setitem_int_tensor", _setitem_step(lambda T, t: T.tensor([0, 2], device=t.device), 1.0)),
    ("setitem_mixed", _setitem_step((slice(1, None), [0, 2]), 1.0)),
    (
        "setitem_tensor_value",
        lambda T, t: t.__setitem__((slice(None), 0), T.ones(3, device=t.device)),
    ),
    ("setitem_ellipsis", _setitem_step(Ellipsis, 2.0)),
    ("copy_", lambda T, t: t.copy_(T.ones(4, device=t.device))),
    ("fill_", lambda T, t: t.fill_(2)),
    ("zero_", lambda T, t: t.zero_()),
    ("clamp_", lambda T, t: t.clamp_(0, 1)),
    ("masked_fill_", lambda T, t: t.masked_fill_(t > 0.5, 3.0)),
    (
        "index_put_accumulate",
        lambda T, t: t.index_put_(
            (T.tensor([0, 0], device=t.device),),
            T.ones(4, dtype=t.dtype, device=t.device),
            accumulate=True,
        ),
    ),
    ("exp_", lambda T, t: t.exp_()),
    ("view_add_", lambda T, t: t[1].add_(1)),
    ("transposed_mul_", lambda T, t: t.t().mul_(2)),
    ("detach_add_", lambda T, t: t.detach().add_(1)),
    ("data_add_", lambda T, t: t.data.add_(1)),
    ("data_assign", _set_data),
    ("requires_grad_", lambda T, t: t.requires_grad_()),
    ("out_of_place", lambda T, t: t + 1),
    ("clone_add_", lambda T, t: t.clone().add_(1)),
    ("contiguous_copy_add_", lambda T, t: t.t().contiguous().add_(1)),
]


def _fresh(T, device):
    vals = np.arange(12.0).reshape(3, 4) / 4 - 1
    return T.tensor(vals, device=device if T is mytorch else "cpu")


@pytest.mark.parametrize("step", [pytest.param(f, id=n) for n, f in VERSION_STEPS])
def test_version_after_one_step(step, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        t = _fresh(T, device)
        assert t._version == 0
        step(T, t)
        res[name] = t
    assert_matches(res["mytorch"], res["torch"])
    assert res["mytorch"]._version == res["torch"]._version


def test_version_over_a_sequence_of_steps(device):
    res = {name: _fresh(_lib(name), device) for name in LIBS}
    for step_name, step in VERSION_STEPS:
        for name in LIBS:
            step(_lib(name), res[name])
        assert res["mytorch"]._version == res["torch"]._version, f"after {step_name}"
    assert_matches(res["mytorch"], res["torch"])


def test_versions_shared_by_base_views_and_detach(device):
    """A base, its views, its detach() and views of that share one counter; .data has its
    own."""
    writes = [
        ("base", lambda ts: ts[0].add_(1)),
        ("row_view", lambda ts: ts[1].mul_(2)),
        ("transposed", lambda ts: ts[2].sub_(1)),
        ("detached", lambda ts: ts[3].zero_()),
        ("view_of_detached", lambda ts: ts[4].fill_(5)),
        ("setitem_view", lambda ts: ts[1].__setitem__(0, 7.0)),
        ("data", lambda ts: ts[5].add_(1)),
    ]
    res = {}
    for name in LIBS:
        T = _lib(name)
        base = _fresh(T, device)
        d = base.detach()
        res[name] = [base, base[1:], base.t(), d, d[0], base.data]
    for what, write in writes:
        for name in LIBS:
            write(res[name])
        versions_m = [t._version for t in res["mytorch"]]
        versions_t = [t._version for t in res["torch"]]
        assert versions_m == versions_t, f"after writing through {what}"
    assert_matches(res["mytorch"][0], res["torch"][0])


# New tensors: fn(T, t) with t a fresh (3, 4) tensor bumped twice.
NEW_TENSORS = [
    ("tensor", lambda T, t: T.tensor([1.0, 2.0])),
    ("zeros", lambda T, t: T.zeros(2, 3)),
    ("arange", lambda T, t: T.arange(5)),
    ("out_of_place", lambda T, t: t * 2),
    ("clone", lambda T, t: t.clone()),
    ("contiguous_copy", lambda T, t: t.t().contiguous()),
    ("view", lambda T, t: t[1:]),  # shares the bumped counter
    ("detach", lambda T, t: t.detach()),  # shares the bumped counter
    ("data", lambda T, t: t.data),  # a counter of its own
    ("reshape_view", lambda T, t: t.reshape(12)),
    ("reshape_copy", lambda T, t: t.t().reshape(12)),
]


@pytest.mark.parametrize("make", [pytest.param(f, id=n) for n, f in NEW_TENSORS])
def test_version_of_new_tensors(make):
    res = {}
    for name in LIBS:
        T = _lib(name)
        t = _fresh(T, "cpu")
        t.add_(1)
        t.mul_(2)
        res[name] = make(T, t)
    assert res["mytorch"]._version == res["torch"]._version


# --- "modified by an inplace operation" -----------------------------------------------------
MODIFIED_RE = re.compile(
    r"\[([\w.]+) \[([\d, ]*)\]\](, which is output (\d+) of ([\w:]+),)? "
    r"is at version (\d+); expected version (\d+) instead",
    re.IGNORECASE,
)


def _exp_output(T, x):
    a = x.exp()
    a.add_(1)
    a.sum().backward()


def _saved_input(T, x):
    y = x.clone()
    z = y * y
    y.add_(1)
    z.sum().backward()


def _saved_input_mul(T, x):
    y = x.clone()
    z = y.sin()
    y.mul_(2)
    T.autograd.grad(z.sum(), x)


def _sigmoid_twice(T, x):
    b = x.sigmoid()
    b.add_(1)
    b.add_(1)
    b.sum().backward()


def _leaf_no_grad(T, x):
    z = x * x
    with T.no_grad():
        x.add_(1)
    z.sum().backward()


def _leaf_no_grad_matmul(T, x):
    z = x @ x.t()
    with T.no_grad():
        x.mul_(2)
    z.sum().backward()


def _through_row_view(T, x):
    b = x.exp()
    b[1:].mul_(2)
    b.sum().backward()


def _through_transposed_view(T, x):
    b = x.exp()
    b.t().mul_(2)
    b.sum().backward()


def _through_setitem(T, x):
    b = x.tanh()
    b[0] = 0.0
    b.sum().backward()


def _through_detach(T, x):
    b = x.exp()
    b.detach().add_(1)
    b.sum().backward()


def _saved_view_base_modified(T, x):
    b = x * 1
    v = b[1:]
    z = v * v
    b.add_(1)
    z.sum().backward()


def _saved_base_view_modified(T, x):
    b = x * 1
    z = b * b
    b[1:].add_(1)
    z.sum().backward()


# (id, fn(T, x) with x a (2, 3) leaf that requires grad, compare "output N of <Name>")
# Where the modified tensor's grad_fn is a view's or a copy-slices node, torch names its own
# internals (AsStrided, torch::autograd::CopySlices): only the rest of the message is compared.
MODIFIED_CASES = [
    ("saved_output_of_exp", _exp_output, True),
    ("saved_input_of_mul", _saved_input, True),
    ("saved_input_of_sin", _saved_input_mul, True),
    ("saved_output_modified_twice", _sigmoid_twice, True),
    ("leaf_modified_under_no_grad", _leaf_no_grad, True),
    ("leaf_of_matmul_under_no_grad", _leaf_no_grad_matmul, False),  # saves x.t(), a view
    ("through_row_view", _through_row_view, True),
    ("through_transposed_view", _through_transposed_view, True),
    ("through_setitem", _through_setitem, True),
    ("through_detach", _through_detach, True),
    ("saved_view_base_modified", _saved_view_base_modified, False),
    ("saved_base_view_modified", _saved_base_view_modified, False),
]


@pytest.mark.parametrize("fn, check_name", [pytest.param(f, c, id=n) for n, f, c in MODIFIED_CASES])
def test_modified_saved_tensor_raises(fn, check_name, dtype_name, device):
    x = np.array([[0.5, -1.0, 1.5], [2.0, 0.25, -0.75]])

    def run(T):
        dev = device if T is mytorch else "cpu"
        fn(T, T.tensor(x.astype(dtype_name), requires_grad=True, device=dev))

    m, t = _raises_like(run, [MODIFIED_MSG], RuntimeError)
    pm, pt = MODIFIED_RE.search(m), MODIFIED_RE.search(t)
    assert pt is not None, t
    assert pm is not None, f"mytorch's message has no '[type [shape]] ... at version' part: {m}"
    tname_m, shape_m, which_m, out_m, name_m, ver_m, exp_m = pm.groups()
    tname_t, shape_t, which_t, out_t, name_t, ver_t, exp_t = pt.groups()
    if device == "cpu":  # torch on another device names its type differently (torch.cuda...)
        assert tname_m == tname_t
    assert shape_m == shape_t
    assert (ver_m, exp_m) == (ver_t, exp_t), "the versions differ"
    assert (which_m is None) == (which_t is None), "'which is output N of ...' differs"
    if which_t is not None:
        assert out_m == out_t
        if check_name:
            assert name_m.lower() == name_t.lower()


def _not_needed_add(T, x):
    y = x.clone()
    z = y + 1  # add saves nothing
    y.add_(1)
    return z


def _not_needed_scalar_mul(T, x):
    a = x * 3
    z = a * 2.0  # mul by a Python number saves only the number
    a.mul_(4)
    return z


def _not_needed_slice(T, x):
    b = x + 0
    z = b[:1] * 5.0
    b[1:].add_(1)
    return z


def _modified_through_data(T, x):
    """Writes through .data are not tracked: backward uses the new values."""
    b = x.exp()
    b.data.mul_(2)
    return b


def _modified_after_backward(T, x):
    y = x.clone()
    z = y * y
    z.sum().backward(retain_graph=True)
    y.add_(1)  # the graph is not used again
    return y


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(f, id=f.__name__.lstrip("_"))
        for f in (
            _not_needed_add,
            _not_needed_scalar_mul,
            _not_needed_slice,
            _modified_through_data,
            _modified_after_backward,
        )
    ],
)
def test_modified_but_not_needed_does_not_raise(fn, device):
    x = np.array([[0.5, -1.0, 1.5], [2.0, 0.25, -0.75]])
    res = {}
    for name in LIBS:
        T = _lib(name)
        xt = T.tensor(x, requires_grad=True, device=device if T is mytorch else "cpu")
        out = fn(T, xt)
        w = T.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        w = w.to(out.device)
        res[name] = out, T.autograd.grad((out * w).sum(), xt, allow_unused=True)[0]
    assert_matches(res["mytorch"][0], res["torch"][0])
    _compare_grads([res["mytorch"][1]], [res["torch"][1]])


# --- outputs of multi-view functions -------------------------------------------------------
MULTI_RE = re.compile(r"output (\d+) of (\w+) is a view", re.IGNORECASE)

# (id, fn(T, b) -> one piece of b (3, 4), compare the function's name)
MULTI_VIEWS = [
    ("unbind_0", lambda T, b: b.unbind(0)[0], True),
    ("unbind_1", lambda T, b: b.unbind(1)[2], True),
    ("torch_unbind", lambda T, b: T.unbind(b, 1)[1], True),
    ("split_int", lambda T, b: b.split(2, dim=1)[0], True),
    ("split_int_last", lambda T, b: b.split(2)[1], True),
    ("split_sizes", lambda T, b: b.split([1, 2])[1], True),
    ("torch_split", lambda T, b: T.split(b, 1)[2], True),
    ("chunk_0", lambda T, b: b.chunk(2)[1], True),
    ("chunk_1", lambda T, b: b.chunk(2, dim=1)[0], True),
    ("torch_chunk", lambda T, b: T.chunk(b, 3)[2], True),
    ("view_of_unbind_piece", lambda T, b: b.unbind(0)[1][1:], False),
]
MULTI_WRITES = [
    ("add_", lambda T, v: v.add_(1)),
    ("mul_", lambda T, v: v.mul_(2)),
    ("zero_", lambda T, v: v.zero_()),
    ("setitem", lambda T, v: v.__setitem__(0, 1.0)),
]


def _multi_params():
    return [
        pytest.param(piece, check, write, id=f"{pn}-{wn}")
        for pn, piece, check in MULTI_VIEWS
        for wn, write in MULTI_WRITES
    ]


@pytest.mark.parametrize("piece, check_name, write", _multi_params())
def test_multi_view_output_modified_with_grad_raises(piece, check_name, write, device):
    def run(T):
        x = T.ones(3, 4, requires_grad=True, device=device if T is mytorch else "cpu")
        write(T, piece(T, x * 2))

    m, t = _raises_like(run, ["is a view and is being modified inplace", MULTI_VIEW_MSG])
    pm, pt = MULTI_RE.search(m), MULTI_RE.search(t)
    assert pt is not None and pm is not None, m
    assert pm.group(1) == pt.group(1), "the output number differs"
    if check_name:
        assert pm.group(2).lower() == pt.group(2).lower()


@pytest.mark.parametrize("piece, check_name, write", _multi_params())
def test_multi_view_output_modified_under_no_grad(piece, check_name, write, device):
    """Made and modified under no_grad, or made from a tensor that needs no grad: allowed, and
    the write shows in the base."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.ones(3, 4, requires_grad=True, device=device if T is mytorch else "cpu")
        b = x * 2
        with T.no_grad():
            write(T, piece(T, b))
        c = _fresh(T, device)
        write(T, piece(T, c))
        res[name] = b, c
    for om, ot in zip(res["mytorch"], res["torch"]):
        assert_matches(om, ot)
        assert om._version == ot._version


def test_multi_view_output_made_with_grad_modified_under_no_grad():
    res = {}
    for name in LIBS:
        T = _lib(name)
        b = T.ones(3, 4, requires_grad=True) * 2
        pieces = b.unbind(0)
        with T.no_grad():
            pieces[0].add_(1)
        res[name] = b
    assert_matches(res["mytorch"], res["torch"])
    assert res["mytorch"]._version == res["torch"]._version


# --- .data, detach_, requires_grad_ -----------------------------------------------------------
def test_data_shares_memory_and_needs_no_grad(device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device if T is mytorch else "cpu")
        d = x.data
        flags = (d.requires_grad, d.is_leaf, d.grad_fn is None, d._is_view(), d._base is None)
        d.mul_(10)  # untracked: x's counter does not move
        res[name] = x, d, flags
    (xm, dm, fm), (xt, dt, ft) = res["mytorch"], res["torch"]
    assert fm == ft
    assert_matches(xm, xt)
    assert (xm._version, dm._version) == (xt._version, dt._version)
    assert xm.requires_grad and xm.is_leaf


def test_data_of_nonleaf_detaches():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        d = (x * 2).data
        res[name] = d, (d.requires_grad, d.is_leaf, d.grad_fn is None)
    assert_matches(res["mytorch"][0], res["torch"][0])
    assert res["mytorch"][1] == res["torch"][1]


def test_data_assignment_on_nonleaf_leaves_the_graph_alone():
    """y.data = other swaps y's values (its shape may change); y's grad_fn stays, and a graph
    recorded before the swap backpropagates as before."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        fn = y.grad_fn
        z = y.exp()
        y.data = T.zeros(5)
        flags = (y.grad_fn is fn, y.requires_grad, y.is_leaf, tuple(y.shape))
        z.sum().backward()
        res[name] = y, x.grad, flags
    (ym, gm, fm), (yt, gt, ft) = res["mytorch"], res["torch"]
    assert fm == ft
    assert_matches(ym, yt)
    assert_matches(gm, gt)
    assert ym._version == yt._version


def test_data_assignment_on_leaf():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        x.data = T.ones(2, 2)
        shape_after_first = tuple(x.shape)
        x.data = T.ones(2, dtype=T.float64)  # another float dtype: allowed
        res[name] = x, (shape_after_first, x.requires_grad, x.is_leaf)
        (g,) = T.autograd.grad((x * x).sum(), x)
        res[name] += (g,)
    (xm, fm, gm), (xt, ft, gt) = res["mytorch"], res["torch"]
    assert fm == ft
    assert_matches(xm, xt)
    assert_matches(gm, gt)


def test_data_assignment_of_int_to_leaf_requiring_grad_raises():
    def run(T):
        x = T.tensor([0.5, -1.0], requires_grad=True)
        x.data = T.tensor([1, 2])

    _raises_like(
        run, ["data set to a tensor that requires gradients must be floating point"], RuntimeError
    )


def test_detach_inplace_on_nonleaf():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        r = y.detach_()
        res[name] = y, (r is y, y.requires_grad, y.grad_fn is None, y.is_leaf)
    assert res["mytorch"][1] == res["torch"][1]
    assert_matches(res["mytorch"][0], res["torch"][0])


def test_detach_inplace_on_leaf():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        r = x.detach_()
        res[name] = (r is x, x.requires_grad, x.is_leaf)
    assert res["mytorch"] == res["torch"]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda T, x: (x * 2)[1:], id="slice_of_nonleaf"),
        pytest.param(lambda T, x: (x * 2).view(3, 1), id="view_of_nonleaf"),
        pytest.param(lambda T, x: x.detach()[1:], id="slice_of_detached"),
        pytest.param(lambda T, x: x[:2], id="slice_of_leaf"),
    ],
)
def test_detach_inplace_on_view_raises(make):
    def run(T):
        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        make(T, x).detach_()

    _raises_like(run, ["Can't detach views in-place. Use detach() instead."], RuntimeError)


def test_requires_grad_false_on_nonleaf_raises():
    def run(T):
        x = T.tensor([0.5, -1.0], requires_grad=True)
        (x * 2).requires_grad_(False)

    _raises_like(run, ["you can only change requires_grad flags of leaf variables"], RuntimeError)


def test_requires_grad_rules():
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor([0.5, -1.0], requires_grad=True)
        y = x * 2
        leaf = T.tensor([1.0, 2.0])
        res[name] = (
            y.requires_grad_(True) is y,  # no-op on a non-leaf that requires grad
            y.requires_grad,
            leaf.requires_grad_() is leaf,
            leaf.requires_grad,
            leaf.requires_grad_(False) is leaf,
            leaf.requires_grad,
        )
    assert res["mytorch"] == res["torch"]


def test_requires_grad_on_int_tensor_raises():
    _raises_like(
        lambda T: T.tensor([1, 2]).requires_grad_(),
        ["only Tensors of floating point dtype can require gradients"],
        RuntimeError,
    )


# --- small mismatches -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("other", ["scalar", "tensor"])
def test_div_with_rounding_mode_has_zero_gradient(mode, other, dtype_name, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        dev = device if T is mytorch else "cpu"
        x = T.tensor(
            np.array([1.5, -2.5, 3.2, -0.7]).astype(dtype_name), requires_grad=True, device=dev
        )
        if other == "scalar":
            y, inputs = 2.0, [x]
        else:
            y = T.tensor(
                np.array([2.0, 3.0, -4.0, 0.5]).astype(dtype_name), requires_grad=True, device=dev
            )
            inputs = [x, y]
        out = T.div(x, y, rounding_mode=mode)
        res[name] = out, out.requires_grad, T.autograd.grad(out.sum(), inputs)
    (om, rm, gm), (ot, rt, gt) = res["mytorch"], res["torch"]
    assert_matches(om, ot)
    assert rm == rt is True
    for a, b in zip(gm, gt):
        assert_matches(a, b)


def test_sign_backward_is_zeros(dtype_name, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        dev = device if T is mytorch else "cpu"
        x = T.tensor(np.array([1.5, -2.5, 0.0]).astype(dtype_name), requires_grad=True, device=dev)
        (g,) = T.autograd.grad(T.sign(x).sum(), x)
        res[name] = g
    assert res["mytorch"] is not None
    assert_matches(res["mytorch"], res["torch"])


@pytest.mark.parametrize(
    "a, b", [(2.0, 3.0), (2, 3), (2, 3.0), (True, False)], ids=["floats", "ints", "mixed", "bools"]
)
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_where_with_two_python_scalars(a, b, default, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        cond = T.tensor([True, False, True], device=device if T is mytorch else "cpu")
        old = T.get_default_dtype()
        T.set_default_dtype(getattr(T, default))
        try:
            res[name] = T.where(cond, a, b)
        finally:
            T.set_default_dtype(old)
    assert_matches(res["mytorch"], res["torch"])


@pytest.mark.parametrize(
    "cond",
    [
        pytest.param(lambda T: T.tensor([True, False, True]), id="bool_1d"),
        pytest.param(lambda T: T.tensor([[True, False], [False, True]]), id="bool_2d"),
        pytest.param(lambda T: T.tensor([[1, 0], [2, 3]]), id="int_2d"),
        pytest.param(lambda T: T.tensor([0.0, 1.5, -2.0]), id="float_1d"),
        pytest.param(lambda T: T.tensor(True), id="bool_0d"),
        pytest.param(lambda T: T.zeros(2, 3, dtype=T.bool), id="all_false"),
    ],
)
def test_where_with_condition_only(cond, device):
    res = {}
    for name in LIBS:
        T = _lib(name)
        c = cond(T)
        if T is mytorch:
            c = c.to(device)
        res[name] = T.where(c)
    assert isinstance(res["mytorch"], tuple)
    assert len(res["mytorch"]) == len(res["torch"])
    for a, b in zip(res["mytorch"], res["torch"]):
        assert_matches(a, b)
