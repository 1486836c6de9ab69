"""The package's layout rules, checked on its source: one-way imports, no import-time wiring,
array-module calls only in the backends, modules of a readable size, and a registry where every
op has its kernel in every backend, its function, its Tensor method and its op-database row.
"""

import ast
import importlib
import pathlib

import pytest

import mytorch
from mytorch._backends.cupy_backend import CupyBackend
from mytorch._backends.reference import NUMPY, Backend
from mytorch._ops import FAMILIES
from mytorch._ops._declare import DECLARATIONS
from mytorch._registry import NAMESPACE_PATHS, NAMESPACES, OPS
from mytorch._tensor_ops import DECLARED

try:
    import torch
except ImportError:
    torch = None

SRC = pathlib.Path(__file__).resolve().parent.parent / "mytorch"
MODULES = {
    ".".join(p.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__"): p
    for p in sorted(SRC.rglob("*.py"))
}


def _module_level_imports(name, path):
    """The mytorch modules that ``name`` imports when it is imported (not inside functions)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from mytorch import _dtype`` imports the submodule mytorch._dtype.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            targets = [s for s in subs if s in MODULES] or [node.module]
        for t in targets:
            if t.startswith("mytorch") and t != name:
                found.add(t)
                # Importing mytorch.a.b from outside package mytorch.a runs mytorch.a first.
                parts = t.split(".")
                for i in range(2, len(parts)):
                    parent = ".".join(parts[:i])
                    inside = name == parent or name.startswith(parent + ".")
                    if parent in MODULES and not inside:
                        found.add(parent)
    return found - {"mytorch", name}


def test_imports_have_no_cycle():
    graph = {name: _module_level_imports(name, path) for name, path in MODULES.items()}
    state = {}

    def visit(name, stack):
        state[name] = "active"
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == "active":
                cycle = stack[stack.index(dep) :] + [dep] if dep in stack else [name, dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, stack + [dep])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    # The floors that the rest stands on import none of the layers above them.
    assert not any(d.startswith("mytorch._ops") for d in graph["mytorch._core"])
    assert "mytorch._engine" not in graph["mytorch._core"] | graph["mytorch._tensor"]


def _module_aliases(tree):
    """Names bound to modules by the module's own imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES or node.module == "mytorch":
                    names.add(a.asname or a.name)
    return names


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_time_wiring(name):
    """No module assigns into another module, patches an imported object, or updates its globals."""
    tree = ast.parse(MODULES[name].read_text())
    aliases = _module_aliases(tree)
    for node in tree.body:
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(sub, (ast.Assign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for t in targets:
                    base = t
                    while isinstance(base, (ast.Attribute, ast.Subscript)):
                        base = base.value
                    if isinstance(t, ast.Attribute) and isinstance(base, ast.Name):
                        assert base.id not in aliases, f"{name} assigns into {ast.unparse(t)}"
            if isinstance(sub, ast.Call) and ast.unparse(sub.func) == "globals().update":
                pytest.fail(f"{name} updates its globals at import")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            assert not node.name.startswith(("_bind_", "_set_tensor")), f"{name}: {node.name}"


# Optional third-party modules imported on first use, never by ``import mytorch``.
LAZY_IMPORTS = ("cupy", "cupyx", "threadpoolctl", "graphviz", "mpi4py")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_level_imports(name):
    """Every module imports what it uses at its top, where the layout test sees it; only optional
    third-party modules are imported inside functions (CuPy on first use of a GPU)."""
    tree = ast.parse(MODULES[name].read_text())
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Import):
                mods = [a.name for a in sub.names]
            elif isinstance(sub, ast.ImportFrom):
                mods = [sub.module or ""]
            else:
                continue
            for m in mods:
                assert m.split(".")[0] in LAZY_IMPORTS, (
                    f"{name}.{fn.name} imports {m} inside a function: import it at the top"
                )


# Python's own hook points, set and restored by their owners (mytorch.distributed ends the whole
# MPI job on an uncaught exception, and puts the previous hook back on destroy_process_group).
PYTHON_HOOKS = ("sys.excepthook",)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_writes_into_other_modules(name):
    """No function writes into another module's namespace either (setattr on a module, or an
    assignment to an attribute of an imported module): modules fill the registry through its
    functions (register_op, register_functions, provide), which the tests below check."""
    tree = ast.parse(MODULES[name].read_text())
    aliases = _module_aliases(tree)
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            if sub.func.id in ("setattr", "delattr") and sub.args:
                target = sub.args[0]
                assert not (isinstance(target, ast.Name) and target.id in aliases), (
                    f"{name} calls {ast.unparse(sub)}"
                )
        if isinstance(sub, (ast.Assign, ast.AugAssign)):
            for t in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                    if ast.unparse(t) in PYTHON_HOOKS:
                        continue
                    assert t.value.id not in aliases, f"{name} assigns {ast.unparse(t)}"


def test_core_hooks_are_provided_by_their_owners():
    """mytorch._core reaches the slow path through CORE, each entry filled once by the module
    that defines it (no module pushes another's internals)."""
    from mytorch._registry import CORE, CoreHooks

    # A switch, not a provided function: mytorch.autograd.graph sets it while saved-tensors
    # hooks are active or anomaly mode is on (so that a Node costs one pointer test otherwise).
    assert CORE.saved_pack is None
    assert "_CORE.saved_pack = " in MODULES["mytorch.autograd.graph"].read_text()
    for entry in CoreHooks.__slots__:
        if entry == "saved_pack":
            continue
        fn = getattr(CORE, entry)
        assert callable(fn), f"CORE.{entry} was never provided"
        owner = MODULES[fn.__module__].read_text()
        assert f"{entry}=" in owner and "provide(" in owner, f"CORE.{entry} not provided by owner"


# Modules that may call NumPy directly: the backends, the dtype table, and two that work on host
# copies they got through a backend (printing, and gradcheck's Jacobian bookkeeping).
NUMPY_ALLOWED = (
    "mytorch._backends",
    "mytorch.cuda",  # asks CuPy whether a GPU is there
    "mytorch.__main__",  # reports CuPy's and CUDA's versions
    "mytorch._dtype",
    "mytorch._repr",
    "mytorch.autograd.gradcheck",
)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_array_module_calls_go_through_a_backend(name):
    if name.startswith(NUMPY_ALLOWED):
        return
    tree = ast.parse(MODULES[name].read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, ast.Attribute):  # np.random.default_rng -> np
                base = base.value
            if isinstance(base, ast.Name) and base.id in ("np", "numpy", "cupy", "cp"):
                call = ast.unparse(node.func)
                assert call == "np.dtype", f"{name} calls {call}(): use its backend"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            if name not in ("mytorch.cuda", "mytorch.__main__", "mytorch._backends.cupy_backend"):
                assert not any(m and m.startswith("cupy") for m in mods), f"{name} imports CuPy"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_readable(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= 600, f"{name} has {lines} lines: split it along its concerns"


def _backends_under_test(standin):
    return {
        "numpy": NUMPY,
        "cpu": mytorch._backends.CPU,
        "standin": standin,
        # The CUDA backend is the same class over CuPy's module; built over the stand-in's
        # module here, it shows which kernels it supplies without a GPU.
        "cupy": CupyBackend(standin.xp),
    }


def test_every_op_has_a_kernel_in_every_backend():
    from backends.standin_backend import BACKEND

    for op in OPS.values():
        if op.xp is None:  # a kernel method of the contract; else its array module's function
            assert op.kname in Backend.KERNELS, f"{op.name}: kernel {op.kname} not in contract"
    for be_name, be in _backends_under_test(BACKEND).items():
        for k in Backend.KERNELS:
            assert callable(getattr(be, k, None)), f"backend {be_name} lacks kernel {k}"
        for op in OPS.values():
            if op.kname is not None:
                assert callable(op.kernel_on(be)), f"backend {be_name} lacks kernel {op.kname}"


def _exported():
    """Every function mytorch exports at the top level (declared or written by hand)."""
    return set(NAMESPACES["torch"])


def _internal():
    return {name for family in FAMILIES for name in family.INTERNAL}


def test_every_op_has_its_torch_function():
    declared_ops = {d.op.name for d in DECLARATIONS.values() if d.op is not None}
    for name, op in OPS.items():
        assert name in NAMESPACES["torch"] or name in _internal() or name in declared_ops, (
            f"op {name} has no function"
        )
    for ns, table in NAMESPACES.items():
        module = importlib.import_module(NAMESPACE_PATHS[ns])
        for name, fn in table.items():
            assert getattr(module, name) is fn, f"{NAMESPACE_PATHS[ns]}.{name} is not exported"


@pytest.mark.torch
def test_exports_are_torch_names():
    """Only torch's names are exported, each at torch's path."""
    for ns, table in NAMESPACES.items():
        tmod = importlib.import_module(NAMESPACE_PATHS[ns].replace("mytorch", "torch", 1))
        for name in table:
            assert hasattr(tmod, name), f"{NAMESPACE_PATHS[ns]}.{name} is not a torch function"
    for name in _internal():
        assert not hasattr(torch, name) or name in ("getitem",), f"torch has {name}: export it"


def test_declared_methods_are_tensor_methods():
    """A declaration's method and in-place method are Tensor's (nothing written by hand shadows
    them)."""
    for decl in DECLARATIONS.values():
        for m in (decl.method, decl.inplace):
            if m is not None:
                assert getattr(mytorch.Tensor, m) is DECLARED[m], f"Tensor.{m} is shadowed"


@pytest.mark.torch
def test_every_op_has_its_tensor_method_where_torch_has_one():
    for name in sorted(OPS):
        if hasattr(torch.Tensor, name):
            assert hasattr(mytorch.Tensor, name), f"Tensor.{name} is missing"
    # and every exported function that is a torch.Tensor method is one here too
    for name in sorted(_exported()):
        if hasattr(torch.Tensor, name) and not name.startswith("_"):
            assert hasattr(mytorch.Tensor, name), f"Tensor.{name} is missing"


def test_only_declarations_add_tensor_methods():
    """Tensor's methods grow through declarations alone (mytorch._ops._declare)."""
    for name, path in MODULES.items():
        if name in ("mytorch._ops._declare", "mytorch._tensor_ops"):
            continue
        assert "add_method(" not in path.read_text(), f"{name} adds a Tensor method by hand"
