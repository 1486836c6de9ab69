"""The Tensor core against torch: construction and dtype inference, metadata, conversions,
leaf/grad bookkeeping and the in-place helpers."""

import numpy as np
import pytest
from helpers import assert_matches, dtype_str, raises

import mytorch

try:
    import torch
except ImportError:
    torch = None


# --- tensor() and dtype inference ---------------------------------------------------------
DATA = [
    3.5,
    7,
    True,
    [1.0, 2.0],
    [1, 2, 3],
    [True, False],
    [[1, 2], [3, 4]],
    [[1.5], [2.5]],
    [1, 2.5],  # mixed int/float -> float32
    [True, 2],  # mixed bool/int -> int64
    [],
    [[]],
    np.array([1, 2], dtype=np.int32),
    np.array([1.0, 2.0]),  # NumPy float64 keeps its dtype
    np.array([1, 2], dtype=np.uint8),
    np.array([0.5], dtype=np.float16),
    np.array(True),
    np.float64(2.5),
    np.int16(4),
]


@pytest.mark.torch
@pytest.mark.parametrize("data", DATA, ids=[f"{i}-{type(d).__name__}" for i, d in enumerate(DATA)])
def test_tensor_infers_dtype_like_torch(data):
    m, t = mytorch.tensor(data), torch.tensor(data)
    assert_matches(m, t)
    assert m.tolist() == t.tolist()


@pytest.mark.torch
@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"]
)
def test_tensor_with_explicit_dtype(dtype):
    m = mytorch.tensor([0, 1, 2], dtype=getattr(mytorch, dtype))
    t = torch.tensor([0, 1, 2], dtype=getattr(torch, dtype))
    assert_matches(m, t)
    assert m.dtype is getattr(mytorch, dtype)
    assert repr(m.dtype) == str(t.dtype)


@pytest.mark.torch
def test_dtype_aliases_match_torch():
    for name in ["float", "double", "half", "long", "int", "short", "bool", "float32", "uint8"]:
        assert repr(getattr(mytorch, name)) == str(getattr(torch, name)), name
    assert mytorch.get_default_dtype() is mytorch.float32
    for name in ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"]:
        m, t = getattr(mytorch, name), getattr(torch, name)
        assert m.is_floating_point == t.is_floating_point, name
        assert m.itemsize == t.itemsize, name


@pytest.mark.torch
def test_constants_match_torch():
    # Regression: torch.pi / torch.inf / torch.nan / torch.e / torch.newaxis were missing.
    for name in ["e", "pi", "inf"]:
        m, t = getattr(mytorch, name), getattr(torch, name)
        assert type(m) is type(t) and m == t, name
    assert type(mytorch.nan) is float and mytorch.nan != mytorch.nan
    assert mytorch.newaxis is torch.newaxis is None
    x = np.arange(6.0).reshape(2, 3)
    assert_matches(mytorch.tensor(x)[:, mytorch.newaxis], torch.tensor(x)[:, torch.newaxis])


@pytest.mark.torch
def test_tensor_with_float64_dtype_keeps_python_precision():
    # Regression: the values once went through the default float32 before the requested dtype.
    m = mytorch.tensor([0.7, 1 / 3], dtype=mytorch.float64)
    t = torch.tensor([0.7, 1 / 3], dtype=torch.float64)
    assert m.tolist() == t.tolist() == [0.7, 1 / 3]
    assert mytorch.tensor(0.1, dtype=mytorch.float64).item() == 0.1


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    m = mytorch.tensor(a)
    a[0] = 100.0
    assert m.tolist() == [1.0, 2.0]


def test_from_numpy_shares_memory():
    a = np.array([1.0, 2.0])
    m = mytorch.from_numpy(a)
    a[0] = 100.0
    assert m.tolist() == [100.0, 2.0]
    assert m.dtype is mytorch.float64


def test_tensor_of_tensors_in_a_list():
    m = mytorch.tensor([mytorch.tensor(1.0), mytorch.tensor(2.5)])
    assert m.tolist() == [1.0, 2.5] and m.dtype is mytorch.float32


@pytest.mark.torch
def test_integer_tensor_cannot_require_grad():
    with raises(
        RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"
    ):
        mytorch.tensor(3, requires_grad=True)
    with raises(
        RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"
    ):
        torch.tensor(3, requires_grad=True)
    with raises(RuntimeError, match="floating point"):
        mytorch.tensor([1, 2]).requires_grad_()
    with raises(RuntimeError, match="floating point"):
        mytorch.zeros(2, dtype=mytorch.int64, requires_grad=True)


@pytest.mark.torch
def test_unsupported_numpy_dtype_is_type_error():
    with raises(TypeError):
        torch.tensor(np.array(["a"]))
    with raises(TypeError):
        mytorch.tensor(np.array(["a"]))
    with raises(TypeError):
        mytorch.tensor("abc")


# --- metadata -----------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 4), (0, 3)])
def test_shape_size_dim_numel(shape):
    m, t = mytorch.zeros(shape), torch.zeros(shape)
    assert m.shape == t.shape and tuple(m.shape) == shape
    assert repr(m.shape) == repr(t.shape)
    assert isinstance(m.shape, tuple) and isinstance(m.size(), tuple)
    assert m.size() == t.size()
    assert m.dim() == t.dim() == m.ndim == len(shape)
    assert m.numel() == t.numel() == m.nelement()
    for d in range(-len(shape), len(shape)):
        assert m.size(d) == t.size(d)
    if shape:
        assert len(m) == len(t)
        assert m.shape[1:] == t.shape[1:] and repr(m.shape[1:]) == repr(t.shape[1:])


@pytest.mark.torch
def test_size_with_bad_dim_is_index_error():
    with raises(IndexError, match="Dimension out of range"):
        mytorch.zeros(2, 3).size(2)
    with raises(IndexError, match="Dimension out of range"):
        torch.zeros(2, 3).size(2)


def test_len_of_0d_is_type_error():
    with raises(TypeError):
        len(mytorch.tensor(1.0))
    with raises(TypeError):
        iter(mytorch.tensor(1.0))


@pytest.mark.torch
def test_iteration_yields_rows():
    m = mytorch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows_m, rows_t = list(m), list(t)
    assert len(rows_m) == 2
    for rm, rt in zip(rows_m, rows_t):
        assert_matches(rm, rt)
    sum(r.sum() * (i + 1) for i, r in enumerate(rows_m)).backward()
    sum(r.sum() * (i + 1) for i, r in enumerate(rows_t)).backward()
    assert_matches(m.grad, t.grad)


# --- item / tolist / numpy / Python numbers -----------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("value", [2.5, -3, True, [[1.5, 2.0]], [7]])
def test_item_tolist_and_python_numbers(value):
    m, t = mytorch.tensor(value), torch.tensor(value)
    assert m.tolist() == t.tolist()
    assert type(m.tolist()) is type(t.tolist())
    if t.numel() == 1:
        assert m.item() == t.item() and type(m.item()) is type(t.item())
        assert float(m) == float(t) and int(m) == int(t) and bool(m) == bool(t)
        assert type(float(m)) is float and type(int(m)) is int


@pytest.mark.torch
def test_item_of_many_elements_is_runtime_error():
    with raises(RuntimeError, match="cannot be converted to Scalar"):
        mytorch.ones(3).item()
    with raises(RuntimeError, match="cannot be converted to Scalar"):
        torch.ones(3).item()
    with raises(RuntimeError, match="ambiguous"):
        bool(mytorch.ones(2))
    with raises(RuntimeError, match="ambiguous"):
        bool(torch.ones(2))


@pytest.mark.torch
@pytest.mark.parametrize("spec", [".2f", ".3e", "", "8.1f", "g"])
def test_format_of_0d(spec):
    m, t = mytorch.tensor(3.14159), torch.tensor(3.14159)
    assert format(m, spec) == format(t, spec)
    assert f"{mytorch.tensor(7):d}" == f"{torch.tensor(7):d}"


def test_index_protocol():
    assert [10, 20, 30][mytorch.tensor(1)] == 20
    with raises(TypeError):
        [10, 20][mytorch.tensor(1.0)]


def test_numpy_shares_memory_and_refuses_requires_grad():
    m = mytorch.tensor([1.0, 2.0])
    a = m.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 5.0
    assert m.tolist() == [5.0, 2.0]
    r = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        r.numpy()
    np.testing.assert_array_equal(r.detach().numpy(), [1.0, 2.0])
    with raises(RuntimeError, match=r"detach\(\).numpy\(\)"):  # as torch's __array__
        np.asarray(r)
    assert np.asarray(r.detach()).tolist() == [1.0, 2.0]


# --- autograd bookkeeping on tensors ------------------------------------------------------
def test_leaf_flags():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.requires_grad and x.grad_fn is None and x.grad is None
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    c = mytorch.tensor([1.0])
    assert c.is_leaf and not c.requires_grad
    assert not (c * 2).requires_grad and (c * 2).is_leaf


def test_detach_shares_data_but_not_graph():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.tolist() == [3.0, 6.0]
    d.numpy()[0] = -1.0  # shares memory with y, as in torch
    assert y.tolist()[0] == -1.0
    z = (d * x).sum()
    z.backward()
    assert x.grad.tolist() == [-1.0, 6.0]


def test_requires_grad_setter_and_method():
    x = mytorch.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad
    y = x * 2
    with raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_retain_grad_on_non_leaf():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * 3
    z.sum().backward()
    assert y.retains_grad and not x.retains_grad
    assert y.grad.tolist() == [3.0, 3.0]
    assert z.grad is None  # non-leaves keep no .grad unless asked
    assert x.grad.tolist() == [6.0, 12.0]


def test_retain_grad_on_leaf_is_noop_and_refused_without_grad():
    x = mytorch.tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]
    with raises(RuntimeError, match="requires_grad=False"):
        mytorch.tensor([1.0]).retain_grad()


def test_zero_clone_and_grad_zero():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.zero_() is x.grad
    assert x.grad.tolist() == [0.0, 0.0]
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not c.is_leaf
    c2 = x.detach().clone()
    c2.zero_()
    assert x.tolist() == [1.0, 2.0]
    with raises(RuntimeError, match="leaf Variable that requires grad"):
        x.zero_()
    with mytorch.no_grad():
        x.zero_()  # allowed under no_grad, as in torch
    assert x.tolist() == [0.0, 0.0]


def test_data_get_and_set():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.tolist() == [1.0, 2.0]
    x.data = mytorch.tensor([5.0, 6.0])
    assert x.requires_grad and x.is_leaf and x.tolist() == [5.0, 6.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [10.0, 12.0]


def test_grad_setter_checks_shape():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = mytorch.tensor([0.5, 0.5])
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.5, 2.5]
    with raises(RuntimeError, match="different size"):
        x.grad = mytorch.zeros(3)
    x.grad = None
    assert x.grad is None


@pytest.mark.torch
@pytest.mark.parametrize("method", ["float", "double", "half", "int", "long", "bool"])
def test_conversion_methods(method):
    m, t = mytorch.tensor([0.0, 1.5, -2.7]), torch.tensor([0.0, 1.5, -2.7])
    assert_matches(getattr(m, method)(), getattr(t, method)())


@pytest.mark.torch
def test_to_dtype_is_differentiable():
    m, t = (
        mytorch.tensor([1.5, 2.0], requires_grad=True),
        torch.tensor([1.5, 2.0], requires_grad=True),
    )
    ym, yt = m.to(mytorch.float64) ** 2, t.to(torch.float64) ** 2
    assert_matches(ym, yt)
    ym.sum().backward()
    yt.sum().backward()
    assert_matches(m.grad, t.grad)
    assert m.to(mytorch.float32) is m


def test_device_is_cpu():
    m = mytorch.ones(2)
    assert str(m.device) == "cpu" and not m.is_cuda
    assert m.cpu() is m and m.to("cpu") is m


def test_tensor_is_hashable_by_identity():
    a, b = mytorch.ones(1), mytorch.ones(1)
    assert len({a, b, a}) == 2


# --- in-place ops -------------------------------------------------------------------------
@pytest.mark.torch
def test_inplace_arithmetic_matches_torch():
    m, t = mytorch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    for fn in (
        lambda a: a.add_(1),
        lambda a: a.mul_(2),
        lambda a: a.sub_(0.5),
        lambda a: a.div_(4),
    ):
        assert fn(m) is m
        fn(t)
        assert_matches(m, t)
    m += 1
    t += 1
    m *= mytorch.tensor([1.0, 0.0, 2.0])
    t *= torch.tensor([1.0, 0.0, 2.0])
    assert_matches(m, t)


@pytest.mark.torch
def test_inplace_cannot_change_dtype_category():
    m, t = mytorch.tensor([1, 2]), torch.tensor([1, 2])
    with raises(RuntimeError, match="can't be cast"):
        m.add_(0.5)
    with raises(RuntimeError, match="can't be cast"):
        t.add_(0.5)
    assert m.tolist() == [1, 2] and m.dtype is mytorch.int64


def test_failed_inplace_leaves_tensor_unchanged():
    m = mytorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    before = m.tolist()
    with raises(RuntimeError):
        m.add_(mytorch.ones(3))
    assert m.tolist() == before
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, match="leaf Variable"):
        x.mul_(2)
    assert x.tolist() == [1.0, 2.0] and x.is_leaf and x.grad_fn is None


def test_inplace_broadcast_past_shape_is_runtime_error():
    m = mytorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    with raises(RuntimeError, match="doesn't match the broadcast shape"):
        m.mul_(mytorch.ones(2, 2, 2))
    assert m.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_inplace_on_non_leaf_without_self_in_vjp():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.add_(x)
    y.mul_(3.0)
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 15.0]  # d/dx 3(x^2 + x) = 6x + 3
    assert y.grad_fn.name() == "MulBackward0"


def test_inplace_on_non_leaf_is_differentiable():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.mul_(x)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_setitem_without_grad():
    m = mytorch.zeros(2, 3)
    m[0, 1] = 5.0
    m[1] = mytorch.tensor([1.0, 2.0, 3.0])
    assert m.tolist() == [[0.0, 5.0, 0.0], [1.0, 2.0, 3.0]]
    with raises(IndexError):
        m[2, 0] = 1.0


def test_dtype_str_helper_agrees():
    # The helper the torch comparisons rely on reads both libraries' dtype the same way.
    assert dtype_str(mytorch.ones(1, dtype=mytorch.float64)) == "torch.float64"
