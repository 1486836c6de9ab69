"""linspace against torch: its CPU kernel's values (bit for bit in the float dtypes), integer
and complex dtypes, the ends' overflow checks, and the dtypes torch refuses (with arange's)."""

import itertools

import numpy as np
import pytest

import mytorch
from helpers import raises_like, to_numpy, torch

pytestmark = pytest.mark.torch

ENDS = list(itertools.product([0, -1, 0.5, 3.2, -7.3, 100], [5, 3.2, -2.5, 120]))
STEPS = [0, 1, 2, 3, 4, 7, 8, 9, 16, 17, 33, 50, 101]


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_float_values_bit_for_bit(dt):
    """The bug: values computed in float64 and rounded differed from torch's by an ulp."""
    for (start, end), steps in itertools.product(ENDS, STEPS):
        m = mytorch.linspace(start, end, steps, dtype=getattr(mytorch, dt))
        t = torch.linspace(start, end, steps, dtype=getattr(torch, dt))
        assert repr(m.dtype) == repr(t.dtype)
        np.testing.assert_array_equal(to_numpy(m), to_numpy(t), err_msg=f"{start} {end} {steps}")


@pytest.mark.parametrize(
    "dt", ["uint8", "int8", "int16", "int32", "int64", "complex64", "complex128"]
)
def test_integer_and_complex_values(dt):
    # NOTE: within one of torch's (integers) or an ulp (complex): torch's vectorised loops
    # round a few of these differently
    for (start, end), steps in itertools.product(ENDS, STEPS):
        try:
            t = torch.linspace(start, end, steps, dtype=getattr(torch, dt))
        except RuntimeError:
            continue  # an overflow: test_overflow
        m = mytorch.linspace(start, end, steps, dtype=getattr(mytorch, dt))
        assert repr(m.dtype) == repr(t.dtype)
        a, b = to_numpy(m), to_numpy(t)
        if dt.startswith("int") or dt == "uint8":
            assert np.all(np.abs(a.astype(np.int64) - b.astype(np.int64)) <= 1), (start, end, steps)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6 if dt == "complex64" else 1e-14, atol=1e-6)


def test_on_the_standin_device():
    for dt in ["float32", "float64", "int32", "complex64"]:
        m = mytorch.linspace(-7.3, 120, 33, dtype=getattr(mytorch, dt), device="standin")
        t = torch.linspace(-7.3, 120, 33, dtype=getattr(torch, dt))
        assert m.device.type == "standin"
        np.testing.assert_allclose(to_numpy(m), to_numpy(t), rtol=1e-6, atol=1)


@pytest.mark.parametrize(
    "args",
    [
        (0, 1e3, 3, "int8"), (0, 256, 3, "uint8"), (-256, 3, 3, "uint8"), (-7.3, 5, 3, "uint8"),
        (0, 255.5, 3, "uint8"), (-255, 3, 3, "uint8"), (-1, 5, 3, "uint8"), (0, 2**63, 3, "int64"),
        (0, 1e30, 3, "int64"), (0, 1e5, 3, "float16"), (0, 1e39, 3, "float32"),
        (0, 1e39, 3, "complex64"), (0, 1e3, 1, "int8"), (1e3, 0, 1, "int8"), (1e3, 0, 0, "int8"),
        (0, 1e39, 3, "float64"),
    ],
)  # fmt: skip
def test_overflow(args):
    *a, dt = args

    def make(T):
        return T.linspace(*a, dtype=getattr(T, dt))

    try:
        t = make(torch)
    except RuntimeError:
        raises_like(make, ["cannot be converted to type", "without overflow"])
        return
    np.testing.assert_array_equal(to_numpy(make(mytorch)), to_numpy(t))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.linspace(0, 1, 3, dtype=T.bool),
        lambda T: T.arange(0, 3, dtype=T.bool),
        lambda T: T.arange(0, 3, 0.5, dtype=T.bool),
        lambda T: T.linspace(0, 1, -1),
        lambda T: T.arange(0, 3, 0),
    ],
)
def test_refused_dtypes_and_arguments(fn):
    raises_like(fn)


@pytest.mark.parametrize("dt", ["complex64", "complex128", "float16", "uint8", "int8"])
def test_arange_dtypes(dt):
    def make(T):
        return T.arange(0, 5, 2, dtype=getattr(T, dt))

    try:
        t = make(torch)
    except Exception:
        raises_like(make)
        return
    m = make(mytorch)
    assert repr(m.dtype) == repr(t.dtype)
    np.testing.assert_array_equal(to_numpy(m), to_numpy(t))
