"""tools/check_wheel.py's rules for the libraries and symbols of one shared object, on small ones
that GCC builds here: a C thread-local variable (as grad mode's) links the dynamic loader for
__tls_get_addr alone, which passes; any other symbol from the loader fails, and the loader's
symbol versions count towards the glibc floor (auditwheel skips them)."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# As mytorch/_grad_mode.pxd keeps grad mode: a static C thread-local int, read and written.
TLS_SOURCE = (
    "static __thread int off = 0;\n"
    "int get_off(void) { return off; }\n"
    "void set_off(int v) { off = v; }\n"
)

pytest.importorskip("elftools", reason="pyelftools is in the test extra")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gcc") is None,
    reason="builds ELF shared objects with GCC",
)


@pytest.fixture(scope="module")
def cw():
    spec = importlib.util.spec_from_file_location("check_wheel", ROOT / "tools" / "check_wheel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _shared_object(tmp_path, source):
    c = tmp_path / "m.c"
    c.write_text(source)
    so = tmp_path / "m.so"
    r = subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", "-o", str(so), str(c)],
        capture_output=True,
        text=True,
        check=False,
    )
    return so.read_bytes() if r.returncode == 0 else None


def _allowed(cw):
    return cw.SYSTEM_LIBS | {cw.LOADER}


def test_thread_local_variable_links_the_loader_and_passes(cw, tmp_path):
    data = _shared_object(tmp_path, TLS_SOURCE)
    needed, _, _, bound = cw.elf_facts(data)
    assert cw.LOADER in needed, needed  # the case the rule is for: -fPIC TLS needs the loader
    assert bound[cw.LOADER] == {"__tls_get_addr"}, bound
    problems, glibc = cw.elf_problems("m.so", data, _allowed(cw))
    assert problems == []
    assert glibc <= cw.GLIBC_MAX


def test_other_symbol_from_the_loader_fails(cw, tmp_path):
    data = _shared_object(
        tmp_path,
        "extern void *__libc_stack_end;\nvoid *stack_end(void) { return __libc_stack_end; }\n",
    )
    assert data is not None
    problems, _ = cw.elf_problems("m.so", data, _allowed(cw))
    assert problems == ["m.so: imports ['__libc_stack_end'] from the dynamic loader"]


def test_loader_symbol_versions_count_towards_the_glibc_floor(cw, tmp_path):
    data = _shared_object(
        tmp_path,
        "extern const long __rseq_offset;\nlong rseq_offset(void) { return __rseq_offset; }\n",
    )
    if data is None:
        pytest.skip("this glibc's loader has no __rseq_offset (2.35+)")
    _, versions, _, _ = cw.elf_facts(data)
    assert "GLIBC_2.35" in versions[cw.LOADER], versions
    problems, glibc = cw.elf_problems("m.so", data, _allowed(cw))
    assert problems == ["m.so: imports ['__rseq_offset'] from the dynamic loader"]
    assert glibc == (2, 35) and glibc > cw.GLIBC_MAX


def test_loader_counts_only_where_allowed(cw, tmp_path):
    # The same thread-local object against the system libraries alone (the list before the
    # loader was allowed): the loader is reported as a foreign library.
    data = _shared_object(tmp_path, TLS_SOURCE)
    problems, _ = cw.elf_problems("m.so", data, cw.SYSTEM_LIBS)
    assert problems == [f"m.so: links ['{cw.LOADER}'], neither system nor bundled"]


def test_a_compiled_modules_py_source_in_the_wheel_fails(cw, tmp_path):
    import zipfile

    so = _shared_object(tmp_path, TLS_SOURCE)
    assert so is not None
    build = 'COMPILED = ("mytorch._core",)\nKERNELS = {}\n'

    def wheel(with_source):
        path = tmp_path / f"w{int(with_source)}.whl"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mytorch/_build.py", build)
            zf.writestr("mytorch/py.typed", "")
            zf.writestr("mytorch/_core.cpython-311-x86_64-linux-gnu.so", so)
            if with_source:
                zf.writestr("mytorch/_core.py", "x = 1\n")
        return cw.check(path)[0]

    twin = "mytorch._core: its .py source ships beside the extension"
    assert twin in wheel(True)
    assert twin not in wheel(False)
