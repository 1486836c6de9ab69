"""Host bytes of mytorch.serialization: the storages of a save (tensors over one memory block
share one), and torch's checkpoint archive written and read.

Records are stored uncompressed; each record's data starts at a multiple of 64 bytes in the
file (the local header is padded with an extra field, as torch's writer does), which is what
lets ``load(..., mmap=True)`` map a storage straight from the file. Every size read from the
file is checked against the file's own length before anything is allocated.
"""

import contextlib
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

_CHUNK = 1 << 26
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_NO_CENTRAL_DIR = "PytorchStreamReader failed reading zip archive: failed finding central directory"


def _bytes_of(data):
    if isinstance(data, np.ndarray):
        return memoryview(np.ascontiguousarray(data).reshape(-1).view(np.uint8))
    return memoryview(data).cast("B")


def write_archive(fp, archive, records, align):
    """Write ``records`` ((name, bytes or array) pairs) as ``archive/name`` into ``fp``."""
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in records:
            mv = _bytes_of(data)
            full = f"{archive}/{name}"
            zi = zipfile.ZipInfo(full, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED
            zi.file_size = mv.nbytes
            zip64 = mv.nbytes * 1.05 > zipfile.ZIP64_LIMIT
            head = zf.fp.tell() + 30 + len(full.encode()) + 4 + (20 if zip64 else 0)
            pad = -head % align
            zi.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            with zf.open(zi, "w", force_zip64=zip64) as w:
                for i in range(0, mv.nbytes, _CHUNK):
                    w.write(mv[i : i + _CHUNK])


def _corrupt(what):
    return RuntimeError(f"PytorchStreamReader failed reading file {what}: file read failed")


class Archive:
    """A checkpoint opened for reading: its records by name (without the archive folder)."""

    def __init__(self, fp, path, mmap):
        self.fp = fp
        self.path = path
        self.mmap = mmap
        start = fp.tell()
        fp.seek(0, os.SEEK_END)
        self.length = fp.tell() - start
        fp.seek(start)
        head = fp.read(len(_LEGACY_MAGIC))
        fp.seek(start)
        if not head:
            raise EOFError("Ran out of input")
        if head == _LEGACY_MAGIC:
            raise RuntimeError(
                "this checkpoint is in torch's legacy (pre-1.6, non-zip) format, which mytorch "
                "does not read: re-save it with torch.save in torch >= 1.6"
            )
        if head[:4] != b"PK\x03\x04":
            raise pickle.UnpicklingError(
                f"not a checkpoint in torch's zip format (invalid load key, {head[:1]!r})"
            )
        if self.length < 22:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: not a ZIP archive")
        try:
            self.zf = zipfile.ZipFile(fp)
            names = self.zf.namelist()
        except (zipfile.BadZipFile, EOFError, ValueError, struct.error, OSError) as e:
            raise RuntimeError(_NO_CENTRAL_DIR) from e
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkl:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        self.prefix = pkl[0][: -len("data.pkl")]
        order = b"little"
        if self.prefix + "byteorder" in names:
            order = self.read_record("byteorder").strip()
        if order not in (b"little", b"big"):
            raise RuntimeError(f"unknown byteorder in checkpoint: {order!r}")
        self.swap = order.decode() != sys.byteorder

    def _info(self, name):
        try:
            zi = self.zf.getinfo(self.prefix + name)
        except KeyError:
            raise RuntimeError(
                f"PytorchStreamReader failed locating file {name}: file not found"
            ) from None
        # NOTE: deflate expands at most ~1032 times: a larger claim is a corrupt (or hostile) file
        if (
            zi.compress_size > self.length
            or zi.file_size > 1032 * zi.compress_size + 1024
            or (zi.compress_type == zipfile.ZIP_STORED and zi.file_size > self.length)
        ):
            raise _corrupt(name)
        return zi

    def read_record(self, name):
        zi = self._info(name)
        try:
            return self.zf.read(zi)
        except (zipfile.BadZipFile, EOFError, ValueError, struct.error, OSError) as e:
            raise _corrupt(name) from e

    def storage(self, key, dtype, numel):
        """Storage ``key``: a 1-d array of ``numel`` elements of ``dtype`` (its NumPy type)."""
        name = f"data/{key}"
        zi = self._info(name)
        np_dtype = dtype.np
        need = numel * np_dtype.itemsize
        if numel < 0 or zi.file_size < need:
            raise RuntimeError(
                f"checkpoint storage {key} holds {zi.file_size} bytes, but its tensors need "
                f"{need} (the file is truncated or corrupt)"
            )
        if self.mmap and zi.compress_type == zipfile.ZIP_STORED and not self.swap:
            arr = self._mapped(zi, np_dtype, numel)
        else:
            buf = bytearray(need)
            try:
                with self.zf.open(zi) as r:
                    got = r.readinto(memoryview(buf))
            except (zipfile.BadZipFile, EOFError, ValueError, struct.error, OSError) as e:
                raise _corrupt(name) from e
            if got != need:
                raise _corrupt(name)
            arr = np.frombuffer(buf, dtype=np_dtype, count=numel)
        if self.swap:
            arr = arr.byteswap()
        return arr

    def _mapped(self, zi, np_dtype, numel):
        self.fp.seek(zi.header_offset)
        head = self.fp.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise _corrupt(zi.filename)
        n, e = struct.unpack("<HH", head[26:30])
        offset = zi.header_offset + 30 + n + e
        if offset + numel * np_dtype.itemsize > self.length:
            raise _corrupt(zi.filename)
        if numel == 0:
            return np.empty(0, np_dtype)
        m = np.memmap(self.path, dtype=np_dtype, mode="c", offset=offset, shape=(numel,))
        return m.view(np.ndarray)

    def close(self):
        self.zf.close()


class SavedStorage:
    __slots__ = ("key", "dtype", "location", "numel", "data")

    def __init__(self, key, dtype, location, numel, data):
        self.key, self.dtype, self.location, self.numel, self.data = (
            key,
            dtype,
            location,
            numel,
            data,
        )


def _root(a):
    """The array that owns ``a``'s memory block (through views and as_strided's wrappers)."""
    r = a
    while True:
        b = r.base
        if not isinstance(b, np.ndarray) and hasattr(b, "__array_interface__"):
            b = getattr(b, "base", None)  # NumPy's as_strided wraps its source
        if not isinstance(b, np.ndarray):
            return r
        r = b


class StorageTable:
    """The storages of one save: tensors over the same memory (and dtype) get one storage."""

    def __init__(self):
        self.by_memory = {}  # (id(root array), dtype) -> _SavedStorage
        self.storages = []
        self.keep = []  # the root arrays (so that their ids stay theirs during the save)

    def _new(self, dtype, location, data):
        st = SavedStorage(str(len(self.storages)), dtype, location, data.size, data)
        self.storages.append(st)
        return st

    def place(self, data, dtype, location, stride):
        """(storage, offset, stride) for a tensor over host array ``data`` (with torch's
        ``stride``) of ``dtype``, whose device is ``location``."""
        if location == "cpu" and isinstance(data, np.ndarray):
            placed = self._shared(data, dtype)
            if placed is not None:
                return placed[0], placed[1], stride
        flat = np.ascontiguousarray(data).reshape(-1)
        return self._new(dtype, location, flat), 0, _contiguous_strides(np.shape(data))

    def _shared(self, a, dtype):
        """The storage over ``a``'s whole memory block, and ``a``'s offset in it; None when
        the block can't be one storage (then ``a`` is saved as a copy of its own)."""
        item = a.itemsize
        if any(s < 0 or s % item for s in a.strides) or not a.dtype.isnative:
            return None
        r = _root(a)
        if not (r.flags.c_contiguous or r.flags.f_contiguous) or r.nbytes % item:
            return None
        low, high = np.lib.array_utils.byte_bounds(r)
        ptr = a.__array_interface__["data"][0]
        a_low, a_high = np.lib.array_utils.byte_bounds(a)
        if (ptr - low) % item or a.size and (a_low < low or a_high > high):
            return None
        key = (id(r), dtype)
        st = self.by_memory.get(key)
        if st is None:
            raw = r.ravel(order="K").view(np.uint8)
            flat = raw.view(a.dtype)
            st = self._new(dtype, "cpu", flat)
            self.by_memory[key] = st
            self.keep.append(r)
        return st, (ptr - low) // item


def _contiguous_strides(size):
    st, acc = [], 1
    for s in reversed(size):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


@contextlib.contextmanager
def open_archive(f, mmap=False):
    """The checkpoint ``f`` (a path or a readable, seekable binary file object) as an Archive."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fp:
            archive = Archive(fp, path, mmap)
            try:
                yield archive
            finally:
                archive.close()
    else:
        archive = Archive(f, None, False)
        try:
            yield archive
        finally:
            archive.close()


def array_from_bytes(data, np_dtype, shape):
    """A writable host array of ``shape`` holding the bytes ``data`` (a copy of them)."""
    return np.frombuffer(bytearray(data), dtype=np_dtype).reshape(shape)
