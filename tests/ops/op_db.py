"""The op database: one row per op variant, driving the generic forward/grad/gradcheck tests.

Each row's ``fn(T, *inputs)`` is written once against the torch API and run twice, with
``T = mytorch`` and with ``T = torch``, so the same line states what is being compared.

Every primitive in ``mytorch._registry.OPS`` is covered by at least one row (its ``op``), and a
differentiable row's autograd graph must contain its op (tests/ops/test_op_db.py checks both).
"""

import importlib.util
import pathlib
import sys
from dataclasses import dataclass, field

import numpy as np

# Input domains. Each keeps the op away from kinks, poles and ties, where derivatives are
# undefined or central differences straddle a jump (the rows of AT_TIES_AND_KINKS go there on
# purpose, with fixed values: see ``cycle``).
ANY = "any"  # uniform in [-1.5, 1.5]
POS = "pos"  # uniform in [0.5, 2]: log, sqrt, fractional powers
NONZERO = "nonzero"  # |v| in [0.5, 1.5] with random sign: abs, relu, divisors
SMALL = "small"  # uniform in [-1, 1]: tan stays far from its poles
OFFGRID = "offgrid"  # a whole number in [-2, 2] plus or minus [0.1, 0.4]: floor, ceil, round
HALVES = "halves"  # a whole number in [-3, 2] plus 0.5: round's ties (forward only)
TIES = "ties"  # whole numbers in [-2, 2] as floats: equal pairs for comparisons, zeros
INT = "int"  # int64 in [-5, 5]: bitwise ops, integer promotion
BOOL = "bool"  # random bools, about 70% True (so all() is sometimes True)

# Shapes for binary ops: equal, broadcast against a row, outer broadcast, and 0-d on either side.
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,)), ((2, 3), ())]
UNARY_SHAPES = [((3,),), ((2, 3),), ((),)]
R3 = [((2, 3, 2),)]  # for reductions and permutations

# Keys of ``OpInfo.xfail``: the tests of tests/ops/test_op_db.py a row can be expected to fail.
XFAIL_KEYS = (
    "forward",
    "derivatives",
    "grad_fn",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "no_graph",
)


@dataclass
class OpInfo:
    name: str
    fn: object
    shapes: list
    domain: str = ANY
    grad: bool = True  # derivatives compared with torch and gradcheck; False: forward only
    gradgrad: bool = True  # second derivative compared with torch and gradgradcheck
    # The second derivatives with respect to the incoming gradient are compared too. False where
    # torch's are NaN though the first derivative is identically 0 there (std at zero spread:
    # its double backward multiplies that 0 by 1 / std).
    gradgrad_v: bool = True
    grad_fn: str = None  # torch's grad_fn name for the output, when it is one node
    domains: list = field(default_factory=list)  # per-input override of ``domain``
    # The registered primitive (mytorch._registry.OPS) the row covers; None: the row's name.
    # A row whose effective op is not registered (softmax, var, ...) is a composite.
    op: str = None
    # Known mytorch bugs: XFAIL_KEYS entry -> reason (a strict xfail of that test for the row).
    xfail: dict = field(default_factory=dict)
    # The inputs are points where the function is smooth, so gradcheck and gradgradcheck (central
    # differences) apply. False at ties and kinks: there only torch's own choice is compared.
    smooth: bool = True
    # The devices the op runs on; elsewhere it must raise NotImplementedError (SciPy's kernels
    # run on the CPU only).
    devices: tuple = ("cpu", "standin")
    # Reads scalars back from the stand-in device where torch's CUDA kernel checks values on
    # the device instead (nll_loss's class-index range): the row may sync, but moves no array.
    reads_scalars: bool = False
    # Looser tolerances than helpers.TOL/TOL2 for a dtype (decompositions in float32):
    # dtype name -> dict(rtol=..., atol=...), for values and derivatives alike.
    tol: dict = None

    def tol_for(self, dtype_name):
        return (self.tol or {}).get(dtype_name, {})

    @property
    def op_name(self):
        """The name of the primitive this row covers."""
        return self.op or self.name

    def ids(self):
        return [
            self.name + "-" + "_".join("x".join(map(str, s)) or "0d" for s in shapes)
            for shapes in self.shapes
        ]


def cycle(*values):
    """A domain of fixed values: ``values`` repeated over the input's shape in order (C order),
    so a row states exactly which ties and kinks it hits."""
    data = [float(v) for v in values]
    return lambda rng, shape: np.resize(np.array(data), shape)


def sample(rng, shape, domain):
    """NumPy values for one input: float64, or int64 (INT) or bool (BOOL); a callable domain
    (``cycle``) makes them itself."""
    if callable(domain):
        return domain(rng, shape)
    if domain == POS:
        return rng.uniform(0.5, 2.0, shape)
    if domain == NONZERO:
        return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == SMALL:
        return rng.uniform(-1.0, 1.0, shape)
    if domain == OFFGRID:
        offset = rng.uniform(0.1, 0.4, shape) * rng.choice([-1.0, 1.0], shape)
        return rng.integers(-2, 3, shape) + offset
    if domain == HALVES:
        return rng.integers(-3, 3, shape) + 0.5
    if domain == TIES:
        return rng.integers(-2, 3, shape).astype("float64")
    if domain == INT:
        return rng.integers(-5, 6, shape, dtype="int64")
    if domain == BOOL:
        return rng.random(shape) < 0.7
    return rng.uniform(-1.5, 1.5, shape)


def _mask(T, like):
    """A bool mask on ``like``'s device (where() takes all its tensors from one device)."""
    return T.tensor([[True, False, True], [False, True, True]], device=like.device)


def _vjp(T, f, *xs):
    """The gradients of ``f(*xs).sum()`` with respect to ``xs``, computed inside a row, so the
    VJP's own primitive (sigmoid_backward, sum_to, index_backward, ...) is in the row's forward
    graph. Inputs that need no gradient (the forward test) are differentiated as detached copies
    and the results detached, so the row's output then records nothing either."""
    need = any(x.requires_grad for x in xs)
    ins = list(xs) if need else [x.detach().requires_grad_() for x in xs]
    with T.enable_grad():
        gs = T.autograd.grad(f(*ins).sum(), ins, create_graph=need)
    return gs if need else [g.detach() for g in gs]


def _weighted_sum(pieces):
    """sum_i (i + 1) * sum(piece_i ** 2): every piece used, each differently."""
    out = None
    for i, p in enumerate(pieces):
        term = (p * p).sum() * (i + 1)
        out = term if out is None else out + term
    return out


def _product(pieces):
    """The product of pieces of one shape."""
    out = pieces[0]
    for p in pieces[1:]:
        out = out * p
    return out


def _unary(name, fn, domain=ANY, grad_fn=None, shapes=UNARY_SHAPES, gradgrad=True, **kw):
    return OpInfo(name, fn, shapes, domain, grad_fn=grad_fn, gradgrad=gradgrad, **kw)


def _nograd(name, fn, shapes, domain=ANY, **kw):
    """A forward-only row: an op with integer or bool results, or integer or bool inputs."""
    return OpInfo(name, fn, shapes, domain, grad=False, gradgrad=False, **kw)


# --- at ties and kinks -------------------------------------------------------------------------
# Fixed inputs (``cycle``) on the points where a derivative is a choice: equal arguments of
# maximum/minimum, tied extrema of the reductions, ties in sort, inputs on clamp's bounds, zeros
# of relu/abs/sign, zero spread for std/var, zero bases of pow. Each row is compared with torch's
# choice (values, first and second derivatives); ``smooth=False`` rows skip gradcheck, whose
# central differences straddle the kink. (torch's median and norm have no mytorch twin yet.)
R23 = [((2, 3),)]
TIED = cycle(0, 1, 1)  # on R3 every slice along each dim holds a tied maximum
SIGNS = cycle(-1, 0, 1)  # below, on and above the kink at 0
ZEROS = cycle(0)
STD0 = dict(op="var", gradgrad_v=False)  # std at zero spread (see OpInfo.gradgrad_v)


def _kink(name, fn, domain, shapes=UNARY_SHAPES, **kw):
    """A one-input row at a kink or tie (no gradcheck)."""
    return OpInfo(name, fn, shapes, domain, smooth=False, **kw)


def _tie2(name, fn, shapes, x, y, **kw):
    """A two-input row whose inputs tie (no gradcheck)."""
    return OpInfo(name, fn, shapes, domains=[x, y], smooth=False, **kw)


AT_TIES_AND_KINKS = [
    # maximum/minimum: half the gradient to each where x == y
    _tie2(
        "maximum_ties",
        lambda T, x, y: T.maximum(x, y),
        BINARY_SHAPES[:3],
        SIGNS,
        ZEROS,
        op="maximum",
    ),
    _tie2(
        "minimum_ties",
        lambda T, x, y: T.minimum(x, y),
        BINARY_SHAPES[:3],
        SIGNS,
        ZEROS,
        op="minimum",
    ),
    _tie2(
        "max_binary_ties",
        lambda T, x, y: T.max(x, y) * x,
        [((3,), (3,))],
        SIGNS,
        ZEROS,
        op="maximum",
    ),
    _tie2(
        "min_binary_ties", lambda T, x, y: x.min(y) * y, [((3,), (3,))], SIGNS, ZEROS, op="minimum"
    ),
    _kink("maximum_self", lambda T, x: T.maximum(x, x) * x, SIGNS, op="maximum"),
    _kink("minimum_self", lambda T, x: T.minimum(x, x * 1), SIGNS, op="minimum"),
    # full and dim reductions: tied extrema share the gradient evenly
    _kink("amax_ties", lambda T, x: T.amax(x), TIED, R3, op="amax"),
    _kink("amax_dim_ties", lambda T, x: x.amax(1), TIED, R3, op="amax"),
    _kink("amax_dims_ties", lambda T, x: T.amax(x, (0, 2), keepdim=True), TIED, R3, op="amax"),
    _kink("amin_ties", lambda T, x: T.amin(x) * x, TIED, R3, op="amin"),
    _kink("amin_dim_ties", lambda T, x: x.amin(-1), cycle(1, 0, 0), R3, op="amin"),
    _kink("max_all_ties", lambda T, x: T.max(x), TIED, R3 + [((4,),)], op="amax"),
    _kink("min_all_ties", lambda T, x: x.min(), cycle(1, 0, 0), R3, op="amin"),
    # max/min along a dim: the gradient goes to the index they return (the first tied one)
    _kink("max_dim_ties", lambda T, x: T.max(x, 1)[0], TIED, R3, op="max"),
    _kink("max_dim_keepdim_ties", lambda T, x: x.max(0, keepdim=True)[0] * x, TIED, R3, op="max"),
    _kink("min_dim_ties", lambda T, x: T.min(x, -1).values, cycle(1, 0, 0), R3, op="min"),
    _nograd("max_dim_indices_ties", lambda T, x: T.max(x, 1)[1], R3, TIED, op="max"),
    _nograd("min_dim_indices_ties", lambda T, x: x.min(0).indices, R3, cycle(1, 0, 0), op="min"),
    # sort: tied values keep their order (stable), and so do their gradients
    _kink("sort_ties", lambda T, x: T.sort(x, 1)[0], TIED, R3, op="sort"),
    _kink("sort_descending_ties", lambda T, x: x.sort(0, descending=True)[0], TIED, R3, op="sort"),
    _kink(
        "sort_stable_ties", lambda T, x: T.sort(x, stable=True)[0] * x, TIED, [((6,),)], op="sort"
    ),
    _nograd("sort_indices_ties", lambda T, x: T.sort(x, 1)[1], R3, TIED, op="sort"),
    _nograd("sort_descending_indices_ties", lambda T, x: x.sort(0, True)[1], R3, TIED, op="sort"),
    # clamp with number bounds: an input on a bound keeps its gradient
    _kink(
        "clamp_on_bounds", lambda T, x: T.clamp(x, -1.0, 1.0), cycle(-2, -1, 0, 1, 2), op="clamp"
    ),
    _kink("clamp_min_on_bound", lambda T, x: x.clamp_min(0.0), SIGNS, op="clamp"),
    _kink("clamp_max_on_bound", lambda T, x: T.clamp_max(x, 0), SIGNS, op="clamp"),
    _kink("clamp_equal_bounds", lambda T, x: x.clamp(0.0, 0.0), SIGNS, op="clamp"),
    _kink(
        "clamp_crossed_bounds",
        lambda T, x: T.clamp(x, 1.0, -1.0),
        cycle(-2, -1, 0, 1, 2),
        op="clamp",
    ),
    # clamp with tensor bounds: input where lo <= x <= hi, lo where x < lo < hi, hi where x > hi
    # or hi < lo; columns: x == lo, x == hi, all equal, x < lo == hi, x > lo == hi, lo > hi with
    # x between, above and below, then inside, below and above
    OpInfo(
        "clamp_tensors_ties",
        lambda T, x, lo, hi: T.clamp(x, lo, hi),
        [((11,), (11,), (11,))],
        domains=[
            cycle(-1, 1, 0.5, 0, 1, 0, 2, -2, 0, -2, 2),
            cycle(-1, -1, 0.5, 0.5, 0.5, 1, 1, 1, -1, -1, -1),
            cycle(1, 1, 0.5, 0.5, 0.5, -1, -1, -1, 1, 1, 1),
        ],
        smooth=False,
        op="where",
    ),
    OpInfo(
        "clamp_tensors_broadcast_ties",
        lambda T, x, lo, hi: x.clamp(lo, hi) * x,
        [((2, 3), (3,), ())],  # NOTE: torch's backward fails where a bound outgrows x
        domains=[SIGNS, cycle(-1, 0, 1), cycle(1, 0)],
        smooth=False,
        op="where",
    ),
    _tie2(
        "clamp_min_tensor_ties",
        lambda T, x, lo: T.clamp_min(x, lo),
        BINARY_SHAPES[:3],
        SIGNS,
        ZEROS,
        op="where",
    ),
    _tie2(
        "clamp_max_tensor_ties",
        lambda T, x, hi: x.clamp_max(hi),
        BINARY_SHAPES[:3],
        SIGNS,
        ZEROS,
        op="where",
    ),
    _tie2(
        "clamp_min_kw_tensor_ties",
        lambda T, x, lo: T.clamp(x, min=lo),
        [((3,), (3,))],
        SIGNS,
        ZEROS,
        op="where",
    ),
    _tie2(
        "clamp_max_kw_tensor_ties",
        lambda T, x, hi: x.clamp(max=hi),
        [((3,), (3,))],
        SIGNS,
        ZEROS,
        op="where",
    ),
    # relu, abs and sign at 0 (and relu's fused backward there)
    _kink("relu_at_zero", lambda T, x: T.relu(x), SIGNS, op="relu"),
    _kink("abs_at_zero", lambda T, x: T.abs(x), SIGNS, op="abs"),
    _kink("abs_at_zero_times_x", lambda T, x: abs(x) * x, SIGNS, op="abs"),
    _kink("sign_at_zero", lambda T, x: T.sign(x) * x, SIGNS, op="sign"),
    _kink(
        "relu_backward_at_zero",
        lambda T, x: _vjp(T, lambda x: T.relu(x) * x, x)[0],
        SIGNS,
        op="relu_backward",
    ),
    # std and var at zero spread (var is smooth there; std has a kink)
    _kink("std_constant", lambda T, x: T.std(x), cycle(2), R3 + [((4,),)], **STD0),
    _kink("std_dim_one_constant_row", lambda T, x: x.std(1), cycle(2, 2, 2, 1, 0, -1), R23, **STD0),
    _kink(
        "std_biased_constant",
        lambda T, x: T.std(x, 0, unbiased=False, keepdim=True),
        cycle(-1),
        R3,
        **STD0,
    ),
    _kink(
        "std_correction_constant",
        lambda T, x: x.std(-1, correction=0),
        cycle(0.5, 0.5, 0.5, 1, 2, 3),
        R23,
        **STD0,
    ),
    _unary("var_constant", lambda T, x: T.var(x), cycle(2), shapes=R3, op="var"),
    _unary(
        "var_dim_constant",
        lambda T, x: x.var(1) * x.sum(),
        cycle(2, 2, 2, 1, 0, -1),
        shapes=R23,
        op="var",
    ),
    # pow at a zero base: the base's gradient is 0 where the exponent is 0, the exponent's is 0
    # where the base is 0 and the exponent >= 0
    _tie2(
        "pow_zero_base",
        lambda T, x, y: x**y,
        [((8,), (8,)), ((3,), ())],
        cycle(0, 0, 0, 0, 0, 1, 2, 0.5),
        cycle(0, 1, 2, 0.5, 3, 0, 0, 0),
        op="pow",
    ),
    _tie2(
        "pow_zero_exponent", lambda T, x, y: x**y, [((2, 3), ())], cycle(0, 1, 2), ZEROS, op="pow"
    ),
    _kink("pow_zero_base_scalar_zero", lambda T, x: x**0, SIGNS, op="pow"),
    _kink("pow_zero_base_scalar_one", lambda T, x: x**1 * x, SIGNS, op="pow"),
    _kink("pow_zero_base_scalar_two", lambda T, x: x**2, SIGNS, op="pow"),
    _kink("pow_zero_base_scalar_three", lambda T, x: x.pow(3), SIGNS, op="pow"),
    _kink("pow_zero_base_scalar_frac", lambda T, x: x**2.5, cycle(0, 1, 2), op="pow"),
    _kink("pow_zero_base_scalar_half", lambda T, x: x**0.5, cycle(0, 1, 2), op="pow"),
    _kink("rpow_zero_base", lambda T, x: 0.0**x, cycle(0, 1, 2), op="pow"),
]

OPS = [
    *AT_TIES_AND_KINKS,  # (grouped above)
    # --- binary arithmetic, with broadcasting ---------------------------------------------
    OpInfo("add", lambda T, x, y: x + y, BINARY_SHAPES, grad_fn="AddBackward0"),
    OpInfo(
        "add_fn_alpha",
        lambda T, x, y: T.add(x, y, alpha=2),
        BINARY_SHAPES[:2],
        grad_fn="AddBackward0",
        op="add",
    ),
    OpInfo("sub", lambda T, x, y: x - y, BINARY_SHAPES, grad_fn="SubBackward0"),
    OpInfo(
        "sub_fn", lambda T, x, y: T.sub(x, y), BINARY_SHAPES[:2], grad_fn="SubBackward0", op="sub"
    ),
    OpInfo(
        "rsub_fn",
        lambda T, x, y: T.rsub(x, y),
        BINARY_SHAPES[:2],
        grad_fn="RsubBackward0",
        op="rsub",
    ),
    OpInfo("mul", lambda T, x, y: x * y, BINARY_SHAPES, grad_fn="MulBackward0"),
    OpInfo(
        "mul_fn", lambda T, x, y: T.mul(x, y), BINARY_SHAPES[:2], grad_fn="MulBackward0", op="mul"
    ),
    OpInfo("div", lambda T, x, y: x / y, BINARY_SHAPES, NONZERO, grad_fn="DivBackward0"),
    OpInfo(
        "div_fn",
        lambda T, x, y: T.div(x, y),
        BINARY_SHAPES[:2],
        NONZERO,
        grad_fn="DivBackward0",
        op="div",
    ),
    OpInfo(
        "pow_tensor_tensor",
        lambda T, x, y: x**y,
        BINARY_SHAPES,
        POS,
        grad_fn="PowBackward1",
        op="pow",
    ),
    OpInfo(
        "maximum", lambda T, x, y: T.maximum(x, y), BINARY_SHAPES[:3], grad_fn="MaximumBackward0"
    ),
    OpInfo(
        "minimum", lambda T, x, y: T.minimum(x, y), BINARY_SHAPES[:3], grad_fn="MinimumBackward0"
    ),
    # --- a Python scalar on either side ---------------------------------------------------
    _unary("add_scalar", lambda T, x: x + 2.5, grad_fn="AddBackward0", op="add"),
    _unary("radd_scalar", lambda T, x: 2 + x, grad_fn="AddBackward0", op="add"),
    _unary("sub_scalar", lambda T, x: x - 1.5, grad_fn="SubBackward0", op="sub"),
    _unary("rsub_scalar", lambda T, x: 1.5 - x, grad_fn="RsubBackward1", op="rsub"),
    _unary("mul_scalar", lambda T, x: x * 3, grad_fn="MulBackward0", op="mul"),
    _unary("rmul_scalar", lambda T, x: 0.5 * x, grad_fn="MulBackward0", op="mul"),
    _unary("div_scalar", lambda T, x: x / 4, grad_fn="DivBackward0", op="div"),
    _unary("rdiv_scalar", lambda T, x: 2.0 / x, NONZERO, op="div"),
    _unary("pow_int", lambda T, x: x**3, grad_fn="PowBackward0", op="pow"),
    _unary("pow_two", lambda T, x: x**2, grad_fn="PowBackward0", op="pow"),
    _unary("pow_frac", lambda T, x: x**2.5, POS, grad_fn="PowBackward0", op="pow"),
    _unary("pow_negative", lambda T, x: x**-1.5, POS, grad_fn="PowBackward0", op="pow"),
    _unary("pow_zero", lambda T, x: x**0, grad_fn="PowBackward0", op="pow"),
    _unary("pow_method", lambda T, x: x.pow(3), grad_fn="PowBackward0", op="pow"),
    _unary("rpow_scalar", lambda T, x: 2.0**x, grad_fn="PowBackward2", op="pow"),
    _unary("neg", lambda T, x: -x, grad_fn="NegBackward0"),
    _unary("neg_fn", lambda T, x: T.neg(x), grad_fn="NegBackward0", op="neg"),
    # --- elementwise unary ----------------------------------------------------------------
    _unary("exp", lambda T, x: T.exp(x), grad_fn="ExpBackward0"),
    _unary("log", lambda T, x: T.log(x), POS, grad_fn="LogBackward0"),
    _unary("sin", lambda T, x: T.sin(x), grad_fn="SinBackward0"),
    _unary("cos", lambda T, x: T.cos(x), grad_fn="CosBackward0"),
    _unary("tan", lambda T, x: T.tan(x), SMALL, grad_fn="TanBackward0"),
    _unary("tanh", lambda T, x: T.tanh(x), grad_fn="TanhBackward0"),
    _unary("sigmoid", lambda T, x: T.sigmoid(x), grad_fn="SigmoidBackward0"),
    _unary("relu", lambda T, x: T.relu(x), NONZERO, grad_fn="ReluBackward0"),
    _unary("sqrt", lambda T, x: T.sqrt(x), POS, grad_fn="SqrtBackward0"),
    _unary("abs", lambda T, x: T.abs(x), NONZERO, grad_fn="AbsBackward0"),
    _unary("expm1", lambda T, x: T.expm1(x), grad_fn="Expm1Backward0"),
    _unary("exp_method", lambda T, x: x.exp(), op="exp"),
    _unary("log_method", lambda T, x: x.log(), POS, op="log"),
    _unary("sigmoid_method", lambda T, x: x.sigmoid(), op="sigmoid"),
    _unary("abs_builtin", lambda T, x: abs(x), NONZERO, op="abs"),
    _unary("exp_of_sin", lambda T, x: T.exp(T.sin(x)) * x),  # composite
    # --- the fused VJPs of tanh, sigmoid and relu, as first derivatives computed in the row;
    # the *_times_x rows give the incoming gradient a graph of its own (both inputs vary) ----
    _unary(
        "sigmoid_backward",
        lambda T, x: _vjp(T, T.sigmoid, x)[0],
        grad_fn="SigmoidBackwardBackward0",
    ),
    _unary(
        "sigmoid_backward_times_x",
        lambda T, x: _vjp(T, lambda x: T.sigmoid(x) * x, x)[0],
        op="sigmoid_backward",
    ),
    _unary("tanh_backward", lambda T, x: _vjp(T, T.tanh, x)[0], grad_fn="TanhBackwardBackward0"),
    _unary(
        "tanh_backward_times_x",
        lambda T, x: _vjp(T, lambda x: T.tanh(x) * x, x)[0],
        op="tanh_backward",
    ),
    _unary("relu_backward", lambda T, x: _vjp(T, T.relu, x)[0] * x, NONZERO),
    _unary(
        "relu_backward_times_x",
        lambda T, x: _vjp(T, lambda x: T.relu(x) * x, x)[0],
        NONZERO,
        op="relu_backward",
    ),
    # --- steps: zero gradients in torch, not none (inputs stay off the jumps) ---------------
    _unary("sign", lambda T, x: T.sign(x), NONZERO, grad_fn="SignBackward0"),
    _unary("sign_method", lambda T, x: x.sign() * x, NONZERO, op="sign"),
    _unary("floor", lambda T, x: T.floor(x), OFFGRID, grad_fn="FloorBackward0"),
    _unary("floor_method", lambda T, x: x.floor() * x, OFFGRID, op="floor"),
    _unary("ceil", lambda T, x: T.ceil(x), OFFGRID, grad_fn="CeilBackward0"),
    _unary("ceil_method", lambda T, x: x.ceil() * x, OFFGRID, op="ceil"),
    _unary("round", lambda T, x: T.round(x), OFFGRID, grad_fn="RoundBackward0"),
    _unary("round_method", lambda T, x: x.round() * x, OFFGRID, op="round"),
    _unary("trunc", lambda T, x: T.trunc(x), OFFGRID, grad_fn="TruncBackward0"),
    _unary("trunc_method", lambda T, x: x.trunc() * x, OFFGRID, op="trunc"),
    _nograd("round_half_even", lambda T, x: T.round(x), UNARY_SHAPES, HALVES, op="round"),
    _nograd("sign_zero", lambda T, x: T.sign(x), UNARY_SHAPES, TIES, op="sign"),
    _nograd("floor_int", lambda T, x: T.floor(x), UNARY_SHAPES, INT),  # integers: a copy
    _nograd("round_int", lambda T, x: x.round(), UNARY_SHAPES, INT),
    _unary(
        "div_floor",
        lambda T, x: T.div(x, 2.0, rounding_mode="floor"),
        OFFGRID,
        op="div_mode",
    ),
    _nograd(
        "div_modes_ints",  # integer quotients, negative ones included: trunc and floor differ
        lambda T, x: T.stack(
            [
                T.div(x, T.tensor([3, -2, 4], device=x.device), rounding_mode=mode)
                for mode in ("trunc", "floor")
            ]
        ),
        [((3,),)],
        INT,
        op="div_mode",
    ),
    _nograd(
        "div_trunc_int",
        lambda T, x, y: T.div(x, y, rounding_mode="trunc"),
        BINARY_SHAPES[:2],
        domains=[INT, NONZERO],  # an int64 dividend, a float divisor: a float quotient
        op="div_mode",
    ),
    # --- comparisons: bool results, never differentiable ------------------------------------
    _nograd("lt", lambda T, x, y: x < y, BINARY_SHAPES, TIES),
    _nograd("le", lambda T, x, y: x <= y, BINARY_SHAPES, TIES),
    _nograd("gt", lambda T, x, y: x > y, BINARY_SHAPES, TIES),
    _nograd("ge", lambda T, x, y: x >= y, BINARY_SHAPES, TIES),
    _nograd("eq", lambda T, x, y: x == y, BINARY_SHAPES, TIES),
    _nograd("ne", lambda T, x, y: x != y, BINARY_SHAPES, TIES),
    _nograd("lt_fn", lambda T, x, y: T.lt(x, y), BINARY_SHAPES[:2], TIES, op="lt"),
    _nograd("le_method", lambda T, x, y: x.le(y), BINARY_SHAPES[:2], TIES, op="le"),
    _nograd("gt_fn", lambda T, x, y: T.gt(x, y), BINARY_SHAPES[:2], TIES, op="gt"),
    _nograd("ge_method", lambda T, x, y: x.ge(y), BINARY_SHAPES[:2], TIES, op="ge"),
    _nograd("eq_fn", lambda T, x, y: T.eq(x, y), BINARY_SHAPES[:2], TIES, op="eq"),
    _nograd("ne_method", lambda T, x, y: x.ne(y), BINARY_SHAPES[:2], TIES, op="ne"),
    _nograd("lt_scalar", lambda T, x: x < 0.5, UNARY_SHAPES, TIES, op="lt"),
    _nograd("ge_rscalar", lambda T, x: 1 <= x, UNARY_SHAPES, TIES, op="ge"),
    _nograd("eq_scalar", lambda T, x: x == 1, UNARY_SHAPES, TIES, op="eq"),
    _nograd("ne_scalar", lambda T, x: x != 0.0, UNARY_SHAPES, TIES, op="ne"),
    _nograd("gt_int_float", lambda T, x, y: x > y, BINARY_SHAPES[:2], domains=[INT, ANY], op="gt"),
    _nograd("le_int", lambda T, x, y: x <= y, BINARY_SHAPES[:2], INT, op="le"),
    _nograd("eq_bool", lambda T, x, y: x == y, BINARY_SHAPES[:2], BOOL, op="eq"),
    # --- bitwise: bool and integer tensors ------------------------------------------------
    _nograd("bitwise_and", lambda T, x, y: x & y, BINARY_SHAPES, INT),
    _nograd("bitwise_or", lambda T, x, y: x | y, BINARY_SHAPES, INT),
    _nograd("bitwise_xor", lambda T, x, y: x ^ y, BINARY_SHAPES, INT),
    _nograd("bitwise_not", lambda T, x: ~x, UNARY_SHAPES, INT),
    _nograd("bitwise_and_bool", lambda T, x, y: x & y, BINARY_SHAPES[:3], BOOL, op="bitwise_and"),
    _nograd("bitwise_or_bool", lambda T, x, y: x | y, BINARY_SHAPES[:3], BOOL, op="bitwise_or"),
    _nograd("bitwise_xor_bool", lambda T, x, y: x ^ y, BINARY_SHAPES[:3], BOOL, op="bitwise_xor"),
    _nograd("bitwise_not_bool", lambda T, x: ~x, UNARY_SHAPES, BOOL, op="bitwise_not"),
    _nograd(
        "bitwise_and_fn",
        lambda T, x, y: T.bitwise_and(x, y),
        BINARY_SHAPES[:2],
        INT,
        op="bitwise_and",
    ),
    _nograd(
        "bitwise_or_fn",
        lambda T, x, y: T.bitwise_or(x, y),
        BINARY_SHAPES[:2],
        BOOL,
        op="bitwise_or",
    ),
    _nograd(
        "bitwise_xor_fn",
        lambda T, x, y: T.bitwise_xor(x, y),
        BINARY_SHAPES[:2],
        INT,
        op="bitwise_xor",
    ),
    _nograd(
        "bitwise_not_fn", lambda T, x: T.bitwise_not(x), UNARY_SHAPES[:2], INT, op="bitwise_not"
    ),
    _nograd("bitwise_and_scalar", lambda T, x: x & 3, UNARY_SHAPES, INT, op="bitwise_and"),
    _nograd(
        "bitwise_or_bool_int",
        lambda T, x, y: x | y,
        BINARY_SHAPES[:2],
        domains=[BOOL, INT],
        op="bitwise_or",
    ),
    _nograd("bitwise_xor_bool_scalar", lambda T, x: x ^ True, UNARY_SHAPES, BOOL, op="bitwise_xor"),
    # --- reductions -------------------------------------------------------------------------
    _unary("sum", lambda T, x: T.sum(x), grad_fn="SumBackward0", shapes=R3 + [((),), ((4,),)]),
    _unary(
        "sum_dim0", lambda T, x: x.sum(0), grad_fn="SumBackward1", shapes=R3 + [((3,),)], op="sum"
    ),
    _unary("sum_dim_neg", lambda T, x: x.sum(dim=-1), grad_fn="SumBackward1", shapes=R3, op="sum"),
    _unary(
        "sum_dim_tuple", lambda T, x: x.sum((0, 2)), grad_fn="SumBackward1", shapes=R3, op="sum"
    ),
    _unary(
        "sum_keepdim",
        lambda T, x: T.sum(x, 1, keepdim=True),
        grad_fn="SumBackward1",
        shapes=R3,
        op="sum",
    ),
    _unary("sum_tuple_keepdim", lambda T, x: x.sum((-1, 0), keepdim=True), shapes=R3, op="sum"),
    _unary("mean", lambda T, x: T.mean(x), grad_fn="MeanBackward0", shapes=R3 + [((),)]),
    _unary("mean_dim", lambda T, x: x.mean(1), grad_fn="MeanBackward1", shapes=R3, op="mean"),
    _unary("mean_dim_neg", lambda T, x: x.mean(-1), shapes=R3, op="mean"),
    _unary("mean_dim_tuple", lambda T, x: x.mean((0, 2)), shapes=R3, op="mean"),
    _unary("mean_keepdim", lambda T, x: T.mean(x, dim=(1,), keepdim=True), shapes=R3, op="mean"),
    _unary("amax", lambda T, x: T.amax(x), grad_fn="AmaxBackward0", shapes=R3),
    _unary("amax_dim", lambda T, x: T.amax(x, 1), grad_fn="AmaxBackward0", shapes=R3, op="amax"),
    _unary("amax_dim_keepdim", lambda T, x: x.amax(-1, keepdim=True), shapes=R3, op="amax"),
    _unary("amax_dims", lambda T, x: T.amax(x, (0, 2)), shapes=R3, op="amax"),
    _unary("amin", lambda T, x: T.amin(x), grad_fn="AminBackward0", shapes=R3 + [((4,),)]),
    _unary("amin_dim", lambda T, x: T.amin(x, 1), grad_fn="AminBackward0", shapes=R3, op="amin"),
    _unary("amin_dim_keepdim", lambda T, x: x.amin(-1, keepdim=True), shapes=R3, op="amin"),
    _unary("amin_dims", lambda T, x: T.amin(x, (0, 2)) * x.amin(), shapes=R3, op="amin"),
    _nograd("argmax", lambda T, x: T.argmax(x), R3 + [((4,),), ((),)]),
    _nograd("argmax_dim", lambda T, x: x.argmax(1), R3, op="argmax"),
    _nograd("argmax_keepdim", lambda T, x: T.argmax(x, -1, keepdim=True), R3, op="argmax"),
    _nograd("argmax_ties", lambda T, x: x.argmax(0), R3 + [((6,),)], TIES, op="argmax"),
    _nograd("argmin", lambda T, x: T.argmin(x), R3 + [((4,),), ((),)]),
    _nograd("argmin_dim", lambda T, x: x.argmin(-2), R3, op="argmin"),
    _nograd("argmin_keepdim", lambda T, x: T.argmin(x, 0, keepdim=True), R3, op="argmin"),
    _nograd("argmin_ties", lambda T, x: T.argmin(x, 2), R3, TIES, op="argmin"),
    _nograd("argmax_int", lambda T, x: T.argmax(x, 1), R3, INT, op="argmax"),
    _nograd("all", lambda T, x: T.all(x), R3 + [((3,),), ((),)], BOOL),
    _nograd("all_dim", lambda T, x: x.all(1), R3, BOOL, op="all"),
    _nograd("all_keepdim", lambda T, x: T.all(x, -1, keepdim=True), R3, BOOL, op="all"),
    _nograd("all_float", lambda T, x: x.all(0), R3, TIES, op="all"),
    _nograd("all_int", lambda T, x: T.all(x), [((3,),), ((2, 3),)], INT, op="all"),
    _nograd("any", lambda T, x: T.any(x), R3 + [((3,),), ((),)], BOOL),
    _nograd("any_dim", lambda T, x: x.any(1), R3, BOOL, op="any"),
    _nograd("any_keepdim", lambda T, x: T.any(x, 0, keepdim=True), R3, BOOL, op="any"),
    _nograd("any_float", lambda T, x: x.any(-1), R3, TIES, op="any"),
    _nograd("any_int", lambda T, x: T.any(x, 1), R3, INT, op="any"),
    _unary("softmax", lambda T, x: T.softmax(x, -1), shapes=R3 + [((4,),)]),  # composites
    _unary("softmax_dim0", lambda T, x: x.softmax(0), shapes=R3),
    _unary("log_softmax", lambda T, x: T.log_softmax(x, 1), shapes=R3),
    _unary("log_softmax_last", lambda T, x: x.log_softmax(-1), shapes=[((4,),)]),
    _unary("var", lambda T, x: T.var(x), grad_fn="VarBackward0", shapes=R3 + [((4,),)]),
    _unary("var_dim", lambda T, x: x.var(1), grad_fn="VarBackward0", shapes=R3, op="var"),
    _unary("var_dim0", lambda T, x: x.var(0), shapes=R3 + [((3, 4),)], op="var"),
    _unary("var_biased", lambda T, x: T.var(x, 0, unbiased=False), shapes=R3, op="var"),
    _unary("var_keepdim", lambda T, x: x.var((0, 2), keepdim=True), shapes=R3, op="var"),
    _unary("var_dims_lead", lambda T, x: T.var(x, (0, 1)), shapes=R3, op="var"),
    _unary("var_correction", lambda T, x: T.var(x, dim=-1, correction=0), shapes=R3, op="var"),
    _unary(
        "var_correction2",
        lambda T, x: x.var(1, correction=2, keepdim=True),
        shapes=[((2, 4),)],
        op="var",
    ),
    _unary("var_unbiased_arg", lambda T, x: T.var(x, False) * x.var(True), shapes=R3, op="var"),
    _unary("var_times_x", lambda T, x: x.var(-1, keepdim=True) * x, shapes=R3, op="var"),
    _unary("std", lambda T, x: T.std(x), shapes=R3, op="var"),
    _unary("std_dim", lambda T, x: x.std(0), shapes=R3, op="var"),
    _unary(
        "std_biased_keepdim",
        lambda T, x: T.std(x, 2, unbiased=False, keepdim=True),
        shapes=R3,
        op="var",
    ),
    # --- shape ops (products with x keep their second derivatives nonzero) ----------------
    _unary("reshape", lambda T, x: T.reshape(x, (3, 4)), grad_fn="ViewBackward0", shapes=R3),
    _unary(
        "reshape_infer",
        lambda T, x: x.reshape(-1, 2),
        grad_fn="ViewBackward0",
        shapes=R3,
        op="reshape",
    ),
    _unary("view", lambda T, x: x.view(6, 2), grad_fn="ViewBackward0", shapes=R3, op="reshape"),
    _unary("view_flat", lambda T, x: x.view(-1) * x.view(-1), shapes=R3, op="reshape"),
    _unary("transpose", lambda T, x: T.transpose(x, 0, 1), grad_fn="TransposeBackward0", shapes=R3),
    _unary("transpose_neg", lambda T, x: x.transpose(-1, -2) * 2, shapes=R3, op="transpose"),
    _unary("permute", lambda T, x: x.permute(2, 0, 1), grad_fn="PermuteBackward0", shapes=R3),
    _unary(
        "permute_fn",
        lambda T, x: T.permute(x, (1, 2, 0)),
        grad_fn="PermuteBackward0",
        shapes=R3,
        op="permute",
    ),
    _unary("T_2d", lambda T, x: x.T @ x, shapes=[((2, 3),)], op="permute"),
    _unary("mT", lambda T, x: x.mT, grad_fn="TransposeBackward0", shapes=R3, op="transpose"),
    _unary(
        "unsqueeze",
        lambda T, x: x.unsqueeze(1),
        grad_fn="UnsqueezeBackward0",
        shapes=R3,
        op="reshape",
    ),
    _unary(
        "unsqueeze_neg",
        lambda T, x: T.unsqueeze(x, -1) * x.unsqueeze(0),
        shapes=[((3,),)],
        op="reshape",
    ),
    _unary("squeeze_all", lambda T, x: x.squeeze(), shapes=[((2, 1, 3),), ((1,),)], op="reshape"),
    _unary("squeeze_dim", lambda T, x: T.squeeze(x, 1), shapes=[((2, 1, 3),)], op="reshape"),
    _unary("squeeze_noop_dim", lambda T, x: x.squeeze(0), shapes=[((2, 1, 3),)], op="reshape"),
    _unary("flatten", lambda T, x: T.flatten(x), shapes=R3, op="reshape"),
    _unary("flatten_start", lambda T, x: x.flatten(1), shapes=R3, op="reshape"),
    _unary("expand", lambda T, x: x.expand(2, 3, 4), grad_fn="ExpandBackward0", shapes=[((3, 1),)]),
    _unary("expand_infer", lambda T, x: x.expand(2, -1) * x, shapes=[((3,),)], op="expand"),
    # sum_to (the engine's unbroadcast) is a broadcast input's gradient: d/dy of x * y * y.
    OpInfo(
        "sum_to",
        lambda T, x, y: _vjp(T, lambda x, y: x * y * y, x, y)[1],
        [((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), ())],
    ),
    # --- copies -----------------------------------------------------------------------------
    _unary("clone", lambda T, x: x.clone(), grad_fn="CloneBackward0"),
    _unary("double", lambda T, x: x.double() * x.double(), shapes=[((3,),)], op="to_dtype"),
    _nograd("to_int64", lambda T, x: x.to(T.int64), UNARY_SHAPES, op="to_dtype"),
    _nograd("long", lambda T, x: x.long() * 2, UNARY_SHAPES, op="to_dtype"),
    _nograd("int_to_float", lambda T, x: x.to(T.float32) / 2, UNARY_SHAPES, INT, op="to_dtype"),
    _nograd("bool_to_int", lambda T, x: x.long() + x.long(), UNARY_SHAPES, BOOL, op="to_dtype"),
    # Through host memory and back: a to_device pair on the stand-in device, nothing on the CPU.
    _unary("to_device", lambda T, x: (x.cpu() * x.cpu()).to(x.device)),
    _unary(
        "to_device_cpu",
        lambda T, x: x.to("cpu").exp().to(x.device) * x,
        shapes=[((2, 3),)],
        op="to_device",
    ),
    # --- matmul -----------------------------------------------------------------------------
    OpInfo(
        "matmul_dot",
        lambda T, x, y: T.matmul(x, y),
        [((3,), (3,))],
        grad_fn="DotBackward0",
        op="matmul",
    ),
    OpInfo(
        "matmul_mv", lambda T, x, y: x @ y, [((2, 3), (3,))], grad_fn="MvBackward0", op="matmul"
    ),
    OpInfo("matmul_vm", lambda T, x, y: x @ y, [((3,), (3, 2))], op="matmul"),
    OpInfo(
        "matmul_mm", lambda T, x, y: x @ y, [((2, 3), (3, 4))], grad_fn="MmBackward0", op="matmul"
    ),
    OpInfo("matmul_bmm", lambda T, x, y: T.matmul(x, y), [((2, 2, 3), (2, 3, 2))], op="matmul"),
    OpInfo(
        "matmul_batched_2d",
        lambda T, x, y: x @ y,
        [((2, 2, 3), (3, 2)), ((3, 2), (2, 2, 3))],
        op="matmul",
    ),
    OpInfo(
        "matmul_broadcast_batch", lambda T, x, y: x @ y, [((2, 1, 2, 3), (3, 3, 2))], op="matmul"
    ),
    OpInfo(
        "matmul_vec_batched",
        lambda T, x, y: x @ y,
        [((3,), (2, 3, 2)), ((2, 2, 3), (3,))],
        op="matmul",
    ),
    OpInfo("matmul_square", lambda T, x, y: (x @ y) @ (x @ y), [((2, 2), (2, 2))], op="matmul"),
    # --- indexing ---------------------------------------------------------------------------
    _unary(
        "index_int", lambda T, x: x[1], grad_fn="SelectBackward0", shapes=[((3, 2),)], op="getitem"
    ),
    _unary("index_neg_int", lambda T, x: x[-1] * x[0], shapes=[((3, 2),)], op="getitem"),
    _unary("index_two_ints", lambda T, x: x[0, 1] * x, shapes=[((3, 2),)], op="getitem"),
    _unary(
        "index_slice",
        lambda T, x: x[1:],
        grad_fn="SliceBackward0",
        shapes=[((4, 2),)],
        op="getitem",
    ),
    _unary("index_step", lambda T, x: x[:, ::2] ** 2, shapes=[((2, 5),)], op="getitem"),
    _unary("index_neg_slice", lambda T, x: x[-2:, :-1] ** 2, shapes=[((3, 3),)], op="getitem"),
    _unary("index_none", lambda T, x: x[None] * x, shapes=[((3,),)], op="getitem"),
    _unary("index_ellipsis", lambda T, x: x[..., 1] ** 2, shapes=R3, op="getitem"),
    _unary("index_mixed", lambda T, x: x[:, None, 1:] * x[0, 1:], shapes=[((2, 3),)], op="getitem"),
    _unary(
        "index_int_tensor",
        lambda T, x: x[T.tensor([0, 2, 0])] ** 2,
        grad_fn=None,
        shapes=[((3, 2),)],
        op="getitem",
    ),
    _unary(
        "index_bool_mask",
        lambda T, x: x[T.tensor([True, False, True])] ** 2,
        shapes=[((3, 2),)],
        op="getitem",
    ),
    _unary(
        "index_bool_mask_2d",
        lambda T, x: x[_mask(T, x)] ** 2,
        grad_fn=None,
        shapes=[((2, 3),)],
        op="getitem",
    ),
    _unary(
        "index_slice_and_tensor",
        lambda T, x: x[1:, T.tensor([1, 1])] ** 2,
        shapes=[((3, 2),)],
        op="getitem",
    ),
    _unary(
        "index_two_tensors",
        lambda T, x: x[T.tensor([0, 2]), T.tensor([1, 0])] ** 2,
        shapes=[((3, 2),)],
        op="getitem",
    ),
    _nograd(
        "index_int_input", lambda T, x: x[1:, T.tensor([1, 0, 1])], [((3, 2),)], INT, op="getitem"
    ),
    _nograd("index_bool_input", lambda T, x: x[..., 0], R3, BOOL, op="getitem"),
    # getitem's VJP scatters into zeros: the gradient of a slice, a select, and gathered rows
    _unary(
        "index_backward",
        lambda T, x: _vjp(T, lambda x: x[1:] ** 2, x)[0],
        shapes=[((4, 2),)],
        grad_fn="SliceBackwardBackward0",
    ),
    _unary(
        "index_backward_select",
        lambda T, x: _vjp(T, lambda x: x[:, 1] ** 3, x)[0],
        shapes=[((2, 3),)],
        op="index_backward",
    ),
    _unary(
        "index_backward_tensor",
        lambda T, x: _vjp(T, lambda x: x[T.tensor([0, 2, 0])] ** 3, x)[0],
        shapes=[((3, 2),)],
        op="index_backward",
    ),
    _unary(
        "index_backward_mask",
        lambda T, x: _vjp(T, lambda x: x[_mask(T, x)] ** 3, x)[0],
        shapes=[((2, 3),)],
        op="index_backward",
    ),
    # --- selection and joining --------------------------------------------------------------
    OpInfo("where", lambda T, x, y: T.where(_mask(T, x), x, y), [((2, 3), (2, 3)), ((2, 3), (3,))]),
    # --- clamp, nonzero, strided views -------------------------------------------------------
    _unary("clamp", lambda T, x: T.clamp(x, -0.5, 0.75) * x, op="clamp"),
    _unary("clamp_min", lambda T, x: T.clamp_min(x, -0.2), grad_fn="ClampMinBackward0", op="clamp"),
    _unary("clamp_max", lambda T, x: x.clamp_max(0.3), grad_fn="ClampMaxBackward0", op="clamp"),
    _unary("clamp_min_kw", lambda T, x: x.clamp(min=-0.2), grad_fn="ClampBackward1", op="clamp"),
    _unary("clamp_both", lambda T, x: x.clamp(-0.3, 0.4), grad_fn="ClampBackward1", op="clamp"),
    _nograd("nonzero", lambda T, x: T.nonzero(x > 0.2), [((2, 3),)], op="nonzero"),
    _nograd("nonzero_1d", lambda T, x: T.nonzero(x < 0), [((5,),)], op="nonzero"),
    _unary("diagonal", lambda T, x: x.diagonal() * 2, shapes=[((3, 3),), ((2, 4),)], op="diagonal"),
    _unary(
        "diagonal_offset_dims",
        lambda T, x: T.diagonal(x, 1, -1, 0) ** 2,
        shapes=[((3, 2, 4),)],
        op="diagonal",
    ),
    _unary("diagonal_negative", lambda T, x: x.diagonal(-1) * x.diagonal(-1), shapes=[((3, 3),)]),
    _unary(
        "as_strided",
        lambda T, x: T.as_strided(x, (2, 2), (1, 2), 1) ** 2,
        shapes=[((3, 3),)],
        op="as_strided",
    ),
    _unary(
        "as_strided_overlap",
        lambda T, x: x.as_strided((3, 2), (1, 1)) * 3,
        shapes=[((2, 3),)],
        op="as_strided",
    ),
    # --- what in-place writes compute (the primitives behind fill_, zero_, copy_, setitem) ----
    _unary("fill", lambda T, x: x.clone().fill_(2.5) * x, grad_fn="MulBackward0", op="fill"),
    _unary("zero", lambda T, x: x.clone().zero_() + x * x, op="fill"),
    OpInfo(
        "copy",
        lambda T, x, y: x.clone().copy_(y) * x,
        [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), ())],
        op="copy",
    ),
    OpInfo(
        "copy_grad_fn",
        lambda T, x, y: (x * 1).copy_(y),
        [((2, 3), (3,))],
        grad_fn="torch::autograd::CopyBackwards",
        op="copy",
    ),
    OpInfo(
        "index_put",
        lambda T, x, y: T.index_put(x * x, (T.tensor([0, 2], device=x.device),), y),
        [((3, 2), (2, 2)), ((3, 2), (2,)), ((3, 2), ())],
        grad_fn="IndexPutBackward0",
    ),
    OpInfo(
        "index_put_accumulate",
        lambda T, x, y: T.index_put(
            x * y.sum(), (T.tensor([1, 1, 0], device=x.device),), y * y, accumulate=True
        ),
        [((3, 2), (3, 2))],
        op="index_put",
    ),
    OpInfo(
        "index_put_mask",
        lambda T, x, y: (x * 2).index_put((x > 0,), y * 3),
        [((2, 3), ())],
        op="index_put",
    ),
    _unary(
        "where_scalar",
        lambda T, x: T.where(_mask(T, x), x * x, 0.0),
        shapes=[((2, 3),)],
        op="where",
    ),
    _nograd(
        "where_int",
        lambda T, x, y: T.where(_mask(T, x), x, y),
        [((2, 3), (2, 3)), ((2, 3), (3,))],
        INT,
        op="where",
    ),
    OpInfo("cat", lambda T, x, y: T.cat([x, y]), [((2, 3), (1, 3))], grad_fn="CatBackward0"),
    OpInfo("cat_dim1", lambda T, x, y: T.cat((x, y * y), dim=1), [((2, 3), (2, 2))], op="cat"),
    OpInfo("cat_neg", lambda T, x, y: T.cat([x, y, x], -1) ** 2, [((2, 1), (2, 2))], op="cat"),
    _nograd(
        "cat_int_bool",
        lambda T, x, y: T.cat([x, y]),
        [((2, 3), (1, 3))],
        domains=[INT, BOOL],
        op="cat",
    ),
    OpInfo("stack", lambda T, x, y: T.stack([x, y]), [((2, 3), (2, 3))], grad_fn="StackBackward0"),
    OpInfo(
        "stack_dim1", lambda T, x, y: T.stack((x, y * x), dim=1), [((2, 3), (2, 3))], op="stack"
    ),
    OpInfo("stack_neg", lambda T, x, y: T.stack([x, y], -1) ** 2, [((3,), (3,))], op="stack"),
    _nograd("stack_bool", lambda T, x, y: T.stack([x, y], 1), [((2, 3), (2, 3))], BOOL, op="stack"),
    # --- several outputs: one Node, one gradient per output (rows use one, some or all) -------
    _unary("max_dim", lambda T, x: T.max(x, 1)[0], grad_fn="MaxBackward0", shapes=R3, op="max"),
    _unary("max_dim_keepdim", lambda T, x: x.max(-1, keepdim=True).values * x, shapes=R3, op="max"),
    _unary("max_dim_vector", lambda T, x: x.max(0)[0] * x, shapes=[((4,),), ((),)], op="max"),
    _unary("max_all", lambda T, x: T.max(x), grad_fn="MaxBackward1", shapes=R3, op="amax"),
    _unary("min_dim", lambda T, x: T.min(x, 0).values, grad_fn="MinBackward0", shapes=R3, op="min"),
    _unary("min_dim_keepdim", lambda T, x: x.min(2, keepdim=True)[0] ** 2, shapes=R3, op="min"),
    _unary("min_all", lambda T, x: x.min(), grad_fn="MinBackward1", shapes=R3, op="amin"),
    _nograd("max_dim_indices", lambda T, x: T.max(x, 1)[1], R3, op="max"),
    _nograd("min_dim_indices", lambda T, x: x.min(-1, keepdim=True).indices, R3, op="min"),
    _nograd("max_dim_int", lambda T, x: T.max(x, 1)[0], R3, INT, op="max"),
    _nograd("min_dim_bool", lambda T, x: T.min(x, 0)[0], R3, BOOL, op="min"),
    _unary("sort", lambda T, x: T.sort(x, 1)[0], grad_fn="SortBackward0", shapes=R3),
    _unary("sort_descending", lambda T, x: x.sort(0, descending=True)[0] * x, shapes=R3, op="sort"),
    _unary("sort_last", lambda T, x: x.sort().values ** 2, shapes=[((5,),), ((),)], op="sort"),
    _unary(
        "sort_stable",
        lambda T, x: T.sort(x, dim=-1, stable=True)[0],
        grad_fn="SortBackward1",
        shapes=R3,
        op="sort",
    ),
    _nograd("sort_indices", lambda T, x: T.sort(x, 1)[1], R3, op="sort"),
    _nograd("sort_int", lambda T, x: T.sort(x, 0, descending=True)[0], R3, INT, op="sort"),
    _unary("topk", lambda T, x: T.topk(x, 2, 1)[0], grad_fn="TopkBackward0", shapes=R3),
    _unary(
        "topk_smallest", lambda T, x: x.topk(1, dim=0, largest=False)[0] * 2, shapes=R3, op="topk"
    ),
    _unary("topk_last", lambda T, x: x.topk(3).values ** 2, shapes=[((5,),)], op="topk"),
    _nograd("topk_indices", lambda T, x: T.topk(x, 2, 1)[1], R3, op="topk"),
    _unary("split", lambda T, x: T.split(x, 2)[1], grad_fn="SplitBackward0", shapes=[((5, 2),)]),
    _unary("split_last", lambda T, x: x.split(2)[2] ** 2, shapes=[((5, 2),)], op="split"),
    _unary(
        "split_all",
        lambda T, x: _weighted_sum(T.split(x, 1, dim=1)),
        shapes=R3,
        op="split",
    ),
    _unary(
        "split_sizes",
        lambda T, x: T.split(x, [1, 2], 1)[1],
        grad_fn="SplitWithSizesBackward0",
        shapes=R3,
        op="split",
    ),
    _unary("split_cat", lambda T, x: T.cat(x.split([3, 1]), 0) * x, shapes=[((4, 2),)], op="split"),
    _unary(
        "chunk",
        lambda T, x: T.chunk(x, 2)[0],
        grad_fn="SplitBackward0",
        shapes=[((4, 3),)],
        op="split",
    ),
    _unary("chunk_product", lambda T, x: _product(x.chunk(2, -1)), shapes=[((3, 4),)], op="split"),
    _unary("unbind", lambda T, x: T.unbind(x, 1)[2], grad_fn="UnbindBackward0", shapes=R3),
    _unary("unbind_all", lambda T, x: _weighted_sum(x.unbind(-1)), shapes=R3, op="unbind"),
    _unary(
        "unbind_0d",
        lambda T, x: x.unbind()[0] * _product(x.unbind()),
        shapes=[((3,),)],
        op="unbind",
    ),
    _nograd("unbind_int", lambda T, x: T.unbind(x, 1)[1], R3, INT, op="unbind"),
]


def _family_rows():
    """The rows of the op families whose rows live in a file of their own,
    tests/ops/op_db_<family>.py (each defines ROWS, written with this module's helpers)."""
    # NOTE: loaded by path, with this module as their ``op_db``, so that importing it as
    # ops.op_db (tests/backends) finds them too and does not run this module twice.
    sys.modules.setdefault("op_db", sys.modules[__name__])
    rows = []
    for path in sorted(pathlib.Path(__file__).parent.glob("op_db_*.py")):
        module = sys.modules.get(path.stem)
        if module is None:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[path.stem] = module
            spec.loader.exec_module(module)
        rows += module.ROWS
    return rows


OPS += _family_rows()
OP_IDS = [op.name for op in OPS]
SAMPLES = [(op, i) for op in OPS for i in range(len(op.shapes))]
SAMPLE_IDS = [op.ids()[i] for op, i in SAMPLES]


def inputs_for(op, i, rng):
    """NumPy inputs for sample ``i`` of ``op``: float64, or int64 and bool for INT and BOOL."""
    shapes = op.shapes[i]
    domains = op.domains or [op.domain] * len(shapes)
    return [sample(rng, s, d) for s, d in zip(shapes, domains)]
