"""mytorch.utils.safetensors against safetensors.torch: files written here load in torch and
files written by torch load here (skipped where the optional safetensors package is missing)."""

import numpy as np
import pytest

import mytorch
from helpers import raises, to_numpy, torch

safetensors = pytest.importorskip("safetensors")
st_torch = pytest.importorskip("safetensors.torch")

pytestmark = pytest.mark.torch

from mytorch.utils import safetensors as mst  # noqa: E402

NAMES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
         "bool"]  # fmt: skip


def _pairs():
    out_m, out_t = {}, {}
    for i, name in enumerate(NAMES):
        a = np.arange(6, dtype=np.float64).reshape(2, 3) * (1.5 if i % 2 else 1) - 2
        if name == "bool":
            a = a > 0
        elif name.startswith(("int", "uint")):
            a = np.abs(a).astype(np.int64)
        out_m[name] = mytorch.tensor(a).to(getattr(mytorch, name))
        out_t[name] = torch.tensor(a).to(getattr(torch, name))
    out_m["scalar"], out_t["scalar"] = mytorch.tensor(2.5), torch.tensor(2.5)
    out_m["view"], out_t["view"] = (
        mytorch.arange(12.0).reshape(3, 4).t(),
        torch.arange(12.0).reshape(3, 4).t().contiguous(),
    )
    return out_m, out_t


def _same(m, t):
    assert set(m) == set(t)
    for k in m:
        assert repr(m[k].dtype) == str(t[k].dtype), k
        assert tuple(m[k].shape) == tuple(t[k].shape), k
        np.testing.assert_array_equal(to_numpy(m[k].float()), to_numpy(t[k].float()), err_msg=k)


def test_files_both_ways(tmp_path):
    m, t = _pairs()
    mst.save_file(m, tmp_path / "m.safetensors", metadata={"format": "pt"})
    _same(m, st_torch.load_file(tmp_path / "m.safetensors"))
    st_torch.save_file(t, tmp_path / "t.safetensors")
    back = mst.load_file(tmp_path / "t.safetensors")
    _same(back, t)
    back["float32"][0, 0] = 7.0  # writable
    st_torch.save_file({"w": torch.ones(2)}, tmp_path / "w.safetensors")
    w = mst.load_file(str(tmp_path / "w.safetensors"), device="standin")["w"]
    assert w.device.type == "standin" and to_numpy(w).tolist() == [1.0, 1.0]


def test_bytes_both_ways():
    m, t = _pairs()
    _same(m, st_torch.load(mst.save(m)))
    _same(mst.load(st_torch.save(t)), t)


def test_bad_arguments():
    with raises(TypeError):
        mst.save({"a": np.ones(2)})
    with raises(TypeError):
        mst.save([mytorch.ones(2)])
