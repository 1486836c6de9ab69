"""Creation functions against torch: shapes, dtypes and values; random ones by distribution.

NOTE: mytorch's random stream is NumPy's PCG64, deliberately not torch's Mersenne Twister, so
random tensors are compared on shape, dtype, range and moments, never on values.
"""

import numpy as np
import pytest
from helpers import assert_matches, raises

import mytorch

try:
    import torch
except ImportError:
    torch = None


CREATE = [
    ("zeros", lambda T: T.zeros(2, 3)),
    ("zeros_tuple", lambda T: T.zeros((2, 3))),
    ("zeros_0d", lambda T: T.zeros(())),
    ("zeros_int", lambda T: T.zeros(3, dtype=T.int64)),
    ("ones", lambda T: T.ones(4)),
    ("ones_f64", lambda T: T.ones(2, 2, dtype=T.float64)),
    ("ones_bool", lambda T: T.ones(2, dtype=T.bool)),
    ("empty_shape", lambda T: T.empty(2, 0, 3).shape),
    ("full_float", lambda T: T.full((2, 2), 1.5)),
    ("full_int", lambda T: T.full((3,), 7)),
    ("full_bool", lambda T: T.full((2,), True)),
    ("full_dtype", lambda T: T.full([2], 2, dtype=T.float64)),
    ("arange_int", lambda T: T.arange(5)),
    ("arange_start_end", lambda T: T.arange(2, 7)),
    ("arange_step", lambda T: T.arange(1, 10, 3)),
    ("arange_neg_step", lambda T: T.arange(5, 0, -2)),
    ("arange_float", lambda T: T.arange(0.0, 1.0, 0.25)),
    ("arange_float_step", lambda T: T.arange(0, 2, 0.5)),
    ("arange_dtype", lambda T: T.arange(4, dtype=T.float64)),
    ("arange_empty", lambda T: T.arange(3, 3)),
    ("linspace", lambda T: T.linspace(0, 1, 5)),
    ("linspace_neg", lambda T: T.linspace(-2.5, 3, 7)),
    ("linspace_one", lambda T: T.linspace(3, 4, 1)),
    ("linspace_f64", lambda T: T.linspace(0, 1, 3, dtype=T.float64)),
    ("eye", lambda T: T.eye(3)),
    ("eye_rect", lambda T: T.eye(2, 4)),
    ("eye_int", lambda T: T.eye(2, dtype=T.int64)),
    ("zeros_like", lambda T: T.zeros_like(T.ones(2, 3, dtype=T.float64))),
    ("ones_like_int", lambda T: T.ones_like(T.tensor([1, 2]))),
    ("ones_like_dtype", lambda T: T.ones_like(T.tensor([1, 2]), dtype=T.float32)),
    ("full_like", lambda T: T.full_like(T.zeros(2), 3.5)),
    ("full_like_int", lambda T: T.full_like(T.tensor([1, 2]), 3)),
    ("empty_like", lambda T: T.empty_like(T.zeros(3, 1)).shape),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CREATE, ids=[c[0] for c in CREATE])
def test_creation_matches_torch(case):
    _, fn = case
    m, t = fn(mytorch), fn(torch)
    if isinstance(t, torch.Size):
        assert m == t and repr(m) == repr(t)
        return
    assert_matches(m, t)
    assert not m.requires_grad


@pytest.mark.torch
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factory_dtype_and_requires_grad(name):
    m = getattr(mytorch, name)(2, 3, dtype=mytorch.float64, requires_grad=True)
    t = getattr(torch, name)(2, 3, dtype=torch.float64, requires_grad=True)
    assert m.shape == t.shape and repr(m.dtype) == str(t.dtype)
    assert m.requires_grad and m.is_leaf
    assert getattr(mytorch, name)(4).dtype is mytorch.float32


def test_negative_size_is_runtime_error():
    with raises(RuntimeError, match="negative dimension"):
        mytorch.zeros(2, -1)
    with raises(TypeError):
        mytorch.ones(2.5)


# --- random -------------------------------------------------------------------------------
def test_rand_range_shape_and_moments():
    mytorch.manual_seed(0)
    r = mytorch.rand(20000)
    a = r.numpy()
    assert r.shape == (20000,) and r.dtype is mytorch.float32
    assert a.min() >= 0.0 and a.max() < 1.0
    assert abs(a.mean() - 0.5) < 0.01 and abs(a.var() - 1 / 12) < 0.005
    assert mytorch.rand(2, 3).shape == (2, 3) and mytorch.rand((4,)).shape == (4,)


def test_randn_moments():
    mytorch.manual_seed(1)
    a = mytorch.randn(20000, dtype=mytorch.float64).numpy()
    assert a.dtype == np.float64
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1.0) < 0.03
    assert mytorch.randn(()).shape == () and mytorch.randn(3, 1).shape == (3, 1)


@pytest.mark.torch
def test_randint_matches_torch_signature():
    mytorch.manual_seed(2)
    m, t = mytorch.randint(3, 7, (1000,)), torch.randint(3, 7, (1000,))
    assert m.dtype is mytorch.int64 and repr(m.dtype) == str(t.dtype)
    assert m.shape == t.shape
    assert set(m.tolist()) == set(range(3, 7))  # high is exclusive, every value drawn
    m2, t2 = mytorch.randint(5, (2, 3)), torch.randint(5, (2, 3))
    assert (
        m2.shape == t2.shape and 0 <= min(m2.flatten().tolist()) and max(m2.flatten().tolist()) < 5
    )
    assert mytorch.randint(0, 2, (3,), dtype=mytorch.int32).dtype is mytorch.int32


def test_rand_like_and_randn_like():
    x = mytorch.zeros(2, 5, dtype=mytorch.float64)
    for r in (mytorch.rand_like(x), mytorch.randn_like(x)):
        assert r.shape == (2, 5) and r.dtype is mytorch.float64


def test_manual_seed_reproduces_every_generator():
    def draw():
        return (
            mytorch.rand(5).tolist(),
            mytorch.randn(3).tolist(),
            mytorch.randint(0, 100, (4,)).tolist(),
        )

    mytorch.manual_seed(42)
    first = draw()
    mytorch.manual_seed(42)
    assert draw() == first
    mytorch.manual_seed(43)
    assert draw() != first
    assert mytorch.initial_seed() == 43
