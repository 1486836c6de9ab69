"""The CUDA backend: the reference kernels over CuPy, imported on first use of a cuda device.

``import mytorch`` never imports CuPy; ``mytorch.cuda.is_available()`` is False without it. The
same class over the test suite's stand-in module (tests/backends/standin.py, which has CuPy's
API on the host) is the stand-in device, so the suite runs this code on every machine.

Devices: the registered backend is unbound; ``at(n)`` gives the backend of device ``n``, whose
kernels, allocations, random draws and copies all run inside ``xp.cuda.Device(n)`` (CuPy
allocates on, and launches kernels on, the current device).
"""

import copy

import numpy as np

from mytorch import cuda
from mytorch._backends._cupy_kernels import FusedKernels
from mytorch._backends.base import BackendContract
from mytorch._backends.reference import Backend
from mytorch._device import device as _device

# The dtypes CuPy 14's ``add.at`` (cupyx.scatter_add) takes (cupy/_core/_routines_indexing.pyx).
_SCATTER_ADD_DTYPES = frozenset(
    np.dtype(t) for t in ("int32", "int64", "uint32", "uint64", "float16", "float32", "float64")
)
# Kernels outside the contract (named after a declared op's kernel): bound like its members.
_EXTRA_KERNELS = ("matmul",)
# Members that neither allocate nor launch kernels: they run on whatever device is current.
_ANY_DEVICE = frozenset(
    ["device", "at", "for_array", "device_count", "scalar", "writable", "data_ptr",
     "shares_memory", "entropy", "rng_state", "set_rng_state", "to_numpy", "xp_kernel"]
)  # fmt: skip


class CupyBackend(FusedKernels, Backend):
    """CuPy arrays on numbered GPUs; kernels not overridden here are the reference's."""

    multi_device = True

    def __init__(self, xp, name="cupy", device_type="cuda", scipy_linalg=None):
        super().__init__(name, xp, device_type)
        self._scipy_linalg = scipy_linalg  # cupyx.scipy.linalg (None: imported on first use)
        self._bound = {}  # device index -> the backend bound to it (shared by all of them)
        self._xp_kernels = {}  # name -> a declared op's kernel on this device (bound copies)
        if device_type == "cuda":  # torch.cuda's peak memory statistics
            cuda.memory.track(xp)

    # --- devices -----------------------------------------------------------------------
    def device(self, x):
        return _device(self.device_type, x.data.device_id)

    def device_count(self):
        return self.xp.cuda.runtime.getDeviceCount()

    def at(self, index):
        """The backend of device ``index`` (None: the current device)."""
        if index is None:
            index = self.xp.cuda.Device().id
        be = self._bound.get(index)
        if be is None:
            count = self.device_count()
            if not 0 <= index < count:
                raise RuntimeError(
                    f"{self.device_type} device index {index} is out of range: there are "
                    f"{count} {self.device_type} devices"
                )
            be = self._bound.setdefault(index, _bind(self, index))
        return be

    def for_array(self, x):
        return self.at(x.data.device_id)

    def xp_kernel(self, name):
        """The array module's function ``name``, run on this backend's device when it is
        bound to one (made once per device)."""
        fn = getattr(self.xp, name)
        if self.index is None:
            return fn
        k = self._xp_kernels.get(name)
        if k is None:
            k = self._xp_kernels.setdefault(name, _on_device(fn, self.xp.cuda.Device, self.index))
        return k

    def _check_divisor(self, y):
        """Nothing: checking an integer divisor for zeros would read the device back, and
        torch's CUDA kernels do not check either."""

    # --- memory ------------------------------------------------------------------------
    def from_numpy(self, a):
        return self.xp.asarray(a)

    def to_numpy(self, x):
        return self.xp.asnumpy(x)

    def to_device(self, x, dst, src=None):
        """A copy of ``x`` on backend ``dst``: device to device within this module (CuPy copies
        an array onto the current device), through the host otherwise."""
        if dst is self:
            return x.copy()
        if getattr(dst, "xp", None) is self.xp and dst.index is not None:
            with self.xp.cuda.Device(dst.index):
                return x.copy()
        return dst.from_numpy(self.to_numpy(x))

    def scatter_add(self, out, index, values):
        """out[index] += values through ``xp.add.at`` (CuPy's scatter_add: atomic adds), in a
        wider dtype where CuPy has no atomic add for ``out``'s."""
        xp = self.xp
        dt = out.dtype
        if dt in _SCATTER_ADD_DTYPES:
            xp.add.at(out, index, values)
        elif dt.kind == "c":
            for part in ("real", "imag"):
                acc = xp.ascontiguousarray(getattr(out, part))
                xp.add.at(acc, index, xp.ascontiguousarray(getattr(xp.asarray(values), part)))
                setattr(out, part, acc)
        else:  # bool and the small integers add up in int64, as torch's index_put_ does
            acc = out.astype(np.int64)
            xp.add.at(acc, index, xp.asarray(values).astype(np.int64))
            out[...] = acc.astype(dt)

    # --- LAPACK-type kernels that CuPy has in cupyx.scipy.linalg (one matrix per call) ---
    def _cupyx_linalg(self, name, what):
        sl = self._scipy_linalg
        if sl is None and getattr(self.xp, "__name__", "") != "cupy":
            sl = False  # an array module that is not CuPy brings its own, or has none
        if sl is None:
            try:
                import cupyx.scipy.linalg as sl
            except ImportError:
                sl = False
            self._scipy_linalg = sl
        fn = getattr(sl, name, None) if sl else None
        if fn is None:
            raise NotImplementedError(
                f"{what} has no kernel on {self.device_type} devices (it needs "
                f"cupyx.scipy.linalg.{name})"
            )
        return fn

    def _per_matrix(self, fn, a, outs):
        """fn over each matrix of the stack ``a``: ``outs`` results, stacked back."""
        xp = self.xp
        flat = a.reshape((-1,) + a.shape[-2:])
        res = [fn(flat[i]) for i in range(flat.shape[0])]
        if outs == 1:
            res = [(r,) for r in res]
        return tuple(
            xp.stack([r[j] for r in res]).reshape(a.shape[:-2] + res[0][j].shape)
            for j in range(outs)
        )

    def linalg_matrix_exp(self, a):
        expm = self._cupyx_linalg("expm", "linalg.matrix_exp")
        if a.shape[-1] == 0 or a.size == 0:
            return a.copy()
        (out,) = self._per_matrix(expm, a, 1)
        return out.astype(a.dtype, copy=False)

    def linalg_lu_factor(self, a):
        """cuSOLVER's getrf per matrix (cupyx.scipy.linalg.lu_factor): LAPACK's packed LU and
        its row swaps, 1-based int32 as torch's."""
        lu_factor = self._cupyx_linalg("lu_factor", "linalg.lu_factor")
        if a.size == 0:
            k = min(a.shape[-2:])
            return a.copy(), self.xp.ones(a.shape[:-2] + (k,), dtype=np.int32)
        lu, piv = self._per_matrix(lambda m: lu_factor(m, check_finite=False), a, 2)
        return self.xp.ascontiguousarray(lu.astype(a.dtype, copy=False)), (piv + 1).astype(np.int32)

    # --- pinned host memory -------------------------------------------------------------
    def pinned_copy(self, a):
        """A copy of the host array ``a`` in page-locked memory (CuPy's pinned pool)."""
        a = np.asarray(a)
        mem = self.xp.cuda.alloc_pinned_memory(max(a.nbytes, 1))
        out = np.frombuffer(mem, a.dtype, a.size).reshape(a.shape)
        out[...] = a
        return out

    def is_pinned(self, a):
        """Whether the host array ``a`` views CuPy's pinned memory (at the end of its bases)."""
        while isinstance(a, np.ndarray):
            a = a.base
        if isinstance(a, memoryview):
            a = a.obj
        return isinstance(a, self.xp.cuda.PinnedMemoryPointer)

    # --- random numbers ----------------------------------------------------------------
    def _random_state(self):
        """cuRAND's Philox generator where CuPy has it: reseeding it costs no state setup
        (XORWOW's does), and the device stream reseeds once per draw."""
        curand = getattr(self.xp.cuda, "curand", None)
        method = getattr(curand, "CURAND_RNG_PSEUDO_PHILOX4_32_10", None)
        return self.xp.random.RandomState(0, method=method)


def _bind(root, index):
    """A copy of ``root`` bound to device ``index``: every member that allocates or launches
    kernels runs with that device current."""
    be = copy.copy(root)
    be.index = index
    be._xp_kernels = {}
    device_cls = root.xp.cuda.Device
    for name in BackendContract.MEMBERS + _EXTRA_KERNELS:
        if name not in _ANY_DEVICE:
            setattr(be, name, _on_device(getattr(be, name), device_cls, index))
    return be


def _on_device(fn, device_cls, index):
    def run(*args, **kwargs):
        with device_cls(index):
            return fn(*args, **kwargs)

    run.__name__ = getattr(fn, "__name__", "kernel")
    run.__doc__ = getattr(fn, "__doc__", None)
    return run


def load():
    """The CUDA backend; AssertionError, as torch's, when CuPy or a GPU is missing."""
    if not cuda.is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    import cupy

    return CupyBackend(cupy)
