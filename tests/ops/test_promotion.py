"""Type promotion follows PyTorch, not NumPy: checked over a grid of dtypes and operand kinds,
with torch.result_type and torch's own ops as the oracle."""

import itertools

import numpy as np
import pytest
from helpers import assert_matches, dtype_str, raises_like

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 2.5]

# An operand is a dimensioned tensor ("dim"), a 0-d tensor ("0d") or a Python scalar ("py").
KIND_PAIRS = [
    ("dim", "dim"),
    ("dim", "0d"),
    ("0d", "dim"),
    ("0d", "0d"),
    ("dim", "py"),
    ("py", "dim"),
    ("0d", "py"),
]

BINARY = {
    "add": lambda T, a, b: a + b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / b,
    "sub": lambda T, a, b: a - b,
    "maximum": lambda T, a, b: T.maximum(a, b),
    "lt": lambda T, a, b: a < b,
}


def _operands(kind, dtype_names):
    """(mytorch operand, torch operand, label) for every dtype (or scalar) of one kind. Bool
    tensors hold True, the others 2 (so bool operands stay bool)."""
    if kind == "py":
        return [(s, s, type(s).__name__) for s in SCALARS]
    shape = (2,) if kind == "dim" else ()
    out = []
    for name in dtype_names:
        a = np.full(shape, True if name == "bool" else 2, dtype=name)
        assert a.dtype == np.dtype(name)
        out.append((mytorch.tensor(a), torch.tensor(a), f"{kind}:{name}"))
    return out


def _outcome(T, fn, a, b):
    """(result, None), or (None, the exception) where the op refuses its operands."""
    try:
        return fn(T, a, b), None
    except Exception as e:  # noqa: BLE001 - the class is compared with torch's
        return None, e


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("kinds", KIND_PAIRS, ids=lambda k: "-".join(k))
def test_binary_result_dtype_matches_torch(op, kinds):
    """Every pair of operand dtypes gives torch's dtype and values, or raises exactly torch's
    exception class where torch refuses (bool subtraction, a Python scalar to maximum)."""
    fn = BINARY[op]
    mismatches = []
    for (am, at, la), (bm, bt, lb) in itertools.product(
        _operands(kinds[0], DTYPES), _operands(kinds[1], DTYPES)
    ):
        rt, et = _outcome(torch, fn, at, bt)
        rm, em = _outcome(mytorch, fn, am, bm)
        if et is not None or em is not None:
            if et is None or em is None or type(em) is not type(et):
                mismatches.append(f"{la} {op} {lb}: mytorch {em!r} / {rm}, torch {et!r} / {rt}")
            continue
        if op in ("add", "mul", "sub"):
            assert rt.dtype == torch.result_type(at, bt)  # the oracle agrees with itself
        if dtype_str(rm) != dtype_str(rt) or not np.allclose(
            rm.numpy().astype(float), rt.numpy().astype(float)
        ):
            mismatches.append(
                f"{la} {op} {lb}: mytorch {dtype_str(rm)} {rm.tolist()}, "
                f"torch {rt.dtype} {rt.tolist()}"
            )
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)


def test_promote_types_matches_torch():
    for a, b in itertools.product(DTYPES + ["complex64", "complex128"], repeat=2):
        m = mytorch.promote_types(getattr(mytorch, a), getattr(mytorch, b))
        t = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert repr(m) == str(t), (a, b)


@pytest.mark.parametrize(
    "case",
    [
        ("float32 + python float stays float32", lambda T: T.ones(2) + 2.5),
        ("int + python float -> float32", lambda T: T.tensor([1, 2]) + 0.5),
        ("int / int -> float32", lambda T: T.tensor([1, 2]) / T.tensor([2, 4])),
        ("int / python int -> float32", lambda T: T.tensor([3, 4]) / 2),
        (
            "0-d float promotes an int tensor",
            lambda T: T.tensor([1, 2]) * T.tensor(1.5, dtype=T.float64),
        ),
        (
            "0-d int64 does not promote int32",
            lambda T: T.tensor([1, 2], dtype=T.int32) + T.tensor(7),
        ),
        ("int32 + int64", lambda T: T.tensor([1], dtype=T.int32) + T.tensor([2])),
        (
            "uint8 + int8 -> int16",
            lambda T: T.tensor([200], dtype=T.uint8) + T.tensor([-1], dtype=T.int8),
        ),
        ("bool + int", lambda T: T.tensor([True, False]) + T.tensor([3, 4])),
        ("bool + python int", lambda T: T.tensor([True, False]) + 2),
        ("bool + python float", lambda T: T.tensor([True, False]) * 1.5),
        (
            "int64 + float16 -> float16",
            lambda T: T.tensor([1, 2]) + T.tensor([0.5, 1], dtype=T.float16),
        ),
        ("float16 + python float", lambda T: T.tensor([1.0], dtype=T.float16) * 3.0),
        ("float64 + float32", lambda T: T.ones(2, dtype=T.float64) + T.ones(2)),
        ("scalar ** int tensor", lambda T: 2 ** T.tensor([1, 3])),
        ("float scalar ** int tensor", lambda T: 2.0 ** T.tensor([1, 3])),
        ("int tensor ** float scalar", lambda T: T.tensor([1, 4]) ** 0.5),
        ("int tensor ** int", lambda T: T.tensor([1, 4]) ** 2),
        ("exp of int -> float32", lambda T: T.exp(T.tensor([0, 1]))),
        ("sqrt of bool", lambda T: T.sqrt(T.tensor([True, False]))),
        ("sum of int32 -> int64", lambda T: T.tensor([1, 2], dtype=T.int32).sum()),
        ("sum of bool -> int64", lambda T: T.tensor([True, True, False]).sum()),
        ("mean of float16", lambda T: T.tensor([1.0, 2.0], dtype=T.float16).mean()),
        (
            "where int/float scalar",
            lambda T: T.where(T.tensor([True, False]), T.tensor([1, 2]), 0.5),
        ),
        (
            "where float32/float64",
            lambda T: T.where(T.tensor([True, False]), T.ones(2), T.zeros(2, dtype=T.float64)),
        ),
        (
            "cat int32 + float16",
            lambda T: T.cat([T.tensor([1], dtype=T.int32), T.tensor([2.0], dtype=T.float16)]),
        ),
        ("stack int64 + float32", lambda T: T.stack([T.tensor([1, 2]), T.tensor([0.5, 1.5])])),
        ("maximum int + float", lambda T: T.maximum(T.tensor([1, 5]), T.tensor([2.5, 0.5]))),
        ("compare int with float scalar", lambda T: T.tensor([1, 2]) > 1.5),
        ("neg of int8", lambda T: -T.tensor([1, -2], dtype=T.int8)),
        ("abs of int32", lambda T: T.abs(T.tensor([-1, 2], dtype=T.int32))),
        ("matmul int64", lambda T: T.tensor([[1, 2]]) @ T.tensor([[3], [4]])),
    ],
    ids=lambda c: c[0],
)
def test_promotion_case(case):
    _, fn = case
    assert_matches(fn(mytorch), fn(torch))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum"])
def test_zero_dim_float64_does_not_promote_lower_float(op, dtype):
    fn = BINARY[op]
    xm, xt = (
        mytorch.ones(2, dtype=getattr(mytorch, dtype)),
        torch.ones(2, dtype=getattr(torch, dtype)),
    )
    ym, yt = mytorch.tensor(2.0, dtype=mytorch.float64), torch.tensor(2.0, dtype=torch.float64)
    assert_matches(fn(mytorch, xm, ym), fn(torch, xt, yt))


def test_matmul_refuses_mixed_dtypes():
    raises_like(lambda T: T.ones(2, 2) @ T.ones(2, 2, dtype=T.float64), ["dtype"], RuntimeError)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.tensor([True, False]) - T.tensor([True, True]),
        lambda T: T.tensor([True, False]) - True,
        lambda T: True - T.tensor([True, False]),
        lambda T: T.tensor(True) - T.tensor(False),
    ],
    ids=["tensors", "python_bool", "rsub_python_bool", "0d"],
)
def test_bool_minus_bool_refused_as_torch(fn):
    raises_like(fn, ["Subtraction, the `-` operator, with two bool tensors is not supported"])


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.tensor([1, 2]) - T.tensor([True, False]),
        lambda T: T.tensor([True, False]) - T.tensor([1, 2]),
        lambda T: T.tensor([1.5, 2.0]) - T.tensor(True),
        lambda T: T.tensor([True, False]) - 1,
        lambda T: 2.5 - T.tensor([True, False]),
        lambda T: T.sub(T.tensor([1, 2]), T.tensor([True, False])),
        lambda T: T.rsub(T.tensor([1, 2]), T.tensor([True, False])),
        lambda T: T.tensor([1, 2]).sub(T.tensor([True, False]), alpha=2),
    ],
    ids=[
        "int_bool",
        "bool_int",
        "float_0d_bool",
        "bool_int_scalar",
        "float_scalar_bool",
        "sub_fn",
        "rsub_fn",
        "sub_alpha",
    ],
)
def test_bool_subtraction_refused_as_torch(fn):
    raises_like(fn, ["Subtraction, the `-` operator, with a bool tensor is not supported"])


def test_gradient_dtype_follows_its_input(dtype_name):
    # A float32 leaf mixed with a float64 one gets a float32 gradient, as in torch.
    other = "float64" if dtype_name == "float32" else "float32"
    xm = mytorch.ones(2, dtype=getattr(mytorch, dtype_name), requires_grad=True)
    ym = mytorch.ones(2, dtype=getattr(mytorch, other), requires_grad=True)
    xt = torch.ones(2, dtype=getattr(torch, dtype_name), requires_grad=True)
    yt = torch.ones(2, dtype=getattr(torch, other), requires_grad=True)
    (xm * ym * 3).sum().backward()
    (xt * yt * 3).sum().backward()
    assert_matches(xm.grad, xt.grad)
    assert_matches(ym.grad, yt.grad)
