"""The backend contract (mytorch._backends.base): one class lists every member a backend
provides, each with a one-line docstring, and every backend provides all of them: the NumPy
reference, the compiled CPU backend, the CUDA backend (over the stand-in's CuPy-shaped module,
since CuPy needs a GPU) and the stand-in device, unbound and bound to each of its devices."""

import ast
import inspect
import pathlib

import pytest
from helpers import raises
from backends import standin
from backends.standin_backend import BACKEND, StandinBackend

import mytorch
from mytorch._registry import OPS
from mytorch._backends import base
from mytorch._backends.base import ATTRIBUTES, BackendContract, missing
from mytorch._backends.compiled import CompiledBackend
from mytorch._backends.cupy_backend import CupyBackend
from mytorch._backends.reference import NUMPY, Backend, NumpyBackend


def _backends():
    out = {
        "numpy": NUMPY,
        "cpu": mytorch._backends.CPU,
        "compiled": CompiledBackend(),
        "cupy": CupyBackend(standin.xp),
        "standin": BACKEND,
    }
    for i in range(standin.DEVICE_COUNT):
        out[f"standin:{i}"] = BACKEND.at(i)
        out[f"cupy:{i}"] = out["cupy"].at(i)
    return out


BACKENDS = _backends()


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_backend_provides_every_member(name):
    be = BACKENDS[name]
    assert isinstance(be, BackendContract)
    assert missing(be) == []
    for member in BackendContract.MEMBERS:
        assert callable(getattr(be, member)), member


def test_members_are_sections_of_unique_names_with_one_line_docs():
    names = [n for section in base.SECTIONS.values() for n, _, _ in section]
    assert len(names) == len(set(names)), "a member is listed twice"
    assert tuple(names) == BackendContract.MEMBERS
    assert set(BackendContract.KERNELS) <= set(names)
    assert not set(names) & set(ATTRIBUTES)
    for name in names:
        doc = getattr(BackendContract, name).__doc__
        assert doc and "\n" not in doc and doc.startswith(f"{name}("), (name, doc)
    for name, doc in ATTRIBUTES.items():
        assert doc and "\n" not in doc, name


def test_kernels_keep_their_names_and_order():
    # Backend.KERNELS is still what the op families and test_layout read.
    assert Backend.KERNELS is BackendContract.KERNELS
    assert Backend.KERNELS[:4] == ("add", "sub", "mul", "div")
    assert Backend.KERNELS[-3:] == ("sigmoid_backward", "tanh_backward", "relu_backward")
    assert len(set(Backend.KERNELS)) == len(Backend.KERNELS)  # each kernel once


# Public names a backend class may have beyond the contract: the kernel tuple and member list,
# the CPU's shared scalar ones, and the compiled backend's loaded kernel modules.
EXTRAS = {"KERNELS", "MEMBERS", "SCALAR_ONES", "loaded"}


@pytest.mark.parametrize(
    "cls", [Backend, NumpyBackend, CompiledBackend, CupyBackend, StandinBackend], ids=str
)
def test_backend_classes_offer_nothing_outside_the_contract(cls):
    """Every utility a backend has is listed (none is known only to its callers)."""
    be = BACKENDS["compiled"] if cls is CompiledBackend else None
    names = {n for n in dir(cls) if not n.startswith("_")}
    if be is not None:
        names |= {n for n in vars(be) if not n.startswith("_")}
    # A kernel method named after a declared op's kernel overrides the array module's function
    # that the declaration names (the compiled exp, sqrt and tanh).
    declared = {op.kname for op in OPS.values() if op.xp is not None}
    unlisted = names - set(BackendContract.MEMBERS) - set(ATTRIBUTES) - EXTRAS - declared
    assert not unlisted, f"{cls.__name__} has members outside the contract: {sorted(unlisted)}"


def _holder(node):
    """What an attribute is read from, for the names that hold backends: ``be.x`` -> 'be',
    ``_backends.CPU.x`` -> 'CPU', ``_backends.for_array(d).x`` and ``_be(t).x`` -> the call."""
    v = node.value
    if isinstance(v, ast.Name):
        return v.id
    if isinstance(v, ast.Attribute):
        return v.attr
    if isinstance(v, ast.Call):
        f = v.func
        return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    return None


HOLDERS = {"be", "_CPU", "CPU", "NUMPY", "src", "dst", "ib", "tb", "_be", "for_array",
           "for_device"}  # fmt: skip


def test_callers_use_only_listed_members():
    """mytorch reaches backends only through names the contract lists (a scan of the package
    outside mytorch._backends for ``be.<name>``, ``_backends.CPU.<name>``, ...)."""
    # NOTE: the source tree, not the installed package (a compiled install ships no .py for the
    # modules it compiles)
    src = pathlib.Path(__file__).resolve().parents[2] / "mytorch"
    allowed = set(BackendContract.MEMBERS) | set(ATTRIBUTES) | EXTRAS
    used = {}
    for path in src.rglob("*.py"):
        text = path.read_text()
        if "_backends" in path.parts or "backend" not in text.lower():
            continue  # (a module that never names a backend: its ``src`` is torch's argument)
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Attribute) or node.attr.startswith("_"):
                continue  # (an underscore name is a tensor's own field, as src._vc)
            if _holder(node) in HOLDERS:
                used.setdefault(node.attr, set()).add(path.name)
    assert {"from_numpy", "accumulate", "data_ptr", "random"} <= set(used)  # the scan works
    unlisted = {k: v for k, v in used.items() if k not in allowed}
    assert not unlisted, f"backend members used but not in the contract: {unlisted}"


class _Partial(Backend):
    """A backend that forgets two members."""

    writable = None
    where = BackendContract.where  # the contract's placeholder: not implemented

    def __init__(self):
        super().__init__("partial", standin.xp, "partial")


def test_missing_members_are_found_and_such_a_backend_is_refused():
    be = _Partial()
    assert missing(be) == ["where", "writable"]
    with raises(TypeError, match="does not implement where, writable"):
        mytorch._backends.register(be)
    with raises(NotImplementedError, match="'partial' does not implement where"):
        be.where(True, 1.0, 2.0)
    with raises(TypeError, match="expected a mytorch backend"):
        mytorch._backends.register(object())


def test_placeholders_document_their_arguments():
    sig = BackendContract.index_put.__doc__
    assert sig.startswith("index_put(x, v, index, accumulate): ")
    assert inspect.isfunction(BackendContract.random)
    assert "uniform, normal, integers" in BackendContract.random.__doc__


def test_bound_backends_are_one_per_device_and_know_their_number():
    assert BACKEND.index is None and BACKEND.multi_device
    b0, b1 = BACKEND.at(0), BACKEND.at(1)
    assert (b0.index, b1.index) == (0, 1)
    assert BACKEND.at(1) is b1 and b0.at(1) is b1 and b1.at(0) is b0
    assert mytorch._backends.for_device("standin:1") is b1
    assert mytorch._backends.for_device("standin") is b0  # the current device
    with standin.Device(1):
        assert mytorch._backends.for_device("standin") is b1
    assert NUMPY.at(None) is NUMPY and NUMPY.for_array(None) is NUMPY and not NUMPY.multi_device
    assert NUMPY.device_count() == 1 and BACKEND.device_count() == standin.DEVICE_COUNT
