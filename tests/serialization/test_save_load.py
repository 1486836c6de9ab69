"""mytorch.save / mytorch.load against torch: files written here load in torch, files written by
torch load here; values, dtypes, shapes, strides and shared storages survive both ways."""

import collections
import io
import os
import pathlib
import pickle
import zipfile

import numpy as np
import pytest

import mytorch
from helpers import raises, raises_like, to_numpy, torch

pytestmark = pytest.mark.torch

DTYPES = [
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "complex64",
]


def _values(name, shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 1.5 - 4
    if name == "bool":
        return a > 0
    if name.startswith(("int", "uint")):
        return np.abs(a).astype(np.int64) % 100
    return a


def _both(name, shape):
    a = _values(name, shape)
    m = mytorch.tensor(a).to(getattr(mytorch, name))
    t = torch.tensor(a).to(getattr(torch, name))
    return m, t


def _same(m, t):
    assert isinstance(m, mytorch.Tensor) and isinstance(t, torch.Tensor)
    assert repr(m.dtype) == str(t.dtype)
    assert tuple(m.shape) == tuple(t.shape)
    assert tuple(m.stride()) == tuple(t.stride())
    assert m.requires_grad == t.requires_grad
    np.testing.assert_array_equal(
        to_numpy(m.float() if m.dtype == mytorch.bfloat16 else m),
        to_numpy(t.float() if t.dtype == torch.bfloat16 else t),
    )


def _saved_by_mytorch(obj, **kw):
    b = io.BytesIO()
    mytorch.save(obj, b, **kw)
    b.seek(0)
    return b


def _saved_by_torch(obj, **kw):
    b = io.BytesIO()
    torch.save(obj, b, **kw)
    b.seek(0)
    return b


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 2)])
@pytest.mark.parametrize("name", DTYPES)
def test_dtypes_both_ways(name, shape, weights_only):
    m, t = _both(name, shape)
    loaded_t = torch.load(_saved_by_mytorch({"x": m}), weights_only=weights_only)["x"]
    _same(m, loaded_t)
    loaded_m = mytorch.load(_saved_by_torch({"x": t}), weights_only=weights_only)["x"]
    _same(loaded_m, t)


def _views(lib):
    base = lib.arange(24.0).reshape(4, 6)
    return {
        "base": base,
        "row": base[1],
        "col": base[:, 2],
        "t": base.t(),
        "block": base[1:3, 2:5],
        "step": base[::2, 1::3],
        "flat": base.view(-1)[5:],
        "other": lib.ones(3),
    }


def test_sharing_kept_in_torch():
    m = _views(mytorch)
    t = torch.load(_saved_by_mytorch(m))
    expect = _views(torch)
    for k in m:
        _same(m[k], t[k])
        assert t[k].storage_offset() == expect[k].storage_offset(), k
    ptr = t["base"].untyped_storage().data_ptr()
    for k in ("row", "col", "t", "block", "step", "flat"):
        assert t[k].untyped_storage().data_ptr() == ptr, k
    assert t["other"].untyped_storage().data_ptr() != ptr
    t["base"][1, 2] = 100.0
    assert t["block"][0, 0].item() == 100.0 and t["col"][1].item() == 100.0


def test_sharing_kept_here():
    t = _views(torch)
    m = mytorch.load(_saved_by_torch(t))
    for k in t:
        _same(m[k], t[k])
        offset = t[k].storage_offset() * 4
        assert m[k].data_ptr() == m["base"].data_ptr() + offset or k == "other", k
    m["base"][1, 2] = 100.0
    assert m["block"][0, 0].item() == 100.0 and m["col"][1].item() == 100.0
    # and a re-save from here keeps the layout for torch
    again = torch.load(_saved_by_mytorch(m))
    for k in t:
        assert again[k].storage_offset() == t[k].storage_offset(), k
        assert again[k].untyped_storage().data_ptr() == (
            again["base"].untyped_storage().data_ptr() if k != "other" else again[k].data_ptr()
        )


def test_one_storage_record_per_shared_block():
    m = _views(mytorch)
    names = zipfile.ZipFile(_saved_by_mytorch(m)).namelist()
    assert sorted(n for n in names if "/data/" in n) == ["archive/data/0", "archive/data/1"]
    assert "archive/data.pkl" in names and "archive/byteorder" in names
    assert "archive/version" in names and "archive/.data/serialization_id" in names


def test_records_aligned_to_64_bytes(tmp_path):
    path = tmp_path / "x.pt"
    mytorch.save({"a": mytorch.ones(3), "b": mytorch.zeros(5, dtype=mytorch.int8)}, path)
    raw = path.read_bytes()
    for zi in zipfile.ZipFile(path).infolist():
        n, e = np.frombuffer(raw[zi.header_offset + 26 : zi.header_offset + 30], "<u2")
        assert (zi.header_offset + 30 + n + e) % 64 == 0, zi.filename
        assert zi.compress_type == zipfile.ZIP_STORED


def _nested(lib):
    sd = collections.OrderedDict(w=lib.arange(6.0).reshape(2, 3), b=lib.zeros(3))
    sd._metadata = collections.OrderedDict({"": {"version": 1}, "sub": {"version": 2}})
    return {
        "sd": sd,
        "list": [lib.ones(2), (lib.tensor(3), {"deep": lib.tensor([True, False])})],
        "step": 7,
        "lr": 0.5,
        "name": "run",
        "none": None,
        "set": {1, 2},
        "bytes": b"ab\x00",
        "complex": 1 + 2j,
        "dtype": lib.float16,
        "device": lib.device("cpu"),
        "size": lib.Size([2, 3]),
    }


def _compare_nested(a, b):
    if isinstance(a, mytorch.Tensor):
        return _same(a, b)
    if isinstance(b, mytorch.Tensor):
        return _same(b, a)
    if isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        if hasattr(a, "_metadata"):
            assert a._metadata == b._metadata
        for k in a:
            _compare_nested(a[k], b[k])
    elif isinstance(a, (list, tuple)) and not hasattr(a, "numel"):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _compare_nested(x, y)
    else:
        assert repr(a) == repr(b)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_nested_containers(protocol):
    # torch's weights-only unpickler reads protocol 2 only (FRAME is protocol 4's)
    weights_only = protocol == 2
    got_t = torch.load(
        _saved_by_mytorch(_nested(mytorch), pickle_protocol=protocol), weights_only=weights_only
    )
    _compare_nested(_nested(mytorch), got_t)
    got_m = mytorch.load(_saved_by_torch(_nested(torch), pickle_protocol=protocol))
    assert mytorch.load(_saved_by_mytorch(_nested(mytorch), pickle_protocol=protocol))
    _compare_nested(got_m, _nested(torch))
    assert got_m["dtype"] is mytorch.float16 and type(got_m["size"]) is mytorch.Size
    assert got_m["device"] == mytorch.device("cpu")


def test_parameters_and_requires_grad():
    p = mytorch.nn.Parameter(mytorch.ones(2, 2))
    x = mytorch.ones(3, requires_grad=True)
    got = torch.load(_saved_by_mytorch({"p": p, "x": x, "frozen": mytorch.nn.Parameter(x, False)}))
    assert type(got["p"]) is torch.nn.Parameter and got["p"].requires_grad
    assert got["x"].requires_grad and type(got["x"]) is torch.Tensor
    assert type(got["frozen"]) is torch.nn.Parameter and not got["frozen"].requires_grad
    tp = torch.nn.Parameter(torch.ones(2))
    tp.note = "kept"
    back = mytorch.load(_saved_by_torch({"p": tp, "x": torch.ones(2, requires_grad=True)}))
    assert type(back["p"]) is mytorch.nn.Parameter and back["p"].requires_grad
    assert back["p"].note == "kept" and back["p"].is_leaf
    assert back["x"].requires_grad and back["x"].is_leaf


def test_state_dict_moves_between_libraries():
    mytorch.manual_seed(0)
    mm = mytorch.nn.Sequential(mytorch.nn.Linear(4, 3), mytorch.nn.ReLU(), mytorch.nn.Linear(3, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    tm.load_state_dict(torch.load(_saved_by_mytorch(mm.state_dict())))
    x = np.linspace(-1, 1, 8).reshape(2, 4)
    out_m = mm(mytorch.tensor(x, dtype=mytorch.float32))
    out_t = tm(torch.tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(to_numpy(out_m), to_numpy(out_t), rtol=1e-6)
    torch.nn.init.normal_(tm[0].weight)
    mm.load_state_dict(mytorch.load(_saved_by_torch(tm.state_dict())))
    out_m = mm(mytorch.tensor(x, dtype=mytorch.float32))
    out_t = tm(torch.tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(to_numpy(out_m), to_numpy(out_t), rtol=1e-6)


def test_whole_module_loads_where_it_was_saved():
    mytorch.manual_seed(0)
    model = mytorch.nn.Sequential(mytorch.nn.Linear(3, 2), mytorch.nn.Tanh())
    b = _saved_by_mytorch(model)
    with raises(pickle.UnpicklingError, match="Weights only load failed"):
        mytorch.load(b)
    b.seek(0)
    back = mytorch.load(b, weights_only=False)
    assert type(back) is mytorch.nn.Sequential and type(back[0]) is mytorch.nn.Linear
    x = mytorch.ones(1, 3)
    np.testing.assert_array_equal(to_numpy(back(x)), to_numpy(model(x)))
    assert type(back[0].weight) is mytorch.nn.Parameter
    # allowlisting the classes loads it with weights_only=True too
    classes = [mytorch.nn.Sequential, mytorch.nn.Linear, mytorch.nn.Tanh, set]
    b.seek(0)
    unsafe = mytorch.serialization.get_unsafe_globals_in_checkpoint(b)
    assert "mytorch.nn.modules.linear.Linear" in unsafe
    with mytorch.serialization.safe_globals(classes):
        b.seek(0)
        assert type(mytorch.load(b)[0]) is mytorch.nn.Linear


def test_torch_module_loads_here_unsafe_only():
    torch.manual_seed(0)
    b = _saved_by_torch(torch.nn.Linear(3, 2))
    back = mytorch.load(b, weights_only=False)
    assert type(back) is mytorch.nn.Linear
    assert type(back.weight) is mytorch.nn.Parameter and tuple(back.weight.shape) == (2, 3)


class Custom:
    def __init__(self, v):
        self.v = v


def test_weights_only_refuses_other_globals():
    obj = {"c": Custom(3), "t": torch.ones(1)}
    data = _saved_by_torch(obj).getvalue()

    def fn(lib):
        return lib.load(io.BytesIO(data))

    m, t = raises_like(fn, ["Weights only load failed", "Unsupported global", "Custom"])
    assert "add_safe_globals" in m and "weights_only" in m
    assert mytorch.serialization.get_unsafe_globals_in_checkpoint(
        io.BytesIO(data)
    ) == torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    assert mytorch.load(io.BytesIO(data), weights_only=False)["c"].v == 3
    assert mytorch.load(io.BytesIO(data), pickle_module=pickle)["c"].v == 3  # unsafe: explicit


def test_safe_globals_registry():
    data = _saved_by_torch({"c": Custom(4)}).getvalue()
    mytorch.serialization.clear_safe_globals()
    try:
        with mytorch.serialization.safe_globals([Custom]):
            assert mytorch.serialization.get_safe_globals() == [Custom]
            assert mytorch.load(io.BytesIO(data))["c"].v == 4
            assert mytorch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == []
        assert mytorch.serialization.get_safe_globals() == []
        with raises(pickle.UnpicklingError):
            mytorch.load(io.BytesIO(data))
        mytorch.serialization.add_safe_globals([Custom])
        assert mytorch.load(io.BytesIO(data))["c"].v == 4
    finally:
        mytorch.serialization.clear_safe_globals()
    assert mytorch.serialization.get_safe_globals() == []


def test_weights_only_with_pickle_module_refused():
    b = _saved_by_mytorch({"a": 1})
    raises_like(lambda lib: lib.load(b, pickle_module=pickle, weights_only=True), ["pickle_module"])


def test_map_location_forms():
    x = mytorch.arange(4.0)
    data = _saved_by_mytorch({"x": x, "v": x[1:]}).getvalue()
    seen = []

    def fn(storage, location):
        seen.append(location)
        return storage

    for ml in ("cpu", mytorch.device("cpu"), {"cpu": "cpu"}, fn, lambda s, loc: None):
        got = mytorch.load(io.BytesIO(data), map_location=ml)
        assert got["x"].device == mytorch.device("cpu")
        assert got["v"].data_ptr() == got["x"].data_ptr() + 4
    assert seen == ["cpu"]  # one storage: one call


def test_map_location_moves_to_another_device():
    x = mytorch.arange(6.0).reshape(2, 3)
    b = _saved_by_mytorch({"x": x, "col": x[:, 1]})
    got = mytorch.load(b, map_location="standin")
    assert got["x"].device.type == "standin"
    np.testing.assert_array_equal(to_numpy(got["col"]), [1.0, 4.0])
    b = _saved_by_mytorch({"y": got["x"]})
    assert b"standin" in zipfile.ZipFile(b).read("archive/data.pkl")
    b.seek(0)
    assert mytorch.load(b)["y"].device.type == "standin"
    b.seek(0)
    assert mytorch.load(b, map_location={str(got["x"].device): "cpu"})["y"].device.type == "cpu"


def test_mmap(tmp_path):
    path = tmp_path / "w.pt"
    a = torch.arange(10.0)
    torch.save({"a": a, "b": a[3:], "h": torch.ones(3).half()}, path)
    got = mytorch.load(path, mmap=True)
    np.testing.assert_array_equal(to_numpy(got["b"]), np.arange(3.0, 10.0))
    chain, b = [], got["a"]._data
    while b is not None:
        chain.append(type(b))
        b = getattr(b, "base", None)
    assert np.memmap in chain
    got["a"][0] = 5.0  # copy-on-write: the file keeps its values
    assert got["b"].data_ptr() == got["a"].data_ptr() + 12
    assert torch.load(path)["a"][0].item() == 0.0
    p2 = tmp_path / "m.pt"
    mytorch.save({"x": mytorch.arange(5.0)}, p2)
    assert torch.load(p2, mmap=True)["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    raises_like(lambda lib: lib.load(io.BytesIO(path.read_bytes()), mmap=True), ["file path"])


def test_paths_and_atomic_replace(tmp_path):
    path = tmp_path / "ck.pt"
    mytorch.save({"a": mytorch.ones(2)}, str(path))
    mytorch.save({"a": mytorch.zeros(2)}, pathlib.Path(path))
    assert torch.load(str(path))["a"].tolist() == [0.0, 0.0]
    assert os.listdir(tmp_path) == ["ck.pt"]
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        mytorch.save({"a": mytorch.ones(2), "f": lambda: 0}, path)
    assert os.listdir(tmp_path) == ["ck.pt"]  # no temporary file left behind
    assert mytorch.load(path)["a"].tolist() == [0.0, 0.0]  # the old file is intact


def test_truncated_and_corrupt_files():
    data = _saved_by_mytorch({"w": mytorch.arange(6.0)}).getvalue()
    cases = [
        (0, EOFError, ""),
        (10, RuntimeError, "not a ZIP archive"),
        (len(data) // 2, RuntimeError, "failed finding central directory"),
        (len(data) - 5, RuntimeError, "failed finding central directory"),
    ]
    for cut, exc, phrase in cases:

        def fn(lib, cut=cut):
            return lib.load(io.BytesIO(data[:cut]))

        raises_like(fn, [phrase], exc=exc)
    raises_like(
        lambda lib: lib.load(io.BytesIO(b"not a checkpoint at all" * 10)),
        exc=pickle.UnpicklingError,
    )


def _rewrite(data, change):
    """The archive ``data`` with each record passed through ``change(name, bytes)``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in src.namelist():
            z.writestr(n, change(n, src.read(n)))
    return out.getvalue()


def test_storage_sizes_checked_before_allocating():
    data = _saved_by_mytorch({"w": mytorch.arange(6.0)}).getvalue()
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    assert pkl.count(b"K\x06t") == 1  # the storage's numel, 6

    def huge(name, b):
        return b.replace(b"K\x06t", b"J\x00\x00\x00\x40t") if name.endswith("data.pkl") else b

    with raises(RuntimeError, match="truncated or corrupt"):
        mytorch.load(io.BytesIO(_rewrite(data, huge)))

    def short(name, b):
        return b[:8] if name.endswith("data/0") else b

    with raises(RuntimeError, match="truncated or corrupt"):
        mytorch.load(io.BytesIO(_rewrite(data, short)))

    def geometry(name, b):  # a view past the end of its storage
        return b.replace(b"K\x00K\x06\x85", b"K\x04K\x06\x85") if name.endswith(".pkl") else b

    assert pkl.count(b"K\x00K\x06\x85") == 1
    with raises(RuntimeError, match="out of bounds for storage"):
        mytorch.load(io.BytesIO(_rewrite(data, geometry)))


def test_legacy_format_is_refused_clearly():
    b = _saved_by_torch({"a": torch.ones(2)}, _use_new_zipfile_serialization=False)
    with raises(RuntimeError, match="legacy"):
        mytorch.load(b)


def test_top_level_names():
    assert mytorch.save is mytorch.serialization.save
    assert mytorch.load is mytorch.serialization.load
    assert mytorch.serialization.DEFAULT_PROTOCOL == torch.serialization.DEFAULT_PROTOCOL


@pytest.mark.skipif(mytorch.cuda.is_available(), reason="checks a machine without a GPU")
def test_cuda_location_without_a_gpu():
    data = _saved_by_mytorch({"x": mytorch.arange(3.0)}).getvalue()

    def to_cuda(name, b):
        if not name.endswith("data.pkl"):
            return b
        assert b.count(b"X\x03\x00\x00\x00cpu") == 1
        return b.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")

    data = _rewrite(data, to_cuda)
    raises_like(
        lambda lib: lib.load(io.BytesIO(data)),
        ["Attempting to deserialize object on a CUDA device", "map_location"],
        exc=RuntimeError,
    )
    for lib in (mytorch, torch):
        got = lib.load(io.BytesIO(data), map_location="cpu")["x"]
        assert got.tolist() == [0.0, 1.0, 2.0] and got.device.type == "cpu"


def test_unsafe_globals_with_protocol_4():
    b = _saved_by_mytorch({"m": mytorch.nn.ReLU()}, pickle_protocol=4)
    assert "mytorch.nn.modules.activation.ReLU" in (
        mytorch.serialization.get_unsafe_globals_in_checkpoint(b)
    )
    b.seek(0)
    assert type(mytorch.load(b, weights_only=False)["m"]) is mytorch.nn.ReLU


def test_training_checkpoint_round_trip_with_optimizer_state():
    """model + Adam state saved here resume in torch, and torch's resume here."""
    mm = mytorch.nn.Linear(2, 2)
    opt = mytorch.optim.Adam(mm.parameters(), lr=0.1)
    mm(mytorch.ones(1, 2)).sum().backward()
    opt.step()
    ck = torch.load(_saved_by_mytorch({"model": mm.state_dict(), "opt": opt.state_dict()}))
    tm = torch.nn.Linear(2, 2)
    topt = torch.optim.Adam(tm.parameters(), lr=0.1)
    tm.load_state_dict(ck["model"])
    topt.load_state_dict(ck["opt"])
    assert sorted(ck["opt"]["state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    tm(torch.ones(1, 2)).sum().backward()
    topt.step()
    back = mytorch.load(_saved_by_torch({"model": tm.state_dict(), "opt": topt.state_dict()}))
    opt.load_state_dict(back["opt"])
    mm.load_state_dict(back["model"])
    assert opt.state_dict()["state"][0]["step"].item() == 2.0
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(to_numpy(mm.state_dict()[k]), to_numpy(v))
