"""The reference kernels, written once against an array module ``xp``.

``Backend`` implements the whole contract of mytorch._backends.base (kernels, utilities,
allocation, random numbers, transfers). Each kernel takes and returns arrays of that module
(0-d results may be NumPy scalars on the CPU); the operands arrive in their compute dtype
(promoted by mytorch._core's fast path or mytorch._promotion). The same class, given
``xp=numpy``, is the NumPy reference; given CuPy's module it is most of the CUDA backend.
Elementwise ops that are one function of ``xp`` need no method here: their declarations name
the function (``xp_kernel``).
"""

import operator

import numpy as np
from scipy.special import erf as _scipy_erf
from scipy.special import expit as _expit

from mytorch._backends import _ranges, _rng, _sampling
from mytorch._backends._sampling import DeviceRandom
from mytorch._backends._scan_kernels import ScanKernels
from mytorch._backends._special_kernels import SpecialKernels
from mytorch._backends._linalg import LinalgKernels
from mytorch._backends._activation import ActivationKernels
from mytorch._backends._conv import ConvKernels
from mytorch._backends._nnfused import NNFusedKernels
from mytorch._backends._norm import NormKernels
from mytorch._backends._rnn import RnnKernels
from mytorch._backends._optim import OptimKernels
from mytorch._backends._pinned import HostMemory
from mytorch._backends.base import BackendContract
from mytorch._backends.math_kernels import MathKernels
from mytorch._device import device as _device


class Backend(
    ScanKernels,
    MathKernels,
    SpecialKernels,
    LinalgKernels,
    ActivationKernels,
    ConvKernels,
    NNFusedKernels,
    NormKernels,
    RnnKernels,
    OptimKernels,
    HostMemory,
    DeviceRandom,
    BackendContract,
):
    """The reference kernels over ``xp``. Subclasses override kernels, never their contract."""

    # NOTE: KERNELS (the kernel names the op families use) and the rest of the members are
    # declared, one line each, in mytorch._backends.base.
    multi_device = False
    index = None

    # NOTE: operators, not ufuncs: on NumPy scalars (0-d CPU tensors) `x * y` takes ~40 ns while
    # np.multiply(x, y) takes ~450 ns; on arrays both run the same ufunc loop.
    add = operator.add
    sub = operator.sub
    mul = operator.mul
    div = operator.truediv

    def neg(self, x):
        try:
            return -x
        except TypeError:  # NumPy refuses bool negation with a TypeError; torch a RuntimeError
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                "to invert a mask, use the `~` or `logical_not()` operator instead."
            ) from None

    lt = operator.lt
    le = operator.le
    gt = operator.gt
    ge = operator.ge
    eq = operator.eq
    ne = operator.ne

    def __init__(self, name, xp, device_type):
        self.name = name
        self.xp = xp
        self.device_type = device_type
        self.array_type = xp.ndarray

    def __repr__(self):
        return f"<mytorch backend {self.name} ({self.device_type})>"

    def pow(self, x, y):
        """out = x ** y; integer tensors to negative integer powers raise, as in PyTorch."""
        try:
            return x**y
        except ValueError as e:
            raise RuntimeError(str(e)) from None

    def div_mode(self, x, y, rounding_mode):
        """x / y rounded toward zero ('trunc') or down ('floor'); integers stay integers."""
        xp = self.xp
        for v in (x, y):
            dt = getattr(v, "dtype", None)
            if dt is not None and dt.kind in "bc":  # torch rounds integers and real floats only
                title = {1: "Bool", 8: "ComplexFloat", 16: "ComplexDouble"}[dt.itemsize]
                msg = f"\"div_{rounding_mode}_cpu\" not implemented for '{title}'"
                raise NotImplementedError(msg)
        if _integral(x) and _integral(y):  # either may be a Python int (a scalar operand)
            self._check_divisor(y)
            q = xp.floor_divide(x, y)
            if rounding_mode == "trunc":
                q = q + ((q < 0) & (q * y != x))  # floor -> toward zero for negative quotients
            dt = getattr(x, "dtype", None)
            return q.astype(dt if dt is not None else y.dtype) if hasattr(q, "astype") else q
        q = x / y
        return xp.trunc(q) if rounding_mode == "trunc" else xp.floor(q)

    def matmul_bf16(self, x, y):
        """x @ y of bfloat16 arrays: float32 products and sums, rounded back once."""
        f32 = self.xp.float32
        return self.xp.matmul(x.astype(f32), y.astype(f32)).astype(x.dtype)

    def xp_kernel(self, name):
        """The array module's function ``name``: the reference kernel of a declared op (see
        mytorch._ops._declare), e.g. ``xp.expm1``."""
        return getattr(self.xp, name)

    def _check_divisor(self, y):
        """torch's CPU error for an integer division by zero."""
        if not bool(self.xp.all(y != 0)):
            raise RuntimeError("ZeroDivisionError")

    def sigmoid(self, x):
        """out = 1 / (1 + exp(-x)), computed from exp(-|x|) so that no exp overflows."""
        xp = self.xp
        e = xp.exp(-xp.absolute(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)

    def relu(self, x):
        """out = max(x, 0), NaN kept."""
        return self.xp.maximum(x, x.dtype.type(0))

    def where(self, cond, x, y):
        return self.xp.where(cond, x, y)

    def clamp(self, x, lo, hi):
        """x limited to [lo, hi] (either bound may be None), NaN kept."""
        xp = self.xp
        if lo is not None:
            x = xp.maximum(x, xp.asarray(lo, dtype=x.dtype))
        if hi is not None:
            x = xp.minimum(x, xp.asarray(hi, dtype=x.dtype))
        return self.scalar(xp.asarray(x))

    def nonzero(self, x):
        """The indices of the nonzero elements, one row each: an (n, ndim) int64 array."""
        xp = self.xp
        if x.ndim == 0:
            return xp.zeros((1 if bool(x) else 0, 0), dtype=np.int64)
        return xp.stack(xp.nonzero(x), axis=1).astype(np.int64)

    def clone(self, x):
        return x.copy()

    def fill(self, x, value):
        """A new array of x's shape and dtype holding ``value`` everywhere."""
        return self.scalar(self.xp.full(x.shape, value, dtype=x.dtype))

    def copy(self, x, src):
        """A new array of x's shape and dtype holding ``src`` broadcast to it."""
        return self.scalar(self.xp.broadcast_to(src, x.shape).astype(x.dtype))

    def index_put(self, x, v, index, accumulate):
        """A copy of ``x`` with ``v`` written (or, accumulating, added) at ``index``."""
        out = self.xp.array(x)
        if accumulate:
            self.scatter_add(out, index, v)
        else:
            out[index] = v
        return self.scalar(out)

    def to_dtype(self, x, np_dtype):
        return x.astype(np_dtype)

    def to_device(self, x, dst, src=None):
        """A copy of ``x`` on backend ``dst`` (through host memory between array modules)."""
        if dst is self:
            return x.copy()
        return dst.from_numpy(self.to_numpy(x))

    # --- reductions ----------------------------------------------------------------------
    def sum(self, x, dim, keepdim):
        """Sum over ``dim`` (None for all); integers and bool accumulate in int64 as in PyTorch."""
        if x.dtype.kind in "biu":
            return self.xp.sum(x, axis=dim, keepdims=keepdim, dtype=np.int64)
        if x.dtype.kind == "V":  # NOTE: bfloat16 accumulates in float32, as in PyTorch
            return self.xp.sum(x, axis=dim, keepdims=keepdim, dtype=np.float32).astype(x.dtype)
        return self.xp.sum(x, axis=dim, keepdims=keepdim)

    def mean(self, x, dim, keepdim):
        acc = np.float32 if x.dtype.kind == "V" else x.dtype  # bfloat16: as sum
        return self.xp.mean(x, axis=dim, keepdims=keepdim, dtype=acc).astype(x.dtype)

    def var(self, x, dim, correction, keepdim):
        """sum((x - mean)**2) over ``dim`` (None for all) / max(N - correction, 0), N the count
        reduced (NumPy's ddof is PyTorch's correction)."""
        if x.dtype.kind == "V":  # bfloat16: in float32, as sum
            v = self.xp.var(x.astype(np.float32), axis=dim, ddof=correction, keepdims=keepdim)
            return v.astype(x.dtype)
        return self.xp.var(x, axis=dim, ddof=correction, keepdims=keepdim)

    def amax(self, x, dim, keepdim):
        return self.xp.amax(x, axis=dim, keepdims=keepdim)

    def amin(self, x, dim, keepdim):
        return self.xp.amin(x, axis=dim, keepdims=keepdim)

    def argmax(self, x, dim, keepdim):
        return self._arg(self.xp.argmax, x, dim, keepdim)

    def argmin(self, x, dim, keepdim):
        return self._arg(self.xp.argmin, x, dim, keepdim)

    def _arg(self, fn, x, dim, keepdim):
        if dim is None:
            out = fn(x).astype(np.int64)
            return self.xp.reshape(out, (1,) * x.ndim) if keepdim else out
        return fn(x, axis=dim, keepdims=keepdim).astype(np.int64)

    def all(self, x, dim, keepdim):
        return self.xp.all(x, axis=dim, keepdims=keepdim)

    def any(self, x, dim, keepdim):
        return self.xp.any(x, axis=dim, keepdims=keepdim)

    def sum_to(self, x, shape):
        """Sum a broadcast array back down to ``shape`` (the inverse of broadcasting)."""
        nd = x.ndim - len(shape)
        axes = tuple(range(nd)) + tuple(
            i + nd for i, s in enumerate(shape) if s == 1 and x.shape[i + nd] != 1
        )
        if axes:
            x = self.xp.sum(x, axis=axes, keepdims=True)
            if nd:
                x = x.reshape(shape)
        return x

    # --- several outputs: (values, int64 indices) -----------------------------------------
    def max_dim(self, x, dim, keepdim):
        """The largest entry along ``dim`` and its index (the first of ties; NaN wins)."""
        return _select_dim(self, self.xp.argmax, x, dim, keepdim)

    def min_dim(self, x, dim, keepdim):
        """The smallest entry along ``dim`` and its index (the first of ties; NaN wins)."""
        return _select_dim(self, self.xp.argmin, x, dim, keepdim)

    def sort(self, x, dim, descending):
        """``x`` sorted along ``dim`` (stably; NaN sorts as the largest value) and the indices
        that sort it."""
        xp = self.xp
        if x.ndim == 0:
            return _zero_d(self, x)
        if descending:
            # Stable and descending: sort the reversed array ascending, then reverse back.
            i = xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
            i = (x.shape[dim] - 1) - i
        else:
            i = xp.argsort(x, axis=dim, kind="stable")
        return xp.take_along_axis(x, i, axis=dim), i.astype(np.int64)

    def topk(self, x, k, dim, largest, sorted):
        """The ``k`` largest (or smallest) entries along ``dim``, in order, and their indices."""
        if x.ndim == 0:
            return _zero_d(self, x)
        v, i = self.sort(x, dim, largest)
        first = (slice(None),) * dim + (slice(0, k),)
        xp = self.xp
        return xp.ascontiguousarray(v[first]), xp.ascontiguousarray(i[first])

    def along_index(self, ind, dim):
        """The advanced index that picks, along ``dim``, the entries that ``ind`` names
        (``x[along_index(ind, dim)]`` is take_along_axis(x, ind, dim))."""
        xp = self.xp
        nd = ind.ndim
        out = []
        for a in range(nd):
            if a == dim:
                out.append(ind)
            else:
                shape = [1] * nd
                shape[a] = ind.shape[a]
                out.append(xp.arange(ind.shape[a], dtype=np.int64).reshape(tuple(shape)))
        return tuple(out)

    # --- shape ---------------------------------------------------------------------------
    def expand(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def reshape(self, x, shape):
        return self.xp.reshape(x, shape)

    def transpose(self, x, dim0, dim1):
        return self.xp.swapaxes(x, dim0, dim1)

    def permute(self, x, dims):
        return self.xp.transpose(x, dims)

    def cat(self, *arrays_and_dim):
        *arrays, dim = arrays_and_dim
        return self.xp.concatenate(arrays, axis=dim)

    def stack(self, *arrays_and_dim):
        *arrays, dim = arrays_and_dim
        return self.xp.stack(arrays, axis=dim)

    # --- strided views -------------------------------------------------------------------
    def diagonal(self, x, offset, dim1, dim2):
        """A writable view of the diagonal of dims (dim1, dim2), moved to the last dim."""
        start = (
            x[(slice(None),) * dim2 + (slice(offset, None),)]
            if offset >= 0
            else (x[(slice(None),) * dim1 + (slice(-offset, None),)])
        )
        n = max(0, min(start.shape[dim1], start.shape[dim2]))
        keep = [d for d in range(x.ndim) if d not in (dim1, dim2)]
        shape = tuple(x.shape[d] for d in keep) + (n,)
        strides = tuple(x.strides[d] for d in keep) + (x.strides[dim1] + x.strides[dim2],)
        return self.strided(start, shape, strides)

    def as_strided(self, x, size, stride, offset, x_stride=None):
        """A view of ``x``'s memory with element strides, from ``offset`` elements after (or,
        negative, before) ``x``'s first element (``x_stride``, x's own strides, is for the
        VJP)."""
        n = abs(offset)
        start = self.strided(x, (n + 1,), (x.itemsize if offset >= 0 else -x.itemsize,))[n:]
        return self.strided(start, size, tuple(s * x.itemsize for s in stride))

    def unfold(self, x, dim, size, step):
        """A view of the windows of ``size`` every ``step`` along ``dim``, in a new last dim."""
        count = (x.shape[dim] - size) // step + 1
        shape = x.shape[:dim] + (count,) + x.shape[dim + 1 :] + (size,)
        st = x.strides
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1 :] + (st[dim],)
        return self.strided(x, shape, strides)

    def flip(self, x, dims):
        """A copy of ``x`` reversed along ``dims`` (NumPy's flip is a view)."""
        return self.xp.array(self.xp.flip(x, axis=dims)) if dims else self.xp.array(x)

    def strided(self, x, shape, strides):
        """A view with byte ``strides`` starting at ``x``'s first element."""
        return self.xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)

    # --- indexing ------------------------------------------------------------------------
    def getitem(self, x, index, basic):
        r = x[index]
        if basic and not isinstance(r, self.xp.ndarray):
            # NOTE: a trailing ... makes a 0-d view where plain indexing gives a NumPy scalar
            r = x[index + (Ellipsis,)]
        return r

    def index_backward(self, g, shape, index, basic):
        """Scatter ``g`` into zeros of ``shape`` at ``index`` (summing repeats when advanced)."""
        out = self.xp.zeros(shape, dtype=g.dtype)
        if basic:
            out[index] = g
        else:
            self.scatter_add(out, index, g)
        return out

    def scatter_add(self, out, index, values):
        """out[index] += values in place, each repeated index adding its own value."""
        self.xp.add.at(out, index, values)

    # --- array utilities (not op kernels) ------------------------------------------------
    def device(self, x):
        """The mytorch device an array of this backend lives on."""
        return _device(self.device_type, 0)

    def at(self, index):
        """The backend of device ``index``: this one (a single device)."""
        return self

    def for_array(self, x):
        """The backend of the device ``x`` lives on: this one (a single device)."""
        return self

    def device_count(self):
        return 1

    def writable(self, x):
        """Whether ``x`` is an array of this backend that may be written in place: not a
        scalar, and not a broadcast view (a stride 0 over several elements, which one write
        would hit several times; CuPy has no read-only flag to mark it)."""
        if not isinstance(x, self.xp.ndarray):
            return False
        for n, st in zip(x.shape, x.strides):
            if st == 0 and n > 1:
                return False
        return True

    def array(self, data, np_dtype=None):
        """A new array of this backend from Python data or a NumPy array (always a copy)."""
        return self.xp.array(data, dtype=np_dtype)

    def from_numpy(self, a):
        """A copy of NumPy array ``a`` on this backend (host to device)."""
        return self.xp.asarray(a)

    def to_numpy(self, x):
        """The values of ``x`` as a NumPy array in host memory (device to host copy)."""
        return self.xp.asnumpy(x)

    def from_dlpack(self, obj):
        """An array sharing the memory of ``obj`` (an object with __dlpack__), no copy."""
        return self.xp.from_dlpack(obj)

    def scalar(self, x):
        """0-d results as this backend keeps them (the CPU keeps NumPy scalars)."""
        return x

    def full(self, shape, value, np_dtype):
        return self.scalar(self.xp.full(shape, value, dtype=np_dtype))

    def binary_into(self, name, x, y):
        """x op= y by the array module's ufunc ``name`` (add, subtract, multiply, divide),
        written into x; returns x."""
        getattr(self.xp, name)(x, y, out=x)
        return x

    def copy_array(self, x):
        """A copy of array ``x`` (in this backend's memory)."""
        return x.copy()

    def accumulate(self, acc, g):
        """acc + g, written into ``acc`` when it is a writable array of that shape."""
        xp = self.xp
        is_array = isinstance(acc, xp.ndarray)
        if is_array and acc.shape == g.shape and self.writable(acc):
            xp.add(acc, g, out=acc)
            return acc
        r = acc + g
        if not is_array and type(r) is type(acc):
            return r  # two NumPy scalars of one type: their sum, as it is
        return self.scalar(xp.asarray(r, dtype=acc.dtype))

    def setitem(self, x, index, value):
        """x[index] = value; returns the array now holding the result (0-d scalars rebind)."""
        if not self.writable(x):
            x = self.xp.array(x)
        x[index] = value
        return x

    def assign(self, x, value):
        """x[...] = value (broadcast, cast to x's dtype); returns the array now holding it."""
        if self.writable(x):
            x[...] = value
            return x
        if not isinstance(x, self.xp.ndarray) and type(value) is type(x):
            return value  # a NumPy scalar of x's own type: immutable, so it can be shared
        return self.scalar(self.xp.array(self.xp.broadcast_to(value, x.shape), dtype=x.dtype))

    def arange(self, start, end, step, np_dtype):
        """start, start + step, ... up to ``end`` (excluded); floats computed as PyTorch does,
        start + i * step in double precision."""
        xp = self.xp
        if np_dtype.kind in "fc":
            n = max(0, int(-((start - end) // step)))
            return (start + step * xp.arange(n, dtype=np.float64)).astype(np_dtype)
        return xp.arange(start, end, step).astype(np_dtype)

    def linspace(self, start, end, steps, np_dtype):
        return _ranges.linspace(self.xp, start, end, steps, np_dtype)

    def eye(self, n, m, np_dtype):
        return self.xp.eye(n, m, dtype=np_dtype)

    def data_ptr(self, x):
        """The address of ``x``'s first element (CuPy's ``x.data.ptr``)."""
        return int(x.data.ptr)

    def shares_memory(self, a, b):
        """Whether two arrays may overlap in memory (a view, not a copy, of one another)."""
        return bool(self.xp.may_share_memory(a, b))

    def can_view(self, x, shape):
        """Whether ``x`` can be viewed as ``shape`` without a copy."""
        if x.size == 0 or x.shape == tuple(shape):
            return True
        return self.shares_memory(self.xp.reshape(x, shape), x)

    def allclose(self, a, b, rtol, atol, equal_nan):
        return bool(self.xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def array_equal(self, a, b):
        return bool(self.xp.all(a == b))


def _select_dim(be, arg, x, dim, keepdim):
    xp = be.xp
    if x.ndim == 0:
        return _zero_d(be, x)
    i = arg(x, axis=dim, keepdims=True)
    v = xp.take_along_axis(x, i, axis=dim)
    i = i.astype(np.int64)
    if not keepdim:
        v = xp.squeeze(v, axis=dim)
        i = xp.squeeze(i, axis=dim)
    return be.scalar(v), be.scalar(i)


def _zero_d(be, x):
    """A 0-d input: itself (a copy) at index 0."""
    xp = be.xp
    return be.scalar(xp.array(x)), be.scalar(xp.zeros((), dtype=np.int64))


def _integral(v):
    """Whether an operand (an array or a Python scalar) holds bools or integers."""
    dt = getattr(v, "dtype", None)
    return dt.kind in "biu" if dt is not None else isinstance(v, int)


class NumpyBackend(Backend):
    """The NumPy reference: every kernel, on host arrays; 0-d results are NumPy scalars."""

    # NOTE: NumPy scalars are immutable, so the engine shares one seed of each float type.
    SCALAR_ONES = {np.float16: np.float16(1), np.float32: np.float32(1), np.float64: np.float64(1)}

    def __init__(self):
        super().__init__("numpy", np, "cpu")

    def sigmoid(self, x):
        # NOTE: scipy's expit is 1 / (1 + exp(-x)) in one pass, without overflow warnings.
        if x.dtype.kind == "V":  # bfloat16 (which scipy computes in float64): in float32
            return _expit(x.astype(np.float32)).astype(x.dtype)
        return _expit(x)

    def _erf(self, x):
        return _scipy_erf(x)

    def device(self, x):
        return CPU_DEVICE

    # NOTE: the arrays' own methods, not the module's functions: np.reshape and np.swapaxes go
    # through NumPy's __array_function__ dispatch (0.3 to 0.5 µs a call against 0.08 µs).
    def reshape(self, x, shape):
        return x.reshape(shape)

    def transpose(self, x, dim0, dim1):
        return x.swapaxes(dim0, dim1)

    def permute(self, x, dims):
        return x.transpose(dims)

    def data_ptr(self, x):
        return int(np.asarray(x).__array_interface__["data"][0])

    def generator(self, seed):
        """NumPy's PCG64 generator (the CPU's numbers: the same distributions as PyTorch, not
        its stream)."""
        return np.random.default_rng(seed)

    def random(self, gen, kind, shape, np_dtype, *args):
        if kind == "uniform":
            a = gen.random(shape)
        elif kind == "normal":
            a = gen.standard_normal(shape)
        elif kind == "integers":
            a = gen.integers(args[0], args[1], shape)
        elif kind == "poisson":
            a = gen.poisson(args[0], shape)
        elif kind == "multinomial":
            ushape = shape if args[2] else args[0].shape
            a = _sampling.multinomial(np, gen.random(ushape), *args)
        else:
            a = gen.permutation(shape[0])
        return a.astype(np_dtype)

    def rng_state(self, gen):
        return _rng.pcg64_state(gen)

    def set_rng_state(self, gen, state):
        _rng.set_pcg64_state(gen, state)

    def writable(self, x):
        return isinstance(x, np.ndarray) and x.flags.writeable

    def from_numpy(self, a):
        return a

    def to_numpy(self, x):
        return np.asarray(x)

    def scalar(self, x):
        return x[()] if x.ndim == 0 else x


CPU_DEVICE = _device("cpu")
NUMPY = NumpyBackend()
