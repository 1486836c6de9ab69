"""out= arguments, run with torch and mytorch side by side: the result is written into the
given tensor (through its base for a view) and that tensor is returned; a tensor of another
shape is resized (with torch's warning); dtypes follow each op's rule in torch; failures raise
torch's exception class and leave the out tensor as it was."""

import warnings

import numpy as np
import pytest
from helpers import assert_matches, dtype_str, to_numpy

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch

_X = np.array([[0.5, -1.25, 2.0], [3.5, 0.25, -0.75]], dtype=np.float32)
_Y = np.array([[1.0, 2.0, -3.0], [0.5, -0.5, 4.0]], dtype=np.float32)
_XI = np.array([[1, 5, 3], [4, 2, 6]], dtype=np.int64)
_B = np.array([[True, False, True], [True, True, True]])
_V = np.array([1.0, -2.0, 0.5], dtype=np.float32)


def _in(T, a):
    return T.tensor(a)


# (id, fn(T, **kw) -> result; kw is {} or {"out": ...}, values compared?)
CASES = [
    ("zeros", lambda T, **k: T.zeros(2, 3, **k), True),
    ("ones", lambda T, **k: T.ones(2, 3, **k), True),
    ("full", lambda T, **k: T.full((2, 3), 1.5, **k), True),
    ("full_int", lambda T, **k: T.full((3,), 4, **k), True),
    ("empty", lambda T, **k: T.empty(2, 3, **k), False),
    ("arange", lambda T, **k: T.arange(5, **k), True),
    ("arange_float", lambda T, **k: T.arange(0, 3, 0.5, **k), True),
    ("linspace", lambda T, **k: T.linspace(0, 1, 5, **k), True),
    ("eye", lambda T, **k: T.eye(2, 3, **k), True),
    ("rand", lambda T, **k: T.rand(2, 3, **k), False),
    ("randn", lambda T, **k: T.randn(4, **k), False),
    ("randint", lambda T, **k: T.randint(0, 5, (2, 3), **k), False),
    ("randperm", lambda T, **k: T.randperm(5, **k), False),
    ("sum", lambda T, **k: T.sum(_in(T, _X), 1, **k), True),
    ("sum_keepdim", lambda T, **k: T.sum(_in(T, _X), 0, keepdim=True, **k), True),
    ("sum_dtype", lambda T, **k: T.sum(_in(T, _X), 1, dtype=T.float64, **k), True),
    ("sum_int", lambda T, **k: T.sum(_in(T, _XI), 1, **k), True),
    ("sum_bool", lambda T, **k: T.sum(_in(T, _B), 1, **k), True),
    ("mean", lambda T, **k: T.mean(_in(T, _X), 1, **k), True),
    ("mean_dtype", lambda T, **k: T.mean(_in(T, _X), 0, dtype=T.float64, **k), True),
    ("var", lambda T, **k: T.var(_in(T, _X), 1, **k), True),
    ("std", lambda T, **k: T.std(_in(T, _X), 0, correction=0, **k), True),
    ("amax", lambda T, **k: T.amax(_in(T, _X), 1, **k), True),
    ("amin", lambda T, **k: T.amin(_in(T, _X), 0, **k), True),
    ("argmax", lambda T, **k: T.argmax(_in(T, _X), 1, **k), True),
    ("argmin", lambda T, **k: T.argmin(_in(T, _X), 0, keepdim=True, **k), True),
    ("all", lambda T, **k: T.all(_in(T, _B), 1, **k), True),
    ("any", lambda T, **k: T.any(_in(T, _B), 0, **k), True),
    ("max_all", lambda T, **k: T.max(_in(T, _X), **k), True),
    ("min_binary", lambda T, **k: T.min(_in(T, _X), _in(T, _Y), **k), True),
    ("softmax", lambda T, **k: T.softmax(_in(T, _X), 1, **k), True),
    ("log_softmax", lambda T, **k: T.log_softmax(_in(T, _X), 0, **k), True),
    ("logsumexp", lambda T, **k: T.logsumexp(_in(T, _X), 1, **k), True),
    ("square", lambda T, **k: T.square(_in(T, _X), **k), True),
    ("square_int", lambda T, **k: T.square(_in(T, _XI), **k), True),
    ("outer", lambda T, **k: T.outer(_in(T, _V), _in(T, _V), **k), True),
    ("ger", lambda T, **k: T.ger(_in(T, _V), _in(T, _V[:2]), **k), True),
    ("dot", lambda T, **k: T.dot(_in(T, _V), _in(T, _V), **k), True),
    ("matmul", lambda T, **k: T.matmul(_in(T, _X), _in(T, _Y.T), **k), True),
    ("matmul_vectors", lambda T, **k: T.matmul(_in(T, _V), _in(T, _V), **k), True),
    ("mm", lambda T, **k: T.mm(_in(T, _X.T), _in(T, _Y), **k), True),
    ("bmm", lambda T, **k: T.bmm(_in(T, _X[None]), _in(T, _Y.T[None]), **k), True),
    ("cat", lambda T, **k: T.cat([_in(T, _X), _in(T, _Y)], **k), True),
    ("cat_mixed", lambda T, **k: T.cat([_in(T, _XI), _in(T, _X)], 1, **k), True),
    ("concat", lambda T, **k: T.concat([_in(T, _X), _in(T, _Y)], **k), True),
    ("stack", lambda T, **k: T.stack([_in(T, _X), _in(T, _Y)], 1, **k), True),
]

# The ops declared in mytorch/_ops/pointwise.py, whose out= comes from their declarations
# (mytorch._out's check_out and write_out). NOTE: torch's where and clamp take an out of the
# result's dtype only ("Expected out type to be Float but got Double", "Found dtype Double but
# expected Float"), the others canCast; comparisons and bitwise ops take inputs that require grad.
POINTWISE_OUT_CASES = [
    ("add", lambda T, **k: T.add(_in(T, _X), _in(T, _Y), **k), True),
    ("add_alpha_scalar", lambda T, **k: T.add(_in(T, _X), 2, alpha=3, **k), True),
    ("add_int", lambda T, **k: T.add(_in(T, _XI), 1, **k), True),
    ("sub", lambda T, **k: T.sub(_in(T, _X), _in(T, _Y), **k), True),
    ("mul_broadcast", lambda T, **k: T.mul(_in(T, _X), _in(T, _V), **k), True),
    ("div", lambda T, **k: T.div(_in(T, _X), _in(T, _Y), **k), True),
    ("div_int", lambda T, **k: T.div(_in(T, _XI), 2, **k), True),
    ("div_floor", lambda T, **k: T.div(_in(T, _XI), 2, rounding_mode="floor", **k), True),
    ("exp", lambda T, **k: T.exp(_in(T, _X), **k), True),
    ("exp_int", lambda T, **k: T.exp(_in(T, _XI), **k), True),
    ("maximum", lambda T, **k: T.maximum(_in(T, _X), _in(T, _Y), **k), True),
    ("lt", lambda T, **k: T.lt(_in(T, _X), _in(T, _Y), **k), True),
    ("where", lambda T, **k: T.where(_in(T, _B), _in(T, _X), _in(T, _Y), **k), True),
    ("clamp", lambda T, **k: T.clamp(_in(T, _X), -1, 1, **k), True),
]


def _ref_shape_dtype(fn):
    r = fn(torch)
    return tuple(r.shape), r.dtype


def _name(dt):
    return str(dt).replace("torch.", "")


def _wider(dt):
    return {torch.float32: torch.float64, torch.int64: torch.float32, torch.bool: torch.int64}.get(
        dt, torch.float64
    )


def _out_specs(shape, dtype):
    """(label, shape, dtype name, how): the out tensors every case is tried with."""
    n = _name(dtype)
    return [
        ("same", shape, n, "fresh"),
        ("no_elements", (0,), n, "fresh"),
        ("other_shape", (7,), n, "fresh"),
        ("other_shape_2d", (1, 2), n, "fresh"),
        ("wider", shape, _name(_wider(dtype)), "fresh"),
        ("float16", shape, "float16", "fresh"),
        ("int64", shape, "int64", "fresh"),
        ("bool", shape, "bool", "fresh"),
        ("complex64", shape, "complex64", "fresh"),
        ("view", shape, n, "view"),
        ("strided_view", shape, n, "strided"),
    ]


def _make_out(T, shape, dtype, how):
    """The out tensor (filled with 7s) and the tensor whose memory it writes (its base)."""
    dt = getattr(T, dtype)
    n = int(np.prod(shape))
    if how == "fresh":
        o = T.full(shape, 7, dtype=dt)
        return o, o
    if how == "view":  # a row of a bigger tensor, in its base's memory
        base = T.full((3, n), 7, dtype=dt)
        return base[1].reshape(shape), base
    # a column: non-contiguous (a view of shape ``shape`` when its strides allow one)
    base = T.full((n, 2), 7, dtype=dt)
    return base[:, 1].view(shape), base


def _run(T, fn, shape, dtype, how):
    """Call fn with out=; return (returned, out, base, version before, exception class,
    warning categories)."""
    try:
        out, base = _make_out(T, shape, dtype, how)
    except RuntimeError:  # e.g. a view of a shape that its base cannot give
        return None
    v0 = base._version
    before = to_numpy(base.clone())  # NOTE: torch's numpy() makes a storage unresizable
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(T, out=out)
            exc = None
        except Exception as e:  # noqa: BLE001 (its class is compared with torch's)
            r, exc = None, type(e)
    return r, out, base, v0, before, exc, _out_warnings(w)


def _out_warnings(caught):
    """The categories of the warnings about out= (torch warns of other things too)."""
    msgs = [(x.category.__name__, str(x.message)) for x in caught]
    return sorted({c for c, m in msgs if "resized" in m or "out tensor" in m})


def _check(case, spec):
    name, fn, values = case
    label, shape, dtype, how = spec
    t = _run(torch, fn, shape, dtype, how)
    m = _run(mytorch, fn, shape, dtype, how)
    if t is None:
        pytest.skip("torch cannot make this out tensor")
    rt, ot, bt, vt, _, et, wt = t
    rm, om, bm, vm, before, em, wm = m
    if em is not None or et is not None:
        if how == "view" and et is None and tuple(ot.shape) != shape:
            return  # torch resized a view inside its base's storage: refused here (NOTE in _out)
        assert em is et, f"{name} {label}: mytorch raised {em}, torch {et}"
        # Nothing half-updated: out, its base and its version are as they were.
        assert tuple(om.shape) == tuple(ot.shape)
        assert bm._version == vm
        np.testing.assert_array_equal(to_numpy(bm), before)
        return
    assert rm is om, f"{name} {label}: the out tensor is not what was returned"
    assert wm == wt, f"{name} {label}: warnings {wm} != torch's {wt}"
    assert tuple(om.shape) == tuple(ot.shape) and dtype_str(om) == dtype_str(ot)
    # NOTE: torch's counter moves on once per write, twice for some resizes (randn).
    assert (bm._version > vm) == (bt._version > vt), f"{name} {label}: version counter"
    if values:
        _assert_equal(om, ot)
        _assert_equal(bm, bt)  # a view wrote through to its base
    elif how != "fresh" and name != "empty":
        assert not (to_numpy(bm) == before).all()  # random values were written through


def _assert_equal(m, t):
    """Equal values (to float32's precision: the inputs are float32, even where torch writes
    its result into a float64 out, and NumPy's libm differs from torch's by an ulp or so)."""
    if t.dtype.is_complex:
        np.testing.assert_allclose(to_numpy(m), to_numpy(t), rtol=1e-6)
    else:
        assert_matches(m, t, rtol=1e-6, atol=1e-6)


def _ids(cases):
    return [c[0] for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_out_matches_torch(case):
    shape, dtype = _ref_shape_dtype(case[1])
    for spec in _out_specs(shape, dtype):
        _check(case, spec)


@pytest.mark.parametrize("case", POINTWISE_OUT_CASES, ids=_ids(POINTWISE_OUT_CASES))
def test_pointwise_out_matches_torch(case):
    shape, dtype = _ref_shape_dtype(case[1])
    for spec in _out_specs(shape, dtype):
        _check(case, spec)


# --- (values, indices) outs -------------------------------------------------------------------
TUPLE_CASES = [
    ("max_dim", lambda T, **k: T.max(_in(T, _X), 1, **k)),
    ("min_dim_keepdim", lambda T, **k: T.min(_in(T, _X), 0, keepdim=True, **k)),
    ("sort", lambda T, **k: T.sort(_in(T, _X), 1, **k)),
    ("sort_descending", lambda T, **k: T.sort(_in(T, _X), 0, descending=True, **k)),
    ("topk", lambda T, **k: T.topk(_in(T, _X), 2, **k)),
]


@pytest.mark.parametrize("case", TUPLE_CASES, ids=_ids(TUPLE_CASES))
@pytest.mark.parametrize(
    "dtypes",
    [("float32", "int64"), ("float64", "int64"), ("float32", "int32"), ("int64", "int64")],
    ids="-".join,
)
@pytest.mark.parametrize("resize", [False, True])
def test_values_indices_out_matches_torch(case, dtypes, resize):
    name, fn = case
    ref = fn(torch)
    res = {}
    for T in (mytorch, torch):
        shapes = [(5,), (5,)] if resize else [tuple(ref.values.shape), tuple(ref.indices.shape)]
        outs = tuple(T.full(s, 7, dtype=getattr(T, d)) for s, d in zip(shapes, dtypes))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = fn(T, out=outs)
                res[T] = (r, outs, None, _out_warnings(w))
            except Exception as e:  # noqa: BLE001
                res[T] = (None, outs, type(e), [])
    rm, om, em, wm = res[mytorch]
    rt, ot, et, wt = res[torch]
    assert em is et
    if et is not None:
        for o in om:  # nothing half-updated
            assert o._version == 0 and (to_numpy(o) == 7).all()
        return
    assert wm == wt
    assert type(rm).__name__ == type(rt).__name__ == f"{name.split('_')[0]}_out"
    assert rm.values is om[0] and rm.indices is om[1]
    for m, t in zip(om, ot):
        assert_matches(m, t)
        assert m._version == t._version


def test_values_indices_out_must_be_a_pair_of_tensors():
    for bad, cls in [(None, None), ((), TypeError), (5, TypeError)]:
        for T in (mytorch, torch):
            x = T.tensor(_X)
            if bad is None:
                continue
            with pytest.raises(cls):
                T.max(x, 1, out=bad)
    for T in (mytorch, torch):
        x = T.tensor(_X)
        with pytest.raises(TypeError, match="expected tuple of 2 elements but got 1"):
            T.sort(x, 1, out=(T.empty(0),))
        with pytest.raises(TypeError, match="expected Tensor as element 1"):
            T.topk(x, 1, out=(T.empty(0), 5))
        with pytest.raises(TypeError):
            T.max(x, 1, out=T.empty(0))  # one tensor for two results


# --- what out= refuses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda T, o: T.sum(T.tensor(_X, requires_grad=True), 1, out=o),
        lambda T, o: T.matmul(T.tensor(_X), T.tensor(_Y.T, requires_grad=True), out=o),
        lambda T, o: T.cat([T.tensor(_X), T.tensor(_Y, requires_grad=True)], out=o),
        lambda T, o: T.logsumexp(T.tensor(_X, requires_grad=True), 1, out=o),
        lambda T, o: T.max(T.tensor(_X, requires_grad=True), 1, out=(o, o.long())),
        lambda T, o: T.sum(T.tensor(_X), 1, out=o.requires_grad_()),
        lambda T, o: T.zeros(2, out=o.requires_grad_()),
    ],
)
def test_out_refuses_autograd_like_torch(call):
    for T in (mytorch, torch):
        o = T.full((2,), 7.0)
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support"):
            call(T, o)
        assert o.tolist() == [7.0, 7.0] and o._version == 0
        with T.no_grad(), warnings.catch_warnings():  # allowed, as an in-place write is
            warnings.simplefilter("ignore")  # the resize warning
            call(T, T.full((2,), 7.0))


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.sum(T.tensor(_X), 1, out=[1.0, 2.0]),
        lambda T: T.zeros(2, out=np.zeros(2)),
        lambda T: T.matmul(T.tensor(_X), T.tensor(_Y.T), out=3),
        lambda T: T.cat([T.tensor(_X)], out="a"),
    ],
)
def test_out_must_be_a_tensor(call):
    with pytest.raises(TypeError) as t_err:
        call(torch)
    with pytest.raises(TypeError) as m_err:
        call(mytorch)
    assert "must be Tensor" in str(t_err.value) or "invalid combination" in str(t_err.value)
    assert "argument 'out' must be Tensor" in str(m_err.value)


DTYPE_ERRORS = [
    (lambda T: T.zeros(3, dtype=T.float32, out=T.empty(3, dtype=T.int64)), "dtype Float"),
    (lambda T: T.arange(3, dtype=T.float64, out=T.empty(3)), "does not match dtype"),
    (lambda T: T.rand(3, dtype=T.float64, out=T.empty(3)), "of out parameter (Float)"),
    (
        lambda T: T.mm(T.ones(2, 2), T.ones(2, 2), out=T.empty(2, 2, dtype=T.float64)),
        "have dtype float, but got double",
    ),
    (
        lambda T: T.sum(T.ones(2, 2), 1, dtype=T.float64, out=T.empty(2)),
        "have dtype double, but got float",
    ),
    (
        lambda T: T.mean(T.ones(2, 2), 1, out=T.empty(2, dtype=T.int64)),
        "result type Float can't be cast to the desired output type Long",
    ),
    (
        lambda T: T.amax(T.ones(2, 2), 1, out=T.empty(2, dtype=T.float64)),
        "Expected the dtype for input and out to match",
    ),
    (
        lambda T: T.all(T.ones(2, 2), 1, out=T.empty(2)),
        "all only supports bool tensor for result, got: Float",
    ),
    (
        lambda T: T.dot(T.ones(2), T.ones(2), out=T.empty((), dtype=T.float64)),
        "result dtype Double does not match input dtype Float",
    ),
    (
        lambda T: T.cat([T.ones(2)], out=T.empty(2, dtype=T.int64)),
        "input types can't be cast to the desired output type Long",
    ),
    (
        lambda T: T.logsumexp(T.ones(2, 2), 1, out=T.empty(2, dtype=T.int64)),
        "Expected floating point type for result tensor",
    ),
    (
        lambda T: T.zeros(2, requires_grad=True, out=T.empty(2, dtype=T.int64)),
        "Only Tensors of floating point",
    ),
]


@pytest.mark.parametrize("call, fragment", DTYPE_ERRORS)
def test_out_dtype_errors_match_torch(call, fragment):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(Exception) as m_err:
        call(mytorch)
    assert type(m_err.value) is type(t_err.value)
    assert fragment in str(t_err.value), "the fragment must be torch's own words"
    assert fragment in str(m_err.value)


def test_out_refuses_autograd_where_torch_gives_a_broken_graph():
    """NOTE: deliberate deviations: torch lets softmax(out=) record a NotImplemented grad_fn,
    and a creation function write into a non-leaf that requires grad (its backward then fails
    with "derivative for aten::zeros is not implemented"); mytorch refuses both up front."""
    x = mytorch.tensor(_X, requires_grad=True)
    for call in [
        lambda: mytorch.softmax(x, 1, out=mytorch.empty(0)),
        lambda: mytorch.log_softmax(x, 1, out=mytorch.empty(0)),
        lambda: mytorch.zeros(2, 3, out=x * 2),
        lambda: mytorch.ones(2, out=(x * 2)[0, :2]),
    ]:
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support"):
            call()


def test_non_differentiable_out_takes_inputs_that_require_grad():
    for T in (mytorch, torch):
        x = T.tensor(_X, requires_grad=True)
        o = T.empty(0, dtype=T.int64)
        assert T.argmax(x, 1, out=o) is o and o.tolist() == [2, 0]
        b = T.empty(0, dtype=T.bool)
        assert T.all(x, 1, out=b) is b and not b.requires_grad


# --- out tensors that are other tensors' memory -----------------------------------------------
def test_out_may_be_an_input():
    """The result is computed from the inputs before it is written (torch's reductions and
    matmul read the out's new values when it overlaps an input: undefined there)."""
    x = mytorch.tensor(_X)
    r = mytorch.sum(x, 1, keepdim=True, out=x[:, :1])
    np.testing.assert_allclose(to_numpy(r), _X.sum(1, keepdims=True))
    np.testing.assert_allclose(to_numpy(x)[:, 1:], _X[:, 1:])
    np.testing.assert_allclose(to_numpy(x)[:, :1], _X.sum(1, keepdims=True))
    y = mytorch.tensor(_X[:, :2])
    assert mytorch.matmul(y, y.T, out=y) is y
    np.testing.assert_allclose(to_numpy(y), _X[:, :2] @ _X[:, :2].T, rtol=1e-6)


def test_out_with_elements_in_one_memory_location_is_refused():
    """NOTE: torch refuses an expanded out for most ops (as here) but writes into it for some
    (sum, zeros: the last value written wins); mytorch refuses it for every op."""
    for call in [
        lambda o: mytorch.sum(mytorch.tensor(_X), 1, out=o),
        lambda o: mytorch.zeros(2, out=o),
        lambda o: mytorch.softmax(mytorch.tensor(_X[0, :2]), 0, out=o),
    ]:
        o = mytorch.full((1,), 7.0)
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            call(o.expand(2))
        assert o.tolist() == [7.0] and o._version == 0


def test_out_written_through_a_view_keeps_its_base_history_exact():
    """An out= write under no_grad into a view of a tensor that is saved for backward is an
    in-place write: backward through the saved tensor raises torch's error."""
    for T in (mytorch, torch):
        a = T.tensor(_V, requires_grad=True)
        b = a * 1
        y = (b * b).sum()
        with T.no_grad():
            T.zeros(2, out=b[:2])
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_factory_out_sets_requires_grad_like_torch():
    for T in (mytorch, torch):
        o = T.empty(2)
        r = T.ones(2, requires_grad=True, out=o)
        assert r is o and o.requires_grad and o.is_leaf


def test_empty_with_an_out_of_its_shape_keeps_the_values():
    for T in (mytorch, torch):
        o = T.full((2, 3), 7.0)
        assert T.empty(2, 3, out=o) is o
        assert (to_numpy(o) == 7).all()


def test_out_resize_of_a_view_is_refused_with_a_clear_error():
    """NOTE: deliberate deviation: torch resizes a view inside its base's storage; a mytorch
    view cannot change its shape, so the call raises and changes nothing."""
    base = mytorch.full((2, 2), 7.0)
    with pytest.raises(RuntimeError, match=r"is a view of another tensor and cannot be resized"):
        mytorch.sum(mytorch.ones(3, 3), 1, out=base[0])
    assert (to_numpy(base) == 7).all() and base._version == 0


def test_out_on_another_device():
    """The stand-in device: creation functions make their result on out's device, ops refuse
    an out on another device than their result (nothing written)."""
    o = mytorch.ones(3, device="standin")
    assert mytorch.zeros(3, out=o) is o and o.device.type == "standin"
    assert o.tolist() == [0.0, 0.0, 0.0]
    x = mytorch.ones(2, 3, device="standin")
    r = mytorch.sum(x, 1, out=mytorch.empty(0, device="standin"))
    assert r.device.type == "standin" and r.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="Expected out tensor to have device cpu"):
        mytorch.sum(mytorch.ones(2, 3), 1, out=o)
    with pytest.raises(RuntimeError, match="does not match device type of out parameter"):
        mytorch.ones(3, device="cpu", out=o)
    assert o.tolist() == [0.0, 0.0, 0.0] and o._version == 1
