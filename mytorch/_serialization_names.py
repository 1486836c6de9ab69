"""The names in torch's checkpoints and what they are here: torch's storage types, its tensor
and parameter rebuild functions, the globals a weights-only load allows (and the user's
allowlist: add_safe_globals and its kin), for mytorch.serialization."""

import _codecs
import _compat_pickle
import collections
import contextlib
import pickle

from mytorch import _backends, _device
from mytorch import _dtype as D
from mytorch._core import Size, Tensor, _wrap
from mytorch.nn.parameter import Parameter

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source."
)


# --- the objects torch's pickle names ---------------------------------------------------------
class _StorageType:
    """What ``torch.FloatStorage`` (and its kin) stands for in a checkpoint: a storage dtype."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name = name
        self.dtype = dtype

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {d.title + "Storage": _StorageType(d.title + "Storage", d) for d in D.ALL}
_STORAGE_TYPES["UntypedStorage"] = _StorageType("UntypedStorage", D.uint8)
_STORAGE_OF = {st.dtype: st for n, st in _STORAGE_TYPES.items() if n != "UntypedStorage"}


class _LoadedStorage:
    """A storage read from a checkpoint: a 1-d array of its dtype on its device. It is what a
    ``map_location`` callable receives (``lambda storage, loc: storage`` keeps it on the CPU)."""

    __slots__ = ("data", "device")

    def __init__(self, data, device):
        self.data = data
        self.device = device

    def to(self, device):
        dev = _device.device(device) if not isinstance(device, _device.device) else device
        if dev == self.device:
            return self
        data = _wrap(self.data).to(dev)._data
        return _LoadedStorage(data, dev)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else _cuda_name(device))

    def size(self):
        return int(self.data.shape[0])

    def __len__(self):
        return self.size()


def _cuda_name(device):
    return f"cuda:{device}" if isinstance(device, int) else device


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None
):
    """torch._utils._rebuild_tensor_v2: a tensor over ``storage`` at an offset with strides."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    offset = int(storage_offset)
    n = storage.size()
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size + stride):
        raise RuntimeError(f"invalid tensor geometry in checkpoint: {size}, {stride}, {offset}")
    if 0 not in size:
        need = offset + 1 + sum((a - 1) * b for a, b in zip(size, stride))
        if need > n:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {storage.data.itemsize} requiring a storage size of "
                f"{need * storage.data.itemsize} are out of bounds for storage of size "
                f"{n * storage.data.itemsize}"
            )
    data = storage.data
    be = _backends.for_array(data)
    view = be.as_strided(data, size, stride, offset) if n else be.as_strided(data, size, stride, 0)
    t = _wrap(view)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter."""
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter with attributes of its own."""
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        p.__dict__.update(state)
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor subclass, or a tensor with attributes."""
    ret = func(*args)
    if type(ret) is not new_type and new_type is not Tensor:
        if new_type is Parameter:
            ret = Parameter(ret, ret.requires_grad)
        else:
            raise pickle.UnpicklingError(f"cannot rebuild a tensor of type {new_type!r}")
    if state:
        ret.__dict__.update(state if isinstance(state, dict) else state[1] or {})
    return ret


def _dtype_globals():
    return {("torch", d.name): d for d in D.ALL}


# torch's names -> mytorch's objects (what load understands, and what weights_only allows).
_TORCH_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Size"): Size,
    ("torch", "device"): _device.device,
    ("torch", "Tensor"): Tensor,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("_codecs", "encode"): _codecs.encode,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    **_dtype_globals(),
    **{("torch", n): st for n, st in _STORAGE_TYPES.items()},
}


# mytorch's objects -> the names torch writes for them.
_SAVE_NAMES = {id(obj): key for key, obj in _TORCH_GLOBALS.items() if key[0].startswith("torch")}


# --- safe globals ------------------------------------------------------------------------------
_safe_globals = []


def _global_name(obj):
    if isinstance(obj, tuple):
        return obj[1]
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj.__name__)}"


def add_safe_globals(safe_globals):
    """Matches torch.serialization.add_safe_globals: allow these classes/functions (or
    ``(obj, "module.name")`` pairs) when loading with ``weights_only=True``."""
    _safe_globals.extend(safe_globals)


def get_safe_globals():
    """Matches torch.serialization.get_safe_globals: the user's allowlist."""
    return list(_safe_globals)


def clear_safe_globals():
    """Matches torch.serialization.clear_safe_globals."""
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Matches torch.serialization.safe_globals: ``add_safe_globals`` within a ``with`` block."""
    saved = list(_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = saved


def _user_allowed():
    """The user's allowlist by name, with a mytorch path also under torch's name."""
    out = {}
    for g in _safe_globals:
        obj = g[0] if isinstance(g, tuple) else g
        name = _global_name(g)
        out[name] = obj
        if name.startswith("mytorch."):
            out[name[2:]] = obj
    return out


def _fix_name(module, name, proto):
    """Python 2 names in protocol < 3 pickles (``__builtin__.set``) as Python 3 spells them."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


def _weights_only_error(message):
    return pickle.UnpicklingError(
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint. "
        f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` "
        "please check the recommended steps in the following error message.\n\t"
        "WeightsUnpickler error: " + message
    )
