"""Errors raise PyTorch's exception class with a message naming the cause, and leave nothing
half-updated behind."""

import pytest
from helpers import raises

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
]


@pytest.mark.torch
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
