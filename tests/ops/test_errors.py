"""Errors raise PyTorch's exception class with a message naming the cause, and leave nothing
half-updated behind."""

import pytest
from helpers import raises, raises_like

import mytorch

try:
    import torch
except ImportError:
    torch = None


def _x(T):
    return T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)


# (id, fn(T), exception class, fragment both messages contain or None)
CASES = [
    (
        "add_shapes",
        lambda T: T.ones(2, 3) + T.ones(4),
        RuntimeError,
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    ),
    (
        "mul_shapes_grad",
        lambda T: _x(T) * T.ones(3, 3),
        RuntimeError,
        "must match the size of tensor b (3)",
    ),
    ("sub_scalar_side", lambda T: T.ones(2) - T.ones(3), RuntimeError, "The size of tensor a (2)"),
    (
        "mm_shapes",
        lambda T: T.ones(2, 3) @ T.ones(4, 5),
        RuntimeError,
        "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    ),
    ("mv_shapes", lambda T: T.ones(2, 3) @ T.ones(4), RuntimeError, None),
    ("dot_shapes", lambda T: T.ones(3) @ T.ones(4), RuntimeError, "inconsistent tensor size"),
    ("bmm_shapes", lambda T: T.ones(2, 2, 3) @ T.ones(2, 4, 2), RuntimeError, None),
    (
        "matmul_0d",
        lambda T: T.matmul(T.tensor(1.0), T.ones(2)),
        RuntimeError,
        "both arguments to matmul need to be at least 1D",
    ),
    (
        "reshape_size",
        lambda T: T.ones(2, 3).reshape(4, 2),
        RuntimeError,
        "shape '[4, 2]' is invalid for input of size 6",
    ),
    (
        "view_two_infer",
        lambda T: T.ones(6).view(-1, -1),
        RuntimeError,
        "only one dimension can be inferred",
    ),
    (
        "expand_size",
        lambda T: T.ones(2, 3).expand(2, 4),
        RuntimeError,
        "The expanded size of the tensor (4)",
    ),
    ("permute_len", lambda T: T.ones(2, 3).permute(0), RuntimeError, "number of dimensions"),
    ("transpose_dim", lambda T: T.ones(2, 3).transpose(0, 2), IndexError, "Dimension out of range"),
    ("sum_dim", lambda T: T.ones(2, 3).sum(2), IndexError, "Dimension out of range"),
    ("sum_dup_dims", lambda T: T.ones(2, 3).sum((0, 0)), RuntimeError, "appears multiple times"),
    ("softmax_dim", lambda T: T.softmax(T.ones(2), 1), IndexError, "Dimension out of range"),
    ("unsqueeze_dim", lambda T: T.ones(2).unsqueeze(3), IndexError, "Dimension out of range"),
    (
        "mean_int",
        lambda T: T.tensor([1, 2]).mean(),
        RuntimeError,
        "mean(): could not infer output dtype",
    ),
    (
        "cat_sizes",
        lambda T: T.cat([T.ones(2, 3), T.ones(2, 2)]),
        RuntimeError,
        "Sizes of tensors must match except in dimension 0",
    ),
    (
        "cat_ndim",
        lambda T: T.cat([T.ones(2, 3), T.ones(3)]),
        RuntimeError,
        "Tensors must have same number of dimensions",
    ),
    ("cat_empty", lambda T: T.cat([]), ValueError, "expected a non-empty list of Tensors"),
    (
        "cat_sizes_third",
        lambda T: T.cat([T.ones(2, 3), T.ones(2, 3), T.ones(1, 2)]),
        RuntimeError,
        "tensor number 2",
    ),
    ("stack_empty", lambda T: T.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (
        "stack_sizes",
        lambda T: T.stack([T.ones(2), T.ones(3)]),
        RuntimeError,
        "stack expects each tensor to be equal size",
    ),
    (
        "where_cond_dtype",
        lambda T: T.where(T.ones(2), T.ones(2), T.zeros(2)),
        RuntimeError,
        "boolean",
    ),
    (
        "index_out_of_range",
        lambda T: T.ones(3)[5],
        IndexError,
        "index 5 is out of bounds for dimension 0 with size 3",
    ),
    (
        "index_neg_out_of_range",
        lambda T: T.ones(2, 3)[:, -4],
        IndexError,
        "out of bounds for dimension 1 with size 3",
    ),
    (
        "too_many_indices",
        lambda T: T.ones(2, 3)[0, 0, 0],
        IndexError,
        "too many indices for tensor of dimension 2",
    ),
    ("index_0d", lambda T: T.tensor(1.0)[0], IndexError, None),
    ("float_index", lambda T: T.ones(3)[1.5], IndexError, None),
    (
        "float_tensor_index",
        lambda T: T.ones(3)[T.tensor([0.0, 1.0])],
        IndexError,
        "tensors used as indices must be long, int, byte or bool tensors",
    ),
    ("int_tensor_index_range", lambda T: T.ones(3)[T.tensor([0, 5])], IndexError, None),
    ("bool_mask_shape", lambda T: T.ones(3)[T.tensor([True, False])], IndexError, None),
    ("exp_of_list", lambda T: T.exp([1.0, 2.0]), TypeError, None),
    ("sum_of_list", lambda T: T.sum([1.0, 2.0]), TypeError, None),
    ("add_str", lambda T: T.ones(2) + "a", TypeError, None),
    ("matmul_scalar", lambda T: T.matmul(T.ones(2), 2), TypeError, None),
    (
        "int_pow_negative",
        lambda T: T.tensor([2, 3]) ** -1,
        RuntimeError,
        "Integers to negative integer powers",
    ),
    ("float_of_many", lambda T: float(T.ones(2)), ValueError, "only one element tensors"),
    ("int_of_many", lambda T: int(T.ones(2)), ValueError, "only one element tensors"),
    (
        "maximum_scalar",
        lambda T: T.maximum(T.ones(2), 2.0),
        TypeError,
        "maximum(): argument 'other' (position 2) must be Tensor, not float",
    ),
    (
        "minimum_scalar_input",
        lambda T: T.minimum(1, T.ones(2)),
        TypeError,
        "minimum(): argument 'input' (position 1) must be Tensor, not int",
    ),
    (
        "clamp_tensor_and_number",
        lambda T: T.clamp(T.ones(2), T.zeros(2), 0.5),
        TypeError,
        "clamp() received an invalid combination of arguments",
    ),
    (
        "bitwise_float",
        lambda T: T.ones(2) & T.ones(2),
        NotImplementedError,
        "not implemented for 'Float'",
    ),
    # --- argument types and values: a string (or float, None) where an int, a number or a
    # flag belongs, an unknown mode string, a dtype an op does not take
    ("sum_dim_str", lambda T: T.ones(2, 3).sum("a"), TypeError, None),
    ("sum_dim_float", lambda T: T.ones(2, 3).sum(1.5), TypeError, None),
    ("sum_dims_with_str", lambda T: T.ones(2, 3).sum((0, "a")), TypeError, None),
    ("mean_dim_str", lambda T: T.mean(T.ones(2, 3), "0"), TypeError, None),
    ("softmax_dim_str", lambda T: T.softmax(T.ones(2, 3), "1"), TypeError, "must be int, not str"),
    (
        "softmax_dim_none",
        lambda T: T.softmax(T.ones(2), None),
        TypeError,
        "must be int, not NoneType",
    ),
    (
        "transpose_dim_str",
        lambda T: T.ones(2, 3).transpose("a", 1),
        TypeError,
        "must be int, not str",
    ),
    (
        "unsqueeze_dim_float",
        lambda T: T.ones(2).unsqueeze(1.0),
        TypeError,
        "must be int, not float",
    ),
    ("argmax_dim_str", lambda T: T.argmax(T.ones(2, 3), "a"), TypeError, "must be int, not str"),
    ("cat_dim_str", lambda T: T.cat([T.ones(2)], "a"), TypeError, "must be int, not str"),
    ("reshape_str", lambda T: T.ones(6).reshape("a"), TypeError, None),
    ("view_float", lambda T: T.ones(6).view(6.0), TypeError, None),
    ("expand_str", lambda T: T.ones(2).expand("a"), TypeError, None),
    ("topk_k_float", lambda T: T.topk(T.ones(3), 1.5), TypeError, "must be int, not float"),
    ("chunk_str", lambda T: T.ones(4).chunk("a"), TypeError, "must be int, not str"),
    ("narrow_start_str", lambda T: T.ones(4).narrow(0, "a", 1), TypeError, None),
    ("full_fill_str", lambda T: T.full((2,), "a"), TypeError, "must be Number, not str"),
    ("full_fill_none", lambda T: T.full((2,), None), TypeError, "must be Number, not NoneType"),
    (
        "full_like_fill_str",
        lambda T: T.full_like(T.ones(2), "a"),
        TypeError,
        "must be Number, not str",
    ),
    ("fill_str", lambda T: T.ones(2).fill_("a"), TypeError, None),
    (
        "setitem_str",
        lambda T: T.ones(2).__setitem__(0, "a"),
        TypeError,
        "can't assign a str to a torch.FloatTensor",
    ),
    ("index_str", lambda T: T.ones(2)["a"], TypeError, "new(): invalid data type 'str'"),
    (
        "keepdim_str",
        lambda T: T.ones(2, 3).sum(0, keepdim="yes"),
        TypeError,
        "sum(): argument 'keepdim' must be bool, not str",
    ),
    (
        "keepdim_int",
        lambda T: T.amax(T.ones(2, 3), 0, keepdim=1),
        TypeError,
        "argument 'keepdim' must be bool, not int",
    ),
    (
        "topk_largest_int",
        lambda T: T.topk(T.ones(3), 1, largest=1),
        TypeError,
        "topk(): argument 'largest' must be bool, not int",
    ),
    ("sort_descending_str", lambda T: T.sort(T.ones(3), descending="yes"), TypeError, None),
    (
        "requires_grad_str",
        lambda T: T.ones(2, requires_grad="yes"),
        TypeError,
        "argument 'requires_grad' must be bool, not str",
    ),
    (
        "requires_grad_int",
        lambda T: T.tensor([1.0], requires_grad=2),
        TypeError,
        "argument 'requires_grad' must be bool, not int",
    ),
    (
        "requires_grad__int",
        lambda T: T.ones(2).requires_grad_(1),
        TypeError,
        "must be bool, not int",
    ),
    (
        "div_rounding_mode_unknown",
        lambda T: T.div(T.ones(2), 2, rounding_mode="round"),
        RuntimeError,
        "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'",
    ),
    ("div_rounding_mode_int", lambda T: T.div(T.ones(2), 2, rounding_mode=1), TypeError, None),
    (
        "flatten_dims_reversed",
        lambda T: T.ones(2, 3).flatten(1, 0),
        RuntimeError,
        "start_dim cannot come after end_dim",
    ),
    (
        "tensor_of_none",
        lambda T: T.tensor([1, None]),
        RuntimeError,
        "Could not infer dtype of NoneType",
    ),
    ("tensor_of_dict", lambda T: T.tensor({1: 2}), RuntimeError, "Could not infer dtype of dict"),
    ("tensor_of_strs", lambda T: T.as_tensor(["a"]), ValueError, "too many dimensions 'str'"),
    ("tensor_of_str", lambda T: T.tensor("abc"), TypeError, "new(): invalid data type 'str'"),
    ("linspace_steps_float", lambda T: T.linspace(0, 1, 2.5), TypeError, None),
    ("eye_n_float", lambda T: T.eye(2.5), TypeError, "must be int, not float"),
    (
        "randperm_n_float",
        lambda T: T.randperm(2.5),
        TypeError,
        "randperm(): argument 'n' (position 1) must be int, not float",
    ),
    ("arange_end_none", lambda T: T.arange(None), TypeError, "must be Number, not NoneType"),
    (
        "sub_bool_tensor",
        lambda T: T.ones(2) - T.tensor([True, False]),
        RuntimeError,
        "Subtraction, the `-` operator, with a bool tensor is not supported",
    ),
    (
        "sub_two_bool_tensors",
        lambda T: T.tensor([True]) - T.tensor([False]),
        RuntimeError,
        "with two bool tensors is not supported",
    ),
    (
        "lt_complex",
        lambda T: T.ones(2) < 1j,
        NotImplementedError,
        "\"lt_cpu\" not implemented for 'ComplexFloat'",
    ),
    (
        "floor_divide_bool",
        lambda T: T.tensor([True]) // T.tensor([True]),
        NotImplementedError,
        "\"div_floor_cpu\" not implemented for 'Bool'",
    ),
    (
        "pow_bool_exponent",
        lambda T: T.tensor([True]) ** T.tensor([True]),
        NotImplementedError,
        "\"pow\" not implemented for 'Bool'",
    ),
    # --- negative or absurd sizes in creation functions
    (
        "randperm_negative",
        lambda T: T.randperm(-1),
        RuntimeError,
        "Trying to create tensor with negative dimension -1: [-1]",
    ),
    (
        "eye_negative_n",
        lambda T: T.eye(-1),
        RuntimeError,
        "n must be greater or equal to 0, got -1",
    ),
    (
        "eye_negative_m",
        lambda T: T.eye(2, -1),
        RuntimeError,
        "m must be greater or equal to 0, got -1",
    ),
    (
        "zeros_negative",
        lambda T: T.ones(2, -3),
        RuntimeError,
        "Trying to create tensor with negative dimension -3: [2, -3]",
    ),
    (
        "zeros_overflow",
        lambda T: T.zeros(2**62, 2**62),
        RuntimeError,
        "Storage size calculation overflowed with sizes=[4611686018427387904, 4611686018427387904]",
    ),
    (
        "empty_overflow",
        lambda T: T.empty(2**40, 2**40),
        RuntimeError,
        "Storage size calculation overflowed",
    ),
    (
        "zeros_size_past_int64",
        lambda T: T.zeros(10**20),
        TypeError,
        "argument 'size' failed to unpack the object at pos 1",
    ),
    (
        "arange_step_wrong_sign",
        lambda T: T.arange(0, 5, -1),
        RuntimeError,
        "upper bound and lower bound inconsistent with step sign",
    ),
    (
        "arange_step_wrong_sign_down",
        lambda T: T.arange(5, 0, 1),
        RuntimeError,
        "upper bound and lower bound inconsistent with step sign",
    ),
    (
        "arange_float_step_wrong_sign",
        lambda T: T.arange(0.0, 1.0, -0.1),
        RuntimeError,
        "upper bound and lower bound inconsistent with step sign",
    ),
    (
        "arange_infinite",
        lambda T: T.arange(0, float("inf")),
        RuntimeError,
        "unsupported range: 0 -> inf",
    ),
    (
        "arange_nan",
        lambda T: T.arange(0, float("nan")),
        RuntimeError,
        "unsupported range: 0 -> nan",
    ),
    ("arange_past_int64", lambda T: T.arange(0, 10**20), OverflowError, "int too big to convert"),
    (
        "arange_bool",
        lambda T: T.arange(3, dtype=T.bool),
        NotImplementedError,
        "\"arange_cpu\" not implemented for 'Bool'",
    ),
    (
        "linspace_bool",
        lambda T: T.linspace(0, 1, 3, dtype=T.bool),
        NotImplementedError,
        "\"linspace_cpu\" not implemented for 'Bool'",
    ),
    (
        "expand_negative_new_dim",
        lambda T: T.ones(2, 3).expand(-1, 2, 3),
        RuntimeError,
        "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
    ),
    (
        "reshape_negative",
        lambda T: T.ones(6).reshape(-2, 3),
        RuntimeError,
        "invalid shape dimension -2 at index 0 of shape [-2, 3]",
    ),
    (
        "narrow_negative_length",
        lambda T: T.ones(2, 3).narrow(0, 0, -1),
        RuntimeError,
        "narrow(): length must be non-negative.",
    ),
    # --- RNG arguments
    (
        "seed_past_uint64",
        lambda T: T.manual_seed(2**64),
        ValueError,
        "Overflow when unpacking long long",
    ),
    (
        "seed_below_int64",
        lambda T: T.manual_seed(-(2**63) - 1),
        ValueError,
        "Overflow when unpacking long long",
    ),
    ("generator_str", lambda T: T.rand(2, generator="a"), TypeError, None),
    ("generator_int", lambda T: T.randn(2, generator=1), TypeError, None),
    ("generator_object", lambda T: T.randint(0, 3, (2,), generator=object()), TypeError, None),
    ("generator_list", lambda T: T.randperm(3, generator=[1]), TypeError, None),
    (
        "randint_empty_range",
        lambda T: T.randint(5, 5, (2,)),
        RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=5 >= to=5",
    ),
    (
        "randint_low_above_high",
        lambda T: T.randint(5, 2, (2,)),
        RuntimeError,
        "but got from=5 >= to=2",
    ),
    ("randint_high_zero", lambda T: T.randint(0, (2,)), RuntimeError, "but got from=0 >= to=0"),
    ("randint_float_bounds", lambda T: T.randint(0.5, 3.5, (2,)), TypeError, None),
    ("randint_size_int", lambda T: T.randint(0, 3, 2), TypeError, None),
    (
        "randint_uint8_negative",
        lambda T: T.randint(-1, 3, (2,), dtype=T.uint8),
        RuntimeError,
        "from is out of bounds for unsigned char",
    ),
    (
        "randint_int8_too_high",
        lambda T: T.randint(0, 300, (2,), dtype=T.int8),
        RuntimeError,
        "to - 1 is out of bounds for signed char",
    ),
    (
        "randint_bool_too_high",
        lambda T: T.randint(0, 3, (2,), dtype=T.bool),
        RuntimeError,
        "to - 1 is out of bounds for bool",
    ),
    (
        "rand_long",
        lambda T: T.rand(2, dtype=T.long),
        NotImplementedError,
        "\"check_uniform_bounds\" not implemented for 'Long'",
    ),
    (
        "randn_int",
        lambda T: T.randn(2, dtype=T.int32),
        NotImplementedError,
        "\"normal_kernel_cpu\" not implemented for 'Int'",
    ),
    (
        "rand_like_long",
        lambda T: T.rand_like(T.ones(2, dtype=T.long)),
        NotImplementedError,
        "not implemented for 'Long'",
    ),
    (
        "normal__long",
        lambda T: T.ones(2, dtype=T.long).normal_(),
        NotImplementedError,
        "\"normal_kernel_cpu\" not implemented for 'Long'",
    ),
    (
        "randperm_bool",
        lambda T: T.randperm(3, dtype=T.bool),
        NotImplementedError,
        "\"randperm\" not implemented for 'Bool'",
    ),
    (
        "randperm_half_too_long",
        lambda T: T.randperm(3000, dtype=T.float16),
        RuntimeError,
        "n cannot be greater than 2049 for Half type.",
    ),
    (
        "randperm_int8_too_long",
        lambda T: T.randperm(300, dtype=T.int8),
        RuntimeError,
        "value cannot be converted to type int8_t without overflow",
    ),
    (
        "normal__negative_std",
        lambda T: T.ones(2).normal_(0, -1),
        RuntimeError,
        "normal expects std >= 0.0, but found std -1",
    ),
    (
        "uniform__empty_range",
        lambda T: T.ones(2).uniform_(1, 0),
        RuntimeError,
        "uniform_ expects to return a [from, to) range, but found from=1 > to=0",
    ),
    # --- a tensor hook that returns a gradient of the wrong shape, type or kind
    (
        "hook_shape_leaf",
        lambda T: _hook(T, lambda g: T.ones(2, 3)),
        RuntimeError,
        "hook '<lambda>' has changed the size of value",
    ),
    (
        "hook_shape_nonleaf",
        lambda T: _hook(T, lambda g: T.ones(2, 2), leaf=False),
        RuntimeError,
        "hook '<lambda>' has changed the size of value",
    ),
    (
        "hook_broadcast_shape",
        lambda T: _hook(T, lambda g: g * T.ones(2, 1), leaf=False),
        RuntimeError,
        "has changed the size of value",
    ),
    (
        "hook_dtype",
        lambda T: _hook(T, lambda g: g.double()),
        RuntimeError,
        "has changed the type of value (was torch.FloatTensor got torch.DoubleTensor)",
    ),
    (
        "hook_dtype_int",
        lambda T: _hook(T, lambda g: g.long(), leaf=False),
        RuntimeError,
        "(was torch.FloatTensor got torch.LongTensor)",
    ),
    (
        "hook_named_function",
        lambda T: _hook(T, _bad_shape_hook),
        RuntimeError,
        "hook '_bad_shape_hook' has changed the size of value",
    ),
    (
        "hook_returns_float",
        lambda T: _hook(T, lambda g: 1.0),
        TypeError,
        "expected Variable, but hook returned 'float'",
    ),
    (
        "hook_returns_list",
        lambda T: _hook(T, lambda g: [g]),
        TypeError,
        "expected Variable, but hook returned 'list'",
    ),
    (
        "hook_on_max_values",
        lambda T: _hook_multi(T, lambda g: g[:1]),
        RuntimeError,
        "has changed the size of value",
    ),
    # found by comparing ~160 calls with bad arguments against torch
    ("neg_bool", lambda T: -T.tensor([True, False]), RuntimeError, "on a bool tensor"),
    ("neg_bool_fn", lambda T: T.neg(T.tensor([True])), RuntimeError, "Negation"),
    ("clamp_str", lambda T: T.clamp(T.ones(2), "a"), TypeError, "clamp()"),
    ("clamp_max_str", lambda T: T.clamp(T.ones(2), max="a"), TypeError, "clamp()"),
    ("cat_one_tensor", lambda T: T.cat(T.ones(2)), TypeError, "must be tuple of Tensors"),
    ("stack_one_tensor", lambda T: T.stack(T.ones(2)), TypeError, "must be tuple of Tensors"),
    ("flip_dims_twice", lambda T: T.ones(2, 3).flip(0, 0), RuntimeError, "multiple times"),
    ("softmax_long", lambda T: T.softmax(T.tensor([1, 2]), 0), NotImplementedError, "'Long'"),
    (
        "log_softmax_bool",
        lambda T: T.ones(2, 2, dtype=T.bool).log_softmax(0),
        NotImplementedError,
        "log_softmax_kernel_impl",
    ),
    ("max_empty", lambda T: T.ones(0).max(), RuntimeError, "numel() == 0"),
    ("amin_empty", lambda T: T.ones(2, 0).amin(), RuntimeError, "numel() == 0"),
    ("argmax_empty", lambda T: T.ones(0).argmax(), IndexError, "numel() == 0"),
    ("argmin_empty", lambda T: T.ones(0, 3).argmin(), IndexError, "numel() == 0"),
    ("max_complex", lambda T: T.ones(2, dtype=T.complex64).max(), NotImplementedError, "max_all"),
    ("min_complex_dim", lambda T: T.ones(2, dtype=T.complex64).min(0), RuntimeError, "complex"),
    ("sign_complex", lambda T: T.ones(2, dtype=T.complex64).sign(), NotImplementedError, "sgn"),
    ("floor_bool", lambda T: T.floor(T.tensor([True])), NotImplementedError, "'Bool'"),
    ("round_bool", lambda T: T.tensor([True]).round(), NotImplementedError, "round_vml_cpu"),
    ("trunc_bool", lambda T: T.tensor([True]).trunc(), NotImplementedError, "trunc_vml_cpu"),
    ("lerp_end_dtype", lambda T: T.lerp(T.ones(2), T.ones(2).double(), 0.5), RuntimeError, "`end`"),
    (
        "lerp_weight_dtype",
        lambda T: T.lerp(T.ones(2), T.ones(2), T.ones(2).double()),
        RuntimeError,
        "expected dtype float for `weight` but got dtype double",
    ),
    ("outer_2d", lambda T: T.outer(T.ones(2), T.ones(2, 2)), RuntimeError, "Expected 1-D"),
    ("allclose_shapes", lambda T: T.allclose(T.ones(2, 3), T.ones(4)), RuntimeError, "size"),
    ("bincount_float", lambda T: T.bincount(T.ones(3)), NotImplementedError, "'Float'"),
    ("einsum_sizes", lambda T: T.einsum("ij,jk", T.ones(2, 3), T.ones(2, 3)), RuntimeError, None),
    ("nonzero_as_tuple_int", lambda T: T.ones(2).nonzero(as_tuple=5), TypeError, "as_tuple"),
]


def _hook(T, fn, leaf=True):
    a = T.ones(3, requires_grad=True)
    b = a if leaf else a * 2
    b.register_hook(fn)
    (b * 3).sum().backward()
    return a.grad


def _bad_shape_hook(g):
    return g[:1]


def _hook_multi(T, fn):
    a = T.tensor([[1.0, 2.0], [4.0, 3.0]], requires_grad=True)
    values, _ = T.max(a, 1)
    values.register_hook(fn)
    values.sum().backward()
    return a.grad


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # torch's, for x["a"]
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_error_matches_torch(case):
    _, fn, exc, fragment = case
    with raises(exc) as t_err:
        fn(torch)
    with raises(exc) as m_err:
        fn(mytorch)
    if fragment is not None:
        assert fragment in str(t_err.value), "the fragment must be torch's own words"
        assert fragment in str(m_err.value)


def test_failed_op_leaves_inputs_untouched():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError):
        x * mytorch.ones(3)
    assert x.grad is None and x.is_leaf and x.tolist() == [1.0, 2.0]
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_failed_backward_leaves_grads_and_graph_usable():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with raises(RuntimeError, match="Mismatch in shape"):
        y.backward(mytorch.ones(3))
    assert x.grad is None
    with raises(RuntimeError, match="implicitly created only for scalar outputs"):
        y.backward()
    y.backward(mytorch.tensor([1.0, 1.0]))
    assert x.grad.tolist() == [2.0, 4.0]


def test_failed_grad_call_leaves_graph_usable():
    x, unused = mytorch.tensor(2.0, requires_grad=True), mytorch.tensor(1.0, requires_grad=True)
    y = x**3
    with raises(RuntimeError, match="not have been used"):
        mytorch.autograd.grad(y, [x, unused], create_graph=False, retain_graph=True)
    (g,) = mytorch.autograd.grad(y, [x])
    assert g.item() == 12.0


def test_failed_setitem_leaves_tensor_unchanged():
    m = mytorch.tensor([1.0, 2.0, 3.0])
    with raises(IndexError):
        m[3] = 0.0
    with raises(RuntimeError):  # torch's class
        m[:2] = mytorch.ones(3)
    assert m.tolist() == [1.0, 2.0, 3.0]


def test_refused_in_place_writes_leave_the_tensor_unchanged():
    m = mytorch.tensor([1.0, 2.0, 3.0])
    for bad in [
        lambda: m.fill_("a"),
        lambda: m.__setitem__(0, "a"),
        lambda: m.normal_(0, -1),
        lambda: m.uniform_(1, 0),
        lambda: m.requires_grad_("yes"),
    ]:
        with pytest.raises(Exception) as e:  # each raises torch's class (CASES checks which)
            bad()
        assert type(e.value) in (TypeError, RuntimeError)
    assert m.tolist() == [1.0, 2.0, 3.0] and m._version == 0 and not m.requires_grad


def test_failed_hook_leaves_no_gradient_behind():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g[:1])
    with raises(RuntimeError, match="has changed the size of value"):
        (x * 2).sum().backward()
    assert x.grad is None


@pytest.mark.torch
def test_python_number_types_are_dtypes_as_in_torch():
    for T in (mytorch, torch):
        assert T.ones(2, dtype=float).dtype == T.float64
        assert T.zeros(2, dtype=int).dtype == T.int64
        assert T.full((2,), 1, dtype=bool).dtype == T.bool
        assert T.ones(2).to(float).dtype == T.float64
        assert T.ones(2).to(dtype=int).dtype == T.int64


@pytest.mark.torch
def test_where_of_shapes_that_do_not_broadcast_raises_torchs_error():
    raises_like(
        lambda T: T.where(T.ones(3) > 0, T.ones(3), T.ones(4)),
        ["The size of tensor a (3) must match the size of tensor b (4)"],
        RuntimeError,
    )


@pytest.mark.torch
def test_allclose_broadcasts_different_shapes_without_error():
    """Shapes that broadcast but differ (the error path must not run for them)."""
    for a, b in (((3, 1), (3,)), ((2, 3), (3,)), ((1,), (2, 2))):
        got = mytorch.allclose(mytorch.ones(*a), mytorch.ones(*b))
        assert got is torch.allclose(torch.ones(*a), torch.ones(*b)) is True
