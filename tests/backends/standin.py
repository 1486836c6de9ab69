"""A test-only stand-in for CuPy 14, with its data on the host.

``StandinArray`` behaves like ``cupy.ndarray`` but wraps a NumPy array. It refuses every
implicit conversion to NumPy (``np.asarray(a)``, ``np.exp(a)``, ``a + ndarray``), so a test
run on a machine without a GPU shows whether some code path silently copies device arrays to
the host. ``xp`` is the matching array module: ``xp.<name>`` is NumPy's ``<name>`` with
stand-in arrays unwrapped on the way in and NumPy arrays wrapped on the way out, for the names
that CuPy 14 has (``CUPY_NAMES``) and nothing else.

What is CuPy's and not NumPy's is modelled, so that NumPy-only code fails here as on a GPU:

* arrays have CuPy's attributes only: ``flags`` has ``c_contiguous``, ``f_contiguous`` and
  ``owndata`` (no ``writeable``: every array is writable, broadcast views included), ``data``
  is a memory pointer with ``ptr`` and ``device_id``;
* dtypes are CuPy's: an object (or string) array raises ValueError("Unsupported dtype ...");
* ufunc methods are CuPy 14's: ``at`` for add (int32, int64, uint32, uint64 and float dtypes
  only), subtract, maximum, minimum and the bitwise ufuncs; ``reduce`` and ``accumulate`` for
  add and multiply; ``reduceat`` for add; anything else raises NotImplementedError;
* ``DEVICE_COUNT`` devices: ``cuda.Device(n)`` makes device ``n`` current; arrays are made on
  the current device; a kernel given an array of another device raises ValueError (CuPy's
  error where peer access is unavailable); ``a.copy()`` copies onto the current device;
* ``random`` makes numbers on the device (``RandomState``: uniform, normal, integers, Poisson
  counts, permutations), with no host transfer.

Explicit host transfers are allowed, as in CuPy, and counted in ``transfers``:

* ``"to_host"``: ``a.get()``, ``xp.asnumpy(a)``, ``a.tolist()``;
* ``"to_device"``: ``xp.asarray``/``xp.array``/... given NumPy data (ndarray or NumPy scalar,
  possibly inside lists), ``a.set(ndarray)``;
* ``"scalar"``: one element read into Python: ``a.item()``, ``float(a)``, ``int(a)``,
  ``bool(a)``, ``complex(a)``, ``operator.index(a)``.

``repr``/``str`` and Python scalars given to ``xp.asarray`` are not counted.
"""

import functools
import operator
import types

import numpy as np

from backends import standin_cuda
from backends.standin_cuda import CUDARuntimeError

__all__ = [
    "CUPY_NAMES",
    "DEVICE_COUNT",
    "Device",
    "Flags",
    "StandinArray",
    "asnumpy",
    "counts",
    "get_array_module",
    "reset_counts",
    "transfers",
    "xp",
]

transfers = {"to_host": 0, "to_device": 0, "scalar": 0}
DEVICE_COUNT = 2

# The public names of the ``cupy`` module in CuPy 14 (cupy/__init__.py of v14.2.0, with NumPy
# 2), and ``lib``, the subpackage that it imports. The stand-in offers these (where NumPy has
# them, or the stand-in models them) and refuses every other NumPy name.
# fmt: off
CUPY_NAMES = frozenset("""
    AxisError ComplexWarning DataSource ElementwiseKernel Inf Infinity
    ModuleDeprecationWarning NAN NINF NZERO NaN PINF PZERO RankWarning RawKernel RawModule
    ReductionKernel TooHardError VisibleDeprecationWarning abs absolute acos acosh add all
    allclose alltrue amax amin angle any append apply_along_axis apply_over_axes arange arccos
    arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort argwhere
    around array array2string array_equal array_equiv array_repr array_split array_str
    asanyarray asarray asarray_chkfinite ascontiguousarray asfarray asfortranarray asin asinh
    asnumpy astype atan atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett
    base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert bitwise_left_shift
    bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman bool bool_ broadcast
    broadcast_arrays broadcast_shapes broadcast_to byte byte_bounds c_ can_cast cbrt cdouble
    ceil cfloat choose clear_memo clip column_stack common_type complex128 complex64 complex_
    complexfloating compress concat concatenate conj conjugate convolve copy copysign copyto
    corrcoef correlate cos cosh count_nonzero cov cross csingle cuda cumprod cumproduct cumsum
    cumulative_prod cumulative_sum deg2rad degrees delete diag diag_indices diag_indices_from
    diagflat diagonal diff digitize disable_experimental_feature_warning disp divide divmod
    dot double dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma
    exceptions exp exp2 expand_dims expm1 extract eye fabs fft fill_diagonal find_common_type
    finfo fix flatiter flatnonzero flip fliplr flipud float16 float32 float64 float_
    float_power floating floor floor_divide fmax fmin fmod format_float_positional
    format_float_scientific format_parser frexp fromDlpack from_dlpack frombuffer fromfile
    fromfunction fromiter fromstring full full_like fuse gcd generic genfromtxt
    get_array_module get_array_wrap get_default_memory_pool get_default_pinned_memory_pool
    get_printoptions gradient greater greater_equal half hamming hanning heaviside histogram
    histogram2d histogramdd hsplit hstack hypot i0 identity iinfo imag in1d index_exp indices
    inexact inf infty inner int16 int32 int64 int8 int_ intc integer interp intersect1d intp
    invert is_available isclose iscomplex iscomplexobj isdtype isfinite isfortran isin isinf
    isnan isneginf isposinf isreal isrealobj isscalar issctype issubclass_ issubdtype
    issubsctype iterable ix_ kaiser kron lcm ldexp left_shift less less_equal lexsort linalg
    linspace load loadtxt log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not
    logical_or logical_xor logspace long longlong make_aligned_dtype mask_indices matmul
    matrix_transpose max maximum may_share_memory mean median memoize meshgrid mgrid min
    min_scalar_type minimum mintypecode mod modf moveaxis msort multiply nan nan_to_num
    nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd
    nansum nanvar ndarray ndim ndindex negative newaxis nextafter nonzero not_equal number
    obj2sctype ogrid ones ones_like outer packbits pad partition percentile permute_dims pi
    piecewise place poly poly1d polyadd polyfit polymul polynomial polysub polyval positive
    pow power printoptions prod product promote_types ptp put put_along_axis putmask quantile
    r_ rad2deg radians random ravel ravel_multi_index real real_if_close reciprocal remainder
    repeat require reshape resize result_type right_shift rint roll rollaxis roots rot90 round
    round_ row_stack s_ safe_eval save savetxt savez savez_compressed sctype2char searchsorted
    select set_printoptions set_string_function setdiff1d setxor1d shape shares_memory short
    show_config sign signbit signedinteger sin sinc single singlecomplex sinh size sometrue
    sort sort_complex split sqrt square squeeze stack std subtract sum swapaxes take
    take_along_axis tan tanh tensordot testing tile trace transpose trapezoid trapz tri tril
    tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from true_divide
    trunc typename ubyte ufunc uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong
    union1d unique unique_all unique_counts unique_inverse unique_values unpackbits
    unravel_index unsignedinteger unwrap ushort vander var vdot vectorize vsplit vstack where
    who zeros zeros_like
    lib
""".split())
# The names of ``cupy.linalg`` in CuPy 14 (numerical routines over cuSOLVER; no eig, no LU).
CUPY_LINALG_NAMES = frozenset("""
    cholesky det eigh eigvalsh inv lstsq matrix_power matrix_rank multi_dot norm pinv qr slogdet
    solve svd tensorinv tensorsolve
""".split())
# fmt: on


def reset_counts():
    """Set every transfer counter back to zero."""
    for key in transfers:
        transfers[key] = 0


def counts():
    """A copy of the transfer counters."""
    return dict(transfers)


# --- devices --------------------------------------------------------------------------------

_current = [0]  # a stack: the current device is the last entry


def _current_id():
    return _current[-1]


class Device:
    """A stand-in device, like ``cupy.cuda.Device(n)``; ``Device()`` is the current one."""

    __slots__ = ("id",)

    def __init__(self, device=None):
        self.id = _current_id() if device is None else int(device)

    def _check(self):
        if not 0 <= self.id < DEVICE_COUNT:
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("standin-device", self.id))

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    def __enter__(self):
        self._check()
        _current.append(self.id)
        return self

    def __exit__(self, *exc):
        _current.pop()
        return False

    def use(self):
        self._check()
        _current[0] = self.id
        del _current[1:]

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        p = _Runtime.getDeviceProperties(self.id)
        return f"{p['major']}{p['minor']}"

    @property
    def mem_info(self):
        with self:
            return _Runtime.memGetInfo()


class _Runtime:
    """cupy.cuda.runtime, as far as mytorch uses it."""

    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def getDeviceCount():
        return DEVICE_COUNT

    @staticmethod
    def getDevice():
        return _current_id()

    @staticmethod
    def setDevice(device):
        Device(device).use()

    @staticmethod
    def getDeviceProperties(device):
        Device(device)._check()
        return standin_cuda._properties(int(device))

    @staticmethod
    def deviceSynchronize():
        pass

    @staticmethod
    def memGetInfo():
        return standin_cuda._mem_get_info()

    @staticmethod
    def runtimeGetVersion():
        return 13000

    @staticmethod
    def driverGetVersion():
        return 13000


def _wrong_device(dev):
    cur = _current_id()
    return ValueError(
        f"The device where the array resides ({dev}) is different from the current device "
        f"({cur}). Peer access is unavailable between these devices."
    )


class Flags:
    """CuPy's ndarray flags: contiguity and ownership only (CuPy arrays are all writable)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c_contiguous, f_contiguous, owndata):
        self.c_contiguous = c_contiguous
        self.f_contiguous = f_contiguous
        self.owndata = owndata

    @property
    def fnc(self):
        return self.f_contiguous and not self.c_contiguous

    @property
    def forc(self):
        return self.f_contiguous or self.c_contiguous

    def __getitem__(self, name):
        key = {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous", "OWNDATA": "owndata"}
        if name not in key:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, key[name])


class _MemoryPointer:
    """``cupy.cuda.MemoryPointer`` as far as mytorch uses it: an address and a device."""

    __slots__ = ("ptr", "device_id")

    def __init__(self, ptr, device_id):
        self.ptr = ptr
        self.device_id = device_id

    @property
    def device(self):
        return Device(self.device_id)


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


# --- unwrapping arguments and wrapping results ----------------------------------------------


def _alloc(nbytes):
    """A block of ``nbytes`` from the current allocator (CuPy allocates nothing for 0)."""
    return standin_cuda._allocator[0](nbytes) if nbytes else None


def _new(arr, dev=None, mem=False):
    """A StandinArray around the ndarray ``arr`` (no copy) on device ``dev`` (the current one
    by default), holding ``mem`` (a view's parent's block), or a new block of the memory
    pool. Dtypes that CuPy cannot hold raise as in CuPy."""
    if arr.dtype.kind not in "biufc":
        raise ValueError(f"Unsupported dtype {arr.dtype}")
    w = object.__new__(_Fused if _fusing[0] else StandinArray)
    w._a = arr
    w._base = None
    w._dev = _current_id() if dev is None else dev
    if mem is False:
        owner = _owner(arr)
        nbytes = owner.nbytes if isinstance(owner, np.ndarray) else arr.nbytes
        if w._dev != _current_id():
            with Device(w._dev):
                mem = _alloc(nbytes)
        else:
            mem = _alloc(nbytes)
    w._mem = mem
    return w


def _here(x):
    """``x``'s inner array, if ``x`` is on the current device (a kernel's operand)."""
    if x._dev != _current[-1]:
        raise _wrong_device(x._dev)
    return x._a


def _operand(x):
    """The NumPy operand for an operator: the inner array, a Python or NumPy scalar, or
    NotImplemented. A host ndarray raises, as CuPy does."""
    if isinstance(x, StandinArray):
        return _here(x)
    if isinstance(x, (int, float, complex, np.generic)):
        return x
    if isinstance(x, np.ndarray):
        raise _unsupported(x)
    return NotImplemented


def _rebuild_seq(seq, items):
    if hasattr(seq, "_fields"):  # a named tuple
        return type(seq)(*items)
    return type(seq)(items)


def _unwrap(x, seen, kernel=True):
    """``x`` with stand-in arrays replaced by their inner arrays, recursively inside lists,
    tuples and dicts; ``seen`` maps id(inner) -> wrapper. Host ndarrays raise TypeError, and
    for a ``kernel`` arrays of another device than the current one ValueError."""
    if isinstance(x, StandinArray):
        seen[id(x._a)] = x
        return _here(x) if kernel else x._a
    if isinstance(x, np.ndarray):
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return _rebuild_seq(x, [_unwrap(v, seen, kernel) for v in x])
    if isinstance(x, dict):
        return {k: _unwrap(v, seen, kernel) for k, v in x.items()}
    return x


def _index(key):
    """An index with stand-in arrays unwrapped; NumPy index arrays and lists pass through."""
    if isinstance(key, StandinArray):
        return key._a
    if isinstance(key, (list, tuple)):
        return type(key)(_index(k) for k in key)
    return key


def _is_advanced(key):
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (StandinArray, list, np.ndarray)) for k in keys)


def _owner(arr):
    """The object at the end of ``arr``'s chain of bases (``arr`` itself if it owns its data);
    as_strided's views go through a helper object that has a ``base`` too."""
    while getattr(arr, "base", None) is not None:
        arr = arr.base
    return arr


def _view_base(r, parents):
    """The stand-in array that the view ``r`` is a view of, if it is one of ``parents``."""
    owner = _owner(r)
    for p in parents:
        if p._a is owner:
            return p
        if p._base is not None and _owner(p._a) is owner:
            return p._base
    for p in parents:
        if _owner(p._a) is owner:
            return p
    return None


def _wrap(r, parents=()):
    """``r`` with ndarrays and NumPy scalars (as 0-d arrays) wrapped, recursively in tuples and
    lists. An inner array of one of ``parents`` comes back as that wrapper (``out=``,
    ``astype(copy=False)``); a view of a parent gets that parent (or its base) as ``base``, and
    its device; anything else is new memory on the current device."""
    if isinstance(r, np.ndarray):
        for p in parents:
            if r is p._a:
                return p
        if r.base is not None and parents:
            b = _view_base(r, parents)
            if b is not None:
                w = _new(r, b._dev, b._mem)
                w._base = b
                return w
        return _new(r)
    if isinstance(r, np.generic):
        return _new(np.asarray(r))
    if isinstance(r, (list, tuple)):
        return _rebuild_seq(r, [_wrap(v, parents) for v in r])
    return r


def _call(f, args, kwargs, kernel=True):
    seen = {}
    args = _unwrap(args, seen, kernel)
    kwargs = _unwrap(kwargs, seen, kernel)
    return _wrap(f(*args, **kwargs), tuple(seen.values()))


# --- the array ------------------------------------------------------------------------------


def _binary(op):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        return _wrap(op(_here(self), o))

    return method


def _reflected(op):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        return _wrap(op(o, _here(self)))

    return method


def _inplace(op):
    def method(self, other):
        o = _operand(other)
        if o is NotImplemented:
            return NotImplemented
        op(_here(self), o)  # NumPy's in-place operator writes into the inner array
        return self

    return method


def _unary(op):
    def method(self):
        return _wrap(op(_here(self)))

    return method


def _delegate(name, kernel=True):
    """ndarray.<name> on the wrapped array; a ``kernel`` checks that the array is on the
    current device (views and copies do not, as in CuPy)."""

    def method(self, *args, **kwargs):
        seen = {id(self._a): self}
        inner = _here(self) if kernel else self._a
        args = _unwrap(args, seen)
        kwargs = _unwrap(kwargs, seen)
        return _wrap(getattr(inner, name)(*args, **kwargs), tuple(seen.values()))

    method.__name__ = name
    method.__qualname__ = f"StandinArray.{name}"
    method.__doc__ = f"ndarray.{name} on the wrapped array; array results stay on the stand-in."
    return method


_METHODS = (
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "astype", "choose", "clip",
    "compress", "conj", "conjugate", "cumprod", "cumsum", "dot", "fill", "flatten", "max",
    "mean", "min", "nonzero", "partition", "prod", "put", "ravel", "repeat", "round", "sort",
    "std", "sum", "take", "trace", "var",
)  # fmt: skip
_VIEW_METHODS = ("diagonal", "reshape", "squeeze", "swapaxes", "transpose", "view")

_BINARY = (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
    "lshift", "rshift",
)  # fmt: skip


class StandinArray:
    """A CuPy-like device array whose data is a NumPy array on the host (attribute ``_a``) on
    stand-in device ``_dev``.

    ``StandinArray(shape, dtype)`` allocates uninitialised memory on the current device like
    ``cupy.ndarray``; use ``xp.asarray`` to bring NumPy data over.
    """

    __slots__ = ("__weakref__", "_a", "_base", "_dev", "_mem")
    __array_ufunc__ = None  # NumPy ufuncs and ndarray operators defer to us, then fail

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if isinstance(shape, (np.ndarray, StandinArray)):
            raise TypeError("StandinArray(shape, dtype) takes a shape; use xp.asarray(array)")
        if memptr is not None or strides is not None:
            raise NotImplementedError("the stand-in does not take memptr or strides")
        self._a = np.empty(shape, dtype=dtype, order=order)
        if self._a.dtype.kind not in "biufc":
            raise ValueError(f"Unsupported dtype {self._a.dtype}")
        self._base = None
        self._dev = _current_id()
        self._mem = _alloc(self._a.nbytes)

    # --- refusing implicit conversion to NumPy ---------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_function__(self, func, types, args, kwargs):
        name = getattr(func, "__name__", repr(func))
        raise TypeError(
            f"NumPy function {name}() was given a standin array; use xp.{name} or copy it to "
            "the host explicitly with .get()"
        )

    # --- explicit transfers ----------------------------------------------------------------
    def get(self, stream=None, order="C", out=None, blocking=True):
        """A NumPy copy on the host (counted as ``to_host``)."""
        transfers["to_host"] += 1
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            if out.shape != self._a.shape:
                raise ValueError("Shape mismatch")
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        """Copy the host array ``arr`` into this array (counted as ``to_device``)."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, not {type(arr)}")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch")
        if arr.dtype != self._a.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self._a.dtype} array")
        transfers["to_device"] += 1
        np.copyto(self._a, arr)

    def tolist(self):
        transfers["to_host"] += 1
        return self._a.tolist()

    def item(self, *args):
        transfers["scalar"] += 1
        return self._a.item(*_index(args))

    def __float__(self):
        transfers["scalar"] += 1
        return float(self._a)

    def __int__(self):
        transfers["scalar"] += 1
        return int(self._a)

    def __complex__(self):
        transfers["scalar"] += 1
        return complex(self._a)

    def __bool__(self):
        transfers["scalar"] += 1
        return bool(self._a)

    def __index__(self):
        if self._a.dtype.kind not in "iu" or self._a.size != 1:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        transfers["scalar"] += 1
        return int(self._a.reshape(-1)[0])

    # --- Python protocols ------------------------------------------------------------------
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return _new, (self._a.copy(),)

    def copy(self, order="C"):
        """A copy on the current device (CuPy copies from any device)."""
        return _new(self._a.copy(order=order))

    # --- attributes ------------------------------------------------------------------------
    @property
    def shape(self):
        return self._a.shape

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def size(self):
        return self._a.size

    @property
    def itemsize(self):
        return self._a.itemsize

    @property
    def nbytes(self):
        return self._a.nbytes

    @property
    def strides(self):
        return self._a.strides

    @property
    def flags(self):
        f = self._a.flags
        return Flags(f.c_contiguous, f.f_contiguous, self._a.base is None)

    @property
    def data(self):
        return _MemoryPointer(self._a.__array_interface__["data"][0], self._dev)

    @property
    def device(self):
        return Device(self._dev)

    @property
    def base(self):
        """None if this array owns its data, else the stand-in array it is a view of."""
        if self._a.base is None:
            return None
        if self._base is None:
            owner = _owner(self._a)
            self._base = (
                _new(owner, self._dev, self._mem) if isinstance(owner, np.ndarray) else owner
            )
        return self._base

    @property
    def T(self):
        return _wrap(self._a.T, (self,))

    @property
    def mT(self):
        return _wrap(self._a.mT, (self,))

    @property
    def real(self):
        return _wrap(self._a.real, (self,))

    @real.setter
    def real(self, value):
        _here(self).real = _setitem_value(value)

    @property
    def imag(self):
        return _wrap(self._a.imag, (self,))

    @imag.setter
    def imag(self, value):
        _here(self).imag = _setitem_value(value)

    # --- indexing --------------------------------------------------------------------------
    def __getitem__(self, key):
        a = _here(self) if _is_advanced(key) else self._a  # advanced indexing is a kernel
        k = _index(key)
        r = a[k]
        if isinstance(r, np.generic):
            # Integer indices picked one element: CuPy returns a 0-d view, not a scalar copy.
            # A trailing Ellipsis makes NumPy do the same.
            # (0-d integer arrays in the index become ints so that the index stays basic.)
            k = tuple(
                int(i) if isinstance(i, np.ndarray) and i.ndim == 0 else i
                for i in (k if isinstance(k, tuple) else (k,))
            )
            r = a[k + (Ellipsis,)]
        return _wrap(r, (self,))

    def __setitem__(self, key, value):
        _here(self)[_index(key)] = _setitem_value(value)

    # Operators and the ndarray methods in _METHODS are added below the class.
    __hash__ = None

    # --- DLPack (CuPy exports device memory: kDLCUDA, the array's device) -----------------
    def __dlpack_device__(self):
        return (2, self._dev)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError("the stand-in exports device memory only")
        return _DLPackCapsule(self)

    def toDlpack(self):
        return _DLPackCapsule(self)

    def __divmod__(self, other):
        o = _operand(other)
        return NotImplemented if o is NotImplemented else _wrap(divmod(_here(self), o))

    def __rdivmod__(self, other):
        o = _operand(other)
        return NotImplemented if o is NotImplemented else _wrap(divmod(o, _here(self)))


for _name in _BINARY:
    _op = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(StandinArray, f"__{_name}__", _binary(_op))
    setattr(StandinArray, f"__r{_name}__", _reflected(_op))
    setattr(StandinArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StandinArray, f"__{_name}__", _binary(getattr(operator, _name)))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StandinArray, f"__{_name}__", _unary(getattr(operator, _name)))
for _name in _METHODS:
    setattr(StandinArray, _name, _delegate(_name))
for _name in _VIEW_METHODS:
    setattr(StandinArray, _name, _delegate(_name, kernel=False))
del _name, _op


class _DLPackCapsule:
    """What a stand-in array's ``__dlpack__`` returns (a PyCapsule naming device memory on
    CuPy): ``xp.from_dlpack`` takes it, once."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def from_dlpack(x, *, device=None, copy=None):
    """cupy.from_dlpack: an array sharing the device memory of ``x`` (an object with
    ``__dlpack__`` or a capsule); host memory raises as CuPy without managed memory."""
    cap = x if isinstance(x, _DLPackCapsule) else None
    if cap is None:
        if not hasattr(x, "__dlpack__"):
            raise TypeError(f"object of type {type(x).__name__} has no __dlpack__")
        if x.__dlpack_device__()[0] != 2:
            raise RuntimeError("CuPy only supports CUDA memory in from_dlpack (kDLCUDA)")
        cap = x.__dlpack__()
    if not isinstance(cap, _DLPackCapsule) or cap.array is None:
        raise ValueError("the DLPack capsule was not made by the stand-in or was consumed")
    a, cap.array = cap.array, None
    w = _new(a._a.view(), a._dev, a._mem)
    w._base = a
    return w


def _setitem_value(value):
    v = _operand(value)
    if v is NotImplemented:
        raise _unsupported(value)
    return v


# --- the array module -----------------------------------------------------------------------


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """A NumPy array of ``a``: a host copy of a stand-in array (counted), else np.asarray."""
    if isinstance(a, StandinArray):
        return a.get(order=order, out=out)
    if out is not None:
        out[...] = a
        return out
    return np.asarray(a, order=order)


def get_array_module(*args):
    """``xp`` if any argument is a stand-in array, else NumPy (as cupy.get_array_module)."""
    return xp if any(isinstance(a, StandinArray) for a in args) else np


def _host_to_device(x, state):
    """Unwrap stand-in arrays in constructor input; note NumPy data (a host transfer)."""
    if isinstance(x, StandinArray):
        state["seen"][id(x._a)] = x
        return x._a
    if isinstance(x, np.ndarray):
        state["host"] = True
        return x.copy()  # the device array must not alias host memory
    if isinstance(x, np.generic):
        state["host"] = True
        return x
    if type(x) in (list, tuple):
        return type(x)(_host_to_device(v, state) for v in x)
    return x


def _constructor(f):
    @functools.wraps(f)
    def construct(obj, *args, blocking=False, **kwargs):
        state = {"host": False, "seen": {}}
        obj = _host_to_device(obj, state)
        args = _unwrap(args, state["seen"])
        kwargs = _unwrap(kwargs, state["seen"])
        r = f(obj, *args, **kwargs)
        if state["host"]:
            transfers["to_device"] += 1
        return _wrap(r, tuple(state["seen"].values()))

    return construct


# Module functions that read arrays' metadata only: they launch no kernel, so they take arrays
# of any device.
_NO_KERNEL = frozenset(
    ["may_share_memory", "shares_memory", "ndim", "shape", "size", "result_type", "can_cast",
     "isscalar", "iscomplexobj", "isrealobj", "isfortran", "broadcast_shapes"]
)  # fmt: skip


def _function(f, kernel=True):
    name = f.__name__

    @functools.wraps(f)
    def call(*args, **kwargs):
        if _fusing[0] and name not in _FUSE_FUNCTIONS:
            raise TypeError(f"cupy.{name} is not supported in a fused function (cupy.fuse)")
        return _call(f, args, kwargs, kernel)

    return call


def _broadcast_to(array, shape, subok=False):
    """A broadcast view of ``array``: writable, as CuPy's (NumPy's is read-only)."""
    if not isinstance(array, StandinArray):
        array = xp.asarray(array)
    b = np.broadcast_to(array._a, shape)
    return _wrap(np.lib.stride_tricks.as_strided(array._a, b.shape, b.strides), (array,))


def _as_strided(x, shape=None, strides=None):
    """cupy.lib.stride_tricks.as_strided: a view of ``x``'s memory."""
    return _wrap(np.lib.stride_tricks.as_strided(x._a, shape, strides), (x,))


# CuPy 14's ufunc methods (cupy/_core/_kernel.pyx): which ufuncs have ``at`` and the dtypes of
# the array it writes; ``reduce``/``accumulate``/``reduceat`` for these ufuncs only.
_INT32_64 = frozenset(np.dtype(t) for t in ("int32", "int64", "uint32", "uint64"))
_FLOATS = frozenset(np.dtype(t) for t in ("float32", "float64"))
_AT_DTYPES = {
    "add": _INT32_64 | _FLOATS | {np.dtype("float16")},
    "subtract": frozenset(np.dtype(t) for t in ("int32", "uint32")),
    "maximum": _INT32_64 | _FLOATS,
    "minimum": _INT32_64 | _FLOATS,
    "bitwise_and": _INT32_64,
    "bitwise_or": _INT32_64,
    "bitwise_xor": _INT32_64,
}
_REDUCE = {"reduce": ("add", "multiply"), "accumulate": ("add", "multiply"), "reduceat": ("add",)}


class _Ufunc:
    """A NumPy ufunc over stand-in arrays, with CuPy 14's methods."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.__doc__ = uf.__doc__

    def __call__(self, *args, **kwargs):
        return _call(self._uf, args, kwargs)

    def _method(self, kind, args, kwargs):
        if self.__name__ not in _REDUCE[kind]:
            raise NotImplementedError(f"`cupy_{self.__name__}.{kind}` is not supported yet")
        return _call(getattr(self._uf, kind), args, kwargs)

    def reduce(self, *args, **kwargs):
        return self._method("reduce", args, kwargs)

    def accumulate(self, *args, **kwargs):
        return self._method("accumulate", args, kwargs)

    def reduceat(self, *args, **kwargs):
        return self._method("reduceat", args, kwargs)

    def outer(self, *args, **kwargs):
        return _call(self._uf.outer, args, kwargs)

    def at(self, a, indices, b=None):
        """In place at ``indices`` (CuPy's scatter kernels: atomic, for a few dtypes)."""
        name = self.__name__
        if name not in _AT_DTYPES:
            raise NotImplementedError(f"`cupy_{name}.at` is not supported yet")
        if not isinstance(a, StandinArray):
            raise _unsupported(a)
        idx = _index(indices)
        mask = isinstance(idx, np.ndarray) and idx.dtype.kind == "b"
        if not mask and a.dtype not in _AT_DTYPES[name]:
            names = ", ".join(sorted(str(d) for d in _AT_DTYPES[name]))
            raise TypeError(f"cupy.{name}.at only supports {names} as data type")
        inner = _here(a)
        if b is None:
            raise TypeError("the stand-in's ufunc.at needs the values")
        value = _setitem_value(b)
        self._uf.at(inner, idx, np.asarray(value).astype(a.dtype, copy=False))

    def __getattr__(self, name):  # nin, nout, nargs, identity, types, signature, ...
        if name in ("nin", "nout", "nargs", "identity", "types", "signature"):
            return getattr(self._uf, name)
        raise AttributeError(f"'cupy.ufunc' object has no attribute {name!r}")

    def __repr__(self):
        return f"<ufunc 'cupy_{self.__name__}'>"


_CONSTRUCTORS = frozenset(["array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray"])


class _Namespace:
    """A NumPy (sub)module seen through the stand-in: functions unwrap and wrap arrays; types,
    dtypes and constants are NumPy's own. ``names`` limits it to what CuPy has."""

    def __init__(self, module, name, names=None):
        self._np_module = module
        self._names = names
        self.__name__ = name

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        missing = AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        if self._names is not None and name not in self._names:
            raise missing
        try:
            obj = getattr(self._np_module, name)
        except AttributeError:
            raise missing from None
        if isinstance(obj, type):
            value = obj
        elif isinstance(obj, np.ufunc):
            value = _Ufunc(obj)
        elif isinstance(obj, types.ModuleType):
            raise missing  # CuPy's own submodules are modelled explicitly below
        elif name in _CONSTRUCTORS and self._np_module is np:
            value = _constructor(obj)
        elif callable(obj):
            value = _function(obj, kernel=name not in _NO_KERNEL)
        else:
            value = obj
        setattr(self, name, value)  # cache: xp.exp is xp.exp
        return value

    def __dir__(self):
        names = self._names if self._names is not None else dir(self._np_module)
        return sorted(set(names) | set(vars(self)))

    def __repr__(self):
        return f"<module {self.__name__!r} (a stand-in device module over NumPy)>"


# --- random numbers on the device -----------------------------------------------------------

_MASK64 = 0xFFFFFFFFFFFFFFFF


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.char not in "fd":
        raise TypeError("cupy.random only supports float32 and float64")
    return dtype


class RandomState:
    """cupy.random.RandomState: a generator on the device that is current when it is made
    (here NumPy's Philox on the host; its arrays are device arrays, nothing is transferred)."""

    def __init__(self, seed=None, method=None):
        self._dev = _current_id()
        self.method = method
        self.seed(seed)

    def seed(self, seed=None):
        if seed is None:
            seed = int(np.random.SeedSequence().entropy) & _MASK64
        seed = int(seed)
        if not 0 <= seed <= _MASK64:
            raise ValueError("Seed must be an integer between 0 and 2**64 - 1")
        self._gen = np.random.Generator(np.random.Philox(seed))

    def _out(self, a):
        if self._dev != _current_id():
            raise _wrong_device(self._dev)  # cuRAND's state lives on one device
        return _new(np.asarray(a))

    def random_sample(self, size=None, dtype=float):
        return self._out(self._gen.random(size, dtype=_float_dtype(dtype)))

    random = random_sample

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._out(self._gen.standard_normal(size, dtype=_float_dtype(dtype)))

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        lo, hi = (0, int(low)) if high is None else (int(low), int(high))
        if lo > hi - 1:
            raise ValueError("low >= high")
        return self._out(self._gen.integers(lo, hi, size, dtype=np.int64).astype(dtype))

    def poisson(self, lam=1.0, size=None, dtype=int):
        lam = _unwrap(lam, {})  # a host ndarray raises, as CuPy's would
        return self._out(self._gen.poisson(lam, size).astype(dtype))

    def permutation(self, a):
        if isinstance(a, int):
            return self._out(self._gen.permutation(a))
        return a[self._out(self._gen.permutation(len(a)))]


_states = {}  # device id -> its RandomState


def _get_random_state():
    rs = _states.get(_current_id())
    if rs is None:
        rs = _states[_current_id()] = RandomState()
    return rs


def _seed(seed=None):
    _get_random_state().seed(seed)


def _module_function(name):
    def draw(*args, **kwargs):
        return getattr(_get_random_state(), name)(*args, **kwargs)

    draw.__name__ = name
    return draw


random = types.SimpleNamespace(
    RandomState=RandomState,
    get_random_state=_get_random_state,
    seed=_seed,
    **{
        name: _module_function(name)
        for name in (
            "rand",
            "randn",
            "random",
            "random_sample",
            "standard_normal",
            "randint",
            "poisson",
            "permutation",
        )  # fmt: skip
    },
)


# --- kernel fusion --------------------------------------------------------------------------

_fusing = [False]
kernels = {"fused": 0}  # fused kernels launched (calls of cupy.fuse functions)
# What a fused function may call besides ufuncs and operators (cupy/_core/fusion.pyx: where,
# the reductions over the whole kernel's output, and the dtype casts).
_FUSE_FUNCTIONS = frozenset(
    ["where", "sum", "prod", "amax", "amin", "max", "min", "clip", "astype"]
)  # fmt: skip


def _no_fuse(what):
    def refuse(self, *args, **kwargs):
        raise TypeError(f"{what} is not supported in a fused function (cupy.fuse)")

    return refuse


class _Fused(StandinArray):
    """An array variable inside a fused kernel: elementwise operators (in place too), ufuncs,
    ``astype``, the reductions and ``x[...] = value``/``x[:] = value`` only; no indexing, no
    views, no reading values into Python."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if key is Ellipsis or key == slice(None):
            return StandinArray.__setitem__(self, key, value)
        raise ValueError("The fusion supports `[...]` or `[:]`.")


for _name in (
    "__getitem__", "__bool__", "__float__", "__int__", "__index__", "item",
    "get", "tolist", "copy", "__len__", "__iter__", *_VIEW_METHODS, "flatten", "ravel",
    "sort", "argsort", "take", "put", "nonzero", "fill",
):  # fmt: skip
    setattr(_Fused, _name, _no_fuse(f"ndarray.{_name.strip('_')}"))
del _name


def _retype(x, cls):
    """``x`` (arrays inside tuples too) as an instance of ``cls`` sharing its memory."""
    if isinstance(x, StandinArray):
        w = object.__new__(cls)
        w._a, w._base, w._dev, w._mem = x._a, x._base, x._dev, x._mem
        return w
    if isinstance(x, tuple):
        return tuple(_retype(v, cls) for v in x)
    if isinstance(x, np.ndarray):
        raise _unsupported(x)
    return x


def fuse(*args, **kwargs):
    """cupy.fuse: ``@fuse`` or ``@fuse(kernel_name=...)``. The function runs once per call
    with the stand-in's ufuncs (one kernel on a GPU, counted in ``kernels['fused']``); its
    arguments are arrays of the current device or scalars, given by position."""

    def decorate(f):
        @functools.wraps(f)
        def kernel(*a, **kw):
            if kw:
                raise TypeError("Keyword arguments are not supported by a fused function")
            if _fusing[0]:
                return f(*a)  # a fused function called inside another one is inlined
            a = tuple(_retype(v, _Fused) for v in a)
            for v in a:
                if isinstance(v, StandinArray):
                    _here(v)
            _fusing[0] = True
            try:
                out = f(*a)
            finally:
                _fusing[0] = False
            kernels["fused"] += 1
            if out is None:  # the kernel only updated its arguments in place
                return None
            if not isinstance(out, (StandinArray, tuple)):  # scalars only: a 0-d array
                out = _new(np.asarray(out))
            return _retype(out, StandinArray)

        return kernel

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate


# --- GEMM compute types (cupy._core._routines_linalg) ---------------------------------------

_compute_types = {"e": 0, "f": 0, "d": 0}  # dtype char -> compute type (0: to be decided)
_linalg_core = types.SimpleNamespace(
    COMPUTE_TYPE_TBD=0, COMPUTE_TYPE_DEFAULT=1, COMPUTE_TYPE_PEDANTIC=2, COMPUTE_TYPE_FP16=3,
    COMPUTE_TYPE_FP32=4, COMPUTE_TYPE_FP64=5, COMPUTE_TYPE_BF16=6, COMPUTE_TYPE_TF32=7,
)  # fmt: skip


def _set_compute_type(dtype, compute_type):
    if compute_type not in range(8):
        raise ValueError(f"Unknown compute type: {compute_type}")
    _compute_types[np.dtype(dtype).char.lower().replace("g", "d")] = compute_type


def _get_compute_type(dtype):
    ct = _compute_types[np.dtype(dtype).char.lower()]
    return _linalg_core.COMPUTE_TYPE_DEFAULT if ct == 0 else ct


_linalg_core.set_compute_type = _set_compute_type
_linalg_core.get_compute_type = _get_compute_type


def _tf32(a):
    """A float32 array's values with the 10-bit mantissa of TF32 (round to nearest)."""
    bits = a.astype(np.float32).view(np.uint32)
    return ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)


def _gemm(x, y, out=None):
    """np.matmul, with float32 operands rounded to TF32 where that compute type is set (cuBLAS
    then multiplies on tensor cores in TF32 and accumulates in float32)."""
    if x.dtype == np.float32 and y.dtype == np.float32 and _get_compute_type("f") == 7:
        x, y = _tf32(x), _tf32(y)
    return np.matmul(x, y) if out is None else np.matmul(x, y, out=out)


def matmul(x, y, out=None):
    """cupy.matmul (cuBLAS), honouring the float32 compute type."""
    return _call(_gemm, (x, y), {} if out is None else {"out": out})


StandinArray.__matmul__ = lambda self, other: matmul(self, other)
StandinArray.__rmatmul__ = lambda self, other: matmul(other, self)


class _StandinNumpy(_Namespace):
    ndarray = StandinArray
    asnumpy = staticmethod(asnumpy)
    get_array_module = staticmethod(get_array_module)
    broadcast_to = staticmethod(_broadcast_to)
    random = random
    fuse = staticmethod(fuse)
    matmul = staticmethod(matmul)
    _core = types.SimpleNamespace(_routines_linalg=_linalg_core)
    from_dlpack = staticmethod(from_dlpack)
    fromDlpack = staticmethod(from_dlpack)
    get_default_memory_pool = staticmethod(standin_cuda.get_default_memory_pool)
    cuda = types.SimpleNamespace(
        Device=Device,
        runtime=_Runtime,
        MemoryPool=standin_cuda.MemoryPool,
        MemoryPointer=standin_cuda.MemoryPointer,
        OutOfMemoryError=standin_cuda.OutOfMemoryError,
        alloc=standin_cuda.alloc,
        alloc_pinned_memory=standin_cuda.alloc_pinned_memory,
        PinnedMemoryPointer=standin_cuda.PinnedMemoryPointer,
        get_allocator=standin_cuda.get_allocator,
        set_allocator=standin_cuda.set_allocator,
        Stream=standin_cuda.Stream,
        Event=standin_cuda.Event,
        get_current_stream=standin_cuda.get_current_stream,
        get_elapsed_time=standin_cuda.get_elapsed_time,
        # cuRAND's generator types (curand.h), as cupy.cuda.curand has them
        curand=types.SimpleNamespace(
            CURAND_RNG_PSEUDO_DEFAULT=100,
            CURAND_RNG_PSEUDO_XORWOW=101,
            CURAND_RNG_PSEUDO_PHILOX4_32_10=161,
        ),  # fmt: skip
    )
    lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))
    linalg = _Namespace(np.linalg, "standin.linalg", CUPY_LINALG_NAMES)

    def __init__(self):
        super().__init__(np, "standin", CUPY_NAMES)


xp = _StandinNumpy()
