"""The activation family beyond its op_db rows: namespaces and methods exactly torch's, out=,
in-place forms and ``inplace=True``, errors (exception classes), values far out (stability),
implicit softmax dims and rrelu's random slopes in training mode."""

import math
import warnings

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch

NAMES = (
    "relu relu6 softplus gelu silu mish elu selu celu leaky_relu hardtanh hardsigmoid hardswish "
    "hardshrink softshrink logsigmoid softsign tanhshrink threshold glu prelu rrelu softmin "
    "softmax log_softmax normalize sigmoid tanh"
).split()
INPLACE = "relu_ elu_ leaky_relu_ hardtanh_ selu_ celu_ rrelu_ threshold_".split()


def F(T):
    return T.nn.functional


def _x(T, values=(-2.0, -0.5, 0.0, 0.75, 3.0), dtype="float32", requires_grad=False):
    return T.tensor(values, dtype=getattr(T, dtype), requires_grad=requires_grad)


@pytest.mark.parametrize("name", NAMES + INPLACE)
def test_declared_where_torch_has_them(name):
    """Each name is in nn.functional, at the top level and a Tensor method exactly where torch
    has it."""
    assert hasattr(mytorch.nn.functional, name)
    assert hasattr(mytorch, name) == hasattr(torch, name), name
    assert hasattr(mytorch.Tensor, name) == hasattr(torch.Tensor, name), name


# (id, fn(T, **kw); kw is {} or {"out": ...}); torch's structured kernels (all but threshold and
# normalize) take an out of the result's dtype only
OUT_CASES = [
    ("softplus", lambda T, **k: F(T).softplus(_x(T), 2.0, 1.0, **k)),
    ("gelu", lambda T, **k: F(T).gelu(_x(T), **k)),
    ("gelu_tanh", lambda T, **k: F(T).gelu(_x(T), approximate="tanh", **k)),
    ("hardshrink", lambda T, **k: T.hardshrink(_x(T), 0.6, **k)),
    ("F_hardshrink", lambda T, **k: F(T).hardshrink(_x(T), **k)),
    ("softshrink", lambda T, **k: F(T).softshrink(_x(T), 1.0, **k)),
    ("logsigmoid", lambda T, **k: F(T).logsigmoid(_x(T), **k)),
    ("threshold", lambda T, **k: T.threshold(_x(T), 0.5, -1.0, **k)),
    ("normalize", lambda T, **k: F(T).normalize(_x(T).reshape(1, 5), **k)),
]


@pytest.mark.parametrize("fn", [c[1] for c in OUT_CASES], ids=[c[0] for c in OUT_CASES])
@pytest.mark.parametrize("out_dtype", ["float32", "float64"])
def test_out_matches_torch(fn, out_dtype):
    """An out of the input's dtype, or float64 where torch takes it (threshold, normalize);
    where torch refuses float64, the same exception."""
    try:
        fn(torch, out=torch.zeros(fn(torch).shape, dtype=getattr(torch, out_dtype)))
    except RuntimeError:
        raises_like(lambda T: fn(T, out=T.zeros(fn(T).shape, dtype=getattr(T, out_dtype))))
        return
    res = {}
    for T in (mytorch, torch):
        out = T.zeros(fn(T).shape, dtype=getattr(T, out_dtype))
        assert fn(T, out=out) is out
        res[T.__name__] = out
    assert_matches(res["mytorch"], res["torch"])


def test_structured_outs_are_of_the_result_s_dtype_only():
    raises_like(lambda T: F(T).softplus(_x(T), out=T.zeros(5, dtype=T.float64)), ["Double"])
    raises_like(lambda T: F(T).gelu(_x(T, dtype="float64"), out=T.zeros(5)), ["Float"])


@pytest.mark.parametrize("fn", [c[1] for c in OUT_CASES], ids=[c[0] for c in OUT_CASES])
def test_out_refuses_an_integer_out_like_torch(fn):
    raises_like(lambda T: fn(T, out=T.zeros(fn(T).shape, dtype=T.int64)))


@pytest.mark.parametrize(
    "name", ["relu", "relu6", "elu", "selu", "celu", "leaky_relu", "hardtanh", "hardsigmoid",
             "hardswish", "silu", "mish", "rrelu"]
)  # fmt: skip
def test_inplace_argument_writes_the_input(name):
    res = {}
    for T in (mytorch, torch):
        x = _x(T)
        r = getattr(F(T), name)(x, inplace=True)
        assert r is x
        res[T.__name__] = x
    assert_matches(res["mytorch"], res["torch"])


INPLACE_CALLS = [
    ("F_relu_", lambda T, x: F(T).relu_(x)),
    ("torch_relu_", lambda T, x: T.relu_(x)),
    ("elu_", lambda T, x: F(T).elu_(x, 0.5)),
    ("leaky_relu_", lambda T, x: F(T).leaky_relu_(x, 0.3)),
    ("hardtanh_", lambda T, x: F(T).hardtanh_(x, -0.5, 1.0)),
    ("selu_", lambda T, x: T.selu_(x)),
    ("celu_", lambda T, x: F(T).celu_(x, 2.0)),
    ("rrelu_", lambda T, x: T.rrelu_(x, 0.1, 0.2)),
    ("threshold_", lambda T, x: F(T).threshold_(x, 0.5, 9.0)),
    ("threshold_F", lambda T, x: F(T).threshold(x, 0.5, 9.0, True)),
]


@pytest.mark.parametrize("fn", [c[1] for c in INPLACE_CALLS], ids=[c[0] for c in INPLACE_CALLS])
def test_inplace_functions_match_torch(fn):
    res = {}
    for T in (mytorch, torch):
        x = _x(T, dtype="float64")
        assert fn(T, x) is x
        res[T.__name__] = x
    assert_matches(res["mytorch"], res["torch"])


@pytest.mark.parametrize("fn", [c[1] for c in INPLACE_CALLS], ids=[c[0] for c in INPLACE_CALLS])
def test_inplace_on_a_leaf_that_requires_grad_is_refused(fn):
    raises_like(lambda T: fn(T, _x(T, requires_grad=True)), exc=RuntimeError)


def test_threshold_inplace_on_integers_keeps_the_dtype():
    res = {}
    for T in (mytorch, torch):
        x = T.tensor([-1, 0, 2, 5])
        T.threshold_(x, 1, 7.5)
        res[T.__name__] = x
    assert_matches(res["mytorch"], res["torch"])


@pytest.mark.parametrize("name", ["hardswish", "mish", "silu", "elu", "leaky_relu"])
def test_inplace_backward_keeps_the_original_input(name):
    """In place on a non-leaf, the gradient is the out-of-place one (torch keeps the input its
    backward needs)."""
    res = {}
    for T in (mytorch, torch):
        x = _x(T, dtype="float64", requires_grad=True)
        y = getattr(F(T), name)(x * 2.5, inplace=True)
        (g,) = T.autograd.grad((y * y).sum(), x)
        res[T.__name__] = g
    assert_matches(res["mytorch"], res["torch"])


ERRORS = [
    ("elu_int", lambda T: F(T).elu(T.tensor([1, 2]))),
    ("selu_int", lambda T: T.selu(T.tensor([1, 2]))),
    ("celu_int", lambda T: F(T).celu(T.tensor([1, 2]))),
    ("leaky_relu_int", lambda T: F(T).leaky_relu(T.tensor([1, 2]))),
    ("softplus_int", lambda T: F(T).softplus(T.tensor([1, 2]))),
    ("gelu_int", lambda T: F(T).gelu(T.tensor([1, 2]))),
    ("silu_int", lambda T: F(T).silu(T.tensor([1, 2]))),
    ("mish_int", lambda T: F(T).mish(T.tensor([1, 2]))),
    ("hardsigmoid_int", lambda T: F(T).hardsigmoid(T.tensor([1, 2]))),
    ("hardswish_int", lambda T: F(T).hardswish(T.tensor([1, 2]))),
    ("hardshrink_int", lambda T: T.hardshrink(T.tensor([1, 2]))),
    ("softshrink_int", lambda T: F(T).softshrink(T.tensor([1, 2]))),
    ("logsigmoid_int", lambda T: F(T).logsigmoid(T.tensor([1, 2]))),
    ("glu_int", lambda T: F(T).glu(T.tensor([1, 2]))),
    ("prelu_int", lambda T: F(T).prelu(T.tensor([1, 2]), T.tensor([1]))),
    ("rrelu_int", lambda T: F(T).rrelu(T.tensor([1, 2]))),
    ("normalize_int", lambda T: F(T).normalize(T.tensor([[1, 2]]))),
    ("relu_bool", lambda T: F(T).relu(T.tensor([True]))),
    ("hardtanh_bool", lambda T: F(T).hardtanh(T.tensor([True]))),
    ("threshold_bool", lambda T: F(T).threshold(T.tensor([True]), 0, 1)),
    ("gelu_approximate", lambda T: F(T).gelu(_x(T), approximate="fast")),
    ("softshrink_negative", lambda T: F(T).softshrink(_x(T), -1.0)),
    ("glu_odd", lambda T: F(T).glu(_x(T))),
    ("glu_0d", lambda T: F(T).glu(T.tensor(1.0))),
    ("glu_dim", lambda T: F(T).glu(_x(T, (1.0, 2.0)), 1)),
    ("prelu_weights", lambda T: F(T).prelu(T.ones(2, 3), T.ones(2))),
    ("prelu_weights_1d", lambda T: F(T).prelu(T.ones(3), T.ones(3))),
    ("prelu_weight_2d", lambda T: F(T).prelu(T.ones(2, 3), T.ones(3, 1))),
    ("celu_alpha_0", lambda T: T.celu(_x(T), 0.0)),
    ("hardtanh_crossed", lambda T: F(T).hardtanh(_x(T), 1.0, -1.0)),
    ("rrelu_crossed", lambda T: F(T).rrelu(_x(T), 0.5, 0.1)),
    ("rrelu_crossed_training", lambda T: T.rrelu(_x(T), 0.5, 0.1, True)),
    ("normalize_dim", lambda T: F(T).normalize(_x(T), dim=2)),
    ("softmin_dim", lambda T: F(T).softmin(_x(T), 1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_errors_match_torch(fn):
    raises_like(fn)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: F(T).softplus(x),
        lambda T, x: F(T).softplus(x, 0.5, 5.0),
        lambda T, x: F(T).logsigmoid(x),
        lambda T, x: F(T).gelu(x),
        lambda T, x: F(T).gelu(x, approximate="tanh"),
        lambda T, x: F(T).mish(x),
        lambda T, x: F(T).silu(x),
        lambda T, x: F(T).elu(x),
        lambda T, x: T.selu(x),
    ],
    ids=["softplus", "softplus_beta", "logsigmoid", "gelu", "gelu_tanh", "mish", "silu", "elu",
         "selu"],
)  # fmt: skip
def test_far_out_values_and_gradients_are_finite_and_torch_s(fn, dtype):
    """No overflow to inf or NaN where torch stays finite (softplus above its threshold is
    linear, logsigmoid is stable for large |x|)."""
    vals = (-800.0, -90.0, -30.0, -12.0, -1e-3, 0.0, 1e-3, 12.0, 30.0, 90.0, 800.0)
    res = {}
    for T in (mytorch, torch):
        x = _x(T, vals, dtype, requires_grad=True)
        y = fn(T, x)
        (g,) = T.autograd.grad(y.sum(), x)
        res[T.__name__] = (y, g)
    with np.errstate(all="ignore"):
        for m, t in zip(res["mytorch"], res["torch"]):
            assert_matches(m, t)


def test_gelu_erf_on_the_device_matches_scipy():
    """The device kernel's erf (series and continued fraction) against SciPy's, in float64."""
    from scipy.special import erf

    from mytorch._backends.reference import Backend

    be = Backend("check", np, "cpu")
    x = np.linspace(-7, 7, 14001)
    np.testing.assert_allclose(be._erf(x), erf(x), rtol=1e-14, atol=1e-15)
    x32 = x.astype(np.float32)
    assert be._erf(x32).dtype == np.float32


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 2), (2, 1, 2, 3)])
def test_implicit_softmax_dim_warns_and_picks_torch_s(name, shape):
    res = {}
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape)
    for T in (mytorch, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res[T.__name__] = getattr(F(T), name)(T.tensor(data))
        assert any(issubclass(c.category, UserWarning) and "Implicit" in str(c.message) for c in w)
    assert_matches(res["mytorch"], res["torch"])


def test_softmin_dtype():
    res = {T.__name__: F(T).softmin(_x(T), 0, dtype=T.float64) for T in (mytorch, torch)}
    assert_matches(res["mytorch"], res["torch"])


@pytest.mark.parametrize("device", ["cpu", "standin"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rrelu_training_draws_slopes_in_range_and_its_gradient_is_the_slope(device, dtype):
    x = mytorch.linspace(-3, 3, 2001, dtype=getattr(mytorch, dtype), device=device)
    x.requires_grad_()
    lower, upper = 0.1, 0.3
    y = F(mytorch).rrelu(x, lower, upper, training=True)
    (g,) = mytorch.autograd.grad(y.sum(), x)
    assert str(y.device).startswith(device) and y.dtype == x.dtype
    xv, yv, gv = x.detach().cpu().numpy(), y.detach().cpu().numpy(), g.cpu().numpy()
    pos = xv > 0
    np.testing.assert_array_equal(yv[pos], xv[pos])
    np.testing.assert_array_equal(gv[pos], 1)
    slope = gv[~pos]
    assert lower <= slope.min() and slope.max() <= upper
    assert slope.std() > 0.03  # drawn, not one value
    nz = xv < 0
    np.testing.assert_allclose(yv[nz], xv[nz] * gv[nz], rtol=1e-6)


def test_rrelu_training_follows_the_generator():
    outs = []
    for _ in range(2):
        gen = mytorch.Generator().manual_seed(3)
        outs.append(mytorch.rrelu(-mytorch.ones(5), training=True, generator=gen))
    assert mytorch.equal(outs[0], outs[1])
    mytorch.manual_seed(4)
    a = F(mytorch).rrelu(-mytorch.ones(5), training=True)
    mytorch.manual_seed(4)
    assert mytorch.equal(a, F(mytorch).rrelu(-mytorch.ones(5), training=True))


def test_selu_constants_are_torch_s():
    res = {T.__name__: T.selu(_x(T, (-1.0, 1.0), "float64")) for T in (mytorch, torch)}
    np.testing.assert_array_equal(res["mytorch"].numpy(), res["torch"].numpy())
    assert math.isclose(float(res["mytorch"][1]), 1.0507009873554805)
