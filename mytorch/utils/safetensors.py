"""mytorch.utils.safetensors: tensors to and from safetensors files (the format of Hugging Face's
``safetensors`` package), through that package's NumPy API.

It needs the optional extra: ``pip install mytorch-autograd[safetensors]``. The functions
mirror ``safetensors.torch``: ``save_file(tensors, filename, metadata=None)``,
``load_file(filename, device="cpu")``, ``save(tensors, metadata=None) -> bytes`` and
``load(data) -> dict``. bfloat16 goes through ml_dtypes (the file says ``BF16``, as torch's).
Each tensor is written as a contiguous copy; tensors sharing memory are written once each.
"""

from mytorch import _dtype as D
from mytorch._backends._checkpoint import array_from_bytes
from mytorch._core import Tensor
from mytorch._ops.creation import from_numpy

try:
    import safetensors as _st
    import safetensors.numpy as _stnp
except ImportError:  # the optional extra is not installed
    _st = _stnp = None

__all__ = ["save_file", "load_file", "save", "load"]

# safetensors' dtype names -> mytorch dtypes (what load understands)
_DTYPES = {
    "F64": D.float64,
    "F32": D.float32,
    "F16": D.float16,
    "BF16": D.bfloat16,
    "I64": D.int64,
    "I32": D.int32,
    "I16": D.int16,
    "I8": D.int8,
    "U8": D.uint8,
    "BOOL": D.bool_,
    "C64": D.complex64,
}


def _need():
    if _stnp is None:
        raise ImportError(
            "mytorch.utils.safetensors needs the safetensors package: "
            "pip install 'mytorch-autograd[safetensors]' (or pip install safetensors)"
        )


def _arrays(tensors):
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    out = {}
    for k, t in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"tensor names must be str, got {type(k).__name__}")
        if not isinstance(t, Tensor):
            raise TypeError(f"{k}: expected a Tensor, got {type(t).__name__}")
        out[k] = t.detach().cpu().contiguous().numpy()
    return out


def _tensors(arrays, device="cpu"):
    out = {}
    for k, a in arrays.items():
        t = from_numpy(a if a.flags.writeable else a.copy())
        out[k] = t if str(device) == "cpu" else t.to(device)
    return out


def save_file(tensors, filename, metadata=None):
    """Write ``tensors`` (a dict name -> Tensor) to a safetensors file."""
    _need()
    _stnp.save_file(_arrays(tensors), filename, metadata=metadata)


def save(tensors, metadata=None):
    """``tensors`` as the bytes of a safetensors file."""
    _need()
    return _stnp.save(_arrays(tensors), metadata=metadata)


def load_file(filename, device="cpu"):
    """The tensors of a safetensors file (a dict name -> Tensor), on ``device``."""
    _need()
    return _tensors(_stnp.load_file(filename), device)


def load(data):
    """The tensors in the bytes of a safetensors file."""
    _need()
    out = {}
    for k, v in _st.deserialize(data):
        dtype = _DTYPES.get(v["dtype"])
        if dtype is None:
            raise TypeError(f"{k}: safetensors dtype {v['dtype']} has no mytorch dtype")
        out[k] = from_numpy(array_from_bytes(v["data"], dtype.np, tuple(v["shape"])))
    return out
