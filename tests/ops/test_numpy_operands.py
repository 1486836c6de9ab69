"""NumPy scalars and arrays as operands: on either side of an operator they give a Tensor (with
a graph when a tensor requires grad), promoted as torch promotes them; NumPy ufuncs on a
Tensor give a Tensor back, as torch's do."""

import itertools
import warnings

import numpy as np
import pytest
from helpers import assert_matches, dtype_str, to_numpy

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch

SCALARS = [
    np.float64(2.5),
    np.float32(2.5),
    np.float16(2),
    np.longdouble(3),
    np.int64(3),
    np.int32(3),
    np.int8(3),
    np.uint8(3),
    np.bool_(True),  # torch reads a NumPy bool as a float, unlike a Python bool
    np.complex128(2 + 1j),
]
TENSORS = {
    "float32": [1.0, 2.0, 4.0],
    "float64": [1.0, 2.0, 4.0],
    "int64": [1, 2, 4],
    "int32": [1, 2, 4],
    "uint8": [1, 2, 4],
    "bool": [True, False, True],
    "0d:float32": 2.0,
    "0d:int64": 2,
}
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
}


def _tensors(name):
    dt = name.split(":")[-1]
    a = np.array(TENSORS[name], dtype=dt)
    return mytorch.tensor(a), torch.tensor(a)


def _outcome(fn, *args):
    """fn's result, or the class of the exception it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's ComplexWarning and __array_wrap__ notices
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 (the class is what is compared)
            return type(e)


def _assert_same_outcome(m, t, label):
    if isinstance(t, type):
        assert m is t, f"{label}: torch raises {t.__name__}, mytorch gives {m!r}"
        return
    assert not isinstance(m, type), f"{label}: mytorch raises {m.__name__}, torch gives {t!r}"
    if t.dtype.is_complex:  # assert_matches compares real values
        assert dtype_str(m) == dtype_str(t) and tuple(m.shape) == tuple(t.shape), label
        np.testing.assert_allclose(to_numpy(m), to_numpy(t), rtol=1e-6, err_msg=label)
    else:
        assert_matches(m, t)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("side", ["left", "right"])
def test_numpy_scalar_operand_matches_torch(op, side):
    fn = OPS[op]
    for s, name in itertools.product(SCALARS, TENSORS):
        m, t = _tensors(name)
        label = f"{type(s).__name__} {op} {name} ({side})"
        if side == "left":
            _assert_same_outcome(_outcome(fn, s, m), _outcome(fn, s, t), label)
        else:
            _assert_same_outcome(_outcome(fn, m, s), _outcome(fn, t, s), label)


ARRAYS = {
    "float64": np.array([0.5, 1.5, 3.0]),
    "float32": np.array([0.5, 1.5, 3.0], dtype=np.float32),
    "int64": np.array([1, 3, 5]),
    "bool": np.array([True, True, False]),
    "0d:float64": np.array(1.5),
    "0d:int64": np.array(3),
}


@pytest.mark.parametrize("op", list(OPS))
def test_numpy_array_on_the_left_acts_as_a_tensor(op):
    """NOTE: torch 2.13 returns NotImplemented to most of these (Python raises TypeError) and
    gives a NumPy-promoted Tensor for ``/``; mytorch reads the array as torch.from_numpy(array),
    as it already does for an array on the right."""
    fn = OPS[op]
    for (an, arr), name in itertools.product(ARRAYS.items(), TENSORS):
        m, t = _tensors(name)
        label = f"array {an} {op} {name}"
        got = _outcome(fn, arr, m)
        _assert_same_outcome(got, _outcome(fn, torch.from_numpy(arr.copy()), t), label)
        if not isinstance(got, type):
            assert isinstance(got, mytorch.Tensor)


def test_numpy_scalar_on_the_left_records_the_graph():
    m, t = (lib.tensor([1.0, 2.0, 3.0], requires_grad=True) for lib in (mytorch, torch))
    for fn, node in [
        (lambda x: np.float64(2) * x, "MulBackward0"),
        (lambda x: np.float32(2) + x, "AddBackward0"),
        (lambda x: np.int64(2) - x, "RsubBackward1"),
        (lambda x: np.float64(2) ** x, "PowBackward2"),
    ]:
        rm, rt = fn(m), fn(t)
        assert isinstance(rm, mytorch.Tensor) and rm.requires_grad
        assert rm.grad_fn.name() == rt.grad_fn.name() == node
        assert_matches(rm, rt)
        (gm,) = mytorch.autograd.grad(rm.sum(), m)
        (gt,) = torch.autograd.grad(rt.sum(), t)
        assert_matches(gm, gt)


def test_numpy_array_on_the_left_records_the_graph():
    arr = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    m, t = (lib.tensor([1.0, -2.0, 3.0], requires_grad=True) for lib in (mytorch, torch))
    for fn in [
        lambda a, x: a * x,
        lambda a, x: a - x,
        lambda a, x: a / x,
        lambda a, x: a @ x,
        lambda a, x: a**x,
    ]:
        rm, rt = fn(arr, m), fn(torch.from_numpy(arr), t)
        assert isinstance(rm, mytorch.Tensor) and rm.requires_grad
        assert_matches(rm, rt)
        (gm,) = mytorch.autograd.grad(rm.sum(), m)
        (gt,) = torch.autograd.grad(rt.sum(), t)
        assert_matches(gm, gt)


def test_numpy_array_on_the_left_of_matmul_keeps_matmul_dtype_rule():
    with pytest.raises(RuntimeError, match="same dtype"):
        np.ones((2, 3)) @ mytorch.ones(3)  # float64 array, float32 tensor: torch's rule
    with pytest.raises(TypeError):
        np.float64(2) @ mytorch.ones(3)  # as torch: a scalar has no matmul


def test_numpy_complex64_keeps_its_imaginary_part():
    """NOTE: deliberate deviation: torch 2.13 reads np.complex64 as a float (dropping the
    imaginary part with a ComplexWarning); mytorch reads it as a Python complex."""
    r = np.complex64(2 + 1j) * mytorch.tensor([1.0, 2.0])
    assert r.dtype == mytorch.complex64
    assert r.tolist() == [2 + 1j, 4 + 2j]


def test_python_complex_scalar_operand():
    m, t = _tensors("float32")
    _assert_same_outcome(m * (2 + 1j), t * (2 + 1j), "float32 * complex")
    mi, ti = _tensors("int64")
    _assert_same_outcome((2 + 1j) - mi, (2 + 1j) - ti, "complex - int64")


def test_numpy_ufunc_on_a_tensor_gives_a_tensor():
    m, t = _tensors("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's __array_wrap__ signature notice
        for fn in [np.exp, lambda x: np.add(x, 1), lambda x: np.multiply(x, x)]:
            assert_matches(fn(m), fn(t))
        m0, t0 = _tensors("0d:float32")
        assert_matches(np.exp(m0), np.exp(t0))
    a = np.asarray(m)
    assert type(a) is np.ndarray and a.dtype == np.float32
    a[0] = 7.0  # np.asarray shares the tensor's memory, as torch's does
    assert m[0].item() == 7.0


def test_numpy_ufunc_on_a_tensor_that_requires_grad_raises_like_torch():
    for lib in (mytorch, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
            np.exp(x)


def test_python_int_floor_division_of_an_int_tensor_stays_integer():
    m, t = _tensors("int64")
    for fn in [lambda x: 7 // x, lambda x: 7 % x, lambda x: -7 // x, lambda x: x // -3]:
        assert_matches(fn(m), fn(t))
