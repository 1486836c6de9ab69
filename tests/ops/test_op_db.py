"""Every op in the op database against torch (forward, first and second derivatives) and
against central differences (gradcheck and gradgradcheck in float64), on every device: the CPU
and the stand-in device (whose arrays refuse silent host copies).

Forward-only rows (``grad=False``: integer and bool results or inputs) compare values, dtypes
and shapes, and that no graph is recorded. The table itself is checked too: every registered
primitive has a row, and each differentiable row's graph contains the primitive it names.
"""

import contextlib

import numpy as np
import pytest
from backends.standin import counts, reset_counts, transfers
from helpers import TOL2, assert_matches, dtype_str, seeded_rng, to_numpy
from op_db import OPS, SAMPLES, XFAIL_KEYS, inputs_for

import mytorch
from mytorch._registry import OPS as REGISTRY
from mytorch.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

GRAD_SAMPLES = [s for s in SAMPLES if s[0].grad]
# Central differences only where the function is smooth (not the rows at ties and kinks).
NUMERIC_SAMPLES = [s for s in GRAD_SAMPLES if s[0].smooth]
GG_SAMPLES = [s for s in NUMERIC_SAMPLES if s[0].gradgrad]
NOGRAD_ROWS = [op for op in OPS if not op.grad]


def _marks(op, key):
    """A strict xfail where the row records a known mytorch bug for this test; at ties and kinks,
    NumPy's warnings about the infinities and NaNs there (0 ** -1, log(0)) are expected."""
    reason = op.xfail.get(key)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    if not op.smooth:
        marks.append(pytest.mark.filterwarnings("ignore::RuntimeWarning"))
    return marks


def _cases(samples, key):
    return [pytest.param(op, i, id=op.ids()[i], marks=_marks(op, key)) for op, i in samples]


def _rows(rows, key):
    return [pytest.param(op, id=op.name, marks=_marks(op, key)) for op in rows]


def _make(lib, arrays, dtype_name, requires_grad=False, device="cpu"):
    """Tensors of the float dtype under test; integer and bool inputs keep their dtype (and
    never require grad)."""
    out = []
    for a in arrays:
        is_float = a.dtype.kind == "f"
        out.append(
            lib.tensor(
                a.astype(dtype_name) if is_float else a,
                requires_grad=requires_grad and is_float,
                device=device,
            )
        )
    return out


def _refused(op, device):
    """Whether ``op`` does not run on ``device`` (a CPU-only op: SciPy's kernels), checking that
    it refuses with NotImplementedError there; nothing else is tested on that device."""
    if device in op.devices or (device == "cuda" and "standin" in op.devices):
        return False  # (a real GPU, MYTORCH_TEST_CUDA=1, runs what the stand-in runs)
    arrays = inputs_for(op, 0, seeded_rng(op.name, "refused"))
    xs = _make(mytorch, arrays, "float64", device=device)
    with pytest.raises(NotImplementedError):
        op.fn(mytorch, *xs)
    return True


def _on(device, outs):
    """Every tensor in ``outs`` lives on ``device``."""
    for t in outs:
        if t is not None:
            assert str(t.device).partition(":")[0] == device, f"{t.device} is not {device}"


@contextlib.contextmanager
def _no_transfers(op, device, monkeypatch):
    """Nothing inside crosses between the host and the stand-in device: a row's op and its
    derivatives stay on the device. The row's inputs are made before and its results read
    after; inside, the one host data allowed across is what torch moves as well: tensors that
    the row makes from Python data (``T.tensor``), on the device or as CPU indices that the
    device tensor uploads. Where torch synchronises with the host (item, tolist, numpy,
    printing, bool of a tensor) a row does not call it. A to_device row is a transfer."""
    if device != "standin" or op.op_name == "to_device":
        yield
        return
    allowed = {"to_device": 0}
    make = mytorch.tensor

    def tensor(*args, **kwargs):
        before = counts()
        t = make(*args, **kwargs)
        if t.device.type == "cpu":
            allowed["to_device"] += 1  # uploaded when it indexes a device tensor
        for key, n in before.items():
            transfers[key] = n  # the row's own data, made on the device
        return t

    monkeypatch.setattr(mytorch, "tensor", tensor)
    reset_counts()
    yield
    monkeypatch.setattr(mytorch, "tensor", make)
    got = counts()
    assert got["to_host"] == 0, f"device to host transfers: {got}"
    assert got["scalar"] == 0 or op.reads_scalars, f"device to host transfers: {got}"
    assert got["to_device"] <= allowed["to_device"], f"host to device transfers: {got}"


def _second(lib, grads, wrt, weights):
    """Gradients of sum(w_i * grad_i) with respect to ``wrt`` (the inputs and the incoming
    gradient): None where nothing depends on one."""
    terms = [(g * w).sum() for g, w in zip(grads, weights) if g.requires_grad]
    if not terms:
        return [None] * len(wrt)
    s = terms[0]
    for t in terms[1:]:
        s = s + t
    return list(lib.autograd.grad(s, wrt, allow_unused=True))


def _assert_second_matches(hm, ht, x, dtype_name, tol=None):
    """One second derivative against torch's: values, shape and dtype; None (nothing depends on
    ``x``) counts as zeros of ``x``'s shape and dtype."""
    if ht is None and hm is None:
        return
    if ht is None:
        ht = torch.zeros(tuple(x.shape), dtype=getattr(torch, dtype_str(x).split(".")[-1]))
    if hm is None:
        np.testing.assert_array_equal(to_numpy(ht), 0, err_msg="mytorch: None, torch nonzero")
        assert tuple(ht.shape) == tuple(x.shape)
        return
    assert_matches(hm, ht, **(tol or TOL2[dtype_name]))


def _graph_ops(out):
    """The names of the primitives recorded in ``out``'s autograd graph."""
    names = set()
    seen = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "variable", None) is None and node.op is not None:
            names.add(node.op.name)
        stack.extend(n for n, _ in node.next_functions)
    return names


@pytest.mark.torch
@pytest.mark.parametrize("op, i", _cases(SAMPLES, "forward"))
def test_forward_matches_torch(op, i, dtype_name, device, monkeypatch):
    if _refused(op, device):
        return
    arrays = inputs_for(op, i, seeded_rng(op.name, i))
    xs_m = _make(mytorch, arrays, dtype_name, device=device)
    with _no_transfers(op, device, monkeypatch):
        out_m = op.fn(mytorch, *xs_m)
    _on(device, [out_m])
    out_t = op.fn(torch, *_make(torch, arrays, dtype_name))
    assert_matches(out_m, out_t, **op.tol_for(dtype_name))
    assert not out_m.requires_grad and out_m.grad_fn is None


@pytest.mark.torch
@pytest.mark.parametrize("op", _rows(NOGRAD_ROWS, "no_graph"))
def test_forward_only_rows_record_like_torch(op, device, monkeypatch):
    """Float inputs that require grad: an integer or bool result records nothing, as in torch
    (a forward-only row of a differentiable op, such as round at its ties, records as torch
    does)."""
    if _refused(op, device):
        return
    arrays = inputs_for(op, 0, seeded_rng(op.name, "no_graph"))
    xs_m = _make(mytorch, arrays, "float64", requires_grad=True, device=device)
    with _no_transfers(op, device, monkeypatch):
        out_m = op.fn(mytorch, *xs_m)
    out_t = op.fn(torch, *_make(torch, arrays, "float64", requires_grad=True))
    assert_matches(out_m, out_t, **op.tol_for("float64"))
    assert out_m.requires_grad == out_t.requires_grad
    if out_t.grad_fn is None:
        assert out_m.grad_fn is None
    else:
        assert out_m.grad_fn.name() == out_t.grad_fn.name()


@pytest.mark.torch
@pytest.mark.parametrize("op, i", _cases(GRAD_SAMPLES, "derivatives"))
def test_first_and_second_derivatives_match_torch(op, i, dtype_name, device, monkeypatch):
    if _refused(op, device):
        return
    tol = op.tol_for(dtype_name)
    rng = seeded_rng(op.name, i, "grad")
    arrays = inputs_for(op, i, rng)
    xs_m = _make(mytorch, arrays, dtype_name, requires_grad=True, device=device)
    xs_t = _make(torch, arrays, dtype_name, requires_grad=True)
    with _no_transfers(op, device, monkeypatch):
        out_m = op.fn(mytorch, *xs_m)
    out_t = op.fn(torch, *xs_t)
    assert_matches(out_m, out_t, **tol)
    assert out_m.requires_grad and not out_m.is_leaf

    # A random cotangent, so every output element's gradient is weighed differently. It
    # requires grad: the second derivatives are taken with respect to it too (for a linear op
    # the only nonzero ones).
    v = rng.standard_normal(tuple(out_t.shape)).astype(dtype_name)
    v_m = mytorch.tensor(v, device=device, requires_grad=True)
    v_t = torch.tensor(v, requires_grad=True)
    with _no_transfers(op, device, monkeypatch):
        g_m = mytorch.autograd.grad(out_m, xs_m, v_m, create_graph=True)
    _on(device, g_m)
    g_t = torch.autograd.grad(out_t, xs_t, v_t, create_graph=True)
    for gm, gt in zip(g_m, g_t):
        assert_matches(gm, gt, **tol)

    if not op.gradgrad:
        return
    weights = [rng.standard_normal(a.shape).astype(dtype_name) for a in arrays]
    wrt_m, wrt_t = [*xs_m, v_m], [*xs_t, v_t]
    if not op.gradgrad_v:
        wrt_m, wrt_t = xs_m, xs_t
    w_m = [mytorch.tensor(w, device=device) for w in weights]
    with _no_transfers(op, device, monkeypatch):
        h_m = _second(mytorch, g_m, wrt_m, w_m)
    _on(device, h_m)
    h_t = _second(torch, g_t, wrt_t, [torch.tensor(w) for w in weights])
    for hm, ht, x in zip(h_m, h_t, wrt_t):
        _assert_second_matches(hm, ht, x, dtype_name, tol)


@pytest.mark.torch
@pytest.mark.parametrize("op", _rows([op for op in OPS if op.grad_fn], "grad_fn"))
def test_grad_fn_name_matches_torch(op):
    arrays = inputs_for(op, 0, seeded_rng(op.name))
    out_m = op.fn(mytorch, *_make(mytorch, arrays, "float32", requires_grad=True))
    out_t = op.fn(torch, *_make(torch, arrays, "float32", requires_grad=True))
    assert out_t.grad_fn.name() == op.grad_fn  # keeps the table itself honest
    assert out_m.grad_fn.name() == out_t.grad_fn.name()
    assert repr(out_m).endswith(f"grad_fn=<{op.grad_fn}>)")


@pytest.mark.parametrize("op, i", _cases(NUMERIC_SAMPLES, "gradcheck"))
def test_gradcheck(op, i, device):
    if _refused(op, device):
        return
    arrays = inputs_for(op, i, seeded_rng(op.name, i, "gradcheck"))
    xs = _make(mytorch, arrays, "float64", requires_grad=True, device=device)
    assert gradcheck(lambda *a: op.fn(mytorch, *a), xs)


@pytest.mark.parametrize("op, i", _cases(GG_SAMPLES, "gradgradcheck"))
def test_gradgradcheck(op, i, device):
    if _refused(op, device):
        return
    arrays = inputs_for(op, i, seeded_rng(op.name, i, "gradgradcheck"))
    xs = _make(mytorch, arrays, "float64", requires_grad=True, device=device)
    assert gradgradcheck(lambda *a: op.fn(mytorch, *a), xs)


# --- the table itself -------------------------------------------------------------------------
def test_every_registered_op_has_a_row():
    covered = {op.op_name for op in OPS}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"registered ops without an op_db row: {missing}"


def test_rows_are_well_formed():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)), "row names must be unique (they are test ids)"
    for op in OPS:
        assert op.op is None or op.op in REGISTRY, f"{op.name}: op {op.op!r} is not registered"
        assert op.grad or not op.gradgrad, f"{op.name}: gradgrad without grad"
        assert set(op.xfail) <= set(XFAIL_KEYS), f"{op.name}: unknown xfail keys {op.xfail}"


@pytest.mark.parametrize(
    "op", _rows([op for op in OPS if op.grad and op.op_name in REGISTRY], "graph")
)
def test_row_records_its_op(op):
    """The row's graph (on any device: to_device only moves off the stand-in device) contains
    the primitive the row names."""
    recorded = set()
    for device in op.devices:
        arrays = inputs_for(op, 0, seeded_rng(op.name, "graph"))
        xs = _make(mytorch, arrays, "float32", requires_grad=True, device=device)
        recorded |= _graph_ops(op.fn(mytorch, *xs))
    assert op.op_name in recorded, f"{op.name} records {sorted(recorded)}, not {op.op_name}"
