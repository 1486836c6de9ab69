"""dtype questions and conversions against torch: result_type, can_cast, finfo, iinfo,
is_complex, is_nonzero, is_same_size and the casting methods short, char and byte."""

import itertools

import pytest

import mytorch
from helpers import raises_like, torch

pytestmark = pytest.mark.torch

DTYPES = [
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex64", "complex128",
]  # fmt: skip


def _pair(name):
    return getattr(mytorch, name), getattr(torch, name)


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_can_cast(a, b):
    (ma, ta), (mb, tb) = _pair(a), _pair(b)
    assert mytorch.can_cast(ma, mb) is torch.can_cast(ta, tb)


def _operands(T, dt):
    return [
        T.ones(2, dtype=getattr(T, dt)),
        T.tensor(1, dtype=getattr(T, dt)),
    ]


SCALARS = [True, 2, 2.5, 1j]


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_result_type_of_tensors(a, b):
    for x in range(2):
        for y in range(2):
            m = mytorch.result_type(_operands(mytorch, a)[x], _operands(mytorch, b)[y])
            t = torch.result_type(_operands(torch, a)[x], _operands(torch, b)[y])
            if t is torch.complex32:
                continue  # NOTE: mytorch has no complex32 (torch's float16 + complex case)
            assert repr(m) == repr(t), (a, b, x, y)


@pytest.mark.parametrize("a", DTYPES)
def test_result_type_with_numbers(a):
    for x in range(2):
        for s in SCALARS:
            m, t = _operands(mytorch, a)[x], _operands(torch, a)[x]
            if torch.result_type(t, s) is torch.complex32:
                continue  # NOTE: mytorch has no complex32
            assert repr(mytorch.result_type(m, s)) == repr(torch.result_type(t, s))
            assert repr(mytorch.result_type(s, m)) == repr(torch.result_type(s, t))
    for s, u in itertools.product(SCALARS, SCALARS):
        assert repr(mytorch.result_type(s, u)) == repr(torch.result_type(s, u))


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128"])
def test_finfo(name):
    m, t = mytorch.finfo(getattr(mytorch, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(m, attr) == getattr(t, attr), attr
        assert type(getattr(m, attr)) is type(getattr(t, attr)), attr
    assert repr(m) == repr(t)


def test_finfo_of_the_default_dtype():
    assert mytorch.finfo().dtype == torch.finfo().dtype == "float32"
    mytorch.set_default_dtype(mytorch.float64)
    try:
        assert mytorch.finfo().bits == 64
    finally:
        mytorch.set_default_dtype(mytorch.float32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    m, t = mytorch.iinfo(getattr(mytorch, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(m, attr) == getattr(t, attr), attr
        assert type(getattr(m, attr)) is type(getattr(t, attr)), attr
    assert repr(m) == repr(t)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.finfo(T.int32),
        lambda T: T.finfo(T.bool),
        lambda T: T.finfo(1),
        lambda T: T.iinfo(T.float32),
        lambda T: T.iinfo(T.complex64),
        lambda T: T.iinfo(T.bool),
        lambda T: T.can_cast(1, T.int32),
        lambda T: T.can_cast(T.int32, "a"),
        lambda T: T.result_type("a", 1),
        lambda T: T.result_type(T.zeros(1), "a"),
        lambda T: T.is_complex(1),
        lambda T: T.is_nonzero(1),
        lambda T: T.is_nonzero(T.tensor([1, 2])),
        lambda T: T.is_nonzero(T.tensor([])),
        lambda T: T.tensor([1, 2]).is_nonzero(),
        lambda T: T.is_same_size(T.zeros(1), 1),
        lambda T: T.is_same_size(1, T.zeros(1)),
        lambda T: T.numel(1),
        lambda T: T.numel([1, 2]),
    ],
)
def test_errors(fn):
    raises_like(fn)


def test_is_complex_is_nonzero_is_same_size():
    for name in DTYPES:
        (m, t) = _pair(name)
        assert mytorch.is_complex(mytorch.zeros(1, dtype=m)) is torch.is_complex(
            torch.zeros(1, dtype=t)
        )
    for v in [0, 1, 0.0, -0.5, float("nan"), True, False, 1j, 0j]:
        assert mytorch.is_nonzero(mytorch.tensor(v)) is torch.is_nonzero(torch.tensor(v))
        assert mytorch.tensor([[v]]).is_nonzero() is torch.tensor([[v]]).is_nonzero()
    for a, b in [((2, 3), (2, 3)), ((2, 3), (3, 2)), ((), ()), ((1,), ())]:
        assert mytorch.is_same_size(mytorch.zeros(a), mytorch.zeros(b)) is torch.is_same_size(
            torch.zeros(a), torch.zeros(b)
        )
        assert mytorch.zeros(a).is_same_size(mytorch.zeros(b)) is torch.zeros(a).is_same_size(
            torch.zeros(b)
        )


@pytest.mark.parametrize("method", ["short", "char", "byte"])
@pytest.mark.parametrize("src", ["float32", "int64", "bool"])
def test_casting_methods(method, src, device):
    vals = [0, 1, 5, 100] if src != "bool" else [True, False, True, True]
    m = getattr(mytorch.tensor(vals, dtype=getattr(mytorch, src), device=device), method)()
    t = getattr(torch.tensor(vals, dtype=getattr(torch, src)), method)()
    assert repr(m.dtype) == repr(t.dtype)
    assert m.device.type == mytorch.device(device).type
    assert m.cpu().tolist() == t.tolist()
    same = mytorch.zeros(2, dtype=getattr(mytorch, repr(t.dtype).split(".")[1]))
    assert getattr(same, method)() is same  # already of the dtype: itself, as torch


@pytest.mark.parametrize("real", ["float32", "float64"])
@pytest.mark.parametrize("cplx", ["complex64", "complex128"])
def test_a_float_tensor_keeps_its_precision_with_a_complex_0d_tensor(real, cplx):
    """The bug: float32 [2] + complex128 0-d gave complex128 (torch: complex64)."""
    m = mytorch.ones(2, dtype=getattr(mytorch, real)) + mytorch.tensor(
        1j, dtype=getattr(mytorch, cplx)
    )
    t = torch.ones(2, dtype=getattr(torch, real)) + torch.tensor(1j, dtype=getattr(torch, cplx))
    assert repr(m.dtype) == repr(t.dtype)


def test_numel():
    for shape in [(), (0,), (2, 3), (4, 0, 2)]:
        assert mytorch.numel(mytorch.zeros(shape)) == torch.numel(torch.zeros(shape))
        assert mytorch.numel(input=mytorch.zeros(shape)) == torch.numel(input=torch.zeros(shape))
