"""The stand-in device array: CuPy's rules on the host (no implicit NumPy conversion, explicit
and counted transfers, NumPy's dtype and view semantics through the wrapper), CuPy 14's API and
nothing of NumPy's beyond it, several devices, and random numbers made on the device."""

import operator

import numpy as np
import pytest
from backends import standin
from helpers import raises
from backends.standin import StandinArray, counts, reset_counts, xp

# The public attributes of cupy.ndarray in CuPy 14 (v14.2.0: cupy/_core/core.pyx, the class
# ndarray and its base _ndarray_base, and the readonly fields of cupy/_core/core.pxd).
# fmt: off
CUPY14_NDARRAY = frozenset("""
    T all any argmax argmin argpartition argsort astype base byteswap choose clip compress conj
    conjugate copy cstruct cumprod cumsum data device diagonal dot dtype dump dumps fill flags
    flat flatten get imag item itemsize mT max mdspan mean min nbytes ndim nonzero partition
    prod ptp put ravel real reduced_view repeat reshape round scatter_add scatter_max
    scatter_min searchsorted set shape size sort squeeze std strides sum swapaxes take
    toDlpack tobytes tofile tolist trace transpose var view
""".split())
# cupy/_core/flags.pyx: the Flags class of CuPy 14.
CUPY14_FLAGS = frozenset(["c_contiguous", "f_contiguous", "owndata", "fnc", "forc"])
# fmt: on


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
    with pytest.raises(TypeError):
        np.add.at(a, [0], 1.0)  # NumPy's scatter on a device array


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
    np.testing.assert_array_equal(xp.add.reduce(dev([[1, 5], [4, 2]])).get(), [5, 7])
    m = xp.zeros(3, dtype=np.int8)  # a boolean mask takes every dtype (CuPy's mask kernel)
    xp.add.at(m, dev([True, False, True]), dev(np.array([2, 3], dtype=np.int8)))
    np.testing.assert_array_equal(m.get(), [2, 0, 3])


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "uint8", "complex64", "complex128"])
def test_add_at_refuses_the_dtypes_cupy_has_no_atomic_add_for(dtype):
    with pytest.raises(TypeError, match="cupy.add.at only supports"):
        xp.add.at(xp.zeros(3, dtype=dtype), dev([0, 0]), dev(np.ones(2, dtype=dtype)))


@pytest.mark.parametrize(
    "call",
    [
        lambda: xp.multiply.at(xp.ones(2), dev([0]), dev([2.0])),
        lambda: xp.maximum.reduce(dev([[1, 5], [4, 2]])),
        lambda: xp.minimum.accumulate(dev([3, 1, 2])),
        lambda: xp.multiply.reduceat(dev([1, 2, 3]), dev([0, 2])),
    ],
    ids=["multiply.at", "maximum.reduce", "minimum.accumulate", "multiply.reduceat"],
)
def test_ufunc_methods_that_cupy_lacks_raise(call):
    with pytest.raises(NotImplementedError, match="is not supported yet"):
        call()


def test_the_array_has_cupy_14_attributes_only():
    public = {n for n in dir(StandinArray) if not n.startswith("_")}
    assert public <= CUPY14_NDARRAY, sorted(public - CUPY14_NDARRAY)
    a = dev([[1.0, 2.0], [3.0, 4.0]])
    flags = {n for n in dir(a.flags) if not n.startswith("_")}
    assert flags <= CUPY14_FLAGS, sorted(flags - CUPY14_FLAGS)
    assert not hasattr(a.flags, "writeable")
    assert a.flags.c_contiguous and not a.flags.f_contiguous and a.flags["C_CONTIGUOUS"]
    assert a.T.flags.f_contiguous and not a.T.flags.owndata
    assert a.data.device_id == 0 and a.data.ptr == a[0, 0].data.ptr


def test_the_module_has_cupy_14_names_only():
    for name in ("exp", "add", "take_along_axis", "may_share_memory", "asnumpy", "ndarray"):
        assert name in standin.CUPY_NAMES and getattr(xp, name) is not None
    for name in ("frompyfunc", "lib_stride_tricks", "nditer", "char", "ma", "emath"):
        assert name not in standin.CUPY_NAMES
        with pytest.raises(AttributeError):
            getattr(xp, name)
    assert {n for n in dir(xp) if not n.startswith("_")} <= standin.CUPY_NAMES
    assert xp.lib.stride_tricks.as_strided is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda: xp.asarray(np.array([1, "a"], dtype=object)),
        lambda: xp.array([1.0, None]),
        lambda: xp.zeros(2, dtype=object),
        lambda: dev([1.0]).astype(object),
        lambda: StandinArray((2,), dtype=object),
    ],
    ids=["asarray", "array_of_none", "zeros", "astype", "ndarray"],
)
def test_object_dtypes_are_unsupported(make):
    with pytest.raises(ValueError, match="Unsupported dtype object"):
        make()


def test_broadcast_views_are_writable_as_in_cupy():
    a = dev([1.0, 2.0])
    b = xp.broadcast_to(a, (3, 2))
    assert b.strides == (0, 8) and b.base is a
    b[0, 0] = 5.0  # NumPy's broadcast view is read-only; CuPy's writes through
    np.testing.assert_array_equal(a.get(), [5.0, 2.0])


def test_arrays_live_on_the_current_device():
    a = dev([1.0, 2.0])
    assert a.device == standin.Device(0) and standin.Device().id == 0
    with standin.Device(1):
        b = xp.asarray(np.array([3.0, 4.0]))
        c = b * 2 + xp.ones(2)
        v = b[1:]
        moved = a.copy()  # CuPy copies onto the current device from any device
        with pytest.raises(ValueError, match=r"resides \(0\) is different from the current"):
            _ = a + 1.0
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            xp.exp(a)
        assert a.get().tolist() == [1.0, 2.0]  # transfers work from any device
    for x in (b, c, v, moved):
        assert x.device.id == 1 and x.data.device_id == 1
    assert v.base is b and moved.get().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"resides \(1\)"):
        _ = b + a
    with pytest.raises(ValueError):
        b[0] = 1.0
    assert b[::-1].device.id == 1  # a view needs no kernel
    with pytest.raises(standin.CUDARuntimeError, match="invalid device ordinal"):
        with standin.Device(standin.DEVICE_COUNT):
            pass
    assert standin.Device().id == 0


def test_random_numbers_are_made_on_the_device():
    reset_counts()
    rs = xp.random.RandomState(5)
    u = rs.random_sample((1000,), dtype=np.float32)
    n = rs.standard_normal((2, 3), dtype=np.float64)
    i = rs.randint(-3, 3, (100,), dtype=np.int64)
    p = rs.permutation(6)
    assert counts() == {"to_host": 0, "to_device": 0, "scalar": 0}
    assert all(isinstance(r, StandinArray) for r in (u, n, i, p))
    assert (u.dtype, n.dtype, i.dtype, p.dtype) == (np.float32, np.float64, np.int64, np.int64)
    assert 0 <= float(u.min()) and float(u.max()) < 1 and sorted(p.tolist()) == list(range(6))
    assert {int(v) for v in i.tolist()} <= set(range(-3, 3))
    rs.seed(5)
    assert rs.random_sample((1000,), dtype=np.float32).tolist() == u.tolist()
    with pytest.raises(TypeError, match="only supports float32 and float64"):
        rs.standard_normal(3, dtype=np.float16)
    with standin.Device(1):
        with pytest.raises(ValueError):
            rs.random_sample(3)  # a RandomState draws on the device it was made on
        assert xp.random.RandomState(1).standard_normal(2).device.id == 1


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
    assert xp.cuda.runtime.getDeviceCount() == standin.DEVICE_COUNT


def test_python_conversions():
    i = dev(3)
    assert operator.index(i) == 3 and [0, 1, 2, 3][i] == 3 and int(dev(2.5)) == 2
    with raises(TypeError):
        operator.index(dev(3.0))
    assert bool(dev(1)) and not bool(dev(0.0)) and complex(dev(1j)) == 1j
    rows = list(dev([[1, 2], [3, 4]]))
    assert all(isinstance(r, StandinArray) for r in rows) and rows[1].tolist() == [3, 4]
