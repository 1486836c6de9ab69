"""The stand-in device array: CuPy's rules on the host (no implicit NumPy conversion, explicit
and counted transfers, NumPy's dtype and view semantics through the wrapper)."""

import operator

import numpy as np
import pytest
from helpers import raises
from backends.standin import StandinArray, counts, reset_counts, xp


def dev(values, dtype=None):
    return xp.asarray(np.asarray(values, dtype=dtype))


def test_implicit_conversion_to_numpy_raises():
    a = dev([1.0, 2.0])
    with raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with raises(TypeError):
        np.exp(a)  # a ufunc
    with raises(TypeError):
        np.concatenate([a, a])  # an array function
    with raises(TypeError):
        np.array([a, a])


@pytest.mark.parametrize(
    "mix",
    [
        lambda a, h: a + h,
        lambda a, h: h * a,
        lambda a, h: a == h,
        lambda a, h: h < a,
        lambda a, h: operator.iadd(a, h),
        lambda a, h: a.__setitem__(slice(None), h),
        lambda a, h: xp.exp(h),
        lambda a, h: xp.maximum(a, h),
        lambda a, h: xp.concatenate([a, h]),
        lambda a, h: xp.add.at(h, [0], 1.0),
    ],
)
def test_mixing_with_host_ndarray_raises(mix):
    with raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        mix(dev([1.0, 2.0]), np.ones(2))


@pytest.mark.parametrize(
    "op, dtype, expected",
    [
        (lambda a: a * 2.5, "float32", "float32"),  # a Python scalar is weak (NumPy 2)
        (lambda a: 2.5 * a, "float32", "float32"),
        (lambda a: a + np.float64(1), "float32", "float64"),  # a NumPy scalar is not
        (lambda a: np.float64(1) - a, "float32", "float64"),
        (lambda a: a + 1, "int32", "int32"),
        (lambda a: a / 2, "int64", "float64"),
        (lambda a: a**2, "int64", "int64"),
        (lambda a: a >= 1, "float32", "bool"),
        (lambda a: -a, "float32", "float32"),
        (lambda a: a & 1, "int32", "int32"),
    ],
)
def test_scalar_arithmetic_stays_on_device_with_numpy_dtypes(op, dtype, expected):
    host = np.array([1, 2, 3], dtype=dtype)
    out = op(dev(host))
    assert isinstance(out, StandinArray)
    assert out.dtype == np.dtype(expected)
    np.testing.assert_array_equal(out.get(), op(host))


def test_reductions_and_integer_indexing_give_0d_arrays():
    a = dev([3.0, 1.0, 2.0], "float32")
    for r in (a.sum(), a.max(), xp.sum(a), xp.argmax(a), xp.amin(a), a.mean(), a[1], a[-1]):
        assert isinstance(r, StandinArray) and r.shape == ()
    assert a.sum().dtype == np.float32 and xp.argmax(a).get() == 0
    x = a[1]  # as in CuPy, a 0-d view rather than a NumPy scalar copy
    x += 10
    np.testing.assert_array_equal(a.get(), [3.0, 11.0, 2.0])


def test_inplace_ops_mutate_the_array_and_its_views():
    a = dev([1.0, 2.0, 3.0])
    b = a
    a += 1
    a *= dev([1.0, 2.0, 1.0])
    assert a is b
    v = a[1:]
    v -= 1
    assert v.base is a and a[1:].base is a and a.base is None
    np.testing.assert_array_equal(a.get(), [2.0, 5.0, 3.0])
    o = v[:1]
    assert xp.exp(o, out=o) is o
    assert a[1].item() == pytest.approx(np.exp(5.0))


def test_add_at_accumulates_repeated_indices():
    out = xp.zeros(4)
    xp.add.at(out, dev([0, 2, 0, 0]), dev([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.get(), [8.0, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(xp.maximum.reduce(dev([[1, 5], [4, 2]])).get(), [4, 5])


def test_indexing_with_device_index_arrays():
    a = dev(np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(a[dev([2, 0])].get(), [[8, 9, 10, 11], [0, 1, 2, 3]])
    np.testing.assert_array_equal(a[:, dev([True, False, False, True])].get()[:, 1], [3, 7, 11])
    np.testing.assert_array_equal(a[a > 9].get(), [10, 11])
    a[dev([0, 1]), 0] = np.int64(-1)
    a[2, dev(1)] = xp.asarray(np.int64(100))
    a[..., None][0, 1] = 7.0
    np.testing.assert_array_equal(a.get()[:, :2], [[-1, 7], [-1, 5], [8, 100]])


def test_module_functions_wrap_results():
    a, b = dev([[1.0, 2.0], [3.0, 4.0]]), dev([[0.0, 1.0], [1.0, 0.0]])
    results = {
        "where": (xp.where(a > 2, a, 0.0), [[0, 0], [3, 4]]),
        "concatenate": (xp.concatenate([a, b], axis=1)[1], [3, 4, 1, 0]),
        "stack": (xp.stack((a, b))[:, 0, 1], [2, 1]),
        "matmul": (xp.matmul(a, b), [[2, 1], [4, 3]]),
        "@": (a @ b, [[2, 1], [4, 3]]),
        "nonzero": (xp.nonzero(b)[1], [1, 0]),
    }
    for name, (got, want) in results.items():
        assert isinstance(got, StandinArray), name
        np.testing.assert_array_equal(got.get(), want, err_msg=name)


def test_explicit_transfers_are_counted():
    reset_counts()
    host = np.array([1.0, 2.0])
    a = xp.asarray(host)
    host[0] = 99.0  # the device copy does not alias host memory
    assert xp.asarray(a) is a
    got = a.get()
    assert type(got) is np.ndarray and got.tolist() == [1.0, 2.0]
    assert type(xp.asnumpy(a)) is np.ndarray
    assert float(xp.asarray(np.float64(2.0))) == 2.0
    assert counts() == {"to_host": 2, "to_device": 2, "scalar": 1}


def test_types_and_constants_are_numpy_s():
    assert xp.__name__ == "standin" and xp.ndarray is StandinArray
    assert xp.float32 is np.float32 and xp.dtype is np.dtype and xp.bool_ is np.bool_
    assert xp.int64 is np.int64 and xp.generic is np.generic and xp.newaxis is None
    assert (xp.pi, xp.inf) == (np.pi, np.inf) and np.isnan(xp.nan)
    assert xp.zeros(2, dtype=xp.float32).dtype == np.float32
    assert xp.arange(3).device.id == 0


def test_python_conversions():
    i = dev(3)
    assert operator.index(i) == 3 and [0, 1, 2, 3][i] == 3 and int(dev(2.5)) == 2
    with raises(TypeError):
        operator.index(dev(3.0))
    assert bool(dev(1)) and not bool(dev(0.0)) and complex(dev(1j)) == 1j
    rows = list(dev([[1, 2], [3, 4]]))
    assert all(isinstance(r, StandinArray) for r in rows) and rows[1].tolist() == [3, 4]
