"""mytorch.serialization: ``save`` and ``load`` in PyTorch's own zip checkpoint format.

The file is the one torch writes: a zip archive (entries stored uncompressed, each one's data
aligned to 64 bytes) holding ``archive/data.pkl`` (a pickle, protocol 2 by default),
``archive/data/<key>`` (each storage's raw bytes, little endian), ``archive/byteorder``,
``archive/version`` and ``archive/.data/serialization_id``. The pickle names the globals torch
names (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.float32``,
``torch.Size``, ``collections.OrderedDict``, ...) and refers to each storage by a persistent id
``('storage', torch.FloatStorage, key, location, numel)``, so a file written here loads in
torch and a file written by torch loads here; torch is never imported: loading maps those names
to mytorch's own objects.

Tensors that share memory are saved with one storage (same key, their offsets and strides),
and load sharing memory again. ``load`` is safe by default (``weights_only=True``, as torch
2.6+): only tensors, containers, primitives and the allowlist (``add_safe_globals``) load.

A whole module (``save(model)``) pickles its classes under their own import paths
(``mytorch.nn.modules.linear.Linear``): such a file loads (``weights_only=False``) in the
library that saved it. Save ``model.state_dict()`` to move weights between libraries.

Not written or read: torch's legacy (pre-1.6, non-zip) format (loading one raises a clear
RuntimeError). Tensors on a GPU are saved through a host copy each (sharing between them is not
kept); their location (``'cuda:0'``) is recorded, and ``map_location`` moves them on load.
Tensors loaded here that share a storage share memory (``data_ptr`` and writes show it) but are
not views of one another, so their ``storage_offset()`` reads 0 here (the offset is kept in the
file and in a re-save).
"""

import collections
import contextlib
import io
import os
import pickle
import pickletools
import sys
import tempfile

from mytorch import _device, cuda
from mytorch._core import Size, Tensor
from mytorch._grad_mode import no_grad
from mytorch.nn.parameter import Parameter
from mytorch._backends._checkpoint import SavedStorage, StorageTable, open_archive, write_archive
from mytorch._serialization_names import (  # noqa: F401 (re-exported: torch's API)
    _STORAGE_OF,
    _TORCH_GLOBALS,
    UNSAFE_MESSAGE,
    _fix_name,
    _LoadedStorage,
    _rebuild_parameter,
    _rebuild_parameter_with_state,
    _rebuild_tensor_v2,
    _SAVE_NAMES,
    _StorageType,
    _user_allowed,
    _weights_only_error,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)

__all__ = [
    "save",
    "load",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "get_unsafe_globals_in_checkpoint",
    "safe_globals",
    "DEFAULT_PROTOCOL",
]

DEFAULT_PROTOCOL = 2
_ALIGN = 64  # torch aligns every record's data to 64 bytes (what mmap=True relies on)
_ARCHIVE = "archive"


# --- save -------------------------------------------------------------------------------------


class _Pickler(pickle._Pickler):
    """The standard pickler (its Python version, whose ``save`` can be extended) that writes
    tensors as torch does and names mytorch's dtypes, devices and sizes by torch's names."""

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self._storages = storages  # _StorageTable

    def save(self, obj, save_persistent_id=True):
        key = _SAVE_NAMES.get(id(obj))
        if key is not None:
            memo = self.memo.get(id(obj))
            if memo is not None:
                self.write(self.get(memo[0]))
                return
            module, name = key
            if self.proto >= 4:
                self.save(module)
                self.save(name)
                self.write(pickle.STACK_GLOBAL)
            else:
                self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
            self.memoize(obj)
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, SavedStorage):
            return ("storage", _STORAGE_OF[obj.dtype], obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if isinstance(obj, Parameter):
                state = dict(obj.__dict__)
                hooks = collections.OrderedDict()
                if state:
                    args = (obj.detach(), obj.requires_grad, hooks, state)
                    return (_rebuild_parameter_with_state, args)
                return (_rebuild_parameter, (obj.detach(), obj.requires_grad, hooks))
            size = tuple(obj.shape)
            if obj.device.type == "cpu":
                data, location = obj._data, "cpu"
            else:  # through a host copy of its own
                data, location = obj.detach().cpu()._data, str(obj.device)
            st, offset, stride = self._storages.place(data, obj.dtype, location, obj.stride())
            args = (st, offset, size, stride, obj.requires_grad, collections.OrderedDict())
            return (_rebuild_tensor_v2, args)
        if isinstance(obj, Size):
            return (Size, (tuple(obj),))
        if isinstance(obj, _device.device):
            return (_device.device, (str(obj),))
        return NotImplemented


def save(
    obj,
    f,
    pickle_module=pickle,
    pickle_protocol=DEFAULT_PROTOCOL,
    _use_new_zipfile_serialization=True,
    _disable_byteorder_record=False,
):
    """Matches torch.save: ``obj`` into ``f`` (a path or a writable binary file object) in
    torch's zip format. A path is written atomically (a temporary file in the same folder,
    then ``os.replace``). ``pickle_module`` is accepted; the pickle is always written by the
    standard ``pickle`` machinery (the names in it must be torch's)."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "mytorch.save writes only torch's zip format (_use_new_zipfile_serialization=True)"
        )
    storages = StorageTable()
    buf = io.BytesIO()
    _Pickler(buf, pickle_protocol, storages).dump(obj)
    records = [("data.pkl", buf.getbuffer()), (".format_version", b"1")]
    records.append((".storage_alignment", str(_ALIGN).encode()))
    if not _disable_byteorder_record:
        records.append(("byteorder", sys.byteorder.encode()))
    for st in storages.storages:
        records.append((f"data/{st.key}", st.data))
    records.append(("version", b"3\n"))
    records.append((".data/serialization_id", _serialization_id()))
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                write_archive(out, _ARCHIVE, records, _ALIGN)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    else:
        write_archive(f, _ARCHIVE, records, _ALIGN)


def _serialization_id():
    return str(int.from_bytes(os.urandom(16), "little")).zfill(40).encode()


# --- load -------------------------------------------------------------------------------------
class _Unpickler(pickle.Unpickler):
    """Reads a checkpoint's pickle: torch's names map to mytorch's objects; with
    ``weights_only`` only those and the user's allowlist are found."""

    def __init__(self, file, archive, weights_only, location_fn, **kwargs):
        super().__init__(file, **kwargs)
        self._archive = archive
        self._weights_only = weights_only
        self._location_fn = location_fn
        self._loaded = {}
        self._allowed = _user_allowed() if weights_only else {}

    def find_class(self, module, name):
        module, name = _fix_name(module, name, 2)
        obj = _TORCH_GLOBALS.get((module, name))
        if obj is not None:
            return obj
        if (module, name) == ("torch.nn.parameter", "Parameter"):
            return Parameter
        full = f"{module}.{name}"
        if self._weights_only:
            if full in self._allowed:
                return self._allowed[full]
            raise _weights_only_error(
                f"Unsupported global: GLOBAL {full} was not an allowed global by default. "
                f"Please use `torch.serialization.add_safe_globals([{name}])` or the "
                f"`torch.serialization.safe_globals([{name}])` context manager to allowlist "
                "this global if you trust this class/function."
            )
        if module == "torch" or module.startswith("torch."):
            with contextlib.suppress(ImportError, AttributeError):
                return super().find_class("my" + module, name)
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id in checkpoint: {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type in checkpoint: {stype!r}")
        key = str(key)
        st = self._loaded.get(key)
        if st is None:
            dtype = stype.dtype
            arr = self._archive.storage(key, dtype, int(numel))
            st = self._location_fn(_LoadedStorage(arr, _device.device("cpu")), str(location))
            self._loaded[key] = st
        return st


def _location_fn(map_location):
    """storage, saved location -> the storage on the device the caller asked for."""

    def default(storage, location):
        if location.startswith("cuda"):
            if not cuda.is_available():
                raise RuntimeError(
                    "Attempting to deserialize object on a CUDA device but "
                    "torch.cuda.is_available() is False. If you are running on a CPU-only "
                    "machine, please use torch.load with map_location=torch.device('cpu') to "
                    "map your storages to the CPU."
                )
        return storage.to(location)

    if map_location is None:
        return default
    if isinstance(map_location, (str, _device.device)):
        return lambda storage, location: storage.to(map_location)
    if isinstance(map_location, dict):
        return lambda storage, location: default(storage, map_location.get(location, location))
    if callable(map_location):

        def call(storage, location):
            out = map_location(storage, location)
            return default(storage, location) if out is None else out

        return call
    raise ValueError(f"unsupported map_location: {map_location!r}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Matches torch.load for torch's zip format. ``weights_only`` is True unless a
    ``pickle_module`` is given (as torch 2.6+); ``mmap=True`` (``f`` a path) maps the storages
    from the file copy-on-write instead of reading them. A truncated or corrupt file raises
    RuntimeError before any storage is allocated from sizes the file claims."""
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    kwargs.setdefault("encoding", "utf-8")
    fn = _location_fn(map_location)
    with open_archive(f, mmap=bool(mmap)) as archive:
        data = archive.read_record("data.pkl")
        unpickler_cls = _Unpickler
        if pickle_module is not None and pickle_module is not pickle:
            base = pickle_module.Unpickler
            unpickler_cls = type("_Unpickler", (_Unpickler, base), {})
        up = unpickler_cls(io.BytesIO(data), archive, weights_only, fn, **kwargs)
        try:
            with no_grad():
                return up.load()
        except pickle.UnpicklingError as e:
            if weights_only and not str(e).startswith("Weights only load failed"):
                raise _weights_only_error(str(e)) from None
            raise


def get_unsafe_globals_in_checkpoint(f):
    """Matches torch.serialization.get_unsafe_globals_in_checkpoint: the globals in ``f``'s
    pickle that ``weights_only=True`` would refuse (as ``module.name`` strings)."""
    with open_archive(f) as archive:
        data = archive.read_record("data.pkl")
    allowed = _user_allowed()
    found, memo, recent, proto = [], {}, [], 2
    for op, arg, _ in pickletools.genops(data):
        if op.name == "PROTO":
            proto = arg
        elif op.name == "GLOBAL":
            found.append(tuple(arg.split(" ", 1)))
        elif op.name == "STACK_GLOBAL" and len(recent) >= 2:
            found.append((recent[-2], recent[-1]))
        elif isinstance(arg, str) and "UNICODE" in op.name:
            recent.append(arg)
        elif op.name in ("BINPUT", "LONG_BINPUT", "PUT") and recent:
            memo[arg] = recent[-1]
        elif op.name == "MEMOIZE" and recent:
            memo[len(memo)] = recent[-1]
        elif op.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
            recent.append(memo[arg])
    out = []
    for module, name in found:
        module, name = _fix_name(module, name, proto)
        key = f"{module}.{name}"
        ok = (module, name) in _TORCH_GLOBALS or key == "torch.nn.parameter.Parameter"
        if not ok and key not in allowed and key not in out:
            out.append(key)
    return out
