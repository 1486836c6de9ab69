"""op_db rows of the activation family (mytorch/_ops/activation.py): torch.nn.functional's
activations, their top-level and Tensor-method forms, and their values, first and second
derivatives at the kinks where torch picks a side."""

from op_db import NONZERO, R3, UNARY_SHAPES, OpInfo, _kink, _unary, _vjp, cycle


def F(T):
    return T.nn.functional


R23 = [((2, 3),)]
W = 2.5  # spreads ANY's [-1.5, 1.5] over the kinks of relu6, hardsigmoid and hardswish
# On and beside every kink: below, on, between, on, above.
HT_KINKS = cycle(-2, -1, 0, 1, 2)  # hardtanh's default bounds
R6_KINKS = cycle(-1, 0, 3, 6, 7)
H3_KINKS = cycle(-4, -3, 0, 3, 4)  # hardsigmoid and hardswish
SHRINK_KINKS = cycle(-1, -0.5, 0, 0.5, 1)
SIGNS = cycle(-1, 0, 1)
K5 = [((5,),), ((2, 5),)]


def _prelu_row(name, fn, shapes, **kw):
    return OpInfo(name, fn, shapes, op="where", **kw)


ROWS = [
    # --- published in nn.functional too -----------------------------------------------------
    _unary("F_relu", lambda T, x: F(T).relu(x), NONZERO, grad_fn="ReluBackward0", op="relu"),
    _unary("F_sigmoid", lambda T, x: F(T).sigmoid(x), op="sigmoid"),
    _unary("F_tanh", lambda T, x: F(T).tanh(x), op="tanh"),
    # --- hardtanh and the ops made of it ----------------------------------------------------
    _unary("hardtanh", lambda T, x: F(T).hardtanh(x), grad_fn="HardtanhBackward0"),
    _unary("hardtanh_bounds", lambda T, x: F(T).hardtanh(x, -0.5, 0.25) * x, op="hardtanh"),
    _unary("relu6", lambda T, x: F(T).relu6(x * W + 3), grad_fn="HardtanhBackward0"),
    _unary("hardsigmoid", lambda T, x: F(T).hardsigmoid(x * W), op="hardtanh", gradgrad=False),
    _unary("hardswish", lambda T, x: F(T).hardswish(x * W), op="hardtanh"),
    _unary(
        "hardtanh_backward", lambda T, x: _vjp(T, lambda x: F(T).hardtanh(x) * x, x)[0], op="where"
    ),  # fmt: skip
    _kink("hardtanh_at_bounds", lambda T, x: F(T).hardtanh(x), HT_KINKS, op="hardtanh"),
    _kink("hardtanh_at_bounds_times_x", lambda T, x: F(T).hardtanh(x) * x, HT_KINKS, op="hardtanh"),
    _kink("relu6_at_bounds", lambda T, x: F(T).relu6(x), R6_KINKS, op="hardtanh"),
    # torch has no second derivative of hardsigmoid
    _kink(
        "hardsigmoid_at_kinks",
        lambda T, x: F(T).hardsigmoid(x),
        H3_KINKS,
        op="hardtanh",
        gradgrad=False,
    ),  # fmt: skip
    _kink("hardswish_at_kinks", lambda T, x: F(T).hardswish(x), H3_KINKS, op="hardtanh"),
    # --- leaky relu, rrelu (eval), prelu, threshold ------------------------------------------
    _unary("leaky_relu", lambda T, x: F(T).leaky_relu(x, 0.2), op="where"),
    _unary("leaky_relu_default", lambda T, x: F(T).leaky_relu(x) * x, op="where"),
    _kink("leaky_relu_at_zero", lambda T, x: F(T).leaky_relu(x, 0.2) * x, SIGNS, op="where"),
    _unary("rrelu_eval", lambda T, x: F(T).rrelu(x), op="where"),
    _unary("torch_rrelu_eval", lambda T, x: T.rrelu(x, 0.1, 0.4), op="where"),
    _kink("rrelu_eval_at_zero", lambda T, x: F(T).rrelu(x, 0.2, 0.3), SIGNS, op="where"),
    _prelu_row("prelu_channels", lambda T, x, w: F(T).prelu(x, w), [((2, 3, 2), (3,))]),
    _prelu_row("prelu_one", lambda T, x, w: T.prelu(x, w), [((2, 3), (1,)), ((3,), (1,))]),
    _prelu_row("prelu_method", lambda T, x, w: x.prelu(w) * x, [((2, 3), (3,)), ((), (1,))]),
    _prelu_row("prelu_0d_weight", lambda T, x, w: F(T).prelu(x, w), [((2, 3), ())]),
    # NOTE: at x == 0 torch's double backward takes the side x >= 0 (its backward x > 0): only
    # the first derivatives there are torch's (see the report of issue 15's activations)
    OpInfo(
        "prelu_at_zero",
        lambda T, x, w: F(T).prelu(x, w) * x,
        [((2, 3), (3,))],
        op="where",
        domains=[SIGNS, cycle(0.25, -0.5, 2)],
        smooth=False,
        gradgrad=False,
    ),  # fmt: skip
    _unary("threshold", lambda T, x: F(T).threshold(x, 0.5, -2.0), op="where"),
    _unary("torch_threshold", lambda T, x: T.threshold(x, -0.25, 3.0) * x, op="where"),
    _kink("threshold_at_threshold", lambda T, x: F(T).threshold(x, 0.0, -1.0), SIGNS, op="where"),
    # --- elu, selu, celu -------------------------------------------------------------------
    _unary("elu", lambda T, x: F(T).elu(x), grad_fn="EluBackward0"),
    _unary("elu_alpha", lambda T, x: F(T).elu(x, 0.5) * x, op="elu"),
    _unary("selu", lambda T, x: T.selu(x), grad_fn="EluBackward0", op="elu"),
    _unary("F_selu", lambda T, x: F(T).selu(x) * x, op="elu"),
    _unary("celu", lambda T, x: T.celu(x, 2.0), grad_fn="CeluBackward0", op="elu"),
    _unary("F_celu", lambda T, x: F(T).celu(x) * x, op="elu"),
    _unary("elu_backward", lambda T, x: _vjp(T, lambda x: F(T).elu(x, 0.5) * x, x)[0], op="elu"),
    _kink("elu_at_zero", lambda T, x: F(T).elu(x, 0.5), SIGNS, op="elu"),
    _kink("elu_at_zero_times_x", lambda T, x: F(T).elu(x, 0.5) * x, SIGNS, op="elu"),
    _kink("selu_at_zero", lambda T, x: T.selu(x) * x, SIGNS, op="elu"),
    _kink("celu_at_zero", lambda T, x: F(T).celu(x, 2.0) * x, SIGNS, op="elu"),
    # --- softplus, logsigmoid, gelu, silu, mish ----------------------------------------------
    _unary("softplus", lambda T, x: F(T).softplus(x), grad_fn="SoftplusBackward0"),
    _unary("softplus_beta", lambda T, x: F(T).softplus(x, 2.0, 1.0) * x, op="softplus"),
    _unary("softplus_backward", lambda T, x: _vjp(T, F(T).softplus, x)[0] * x, op="sigmoid"),
    _kink(
        "softplus_at_threshold",
        lambda T, x: F(T).softplus(x, 2, 1.0) * x,
        cycle(0, 0.5, 0.75),
        op="softplus",
    ),  # fmt: skip
    _unary("logsigmoid", lambda T, x: F(T).logsigmoid(x), op="softplus"),
    _unary("logsigmoid_wide", lambda T, x: F(T).logsigmoid(x * 30) * x, op="softplus"),
    _unary("gelu", lambda T, x: F(T).gelu(x), grad_fn="GeluBackward0"),
    _unary(
        "gelu_tanh",
        lambda T, x: F(T).gelu(x, approximate="tanh"),
        grad_fn="GeluBackward0",
        op="gelu",
    ),  # fmt: skip
    _unary("gelu_wide", lambda T, x: F(T).gelu(x * 3) * x, op="gelu"),
    _unary(
        "gelu_backward", lambda T, x: _vjp(T, F(T).gelu, x)[0], grad_fn="GeluBackwardBackward0"
    ),  # fmt: skip
    _unary(
        "gelu_backward_times_x",
        lambda T, x: _vjp(T, lambda x: F(T).gelu(x) * x, x)[0],
        op="gelu_backward",
    ),  # fmt: skip
    _unary(
        "gelu_tanh_backward_times_x",
        lambda T, x: _vjp(T, lambda x: F(T).gelu(x, approximate="tanh") * x, x)[0] * x,
        op="gelu_backward",
    ),  # fmt: skip
    _unary("silu", lambda T, x: F(T).silu(x * 3), op="sigmoid"),
    _unary("mish", lambda T, x: F(T).mish(x * 3), op="softplus"),
    # --- shrinkage, softsign, tanhshrink ------------------------------------------------------
    _unary("hardshrink", lambda T, x: T.hardshrink(x), op="where"),
    _unary("hardshrink_method", lambda T, x: x.hardshrink(0.25) * x, op="where"),
    _unary("F_hardshrink", lambda T, x: F(T).hardshrink(x, lambd=1.0), op="where"),
    _kink("hardshrink_at_lambda", lambda T, x: F(T).hardshrink(x) * x, SHRINK_KINKS, op="where"),
    _unary("softshrink", lambda T, x: F(T).softshrink(x), op="clamp"),
    _unary("softshrink_lambda", lambda T, x: F(T).softshrink(x, 1.0) * x, op="clamp"),
    _kink("softshrink_at_lambda", lambda T, x: F(T).softshrink(x) * x, SHRINK_KINKS, op="clamp"),
    _unary("softsign", lambda T, x: F(T).softsign(x), NONZERO, op="abs"),
    _kink("softsign_at_zero", lambda T, x: F(T).softsign(x), SIGNS, op="abs"),
    _unary("tanhshrink", lambda T, x: F(T).tanhshrink(x), op="tanh"),
    # --- along a dim --------------------------------------------------------------------------
    OpInfo("glu", lambda T, x: F(T).glu(x), [((2, 4),), ((6,),)], op="sigmoid"),
    OpInfo("glu_dim0", lambda T, x: F(T).glu(x, 0) * x[:1], [((4, 3),)], op="sigmoid"),
    _unary("F_softmax", lambda T, x: F(T).softmax(x, -1), shapes=R3, op="softmax"),
    _unary(
        "F_softmax_dtype",
        lambda T, x: F(T).softmax(x, 0, dtype=T.float64),
        shapes=R23,
        op="softmax",
    ),  # fmt: skip
    _unary("F_log_softmax", lambda T, x: F(T).log_softmax(x, 1), shapes=R3, op="log_softmax"),
    _unary("softmin", lambda T, x: F(T).softmin(x, 1), shapes=R3, op="softmax"),
    _unary("softmin_last", lambda T, x: F(T).softmin(x, -1) * x, shapes=[((4,),)], op="softmax"),
    _unary("normalize", lambda T, x: F(T).normalize(x), shapes=R23 + R3, op="div"),
    _unary("normalize_dim0", lambda T, x: F(T).normalize(x, dim=0) * x, shapes=R23, op="div"),
    _unary(
        "normalize_p1", lambda T, x: F(T).normalize(x, 1.0, -1), NONZERO, shapes=R23, op="div"
    ),  # fmt: skip
    _unary("normalize_p3", lambda T, x: F(T).normalize(x, 3, 1), shapes=R23, op="div"),
    _unary(
        "normalize_pinf", lambda T, x: F(T).normalize(x, float("inf"), 1), shapes=R23, op="div"
    ),  # fmt: skip
    # torch's second derivative at a zero vector is NaN (the norm's 0 * inf)
    _kink(
        "normalize_zero_row",
        lambda T, x: F(T).normalize(x),
        cycle(0, 0, 0, 1, -2, 0.5),
        R23,
        op="div",
        gradgrad=False,
    ),  # fmt: skip
    _unary(
        "normalize_1d", lambda T, x: F(T).normalize(x, dim=0), shapes=UNARY_SHAPES[:1], op="div"
    ),  # fmt: skip
    # --- in-place forms, on a non-leaf ---------------------------------------------------------
    _unary("F_relu_", lambda T, x: F(T).relu_(x * 1), NONZERO, op="relu"),
    _unary("torch_relu_", lambda T, x: T.relu_(x * 1) * x, NONZERO, op="relu"),
    _unary("F_relu_inplace", lambda T, x: F(T).relu(x * 1, inplace=True), NONZERO, op="relu"),
    _unary("elu_", lambda T, x: F(T).elu_(x * 1, 0.5), op="elu"),
    _unary("elu_inplace", lambda T, x: F(T).elu(x * 1, inplace=True) * x, op="elu"),
    _unary("selu_", lambda T, x: T.selu_(x * 1), op="elu"),
    _unary("F_selu_inplace", lambda T, x: F(T).selu(x * 1, inplace=True), op="elu"),
    _unary("celu_", lambda T, x: F(T).celu_(x * 1, 0.5), op="elu"),
    _unary("leaky_relu_", lambda T, x: F(T).leaky_relu_(x * 1, 0.3), op="where"),
    _unary("leaky_relu_inplace", lambda T, x: F(T).leaky_relu(x * 1, inplace=True), op="where"),
    _unary("hardtanh_", lambda T, x: F(T).hardtanh_(x * 1, -0.5, 0.5), op="hardtanh"),
    _unary("relu6_inplace", lambda T, x: F(T).relu6(x * W + 3, inplace=True), op="hardtanh"),
    _unary("threshold_", lambda T, x: T.threshold_(x * 1, 0.25, 2.0), op="where"),
    _unary("F_threshold_inplace", lambda T, x: F(T).threshold(x * 1, 0.0, 0.5, True), op="where"),
    _unary("rrelu_", lambda T, x: F(T).rrelu_(x * 1), op="where"),
    _unary("hardswish_inplace", lambda T, x: F(T).hardswish(x * W, inplace=True), op="hardtanh"),
    _unary("mish_inplace", lambda T, x: F(T).mish(x * 3, inplace=True) * x, op="softplus"),
    _unary("silu_inplace", lambda T, x: F(T).silu(x * 1, inplace=True), op="sigmoid"),
    # --- integer inputs where torch takes them -----------------------------------------------
    OpInfo(
        "hardtanh_int",
        lambda T, x: F(T).hardtanh(x),
        K5,
        "int",
        grad=False,
        gradgrad=False,
        op="hardtanh",
    ),  # fmt: skip
    OpInfo(
        "relu6_int",
        lambda T, x: F(T).relu6(x + 3),
        K5,
        "int",
        grad=False,
        gradgrad=False,
        op="hardtanh",
    ),  # fmt: skip
    OpInfo(
        "threshold_int",
        lambda T, x: F(T).threshold(x, 0, 7.5),
        K5,
        "int",
        grad=False,
        gradgrad=False,
        op="where",
    ),  # fmt: skip
    OpInfo(
        "softsign_int",
        lambda T, x: F(T).softsign(x),
        K5,
        "int",
        grad=False,
        gradgrad=False,
        op="div",
    ),  # fmt: skip
    OpInfo(
        "tanhshrink_int",
        lambda T, x: F(T).tanhshrink(x),
        K5,
        "int",
        grad=False,
        gradgrad=False,
        op="tanh",
    ),  # fmt: skip
]
