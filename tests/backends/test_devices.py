"""Devices: creation with ``device=``, device objects, moves between devices (and their
gradients), device mismatch errors, host conversions, printing, indexing and a training loop
that stays on the stand-in device (tests/backends/standin.py; conftest.py registers it as
device type ``standin``).

PyTorch (the CPU build) is the oracle wherever it can run the same thing on the CPU: values and
dtypes of the CPU computation, exception types and messages.
"""

import importlib.util

import numpy as np
import pytest
from helpers import raises
from backends.standin import StandinArray, counts, reset_counts

import mytorch

try:
    import torch
except ImportError:  # torch-marked tests are skipped by conftest.py
    torch = None

STANDIN = "standin"
STANDIN0 = "standin:0"
MISMATCH = (
    "Expected all tensors to be on the same device, but found at least two devices, "
    "standin:0 and cpu!"
)
NO_CUPY = pytest.mark.skipif(
    importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here"
)


def S(data, **kwargs):
    """A tensor on the stand-in device."""
    return mytorch.tensor(data, device=STANDIN, **kwargs)


def host(t):
    """The values of a tensor of either library (any device) as a NumPy array."""
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach().cpu().numpy())


def on_standin(t):
    """``t`` is a mytorch tensor whose data is a stand-in array on standin:0."""
    assert isinstance(t, mytorch.Tensor)
    assert t.device == mytorch.device(STANDIN, 0), t.device
    assert str(t.device) == STANDIN0
    assert type(t._data).__name__ == "StandinArray", type(t._data)
    return True


def on_cpu(t):
    assert isinstance(t, mytorch.Tensor)
    assert t.device == mytorch.device("cpu"), t.device
    assert not isinstance(t._data, StandinArray)
    return True


def same_values(m, expected, **tol):
    a = host(m)
    b = host(expected) if not isinstance(expected, np.ndarray) else expected
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, **(tol or dict(rtol=1e-6, atol=1e-7)))
    else:
        np.testing.assert_array_equal(a, b)
    return True


def error_of(fn):
    """(exception type, message) that ``fn()`` raises; None if it returns."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (any exception is the result)
        return type(e), str(e)
    return None


# --- 1. creation with device= ---------------------------------------------------------------

# Each factory runs with (library, device): mytorch on standin, mytorch on cpu, torch on cpu.
DETERMINISTIC = {
    "tensor_floats": lambda L, d: L.tensor([[1.5, -2.0], [0.25, 4.0]], device=d),
    "tensor_ints": lambda L, d: L.tensor([3, -1, 7], device=d),
    "tensor_bools": lambda L, d: L.tensor([True, False], device=d),
    "tensor_float_scalar": lambda L, d: L.tensor(0.5, device=d),
    "tensor_int_scalar": lambda L, d: L.tensor(7, device=d),
    "tensor_dtype": lambda L, d: L.tensor([1, 2], dtype=L.float64, device=d),
    "tensor_int32": lambda L, d: L.tensor([1, 2], dtype=L.int32, device=d),
    "zeros": lambda L, d: L.zeros(2, 3, device=d),
    "zeros_tuple_int32": lambda L, d: L.zeros((2, 3), dtype=L.int32, device=d),
    "ones": lambda L, d: L.ones(4, device=d),
    "ones_float64": lambda L, d: L.ones(2, 2, dtype=L.float64, device=d),
    "full_float": lambda L, d: L.full((2, 2), 2.5, device=d),
    "full_int": lambda L, d: L.full((3,), 4, device=d),
    "full_bool": lambda L, d: L.full((2,), True, device=d),
    "arange_int": lambda L, d: L.arange(5, device=d),
    "arange_float": lambda L, d: L.arange(0.0, 1.0, 0.25, device=d),
    "arange_step": lambda L, d: L.arange(1, 10, 3, device=d),
    "linspace": lambda L, d: L.linspace(0, 1, 5, device=d),
    "linspace_float64": lambda L, d: L.linspace(-1, 1, 4, dtype=L.float64, device=d),
    "eye": lambda L, d: L.eye(3, device=d),
    "eye_rect": lambda L, d: L.eye(2, 3, device=d),
}

# Values are not deterministic: shape and dtype only.
SHAPE_ONLY = {
    "empty": lambda L, d: L.empty(2, 3, device=d),
    "empty_int64": lambda L, d: L.empty(4, dtype=L.int64, device=d),
    "rand": lambda L, d: L.rand(3, 2, device=d),
    "rand_float64": lambda L, d: L.rand(5, dtype=L.float64, device=d),
    "randn": lambda L, d: L.randn(2, 3, device=d),
    "randint_high": lambda L, d: L.randint(10, (3, 4), device=d),
    "randint_low_high": lambda L, d: L.randint(-3, 3, (50,), device=d),
    "randint_int32": lambda L, d: L.randint(0, 5, (6,), dtype=L.int32, device=d),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_factory_on_standin_matches_cpu_and_torch(name):
    make = DETERMINISTIC[name]
    m = make(mytorch, STANDIN)
    assert on_standin(m)
    c = make(mytorch, "cpu")
    t = make(torch, "cpu")
    assert repr(m.dtype) == str(t.dtype) == repr(c.dtype)
    assert tuple(m.shape) == tuple(t.shape)
    assert same_values(m, c)
    assert same_values(m, t.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SHAPE_ONLY))
def test_random_and_empty_factories_on_standin(name):
    make = SHAPE_ONLY[name]
    m = make(mytorch, STANDIN)
    t = make(torch, "cpu")
    assert on_standin(m)
    assert repr(m.dtype) == str(t.dtype)
    assert tuple(m.shape) == tuple(t.shape)


def test_random_values_lie_in_their_range_on_standin():
    u = host(mytorch.rand(1000, device=STANDIN))
    assert 0.0 <= u.min() and u.max() < 1.0
    n = host(mytorch.randn(4000, device=STANDIN, dtype=mytorch.float64))
    assert abs(n.mean()) < 0.1 and 0.9 < n.std() < 1.1
    i = host(mytorch.randint(-3, 3, (1000,), device=STANDIN))
    assert i.min() == -3 and i.max() == 2


def test_random_draws_are_made_on_the_device_and_reproducible():
    # The device draws with its own generator (as torch's CUDA does): no host data crosses.
    mytorch.manual_seed(7)
    reset_counts()
    a = mytorch.randn(5, device=STANDIN)
    assert counts() == {"to_host": 0, "to_device": 0, "scalar": 0}
    mytorch.manual_seed(7)
    b = mytorch.randn(5, device=STANDIN)
    assert on_standin(a) and same_values(a, b)


@pytest.mark.parametrize("factory", ["zeros", "ones", "rand", "randn", "tensor"])
def test_factory_requires_grad_on_standin(factory):
    if factory == "tensor":
        t = mytorch.tensor([1.0, 2.0], device=STANDIN, requires_grad=True)
    else:
        t = getattr(mytorch, factory)(2, device=STANDIN, requires_grad=True)
    assert on_standin(t)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None


def test_factory_device_object_and_indexed_string():
    for dev in (mytorch.device(STANDIN), mytorch.device(STANDIN, 0), STANDIN0):
        assert on_standin(mytorch.zeros(2, device=dev))
        assert on_standin(mytorch.tensor([1.0], device=dev))


LIKE = {
    "zeros_like": lambda L, x, **k: L.zeros_like(x, **k),
    "ones_like": lambda L, x, **k: L.ones_like(x, **k),
    "full_like": lambda L, x, **k: L.full_like(x, 3, **k),
    "empty_like": lambda L, x, **k: L.empty_like(x, **k),
    "rand_like": lambda L, x, **k: L.rand_like(x, **k),
    "randn_like": lambda L, x, **k: L.randn_like(x, **k),
}
LIKE_DETERMINISTIC = ("zeros_like", "ones_like", "full_like")


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(LIKE))
def test_like_functions_follow_the_input_device(name):
    like = LIKE[name]
    x = S([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    r = like(mytorch, x)
    assert on_standin(r)
    t = like(torch, torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert repr(r.dtype) == str(t.dtype)
    assert tuple(r.shape) == tuple(t.shape)
    if name in LIKE_DETERMINISTIC:
        assert same_values(r, t.numpy())
    # dtype= and device= still override.
    r64 = like(mytorch, x, dtype=mytorch.float64)
    assert on_standin(r64) and r64.dtype is mytorch.float64
    assert on_cpu(like(mytorch, x, device="cpu"))
    # and a CPU input with device="standin" lands there.
    assert on_standin(like(mytorch, mytorch.ones(2), device=STANDIN))


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_like_functions_keep_a_non_float_dtype_on_standin(dtype):
    x = S(np.array([1, 0, 1], dtype=dtype))
    for name in ("zeros_like", "ones_like", "full_like", "empty_like"):
        r = LIKE[name](mytorch, x)
        t = LIKE[name](torch, torch.tensor(np.array([1, 0, 1], dtype=dtype)))
        assert on_standin(r)
        assert repr(r.dtype) == str(t.dtype), name
        if name != "empty_like":
            assert same_values(r, t.numpy())


NEW = {
    "new_zeros": lambda x: x.new_zeros(2, 3),
    "new_zeros_tuple": lambda x: x.new_zeros((2,)),
    "new_ones": lambda x: x.new_ones((3,)),
    "new_full_float": lambda x: x.new_full((2, 2), 3.5),
    "new_full_int": lambda x: x.new_full((2,), 3),
    "new_tensor_ints": lambda x: x.new_tensor([1, 2]),
    "new_tensor_floats": lambda x: x.new_tensor([[0.5, 1.5]]),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(NEW))
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_methods_follow_the_tensor_device_and_dtype(name, dtype):
    values = np.array([1, 2, 3], dtype=dtype)
    m = NEW[name](S(values))
    t = NEW[name](torch.tensor(values))
    assert on_standin(m)
    assert repr(m.dtype) == str(t.dtype)
    assert same_values(m, t.numpy())
    assert not m.requires_grad


def test_new_methods_take_device_and_requires_grad():
    x = S([1.0, 2.0])
    assert on_cpu(x.new_zeros(2, device="cpu"))
    assert on_cpu(x.new_tensor([1.0], device="cpu"))
    g = x.new_ones(2, requires_grad=True)
    assert on_standin(g) and g.requires_grad and g.is_leaf
    assert on_standin(mytorch.ones(1).new_full((2,), 1.0, device=STANDIN))


# --- 2. device objects ------------------------------------------------------------------------


def test_tensor_device_is_a_device_with_type_and_index():
    t = S([1.0, 2.0])
    d = t.device
    assert isinstance(d, mytorch.device)
    assert d.type == "standin" and d.index == 0
    assert repr(d) == "device(type='standin', index=0)"
    assert str(d) == "standin:0"
    assert d == mytorch.device("standin:0") == mytorch.device("standin", 0)
    assert d == "standin:0"
    assert d != mytorch.device("cpu")
    assert {d: 1}[mytorch.device("standin", 0)] == 1
    assert t.get_device() == 0
    assert not t.is_cpu and not t.is_cuda
    # A CPU tensor's device has no index, as in torch.
    c = mytorch.ones(2).device
    assert repr(c) == "device(type='cpu')" and c.index is None and str(c) == "cpu"
    assert mytorch.ones(2).get_device() == -1


@pytest.mark.torch
@pytest.mark.parametrize(
    "args",
    [("cpu",), ("cpu:0",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0)],
    ids=str,
)
def test_device_construction_matches_torch(args):
    m = mytorch.device(*args)
    t = torch.device(*args)
    assert (m.type, m.index) == (t.type, t.index)
    assert repr(m) == repr(t)
    assert str(m) == str(t)
    assert mytorch.device(m) == m  # a device object is accepted as well


@pytest.mark.torch
def test_device_from_an_index_without_an_accelerator_raises_like_torch():
    t = error_of(lambda: torch.device(0))
    assert t == (RuntimeError, "Cannot access accelerator device when none is available.")
    assert error_of(lambda: mytorch.device(0)) == t


@pytest.mark.torch
def test_device_equality_matches_torch():
    pairs = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0")]
    for a, b in pairs:
        assert (mytorch.device(a) == mytorch.device(b)) == (torch.device(a) == torch.device(b))
    assert mytorch.device(STANDIN) != mytorch.device(STANDIN, 0)  # like cuda != cuda:0


@pytest.mark.torch
def test_unknown_device_type_raises_runtime_error_like_torch():
    m = error_of(lambda: mytorch.device("foo"))
    t = error_of(lambda: torch.device("foo"))
    assert m[0] is t[0] is RuntimeError
    # torch lists its own device types; the message has the same frame around them.
    prefix, suffix = "Expected one of ", " device type at start of device string: foo"
    assert t[1].startswith(prefix) and t[1].endswith(suffix)
    assert m[1].startswith(prefix) and m[1].endswith(suffix)
    assert "standin" in m[1] and "cpu" in m[1]
    # A factory given such a device raises the same.
    assert error_of(lambda: mytorch.zeros(2, device="foo"))[0] is RuntimeError
    assert error_of(lambda: torch.zeros(2, device="foo"))[0] is RuntimeError


@pytest.mark.torch
@pytest.mark.parametrize("text", ["cuda:x", "cuda:-1", "cpu:"])
def test_invalid_device_string_matches_torch(text):
    m = error_of(lambda: mytorch.device(text))
    t = error_of(lambda: torch.device(text))
    assert t is not None
    assert m == t


@pytest.mark.torch
def test_negative_device_index_raises_like_torch():
    m = error_of(lambda: mytorch.device("cuda", -1))
    t = error_of(lambda: torch.device("cuda", -1))
    assert m[0] is t[0] is RuntimeError
    assert "Device index must not be negative" in m[1]
    assert "Device index must not be negative" in t[1]


def test_cuda_is_not_available_here():
    assert mytorch.cuda.is_available() is False
    assert mytorch.cuda.device_count() == 0


CUDA_USES = {
    "zeros": lambda L: L.zeros(2, device="cuda"),
    "tensor": lambda L: L.tensor([1.0], device="cuda"),
    "tensor_cuda0": lambda L: L.tensor([1.0], device="cuda:0"),
    "ones_device_obj": lambda L: L.ones(2, device=L.device("cuda")),
    "to_cuda": lambda L: L.tensor([1.0]).to("cuda"),
    "to_device_kw": lambda L: L.tensor([1.0]).to(device="cuda"),
    "cuda": lambda L: L.tensor([1.0]).cuda(),
}


@NO_CUPY
@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CUDA_USES))
def test_cuda_without_cupy_raises_assertion_error_like_a_cpu_torch(name):
    m = error_of(lambda: CUDA_USES[name](mytorch))
    t = error_of(lambda: CUDA_USES[name](torch))
    assert t == (AssertionError, "Torch not compiled with CUDA enabled")
    assert m == t
    # A cuda device object constructs all the same (as torch.device does).
    assert repr(mytorch.device("cuda")) == repr(torch.device("cuda"))


# --- 3. moves between devices -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_to_standin_copies_values_and_dtype(dtype):
    x = mytorch.tensor(np.array([[1, 0, 3], [4, 5, 0]], dtype=dtype))
    reset_counts()
    y = x.to(STANDIN)
    assert counts()["to_device"] == 1  # one explicit host-to-device copy
    assert on_standin(y)
    assert y.dtype is x.dtype
    assert same_values(y, x)
    assert y is not x
    assert not y.requires_grad
    # The copy does not alias the source.
    x[0, 0] = 9
    assert host(y)[0, 0] == 1


@pytest.mark.parametrize(
    "move",
    [
        lambda t: t.to(STANDIN),
        lambda t: t.to(STANDIN0),
        lambda t: t.to(mytorch.device(STANDIN)),
        lambda t: t.to(device=STANDIN),
        lambda t: t.to(device=mytorch.device(STANDIN, 0)),
        lambda t: t.to(S([0.0])),
    ],
    ids=["str", "str0", "device", "kw", "kw_device0", "other_tensor"],
)
def test_to_standin_spellings(move):
    x = mytorch.tensor([1.5, -2.0])
    y = move(x)
    assert on_standin(y)
    assert same_values(y, x)


@pytest.mark.torch
def test_to_other_tensor_takes_its_dtype_and_device():
    x = mytorch.tensor([1.5, -2.0])
    other = S(np.array([0.0], dtype=np.float64))
    y = x.to(other)
    assert on_standin(y)
    t = torch.tensor([1.5, -2.0]).to(torch.tensor([0.0], dtype=torch.float64))
    assert repr(y.dtype) == str(t.dtype) == "torch.float64"
    assert same_values(y, t.numpy())


def test_to_device_and_dtype_together():
    x = mytorch.tensor([1.5, -2.0])
    for y in (
        x.to(STANDIN, mytorch.float64),
        x.to(device=STANDIN, dtype=mytorch.float64),
        x.to(mytorch.float64).to(STANDIN),
    ):
        assert on_standin(y)
        assert y.dtype is mytorch.float64
        assert same_values(y, np.array([1.5, -2.0]))


def test_cpu_moves_a_standin_tensor_to_the_host():
    y = S([[1.0, 2.0], [3.0, 4.0]])
    reset_counts()
    c = y.cpu()
    assert counts()["to_host"] == 1  # one explicit device-to-host copy
    assert on_cpu(c)
    assert isinstance(c.numpy(), np.ndarray)
    assert same_values(c, np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    for c2 in (y.to("cpu"), y.to(mytorch.device("cpu")), y.to(mytorch.ones(1))):
        assert on_cpu(c2)
        assert same_values(c2, c)


@pytest.mark.torch
def test_moving_to_the_device_a_tensor_is_on_returns_it():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert (x.to("cpu") is x) == (t.to("cpu") is t) is True
    assert (x.cpu() is x) == (t.cpu() is t) is True
    assert (x.to(mytorch.device("cpu")) is x) == (t.to(torch.device("cpu")) is t) is True
    assert (x.to(x) is x) == (t.to(t) is t) is True
    assert (x.to("cpu", copy=True) is x) == (t.to("cpu", copy=True) is t) is False
    y = S([1.0, 2.0], requires_grad=True)
    assert y.to(STANDIN) is y
    assert y.to(STANDIN0) is y
    assert y.to(mytorch.device(STANDIN, 0)) is y
    assert y.to(S([0.0])) is y
    reset_counts()
    z = y.to(STANDIN, copy=True)
    assert counts() == {"to_host": 0, "to_device": 0, "scalar": 0}  # copied on the device
    assert z is not y and on_standin(z)
    assert same_values(z, y)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_move_to_standin_is_differentiable(dtype):
    data = np.array([1.0, -2.0, 3.5], dtype=dtype)
    x = mytorch.tensor(data, requires_grad=True)
    y = x.to(STANDIN)
    assert on_standin(y)
    assert not y.is_leaf and y.requires_grad
    assert y.grad_fn.name() == "ToCopyBackward0"
    # torch names a copying .to() the same.
    assert torch.tensor(data, requires_grad=True).to(torch.float16).grad_fn.name() == (
        "ToCopyBackward0"
    )
    (y * y).sum().backward()
    assert on_cpu(x.grad)
    assert isinstance(x.grad._data, np.ndarray)
    t = torch.tensor(data, requires_grad=True)
    (t * t).sum().backward()
    assert same_values(x.grad, t.grad.numpy())
    assert same_values(x.grad, 2 * data)


@pytest.mark.torch
def test_move_to_cpu_is_differentiable_and_grad_lands_on_standin():
    data = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=np.float32)
    w = S(data, requires_grad=True)
    z = w.cpu()
    assert on_cpu(z) and z.grad_fn.name() == "ToCopyBackward0"
    (z * z * z).sum().backward()
    assert on_standin(w.grad)
    t = torch.tensor(data, requires_grad=True)
    (t * t * t).sum().backward()
    assert same_values(w.grad, t.grad.numpy())


def test_round_trip_move_gradient():
    x = mytorch.tensor([1.0, 2.0, 3.0], dtype=mytorch.float64, requires_grad=True)
    r = x.to(STANDIN).exp().cpu().to(STANDIN).sin().cpu()
    assert on_cpu(r)
    r.sum().backward()
    d = np.array([1.0, 2.0, 3.0])
    assert on_cpu(x.grad)
    np.testing.assert_allclose(host(x.grad), np.cos(np.exp(d)) * np.exp(d), rtol=1e-12)


def test_move_under_no_grad_records_nothing():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with mytorch.no_grad():
        y = x.to(STANDIN)
        z = S([1.0], requires_grad=True).cpu()
    assert on_standin(y) and y.grad_fn is None and not y.requires_grad
    assert on_cpu(z) and z.grad_fn is None and not z.requires_grad


def test_a_moved_leaf_used_on_both_devices_accumulates_both_paths():
    # loss = sum(2 x) on the CPU + sum(x^2) on the stand-in, brought back: grad = 2 + 2x.
    x = mytorch.tensor([1.0, -1.0, 0.5], dtype=mytorch.float64, requires_grad=True)
    loss = (x * 2).sum() + (x.to(STANDIN) ** 2).sum().cpu()
    loss.backward()
    assert on_cpu(x.grad)
    assert same_values(x.grad, 2 + 2 * np.array([1.0, -1.0, 0.5]))
    # And the other way around: a stand-in leaf, part of it computed on the CPU.
    w = S(np.array([1.0, -1.0, 0.5]), requires_grad=True)
    loss = (w * w).sum() + w.cpu().sum().to(STANDIN) * 3
    loss.backward()
    assert on_standin(w.grad)
    assert same_values(w.grad, 2 * np.array([1.0, -1.0, 0.5]) + 3)


@pytest.mark.torch
def test_second_derivative_through_a_move_matches_the_cpu_computation():
    data = np.array([0.3, -1.2, 2.0], dtype=np.float64)

    def f(L, x, move):
        y = move(x)
        return (y**3 * y.sin()).sum()

    x = mytorch.tensor(data, requires_grad=True)
    (g,) = mytorch.autograd.grad(f(mytorch, x, lambda v: v.to(STANDIN)), x, create_graph=True)
    assert on_cpu(g) and g.requires_grad
    (h,) = mytorch.autograd.grad((g * g).sum(), x)
    assert on_cpu(h)

    xc = mytorch.tensor(data, requires_grad=True)
    (gc,) = mytorch.autograd.grad(f(mytorch, xc, lambda v: v), xc, create_graph=True)
    (hc,) = mytorch.autograd.grad((gc * gc).sum(), xc)
    assert same_values(g, gc, rtol=1e-12, atol=1e-12)
    assert same_values(h, hc, rtol=1e-12, atol=1e-12)

    xt = torch.tensor(data, requires_grad=True)
    (gt,) = torch.autograd.grad(f(torch, xt, lambda v: v), xt, create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    assert same_values(g, gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert same_values(h, ht.numpy(), rtol=1e-10, atol=1e-12)


def test_second_derivative_of_a_standin_leaf_through_the_cpu():
    data = np.array([0.3, -1.2, 2.0])
    w = S(data, requires_grad=True)
    y = (w.cpu() ** 4).sum()
    (g,) = mytorch.autograd.grad(y, w, create_graph=True)
    assert on_standin(g)
    assert same_values(g, 4 * data**3, rtol=1e-12)
    (h,) = mytorch.autograd.grad(g.sum(), w)
    assert on_standin(h)
    assert same_values(h, 12 * data**2, rtol=1e-12)


# --- 4. gradients on the stand-in device ------------------------------------------------------


@pytest.mark.torch
def test_grad_accumulates_on_standin_over_two_backward_passes():
    data = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    x = S(data, requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    assert on_standin(first)
    (x * x * x).sum().backward()
    assert on_standin(x.grad)
    t = torch.tensor(data, requires_grad=True)
    (t * t).sum().backward()
    t_first = t.grad
    (t * t * t).sum().backward()
    assert same_values(x.grad, t.grad.numpy())
    assert same_values(x.grad, 2 * data + 3 * data**2)
    # torch accumulates into the same .grad tensor; so does mytorch.
    assert (x.grad is first) == (t.grad is t_first) is True


def test_grad_accumulation_with_create_graph_stays_on_standin():
    x = S([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    (x * x).sum().backward(create_graph=True)
    assert on_standin(x.grad)
    assert same_values(x.grad, np.array([4.0, 8.0], dtype=np.float32))


def test_scalar_seed_is_made_on_the_output_device():
    x = S([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * 2).sum()
    seen = []
    y.register_hook(lambda g: seen.append(g))
    reset_counts()
    y.backward()
    assert counts() == {"to_host": 0, "to_device": 0, "scalar": 0}
    (seed,) = seen
    assert on_standin(seed)
    assert seed.shape == () and seed.dtype is mytorch.float32
    assert same_values(seed, np.array(1.0, dtype=np.float32))
    assert same_values(x.grad, np.full(3, 2.0, dtype=np.float32))


def test_backward_with_a_gradient_on_standin():
    x = S([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.backward(S([1.0, -1.0]))
    assert on_standin(x.grad)
    assert same_values(x.grad, np.array([3.0, -3.0], dtype=np.float32))
    # A Python number as the seed of a scalar output.
    x2 = S([1.0, 2.0], requires_grad=True)
    (x2 * x2).sum().backward(mytorch.tensor(2.0, device=STANDIN))
    assert on_standin(x2.grad) and same_values(x2.grad, np.array([4.0, 8.0], dtype=np.float32))


def test_autograd_grad_results_live_on_the_input_device():
    x = S([1.0, 2.0], requires_grad=True)
    c = mytorch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * c.to(STANDIN)).sum()
    gx, gc = mytorch.autograd.grad(y, (x, c))
    assert on_standin(gx) and same_values(gx, np.array([3.0, 4.0], dtype=np.float32))
    assert on_cpu(gc) and same_values(gc, np.array([1.0, 2.0], dtype=np.float32))
    assert x.grad is None and c.grad is None
    # materialize_grads makes the zeros of an unused input on its device too.
    unused = S([0.0], requires_grad=True)
    (_, z) = mytorch.autograd.grad((x * x).sum(), (x, unused), materialize_grads=True)
    assert on_standin(z) and same_values(z, np.zeros(1, dtype=np.float32))


def test_grad_outputs_on_the_wrong_device_raise():
    x = S([1.0, 2.0], requires_grad=True)
    y = x * 2
    with raises(RuntimeError) as e:
        mytorch.autograd.grad(y, x, grad_outputs=mytorch.ones(2))
    # torch's engine (validate_outputs): "invalid gradient at index 0 - expected device ..."
    assert str(e.value) == "invalid gradient at index 0 - expected device standin:0 but got cpu"
    with raises(RuntimeError, match="expected device standin:0 but got cpu"):
        y.backward(mytorch.ones(2))
    c = mytorch.tensor([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, match="expected device cpu but got standin:0"):
        mytorch.autograd.grad(c * 2, c, grad_outputs=S([1.0, 1.0]))


def test_zero_dim_cpu_grad_output_of_a_standin_scalar_is_moved_like_torch():
    x = S([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = mytorch.autograd.grad(y, x, grad_outputs=mytorch.tensor(2.0))
    assert on_standin(g)
    assert same_values(g, np.array([4.0, 8.0], dtype=np.float32))


def test_retained_grad_of_a_standin_non_leaf():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(STANDIN)
    y.retain_grad()
    (y * y).sum().backward()
    assert on_standin(y.grad)
    assert same_values(y.grad, np.array([2.0, 4.0], dtype=np.float32))
    assert on_cpu(x.grad)


def test_assigning_a_grad_on_another_device_raises():
    x = S([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, match="assigned grad has data located on a different device"):
        x.grad = mytorch.zeros(2)
    x.grad = mytorch.zeros(2, device=STANDIN)
    assert on_standin(x.grad)


# --- 5. device mismatch -----------------------------------------------------------------------

MIXED = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / b,
    "matmul": lambda a, b: a @ b,
    "torch.add": lambda a, b: mytorch.add(a, b),
    "maximum": lambda a, b: mytorch.maximum(a, b),
    "gt": lambda a, b: a > b,
    "where_xy": lambda a, b: mytorch.where(a > 0, a, b),
    "where_cond": lambda a, b: mytorch.where(b > 0, a, a),
    "cat": lambda a, b: mytorch.cat([a, b]),
    "stack": lambda a, b: mytorch.stack([a, b]),
}


@pytest.mark.parametrize("name", sorted(MIXED))
@pytest.mark.parametrize("standin_first", [True, False], ids=["standin_cpu", "cpu_standin"])
@pytest.mark.parametrize("requires_grad", [False, True], ids=["plain", "grad"])
def test_device_mismatch_raises_with_torch_message(name, standin_first, requires_grad):
    s = S([[1.0, 2.0], [3.0, 4.0]], requires_grad=requires_grad)
    c = mytorch.tensor([[1.0, -1.0], [0.5, 2.0]])
    args = (s, c) if standin_first else (c, s)
    if name == "where_cond":
        args = (s, c)  # the condition is the CPU one
    with raises(RuntimeError) as e:
        MIXED[name](*args)
    assert str(e.value) == MISMATCH


def test_in_place_op_with_a_cpu_tensor_raises():
    s = S([1.0, 2.0])
    with raises(RuntimeError) as e:
        s += mytorch.ones(2)
    assert str(e.value) == MISMATCH
    assert same_values(s, np.array([1.0, 2.0], dtype=np.float32))
    c = mytorch.ones(2)
    with raises(RuntimeError) as e:
        c.mul_(S([1.0, 2.0]))
    assert str(e.value) == MISMATCH


# A 0-d CPU tensor that does not require grad joins a stand-in tensor as a scalar.
ZERO_DIM = [
    ("float32", "float64", lambda a, b: a + b),
    ("float32", "float64", lambda a, b: b + a),
    ("int32", "float64", lambda a, b: a * b),
    ("int64", "float32", lambda a, b: b - a),
    ("float64", "int64", lambda a, b: a * b),
    ("int32", "int64", lambda a, b: a + b),
    ("bool", "int64", lambda a, b: a + b),
    ("int32", "int64", lambda a, b: a / b),
    ("float32", "float64", lambda a, b: a > b),
    ("float32", "float64", lambda a, b: torch_or_mytorch(a).maximum(a, b)),
    ("float32", "float64", lambda a, b: torch_or_mytorch(a).where(a > 1, a, b)),
    ("int32", "float64", lambda a, b: torch_or_mytorch(a).where(a > 1, b, a)),
]


def torch_or_mytorch(t):
    return mytorch if isinstance(t, mytorch.Tensor) else torch


@pytest.mark.torch
@pytest.mark.parametrize("case", range(len(ZERO_DIM)))
def test_zero_dim_cpu_tensor_joins_a_standin_tensor(case):
    dt, st, op = ZERO_DIM[case]
    values = np.array([1, 2, 3], dtype=dt)
    scalar = np.array(2.5 if st.startswith("float") else 2, dtype=st)
    m = op(S(values), mytorch.tensor(scalar))
    assert on_standin(m)
    t = op(torch.tensor(values), torch.tensor(scalar))
    assert repr(m.dtype) == str(t.dtype)
    assert same_values(m, t.numpy())


def test_zero_dim_cpu_scalar_gradient_flows_to_the_standin_tensor():
    x = S([1.0, 2.0], requires_grad=True)
    k = mytorch.tensor(3.0)
    (x * k).sum().backward()
    assert on_standin(x.grad)
    assert same_values(x.grad, np.array([3.0, 3.0], dtype=np.float32))


@pytest.mark.parametrize("standin_first", [True, False])
def test_zero_dim_cpu_tensor_that_requires_grad_raises(standin_first):
    # mytorch's rule: only a 0-d CPU tensor that needs no gradient may act as a scalar.
    s = S([1.0, 2.0])
    k = mytorch.tensor(3.0, requires_grad=True)
    with raises(RuntimeError) as e:
        _ = s * k if standin_first else k * s
    assert str(e.value) == MISMATCH


def test_python_and_numpy_scalars_are_fine_with_standin():
    s = S([1.0, 2.0])
    for r in (s + 1, 2 * s, s / 4, 1 - s, s**2, 2.0**s, s * np.float32(2), s > 1.5):
        assert on_standin(r)
    si = S([1, 2], dtype=mytorch.int32)
    assert on_standin(si + 2.5) and (si + 2.5).dtype is mytorch.float32
    assert (si * 3).dtype is mytorch.int32


def test_a_standin_0d_tensor_with_a_cpu_tensor_with_dims_raises():
    with raises(RuntimeError) as e:
        _ = S(2.0) * mytorch.ones(2)
    assert str(e.value) == MISMATCH


# --- 6. host conversions ----------------------------------------------------------------------

NUMPY_MSG = (
    "can't convert standin:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
    "to host memory first."
)


@pytest.mark.torch
def test_numpy_of_a_standin_tensor_raises_type_error():
    t = S([1.0, 2.0])
    with raises(TypeError) as e:
        t.numpy()
    assert str(e.value) == NUMPY_MSG
    # The message has the shape of torch's (here for its meta device).
    meta = error_of(lambda: torch.ones(2, device="meta").numpy())
    assert meta == (TypeError, NUMPY_MSG.replace("standin:0", "meta"))
    # The device check comes before the requires_grad one, as in torch.
    with raises(TypeError):
        S([1.0], requires_grad=True).numpy()
    with raises(TypeError):
        np.asarray(t)
    with raises(TypeError):
        np.array(t)


def test_numpy_force_copies_a_standin_tensor_to_the_host():
    t = S([1.0, 2.0], requires_grad=True)
    a = t.numpy(force=True)
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, np.array([1.0, 2.0], dtype=np.float32))


def test_cpu_numpy_and_python_values_are_explicit_transfers():
    t = S([[1.5, 2.0], [3.0, 4.0]])
    reset_counts()
    a = t.cpu().numpy()
    assert counts()["to_host"] == 1
    np.testing.assert_array_equal(a, np.array([[1.5, 2.0], [3.0, 4.0]], dtype=np.float32))
    reset_counts()
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert counts()["to_host"] == 1
    reset_counts()
    assert S(3.5).item() == 3.5
    assert float(S([2.5])) == 2.5
    assert int(S(7)) == 7
    assert bool(S(True)) is True
    assert S([[4]]).item() == 4
    assert counts()["to_host"] == 0 and counts()["scalar"] >= 5


def test_item_of_a_standin_tensor_with_many_elements_raises_like_torch():
    with raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        S([1.0, 2.0]).item()


def test_copy_between_devices():
    dst = mytorch.zeros(2, 2)
    dst.copy_(S([[1.0, 2.0], [3.0, 4.0]]))
    assert on_cpu(dst)
    assert same_values(dst, np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    sdst = mytorch.zeros(2, 2, dtype=mytorch.float64, device=STANDIN)
    sdst.copy_(mytorch.tensor([5.0, 6.0]))  # broadcast and cast, as torch's copy_
    assert on_standin(sdst)
    assert same_values(sdst, np.array([[5.0, 6.0], [5.0, 6.0]]))


# --- 7. printing ------------------------------------------------------------------------------

D0 = "device='standin:0'"
REPRS = [
    (lambda: S([1.0, 2.0], requires_grad=True), f"tensor([1., 2.], {D0}, requires_grad=True)"),
    (lambda: S([1, 2], dtype=mytorch.int32), f"tensor([1, 2], {D0}, dtype=torch.int32)"),
    (lambda: S([1, 2]), f"tensor([1, 2], {D0})"),
    (lambda: S([True, False]), f"tensor([ True, False], {D0})"),
    (lambda: S(0.5), f"tensor(0.5000, {D0})"),
    (
        lambda: S([1.0, 2.0], requires_grad=True) * 2,
        f"tensor([2., 4.], {D0}, grad_fn=<MulBackward0>)",
    ),
    (
        lambda: mytorch.tensor([1.0], requires_grad=True).to(STANDIN),
        f"tensor([1.], {D0}, grad_fn=<ToCopyBackward0>)",
    ),
    (
        lambda: S([1.0, 2.0], dtype=mytorch.float64, requires_grad=True),
        f"tensor([1., 2.], {D0}, dtype=torch.float64, requires_grad=True)",
    ),
    (lambda: mytorch.zeros(0, 3, device=STANDIN), f"tensor([], {D0}, size=(0, 3))"),
    (
        lambda: mytorch.zeros(0, dtype=mytorch.int64, device=STANDIN),
        f"tensor([], {D0}, dtype=torch.int64)",
    ),
    (lambda: S([[1.0, 2.0], [3.0, 4.0]]), f"tensor([[1., 2.],\n        [3., 4.]], {D0})"),
]


@pytest.mark.parametrize("case", range(len(REPRS)))
def test_repr_of_a_standin_tensor(case):
    make, expected = REPRS[case]
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


@pytest.mark.torch
@pytest.mark.parametrize("case", [i for i, (_, e) in enumerate(REPRS) if "grad_fn" not in e])
def test_repr_without_the_device_is_torchs_cpu_repr(case):
    make, expected = REPRS[case]
    t = make()
    tt = torch.tensor(host(t)).requires_grad_(t.requires_grad)
    assert repr(tt) == expected.replace(", device='standin:0'", "")


@pytest.mark.torch
def test_repr_wraps_the_suffixes_where_torch_does():
    from torch._tensor_str import _add_suffixes, _tensor_str

    values = np.array([0.0, 1.5, 3.0, 4.5], dtype=np.float32)
    t = S(values, requires_grad=True)
    # torch's printing of the same tensor on a device: its body, then its suffixes.
    expected = _add_suffixes(
        "tensor(" + _tensor_str(torch.tensor(values), 7),
        ["device='standin:0'", "requires_grad=True"],
        7,
        False,
    )
    assert expected == (
        "tensor([0.0000, 1.5000, 3.0000, 4.5000], device='standin:0',\n       requires_grad=True)"
    )
    assert repr(t) == expected


# --- 8. indexing and setitem ------------------------------------------------------------------

INDEXES = {
    "cpu_long_tensor": lambda L: L.tensor([2, 0, 2]),
    "cpu_int32_tensor": lambda L: L.tensor([1, 1], dtype=L.int32),
    "list": lambda L: [1, 2, 1],
    "cpu_bool_mask": lambda L: L.tensor([True, False, True]),
    "cpu_bool_mask_2d": lambda L: L.tensor([[True, False], [False, True], [True, True]]),
    "tuple_tensor_slice": lambda L: (L.tensor([0, 2]), slice(1, None)),
    "tuple_tensor_tensor": lambda L: (L.tensor([0, 2]), L.tensor([1, 0])),
    "int_and_list": lambda L: (1, [0, 1, 1]),
    "zero_dim_long": lambda L: L.tensor(1),
    "slice": lambda L: slice(0, 3, 2),
    "int": lambda L: -1,
    "ellipsis_none": lambda L: (Ellipsis, None),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_a_standin_tensor_with_host_indices(name):
    data = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
    x = S(data, requires_grad=True)
    y = x[INDEXES[name](mytorch)]
    assert on_standin(y)
    t = torch.tensor(data, requires_grad=True)
    ty = t[INDEXES[name](torch)]
    assert same_values(y, ty.detach().numpy())
    w = np.arange(ty.numel(), dtype=np.float32).reshape(tuple(ty.shape)) + 1
    (y * S(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert on_standin(x.grad)
    assert same_values(x.grad, t.grad.numpy())


def test_indexing_with_a_standin_index_tensor():
    x = S([10.0, 20.0, 30.0], requires_grad=True)
    y = x[S([2, 2, 0])]
    assert on_standin(y)
    assert same_values(y, np.array([30.0, 30.0, 10.0], dtype=np.float32))
    y.sum().backward()
    assert same_values(x.grad, np.array([1.0, 0.0, 2.0], dtype=np.float32))
    m = x.detach()[S([True, False, True])]
    assert on_standin(m) and same_values(m, np.array([10.0, 30.0], dtype=np.float32))


@pytest.mark.torch
def test_setitem_on_a_standin_tensor():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    s = S(data)
    t = torch.tensor(data)
    steps = [
        (lambda L, x: x.__setitem__(0, 9.0)),  # a Python scalar
        (lambda L, x: x.__setitem__((1, slice(0, 2)), -1)),
        (lambda L, x: x.__setitem__((slice(None), 2), L.tensor(7.5))),  # a 0-d CPU tensor
        (lambda L, x: x.__setitem__(L.tensor([True, False]), L.tensor(4.0))),  # a CPU mask
        (lambda L, x: x.__setitem__((L.tensor([0, 1]), L.tensor([1, 2])), 0.25)),
    ]
    for step in steps:
        step(mytorch, s)
        step(torch, t)
        assert on_standin(s)
        assert same_values(s, t.numpy())
    # A stand-in tensor as the value (what torch does with a tensor on the same device).
    s[1] = S([1.0, 2.0, 3.0])
    t[1] = torch.tensor([1.0, 2.0, 3.0])
    assert on_standin(s) and same_values(s, t.numpy())
    s[:, 0] = S(np.array([5.0, 6.0], dtype=np.float64))  # cast to the tensor's dtype
    t[:, 0] = torch.tensor([5.0, 6.0], dtype=torch.float64)
    assert on_standin(s) and s.dtype is mytorch.float32 and same_values(s, t.numpy())


def test_setitem_of_a_0d_standin_value_into_a_cpu_tensor_copies_it():
    # As torch's set_item: the value reaches the target through copy_, which crosses devices.
    c = mytorch.zeros(2)
    c[0] = S(1.0)
    assert c.device == mytorch.device("cpu")
    assert c.tolist() == [1.0, 0.0]


def test_setitem_slice_with_a_cpu_tensor_value_copies_across_devices():
    s = mytorch.zeros(3, device=STANDIN)
    s[1:] = mytorch.tensor([1.0, 2.0])
    assert on_standin(s)
    assert same_values(s, np.array([0.0, 1.0, 2.0], dtype=np.float32))


def test_setitem_on_a_standin_leaf_that_requires_grad_raises():
    x = S([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[0] = 3.0


# --- 9. no silent host copies -----------------------------------------------------------------


def _train(device, steps=6, lr=0.1):
    mytorch.manual_seed(3)  # drawn on the CPU, so both devices start from the same numbers
    X = mytorch.randn(16, 3).to(device)
    Y = (X @ mytorch.tensor([[1.0], [-2.0], [0.5]], device=device)).tanh()
    W1 = mytorch.randn(3, 8).to(device) * 0.5
    W1.requires_grad_()
    b1 = mytorch.zeros(8, device=device, requires_grad=True)
    W2 = mytorch.randn(8, 1).to(device) * 0.5
    W2.requires_grad_()
    b2 = mytorch.zeros(1, device=device, requires_grad=True)
    params = [W1, b1, W2, b2]
    losses = []
    reset_counts()
    for _ in range(steps):
        h = (X @ W1 + b1).relu()
        out = (h @ W2 + b2).sigmoid() * 2 - 1
        loss = ((out - Y) ** 2).mean() + 0.01 * (W1 * W1).sum()
        loss.backward()
        with mytorch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
        losses.append(loss.detach())
    transfers = counts()
    return params, losses, transfers


def test_training_loop_on_standin_makes_no_host_copies():
    params, losses, transfers = _train(STANDIN)
    assert transfers["to_host"] == 0, transfers
    assert transfers["scalar"] == 0, transfers
    for p in params:
        assert on_standin(p) and p.is_leaf and p.requires_grad
        assert on_standin(p.grad)
        assert same_values(p.grad, np.zeros(tuple(p.shape), dtype=np.float32))
    for loss in losses:
        assert on_standin(loss)
    # The same program on the CPU gives the same numbers.
    cpu_params, cpu_losses, _ = _train("cpu")
    for p, c in zip(params, cpu_params):
        assert same_values(p, c, rtol=1e-5, atol=1e-6)
    values = [loss.item() for loss in losses]
    assert values == pytest.approx([loss.item() for loss in cpu_losses], rel=1e-5)
    assert values[-1] < values[0]


def test_backward_on_standin_makes_no_transfers():
    x = S(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    w = S(np.ones((3, 2)), requires_grad=True)
    reset_counts()
    loss = ((x @ w).tanh().exp() / 3 + x.sum(1, keepdim=True).sigmoid()).mean()
    loss.backward()
    assert counts() == {"to_host": 0, "to_device": 0, "scalar": 0}
    assert on_standin(x.grad) and on_standin(w.grad)


# --- 10. writes without NumPy's flags, one scatter-add ----------------------------------------


@pytest.mark.parametrize("dev", ["cpu", STANDIN])
def test_gradient_accumulates_beside_a_broadcast_grad_without_writing_through_it(dev):
    # A broadcast view has one element for many: adding into it in place (CuPy's arrays are all
    # writable) would hit that element several times and write into the array it views.
    x = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True, device=dev)
    base = mytorch.tensor([5.0], device=dev)
    x.grad = base.expand(3)
    (x * 2).sum().backward()
    assert same_values(x.grad, np.array([7.0, 7.0, 7.0], dtype=np.float32))
    assert same_values(base, np.array([5.0], dtype=np.float32))


def test_writable_asks_the_backend_not_numpys_flags():
    from backends import standin
    from backends.standin_backend import BACKEND

    be = BACKEND.at(0)
    a = standin.xp.zeros((2, 3))
    assert be.writable(a) and be.writable(a[:, 1]) and be.writable(a.T)
    assert not be.writable(standin.xp.broadcast_to(standin.xp.zeros(3), (2, 3)))
    assert be.writable(standin.xp.broadcast_to(standin.xp.zeros((1, 3)), (1, 3)))  # no repeats
    assert not be.writable(np.zeros(2)) and not be.writable(1.0)
    cpu = mytorch._backends.CPU
    ro = np.zeros(3)
    ro.flags.writeable = False
    assert cpu.writable(np.zeros(3)) and not cpu.writable(ro) and not cpu.writable(np.float32(1))


@pytest.mark.torch
@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"]
)
@pytest.mark.parametrize("dev", ["cpu", STANDIN])
def test_index_put_accumulate_in_every_dtype_matches_torch(dtype, dev):
    # CuPy's add.at has no atomic add for bool and the small integers: the backend adds in
    # int64 there (and by parts for complex).
    values = np.array([1, 0, 1, 1], dtype=dtype)
    start = np.array([0, 1, 0], dtype=dtype)
    idx = [0, 2, 0, 1]

    def run(L, d):
        t = L.tensor(start, device=d)
        return t.index_put_((L.tensor(idx, device=d),), L.tensor(values, device=d), True)

    m = run(mytorch, dev)
    t = run(torch, "cpu")
    assert repr(m.dtype) == str(t.dtype) and same_values(m, t.numpy())


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_index_put_accumulate_of_complex_values_on_standin(dtype):
    start = np.array([1 + 1j, 2, 3j], dtype=dtype)
    v = np.array([1j, 2 - 1j, 3], dtype=dtype)
    idx = [2, 2, 0]
    for dev in ("cpu", STANDIN):
        m = mytorch.tensor(start, device=dev).index_put_(
            (mytorch.tensor(idx, device=dev),), mytorch.tensor(v, device=dev), accumulate=True
        )
        expected = start.copy()
        np.add.at(expected, idx, v)
        assert same_values(m, expected)


def test_index_put_and_index_backward_share_the_backends_scatter_add():
    from backends import standin

    from mytorch._backends.cupy_backend import CupyBackend
    from mytorch._backends.reference import NumpyBackend

    for be, xp in ((NumpyBackend(), np), (CupyBackend(standin.xp), standin.xp)):
        calls = []
        add = be.scatter_add
        be.scatter_add = lambda out, index, v, add=add: calls.append(1) or add(out, index, v)
        i = (xp.asarray(np.array([0, 0, 2])),)
        g = xp.asarray(np.array([1.0, 2.0, 3.0]))
        out = be.index_backward(g, (3,), i, False)
        assert be.to_numpy(out).tolist() == [3.0, 0.0, 3.0]
        put = be.index_put(xp.zeros(3), g, i, True)
        assert be.to_numpy(put).tolist() == [3.0, 0.0, 3.0] and len(calls) == 2
