"""``t[index] = value`` as a differentiable op, against torch.

Each case of CASES writes a value into ``t`` (a leaf's clone, a non-leaf, a view of a non-leaf,
or a fresh tensor that needs no grad) at an index: ints, slices (with steps), None, Ellipsis,
integer tensors and lists, bool masks, and mixes. The value is a tensor that requires grad (of
the indexed shape, broadcast, 0-d, or of the other float dtype), a Python number, or an int64
tensor. ``t`` is used afterwards (``t * t``), so compared with torch are: values, version
counters, and first and second derivatives with respect to x and the value. ``index_put_``
(with and without ``accumulate``) runs the same way. Duplicate indices appear only where torch
defines the result (``accumulate=True``).
"""

from dataclasses import dataclass

import numpy as np
import pytest
from helpers import (
    LIBS,
    lib as _lib,
    weighted_sum as _weighted_sum,
    weights_like as _weights,
    grads_or_zeros as _grads,
    TOL,
    TOL2,
    assert_matches,
    raises,
    seeded_rng,
    to_numpy,
)

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


# Kinds of value.
TENSOR = "tensor"  # the indexed shape, requires grad
BCAST = "bcast"  # broadcast to the indexed shape (its trailing dims, or (1,)), requires grad
ZERO_D = "0d"  # a 0-d tensor that requires grad
SCALAR = "scalar"  # the Python float 0.75
OTHER = "other"  # the indexed shape in the other float dtype, requires grad
INT = "int"  # the indexed shape, int64, no grad


# --- helpers ------------------------------------------------------------------------------


def _dev(T, device):
    return device if T is mytorch else "cpu"


def _other_float(dtype_name):
    return "float64" if dtype_name == "float32" else "float32"


@dataclass(frozen=True)
class SetCase:
    name: str
    index: object  # fn(T, t) -> the index (built per library, on t's device)
    values: tuple = (TENSOR,)
    shape: tuple = (3, 4)
    write: object = None  # fn(T, t, index, value); None: t[index] = value


def _put(accumulate):
    def write(T, t, index, value):
        t.index_put_(index, value, accumulate=accumulate)

    return write


def _two_writes(T, t, index, value):
    t[0] = value
    t[:, 1] = value[:3] * 2  # reads the first write back, through the graph


def _tensor(data):
    """An index tensor on t's device: fn(T, t) -> T.tensor(data)."""

    def index(T, t):
        return T.tensor(data, device=t.device)

    return index


def _const(index):
    return lambda T, t: index


MASK_2D = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]

CASES = [
    SetCase("int", _const(1), (TENSOR, BCAST, ZERO_D, SCALAR, OTHER, INT)),
    SetCase("negative_int", _const(-1), (TENSOR, SCALAR)),
    SetCase("int_int", _const((1, 2)), (TENSOR, SCALAR)),
    SetCase("slice", _const(slice(1, None)), (TENSOR, BCAST, ZERO_D, SCALAR, OTHER)),
    SetCase("slice_steps", _const((slice(None, None, 2), slice(1, None, 2))), (TENSOR, BCAST)),
    SetCase("column_slice", _const((slice(None), slice(1, 3))), (TENSOR, BCAST)),
    SetCase("none", _const((None, 1)), (TENSOR, BCAST)),
    SetCase("ellipsis_int", _const((Ellipsis, 0)), (TENSOR, SCALAR)),
    SetCase("int_ellipsis_3d", _const((1, Ellipsis)), (TENSOR, BCAST), shape=(2, 3, 4)),
    SetCase("none_ellipsis_int", _const((None, Ellipsis, 1)), (TENSOR,)),
    SetCase("whole", _const(Ellipsis), (TENSOR, BCAST, ZERO_D, SCALAR)),
    SetCase("int_tensor", _tensor([2, 0]), (TENSOR, BCAST, SCALAR)),
    SetCase("int_tensor_0d", _tensor(1), (TENSOR, SCALAR)),
    SetCase("int_tensor_2d", _tensor([[2], [0]]), (TENSOR, BCAST)),
    SetCase("list", _const([0, 2]), (TENSOR, BCAST, SCALAR)),
    SetCase("negative_list", _const([-1, 0]), (TENSOR,)),
    SetCase(
        "two_int_tensors",
        lambda T, t: (_tensor([0, 2])(T, t), _tensor([1, 3])(T, t)),
        (TENSOR, ZERO_D, SCALAR),
    ),
    SetCase("bool_1d", _tensor([True, False, True]), (TENSOR, BCAST, SCALAR)),
    SetCase("bool_2d", _tensor(MASK_2D), (TENSOR, ZERO_D, SCALAR)),
    SetCase("value_mask", lambda T, t: t > 0, (SCALAR, TENSOR, ZERO_D)),
    SetCase("slice_and_list", _const((slice(1, None), [0, 2])), (TENSOR, BCAST, SCALAR)),
    SetCase(
        "int_slice_list_3d", _const((1, slice(None), [0, 2])), (TENSOR, BCAST), shape=(2, 3, 4)
    ),
    SetCase(
        "bool_and_slice",
        lambda T, t: (_tensor([True, False, True])(T, t), slice(1, 3)),
        (TENSOR, SCALAR),
    ),
    SetCase("two_writes", _const(None), (TENSOR,), write=_two_writes),
    # index_put_: duplicates only where accumulate defines the result.
    SetCase("index_put", lambda T, t: (_tensor([2, 0])(T, t),), (TENSOR, BCAST), write=_put(False)),
    SetCase(
        "index_put_accumulate_duplicates",
        lambda T, t: (_tensor([0, 2, 0])(T, t),),
        (TENSOR, BCAST, ZERO_D),
        write=_put(True),
    ),
    SetCase(
        "index_put_accumulate_two_indices",
        lambda T, t: (_tensor([0, 0, 1])(T, t), _tensor([1, 1, 3])(T, t)),
        (TENSOR, ZERO_D),
        write=_put(True),
    ),
    SetCase(
        "index_put_accumulate_mask",
        lambda T, t: (_tensor([True, False, True])(T, t),),
        (TENSOR, BCAST),
        write=_put(True),
    ),
]


def _t_from(target, x, T, shape, dtype_name, device):
    """t on the target, and the tensors it is a view of (returned, so their grads count too)."""
    if target == "clone":
        return x.clone(), []
    if target == "nonleaf":
        return x * 2, []
    if target == "view":  # x has one more leading dim of 2: t = b[1] is a view of b
        b = x * 2
        return b[1], [b]
    assert target == "fresh"
    return T.zeros(shape, dtype=getattr(T, dtype_name), device=_dev(T, device)), []


TARGETS = ["clone", "nonleaf", "view", "fresh"]


def _x_shape(target, shape):
    return (2,) + shape if target == "view" else shape


def _value_shape(case, kind, indexed_shape):
    if kind in (TENSOR, OTHER, INT):
        return indexed_shape
    if kind == BCAST:
        return indexed_shape[1:] if len(indexed_shape) >= 2 else (1,)
    return ()


def _indexed_shape(case, t_values):
    """The shape of t[index] (what the value broadcasts to), from torch."""
    t = torch.tensor(t_values)
    if case.write is _two_writes:
        return (t.shape[-1],)
    return tuple(t[case.index(torch, t)].shape)


def _value(T, kind, array, dtype_name, device, requires_grad=True):
    dev = _dev(T, device)
    if kind == SCALAR:
        return None
    if kind == INT:
        return T.tensor(np.round(array * 3).astype("int64"), device=dev)
    dt = _other_float(dtype_name) if kind == OTHER else dtype_name
    return T.tensor(array.astype(dt), requires_grad=requires_grad, device=dev)


def _do_write(T, case, t, v):
    value = 0.75 if v is None else v
    index = case.index(T, t)
    if case.write is None:
        t[index] = value
    else:
        case.write(T, t, index, value)


def _params():
    return [
        pytest.param(case, kind, target, id=f"{case.name}-{kind}-{target}")
        for case in CASES
        for kind in case.values
        for target in TARGETS
    ]


def _run(case, kind, target, dtype_name, device, requires_grad):
    """The case on both libraries: {lib: (x, v, t, outputs, inputs that require grad)}."""
    rng = seeded_rng(case.name, kind, target)
    x_values = rng.uniform(-1.5, 1.5, _x_shape(target, case.shape))
    # t's values before the write (only their signs matter, for the value_mask case)
    t_values = {"view": lambda: x_values[1] * 2, "fresh": lambda: np.zeros(case.shape)}.get(
        target, lambda: x_values
    )()
    v_shape = _value_shape(case, kind, _indexed_shape(case, t_values))
    v_values = rng.uniform(-1.5, 1.5, v_shape)
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor(
            x_values.astype(dtype_name), requires_grad=requires_grad, device=_dev(T, device)
        )
        v = _value(T, kind, v_values, dtype_name, device, requires_grad)
        t, bases = _t_from(target, x, T, case.shape, dtype_name, device)
        _do_write(T, case, t, v)
        diff = [x] + ([v] if v is not None and v.requires_grad else [])
        res[name] = x, v, t, [t, t * t, *bases], diff
    return res, rng


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case, kind, target", _params())
def test_setitem_forward_matches_torch(case, kind, target, dtype_name, device):
    res, _ = _run(case, kind, target, dtype_name, device, requires_grad=False)
    (_, _, tm, outs_m, _), (_, _, tt, outs_t, _) = res["mytorch"], res["torch"]
    for om, ot in zip(outs_m, outs_t):
        assert_matches(om, ot)
        assert str(om.device).partition(":")[0] == device
    assert tm._version == tt._version
    assert not tm.requires_grad


@pytest.mark.parametrize("case, kind, target", _params())
def test_setitem_derivatives_match_torch(case, kind, target, dtype_name, device):
    res, rng = _run(case, kind, target, dtype_name, device, requires_grad=True)
    (_, _, tm, outs_m, _), (_, _, tt, outs_t, diff_t) = res["mytorch"], res["torch"]
    for om, ot in zip(outs_m, outs_t):
        assert_matches(om, ot)
        assert om.requires_grad == ot.requires_grad
    assert tm._version == tt._version
    assert tm.is_leaf == tt.is_leaf

    w1 = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    w2 = [rng.standard_normal(tuple(d.shape)) for d in diff_t]
    firsts, seconds = {}, {}
    for name in LIBS:
        T = _lib(name)
        _, _, _, outs, diff = res[name]
        s = _weighted_sum(T, outs, _weights(T, w1, outs, device))
        firsts[name] = _grads(T, s, diff, create_graph=True)
        pairs = [
            (g, w)
            for g, w in zip(firsts[name], _weights(T, w2, diff, device))
            if not isinstance(g, np.ndarray)
        ]
        s2 = _weighted_sum(T, [g for g, _ in pairs], [w for _, w in pairs])
        seconds[name] = _grads(T, s2, diff, create_graph=False)
    for i, (gm, gt) in enumerate(zip(firsts["mytorch"], firsts["torch"])):
        if isinstance(gm, mytorch.Tensor) and isinstance(gt, torch.Tensor):
            # In a float32 run, a float64 value's gradient carries float32 rounding (torch
            # computes it in float32): compare at float32's tolerance.
            assert_matches(gm, gt, **(TOL["float32"] if dtype_name == "float32" else {}))
            assert str(gm.device).partition(":")[0] == device
        else:
            np.testing.assert_allclose(to_numpy(gm), to_numpy(gt), atol=1e-6, err_msg=f"grad {i}")
    for hm, ht in zip(seconds["mytorch"], seconds["torch"]):
        np.testing.assert_allclose(to_numpy(hm), to_numpy(ht), **TOL2[dtype_name])


def test_setitem_of_float_into_int_tensor():
    """An int64 tensor takes a float value (truncated) that requires grad, and records
    nothing."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        t = T.zeros(3, 4, dtype=T.int64)
        t[0] = T.tensor([1.7, -1.7, 2.2, -0.2], requires_grad=True)
        res[name] = t
    assert_matches(res["mytorch"], res["torch"])
    assert res["mytorch"].requires_grad == res["torch"].requires_grad
    assert res["mytorch"]._version == res["torch"]._version


def test_setitem_makes_a_fresh_tensor_require_grad():
    res = {}
    for name in LIBS:
        T = _lib(name)
        t = T.zeros(3)
        v = T.tensor(2.0, requires_grad=True)
        t[1] = v
        flags = (t.requires_grad, t.is_leaf, t.grad_fn is None)
        (g,) = T.autograd.grad((t * t).sum() * 3, v)
        res[name] = flags, g
    assert res["mytorch"][0] == res["torch"][0]
    assert_matches(res["mytorch"][1], res["torch"][1])


def test_setitem_value_used_twice_and_overwritten():
    """Overwritten entries get no gradient; the surviving copies of v each pass theirs."""
    res = {}
    for name in LIBS:
        T = _lib(name)
        x = T.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        v = T.tensor([0.5, -0.25, 1.5, 2.0], requires_grad=True)
        t = x.sin()
        t[0] = v
        t[2] = v * v
        t[0, 1:3] = x[1, :2]
        out = (t * t.cos()).sum()
        res[name] = T.autograd.grad(out, [x, v])
    for gm, gt in zip(res["mytorch"], res["torch"]):
        assert_matches(gm, gt)


def _error_cases():
    def expand_mismatch(T):
        t = T.zeros(3, 4)
        t[0] = T.ones(5)

    def slice_mismatch(T):
        t = T.zeros(3, 4)
        t[1:] = T.ones(3)

    def advanced_mismatch(T):
        t = T.zeros(3, 4)
        t[[0, 2]] = T.ones(3, 4)

    def int_out_of_range(T):
        t = T.zeros(3, 4)
        t[5] = 1.0

    def tensor_out_of_range(T):
        t = T.zeros(3, 4)
        t[T.tensor([0, 5])] = 1.0

    def mask_shape(T):
        t = T.zeros(3, 4)
        t[T.tensor([True, False])] = 1.0

    def advanced_other_dtype(T):
        t = T.zeros(3, 4)
        t[T.tensor([0, 2])] = T.ones(2, 4, dtype=T.float64)

    def too_many(T):
        t = T.zeros(3, 4)
        t[0, 0, 0] = 1.0

    return [
        (expand_mismatch, RuntimeError, "must match the existing size (5)"),
        (slice_mismatch, RuntimeError, "must match the existing size (3)"),
        (advanced_mismatch, RuntimeError, "shape mismatch"),
        (int_out_of_range, IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
        (tensor_out_of_range, IndexError, "index 5 is out of bounds"),
        (mask_shape, IndexError, "The shape of the mask [2] at index 0 does not match"),
        (advanced_other_dtype, RuntimeError, "Index put requires the source and destination"),
        (too_many, IndexError, "too many indices for tensor of dimension 2"),
    ]


@pytest.mark.parametrize(
    "fn, exc, phrase", [pytest.param(*c, id=c[0].__name__) for c in _error_cases()]
)
def test_setitem_errors_match_torch(fn, exc, phrase):
    with raises(exc) as et:
        fn(torch)
    assert phrase.lower() in str(et.value).lower()
    with raises(exc) as em:
        fn(mytorch)
    assert phrase.lower() in str(em.value).lower(), str(em.value)
