"""The op database: one row per op variant, driving the generic forward/grad/gradcheck tests.

Each row's ``fn(T, *inputs)`` is written once against the torch API and run twice, with
``T = mytorch`` and with ``T = torch``, so the same line states what is being compared.
"""

from dataclasses import dataclass, field

# Input domains. Each keeps the op away from kinks, poles and ties, where derivatives are
# undefined or central differences straddle a jump.
ANY = "any"  # uniform in [-1.5, 1.5]
POS = "pos"  # uniform in [0.5, 2]: log, sqrt, fractional powers
NONZERO = "nonzero"  # |v| in [0.5, 1.5] with random sign: abs, relu, divisors
SMALL = "small"  # uniform in [-1, 1]: tan stays far from its poles

# Shapes for binary ops: equal, broadcast against a row, outer broadcast, and 0-d on either side.
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,)), ((2, 3), ())]
UNARY_SHAPES = [((3,),), ((2, 3),), ((),)]
R3 = [((2, 3, 2),)]  # for reductions and permutations


@dataclass
class OpInfo:
    name: str
    fn: object
    shapes: list
    domain: str = ANY
    grad: bool = True  # first derivative compared with torch and gradcheck
    gradgrad: bool = True  # second derivative compared with torch and gradgradcheck
    grad_fn: str = None  # torch's grad_fn name for the output, when it is one node
    domains: list = field(default_factory=list)  # per-input override of ``domain``

    def ids(self):
        return [
            self.name + "-" + "_".join("x".join(map(str, s)) or "0d" for s in shapes)
            for shapes in self.shapes
        ]


def sample(rng, shape, domain):
    """float64 values for one input."""
    if domain == POS:
        return rng.uniform(0.5, 2.0, shape)
    if domain == NONZERO:
        return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == SMALL:
        return rng.uniform(-1.0, 1.0, shape)
    return rng.uniform(-1.5, 1.5, shape)


def _mask(T, like):
    """A bool mask on ``like``'s device (where() takes all its tensors from one device)."""
    return T.tensor([[True, False, True], [False, True, True]], device=like.device)


def _unary(name, fn, domain=ANY, grad_fn=None, shapes=UNARY_SHAPES, gradgrad=True):
    return OpInfo(name, fn, shapes, domain, grad_fn=grad_fn, gradgrad=gradgrad)


OPS = [
    # --- binary arithmetic, with broadcasting ---------------------------------------------
    OpInfo("add", lambda T, x, y: x + y, BINARY_SHAPES, grad_fn="AddBackward0"),
    OpInfo("add_fn_alpha", lambda T, x, y: T.add(x, y, alpha=2), BINARY_SHAPES[:2], grad_fn="AddBackward0"),
    OpInfo("sub", lambda T, x, y: x - y, BINARY_SHAPES, grad_fn="SubBackward0"),
    OpInfo("sub_fn", lambda T, x, y: T.sub(x, y), BINARY_SHAPES[:2], grad_fn="SubBackward0"),
    OpInfo("mul", lambda T, x, y: x * y, BINARY_SHAPES, grad_fn="MulBackward0"),
    OpInfo("mul_fn", lambda T, x, y: T.mul(x, y), BINARY_SHAPES[:2], grad_fn="MulBackward0"),
    OpInfo("div", lambda T, x, y: x / y, BINARY_SHAPES, NONZERO, grad_fn="DivBackward0"),
    OpInfo("div_fn", lambda T, x, y: T.div(x, y), BINARY_SHAPES[:2], NONZERO, grad_fn="DivBackward0"),
    OpInfo("pow_tensor_tensor", lambda T, x, y: x**y, BINARY_SHAPES, POS, grad_fn="PowBackward1"),
    OpInfo("maximum", lambda T, x, y: T.maximum(x, y), BINARY_SHAPES[:3], grad_fn="MaximumBackward0"),
    OpInfo("minimum", lambda T, x, y: T.minimum(x, y), BINARY_SHAPES[:3], grad_fn="MinimumBackward0"),
    # --- a Python scalar on either side ---------------------------------------------------
    _unary("add_scalar", lambda T, x: x + 2.5, grad_fn="AddBackward0"),
    _unary("radd_scalar", lambda T, x: 2 + x, grad_fn="AddBackward0"),
    _unary("sub_scalar", lambda T, x: x - 1.5, grad_fn="SubBackward0"),
    _unary("rsub_scalar", lambda T, x: 1.5 - x, grad_fn="RsubBackward1"),
    _unary("mul_scalar", lambda T, x: x * 3, grad_fn="MulBackward0"),
    _unary("rmul_scalar", lambda T, x: 0.5 * x, grad_fn="MulBackward0"),
    _unary("div_scalar", lambda T, x: x / 4, grad_fn="DivBackward0"),
    _unary("rdiv_scalar", lambda T, x: 2.0 / x, NONZERO),
    _unary("pow_int", lambda T, x: x**3, grad_fn="PowBackward0"),
    _unary("pow_two", lambda T, x: x**2, grad_fn="PowBackward0"),
    _unary("pow_frac", lambda T, x: x**2.5, POS, grad_fn="PowBackward0"),
    _unary("pow_negative", lambda T, x: x**-1.5, POS, grad_fn="PowBackward0"),
    _unary("pow_zero", lambda T, x: x**0, grad_fn="PowBackward0"),
    _unary("pow_method", lambda T, x: x.pow(3), grad_fn="PowBackward0"),
    _unary("rpow_scalar", lambda T, x: 2.0**x, grad_fn="PowBackward2"),
    _unary("neg", lambda T, x: -x, grad_fn="NegBackward0"),
    _unary("neg_fn", lambda T, x: T.neg(x), grad_fn="NegBackward0"),
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
    _unary("exp_method", lambda T, x: x.exp()),
    _unary("log_method", lambda T, x: x.log(), POS),
    _unary("sigmoid_method", lambda T, x: x.sigmoid()),
    _unary("abs_builtin", lambda T, x: abs(x), NONZERO),
    _unary("exp_of_sin", lambda T, x: T.exp(T.sin(x)) * x),
    # --- reductions -------------------------------------------------------------------------
    _unary("sum", lambda T, x: T.sum(x), grad_fn="SumBackward0", shapes=R3 + [((),), ((4,),)]),
    _unary("sum_dim0", lambda T, x: x.sum(0), grad_fn="SumBackward1", shapes=R3 + [((3,),)]),
    _unary("sum_dim_neg", lambda T, x: x.sum(dim=-1), grad_fn="SumBackward1", shapes=R3),
    _unary("sum_dim_tuple", lambda T, x: x.sum((0, 2)), grad_fn="SumBackward1", shapes=R3),
    _unary("sum_keepdim", lambda T, x: T.sum(x, 1, keepdim=True), grad_fn="SumBackward1", shapes=R3),
    _unary("sum_tuple_keepdim", lambda T, x: x.sum((-1, 0), keepdim=True), shapes=R3),
    _unary("mean", lambda T, x: T.mean(x), grad_fn="MeanBackward0", shapes=R3 + [((),)]),
    _unary("mean_dim", lambda T, x: x.mean(1), grad_fn="MeanBackward1", shapes=R3),
    _unary("mean_dim_neg", lambda T, x: x.mean(-1), shapes=R3),
    _unary("mean_dim_tuple", lambda T, x: x.mean((0, 2)), shapes=R3),
    _unary("mean_keepdim", lambda T, x: T.mean(x, dim=(1,), keepdim=True), shapes=R3),
    _unary("amax", lambda T, x: T.amax(x), grad_fn="AmaxBackward0", shapes=R3),
    _unary("amax_dim", lambda T, x: T.amax(x, 1), grad_fn="AmaxBackward0", shapes=R3),
    _unary("amax_dim_keepdim", lambda T, x: x.amax(-1, keepdim=True), shapes=R3),
    _unary("amax_dims", lambda T, x: T.amax(x, (0, 2)), shapes=R3),
    _unary("softmax", lambda T, x: T.softmax(x, -1), shapes=R3 + [((4,),)]),
    _unary("softmax_dim0", lambda T, x: x.softmax(0), shapes=R3),
    _unary("log_softmax", lambda T, x: T.log_softmax(x, 1), shapes=R3),
    _unary("log_softmax_last", lambda T, x: x.log_softmax(-1), shapes=[((4,),)]),
    _unary("var", lambda T, x: T.var(x), shapes=R3 + [((4,),)]),
    _unary("var_dim", lambda T, x: x.var(1), shapes=R3),
    _unary("var_biased", lambda T, x: T.var(x, 0, unbiased=False), shapes=R3),
    _unary("var_keepdim", lambda T, x: x.var((0, 2), keepdim=True), shapes=R3),
    _unary("var_correction", lambda T, x: T.var(x, dim=-1, correction=0), shapes=R3),
    _unary("std", lambda T, x: T.std(x), shapes=R3),
    _unary("std_dim", lambda T, x: x.std(0), shapes=R3),
    _unary("std_biased_keepdim", lambda T, x: T.std(x, 2, unbiased=False, keepdim=True), shapes=R3),
    # --- shape ops (products with x keep their second derivatives nonzero) ----------------
    _unary("reshape", lambda T, x: T.reshape(x, (3, 4)), grad_fn="ViewBackward0", shapes=R3),
    _unary("reshape_infer", lambda T, x: x.reshape(-1, 2), grad_fn="ViewBackward0", shapes=R3),
    _unary("view", lambda T, x: x.view(6, 2), grad_fn="ViewBackward0", shapes=R3),
    _unary("view_flat", lambda T, x: x.view(-1) * x.view(-1), shapes=R3),
    _unary("transpose", lambda T, x: T.transpose(x, 0, 1), grad_fn="TransposeBackward0", shapes=R3),
    _unary("transpose_neg", lambda T, x: x.transpose(-1, -2) * 2, shapes=R3),
    _unary("permute", lambda T, x: x.permute(2, 0, 1), grad_fn="PermuteBackward0", shapes=R3),
    _unary("permute_fn", lambda T, x: T.permute(x, (1, 2, 0)), grad_fn="PermuteBackward0", shapes=R3),
    _unary("T_2d", lambda T, x: x.T @ x, shapes=[((2, 3),)]),
    _unary("mT", lambda T, x: x.mT, grad_fn="TransposeBackward0", shapes=R3),
    _unary("unsqueeze", lambda T, x: x.unsqueeze(1), grad_fn="UnsqueezeBackward0", shapes=R3),
    _unary("unsqueeze_neg", lambda T, x: T.unsqueeze(x, -1) * x.unsqueeze(0), shapes=[((3,),)]),
    _unary("squeeze_all", lambda T, x: x.squeeze(), shapes=[((2, 1, 3),), ((1,),)]),
    _unary("squeeze_dim", lambda T, x: T.squeeze(x, 1), shapes=[((2, 1, 3),)]),
    _unary("squeeze_noop_dim", lambda T, x: x.squeeze(0), shapes=[((2, 1, 3),)]),
    _unary("flatten", lambda T, x: T.flatten(x), shapes=R3),
    _unary("flatten_start", lambda T, x: x.flatten(1), shapes=R3),
    _unary("expand", lambda T, x: x.expand(2, 3, 4), grad_fn="ExpandBackward0", shapes=[((3, 1),)]),
    _unary("expand_infer", lambda T, x: x.expand(2, -1) * x, shapes=[((3,),)]),
    _unary("clone", lambda T, x: x.clone(), grad_fn="CloneBackward0"),
    _unary("double", lambda T, x: x.double() * x.double(), shapes=[((3,),)]),
    # --- matmul -----------------------------------------------------------------------------
    OpInfo("matmul_dot", lambda T, x, y: T.matmul(x, y), [((3,), (3,))], grad_fn="DotBackward0"),
    OpInfo("matmul_mv", lambda T, x, y: x @ y, [((2, 3), (3,))], grad_fn="MvBackward0"),
    OpInfo("matmul_vm", lambda T, x, y: x @ y, [((3,), (3, 2))]),
    OpInfo("matmul_mm", lambda T, x, y: x @ y, [((2, 3), (3, 4))], grad_fn="MmBackward0"),
    OpInfo("matmul_bmm", lambda T, x, y: T.matmul(x, y), [((2, 2, 3), (2, 3, 2))]),
    OpInfo("matmul_batched_2d", lambda T, x, y: x @ y, [((2, 2, 3), (3, 2)), ((3, 2), (2, 2, 3))]),
    OpInfo("matmul_broadcast_batch", lambda T, x, y: x @ y, [((2, 1, 2, 3), (3, 3, 2))]),
    OpInfo("matmul_vec_batched", lambda T, x, y: x @ y, [((3,), (2, 3, 2)), ((2, 2, 3), (3,))]),
    OpInfo("matmul_square", lambda T, x, y: (x @ y) @ (x @ y), [((2, 2), (2, 2))]),
    # --- indexing ---------------------------------------------------------------------------
    _unary("index_int", lambda T, x: x[1], grad_fn="SelectBackward0", shapes=[((3, 2),)]),
    _unary("index_neg_int", lambda T, x: x[-1] * x[0], shapes=[((3, 2),)]),
    _unary("index_two_ints", lambda T, x: x[0, 1] * x, shapes=[((3, 2),)]),
    _unary("index_slice", lambda T, x: x[1:], grad_fn="SliceBackward0", shapes=[((4, 2),)]),
    _unary("index_step", lambda T, x: x[:, ::2] ** 2, shapes=[((2, 5),)]),
    _unary("index_neg_slice", lambda T, x: x[-2:, :-1] ** 2, shapes=[((3, 3),)]),
    _unary("index_none", lambda T, x: x[None] * x, shapes=[((3,),)]),
    _unary("index_ellipsis", lambda T, x: x[..., 1] ** 2, shapes=R3),
    _unary("index_mixed", lambda T, x: x[:, None, 1:] * x[0, 1:], shapes=[((2, 3),)]),
    _unary("index_int_tensor", lambda T, x: x[T.tensor([0, 2, 0])] ** 2, grad_fn=None, shapes=[((3, 2),)]),
    _unary("index_bool_mask", lambda T, x: x[T.tensor([True, False, True])] ** 2, shapes=[((3, 2),)]),
    _unary("index_bool_mask_2d", lambda T, x: x[_mask(T, x)] ** 2, grad_fn=None, shapes=[((2, 3),)]),
    _unary("index_slice_and_tensor", lambda T, x: x[1:, T.tensor([1, 1])] ** 2, shapes=[((3, 2),)]),
    _unary("index_two_tensors", lambda T, x: x[T.tensor([0, 2]), T.tensor([1, 0])] ** 2, shapes=[((3, 2),)]),
    # --- selection and joining --------------------------------------------------------------
    OpInfo("where", lambda T, x, y: T.where(_mask(T, x), x, y), [((2, 3), (2, 3)), ((2, 3), (3,))]),
    _unary("where_scalar", lambda T, x: T.where(_mask(T, x), x * x, 0.0), shapes=[((2, 3),)]),
    OpInfo("cat", lambda T, x, y: T.cat([x, y]), [((2, 3), (1, 3))], grad_fn="CatBackward0"),
    OpInfo("cat_dim1", lambda T, x, y: T.cat((x, y * y), dim=1), [((2, 3), (2, 2))]),
    OpInfo("cat_neg", lambda T, x, y: T.cat([x, y, x], -1) ** 2, [((2, 1), (2, 2))]),
    OpInfo("stack", lambda T, x, y: T.stack([x, y]), [((2, 3), (2, 3))], grad_fn="StackBackward0"),
    OpInfo("stack_dim1", lambda T, x, y: T.stack((x, y * x), dim=1), [((2, 3), (2, 3))]),
    OpInfo("stack_neg", lambda T, x, y: T.stack([x, y], -1) ** 2, [((3,), (3,))]),
]

OP_IDS = [op.name for op in OPS]
SAMPLES = [(op, i) for op in OPS for i in range(len(op.shapes))]
SAMPLE_IDS = [op.ids()[i] for op, i in SAMPLES]


def inputs_for(op, i, rng):
    """float64 NumPy inputs for sample ``i`` of ``op``."""
    shapes = op.shapes[i]
    domains = op.domains or [op.domain] * len(shapes)
    return [sample(rng, s, d) for s, d in zip(shapes, domains)]
