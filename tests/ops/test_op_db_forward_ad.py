"""Forward-mode AD on every row of the op database (float64, CPU): the tangent that dual
tensors carry through the row equals the Jacobian-vector product of reverse mode (the
Jacobian built row by row with autograd.grad, which tests/ops/test_op_db.py checks against
torch). Rows with integer or bool inputs give tangents to their float inputs only.
"""

import numpy as np
import pytest
from helpers import seeded_rng
from op_db import OPS, SAMPLES, inputs_for

import mytorch
import mytorch.autograd.forward_ad as fwAD
from mytorch._registry import OPS as REGISTRY

try:
    import torch
    import torch.autograd.forward_ad as torch_fwAD
except ImportError:
    torch = None

GRAD_SAMPLES = [s for s in SAMPLES if s[0].grad]

# Rows whose forward AD is known not to match: name -> (modes, reason); strict xfails.
_DETACHED = (
    "the row differentiates detached copies of inputs that need no grad (op_db._vjp), so no "
    "tangent reaches its output; it runs forward over reverse with requires_grad"
)
_SHORTCUT = (
    "a composite that returns a detached value when no input requires grad (clamp with tensor "
    "bounds): a dual tensor does not require grad"
)
_NO_GRAD_VALUE = (
    "a composite that takes its value from a no_grad computation and its derivative from "
    "y - y.detach() (lstsq): forward AD, as torch's, ignores no_grad, so the tangent counts twice"
)
_COMPLEX = "complex intermediates (eig): forward AD through complex tensors is not supported"
PLAIN = ("plain",)
BOTH = ("plain", "requires_grad")
XFAIL = {
    **{name: (PLAIN, _DETACHED) for name in (
        "elu_backward", "gelu_backward", "gelu_backward_times_x",
        "hardtanh_backward", "index_backward", "index_backward_mask", "index_backward_select",
        "index_backward_tensor", "relu_backward_at_zero", "relu_backward_times_x",
        "sigmoid_backward", "sigmoid_backward_times_x", "sum_to",
        "tanh_backward", "tanh_backward_times_x", "conv2d_weight_grad",
        "softmax_backward", "softmax_backward_dim0", "log_softmax_backward",
        "log_softmax_backward_dim0", "layer_norm_backward_input", "layer_norm_backward_weight",
        "layer_norm_backward_bias", "layer_norm_backward_plain", "nll_rows_backward",
        "nll_rows_backward_none",
    )},
    **{name: (PLAIN, _SHORTCUT) for name in (
        "clamp_max_kw_tensor_ties", "clamp_max_tensor_ties", "clamp_min_kw_tensor_ties",
        "clamp_min_tensor_ties", "clamp_tensors_broadcast_ties", "clamp_tensors_ties",
    )},
    # The same, times x outside the VJP: only that factor's tangent reaches the output.
    "softplus_backward": (PLAIN, _DETACHED + " (all but the outer factor's)"),
    "gelu_tanh_backward_times_x": (PLAIN, _DETACHED + " (all but the outer factor's)"),
    "lstsq": (PLAIN, _NO_GRAD_VALUE),
    "lstsq_gelsd": (("requires_grad",), _NO_GRAD_VALUE),
    "lstsq_gelss_vector": (("requires_grad",), _NO_GRAD_VALUE),
    "eigvals_abs": (BOTH, _COMPLEX),
    "eig_vectors_abs": (BOTH, _COMPLEX),
}  # fmt: skip
# Rows whose Jacobian has infinite entries (poles, kinks): compared with torch's forward AD.
NONFINITE = {
    "entr_kinks", "logit_outside", "nan_to_num_values", "pow_zero_base",
    "pow_zero_base_scalar_half", "xlog1py_zero", "xlogy_zero",
}  # fmt: skip
# Rows compared with torch's forward AD directly: those above and a handful of everyday ones.
TORCH_ROWS = NONFINITE | {
    "add", "mul", "div", "pow_frac", "exp", "sin", "tanh", "sigmoid", "matmul_bmm", "sum", "mean",
    "softmax", "log_softmax", "cumsum", "sort", "max_dim", "solve", "cat", "where", "erfinv",
    "vector_norm_ord3", "normalize_p1", "cholesky_solve",
}  # fmt: skip


def _cases(modes=("requires_grad",)):
    out = []
    for op, i in GRAD_SAMPLES:
        for mode in modes:
            marks = [pytest.mark.filterwarnings("ignore::RuntimeWarning")]
            detached = XFAIL.get(op.name, ((), None))[1] is _DETACHED
            if op.name in XFAIL and mode in XFAIL[op.name][0] and not detached:
                marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[op.name][1]))
            ident = op.ids()[i] + ("" if len(modes) == 1 else "-" + mode)
            out.append(pytest.param(op, i, mode == "requires_grad", id=ident, marks=marks))
    return out


def _tensors(arrays, requires_grad=False):
    return [mytorch.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f") for a in arrays]


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _reverse_jvp(op, arrays, tangents):
    """J t by reverse mode: one autograd.grad per output element."""
    xs = _tensors(arrays, requires_grad=True)
    wrt = [x for x in xs if x.requires_grad]
    outs = [o for o in _outputs(op.fn(mytorch, *xs)) if o.dtype.is_floating_point]
    res = []
    for o in outs:
        flat = np.zeros(o.numel())
        for k in range(o.numel()):
            if not o.requires_grad:
                continue
            e = np.zeros(o.numel())
            e[k] = 1.0
            v = mytorch.tensor(e.reshape(tuple(o.shape)), dtype=o.dtype)
            gs = mytorch.autograd.grad(o, wrt, v, retain_graph=True, allow_unused=True)
            flat[k] = sum(float((g * t).sum()) for g, t in zip(gs, tangents) if g is not None)
        res.append(flat.reshape(tuple(o.shape)))
    return res


def _sample(op, i):
    rng = seeded_rng(op.name, i, "forward_ad")
    arrays = inputs_for(op, i, rng)
    tangents = [rng.standard_normal(a.shape) for a in arrays if a.dtype.kind == "f"]
    return arrays, tangents


def _forward(op, arrays, tangents, requires_grad):
    """The tangents of the row's float outputs through mytorch's dual tensors (zeros where an
    output has none)."""
    with fwAD.dual_level():
        it = iter(tangents)
        xs = [fwAD.make_dual(x, mytorch.tensor(next(it))) if x.dtype.is_floating_point else x
              for x in _tensors(arrays, requires_grad)]  # fmt: skip
        outs = [o for o in _outputs(op.fn(mytorch, *xs)) if o.dtype.is_floating_point]
        got = []
        for o in outs:
            p, t = fwAD.unpack_dual(o)
            assert p.requires_grad == o.requires_grad
            if t is None:
                got.append(np.zeros(tuple(o.shape)))
            else:
                assert tuple(t.shape) == tuple(o.shape) and t.dtype == o.dtype
                got.append(t.detach().numpy())
    return got


@pytest.mark.parametrize("op, i, requires_grad", _cases(BOTH))
def test_forward_ad_matches_reverse_mode(op, i, requires_grad):
    """With primals that require grad, the rows that differentiate inside (the VJP rows) run
    forward over reverse: the tangents go through the backward pass they build."""
    if "cpu" not in op.devices:
        pytest.skip("not a CPU op")
    arrays, tangents = _sample(op, i)
    expected = _reverse_jvp(op, arrays, [mytorch.tensor(t) for t in tangents])
    if not all(np.isfinite(e).all() for e in expected):
        # J t row by row multiplies an infinite partial by the zeros of t's other entries:
        # these rows (at poles and kinks) are compared with torch's forward AD below.
        assert op.name in NONFINITE
        return
    got = _forward(op, arrays, tangents, requires_grad)
    assert len(got) == len(expected)
    if not requires_grad and XFAIL.get(op.name, ((), None))[1] is _DETACHED:
        assert not any(g.any() for g in got)  # the row cut its inputs' tangents off
        return
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize(
    "op, i, requires_grad", [c for c in _cases() if c.values[0].name in TORCH_ROWS]
)
def test_forward_ad_matches_torch(op, i, requires_grad):
    """Tangents against torch's forward AD, at poles and kinks included."""
    arrays, tangents = _sample(op, i)
    got = _forward(op, arrays, tangents, requires_grad)
    with torch_fwAD.dual_level():
        it = iter(tangents)
        xs = [
            torch_fwAD.make_dual(x, torch.tensor(next(it))) if x.dtype.is_floating_point else x
            for x in [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        ]
        outs = [o for o in _outputs(op.fn(torch, *xs)) if o.dtype.is_floating_point]
        expected = []
        for o in outs:
            t = torch_fwAD.unpack_dual(o).tangent
            expected.append(np.zeros(tuple(o.shape)) if t is None else t.detach().numpy())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9, equal_nan=True)


def test_every_registered_differentiable_op_is_covered():
    covered = {op.op_name for op, _ in GRAD_SAMPLES}
    nograd = {op.op_name for op in OPS if not op.grad}
    missing = sorted(set(REGISTRY) - covered - nograd)
    assert not missing, f"differentiable ops without a forward AD case: {missing}"


def test_named_rows_exist():
    names = {op.name for op in OPS}
    assert TORCH_ROWS <= names, sorted(TORCH_ROWS - names)
    assert set(XFAIL) <= names, sorted(set(XFAIL) - names)
