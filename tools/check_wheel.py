"""Check a repaired Linux wheel of mytorch, or one shared library (run with the build tools' Python,
which has pyelftools: auditwheel depends on it).

  check_wheel.py WHEEL...              the checks below; exit 1 on the first wheel that fails
  check_wheel.py --table WHEEL...      a Markdown table of wheel and installed sizes
  check_wheel.py --glibc-max LIB 2.17  exit 0 when LIB needs no glibc symbol newer than 2.17

A wheel passes when: every module of mytorch/_build.py's COMPILED and KERNELS is an extension in it,
and its .py source is not (the extension is what imports); it holds no generated C (or other build
leftovers) and ships py.typed; it installs in at most 5 MB; every extension links only the C
library, a libgomp bundled in the wheel and (for __tls_get_addr alone) the dynamic loader, needs no
glibc symbol newer than 2.17 (the bundled libgomp neither; the loader's symbols count too), and
every symbol it imports from outside Python carries a symbol version (an unversioned one would mean
a header redirected a call to a symbol glibc 2.17 lacks, which the linker let through); no extension
imports a symbol of NumPy's C API, which only exists as a table (such a call compiles when NumPy's
headers hide a function newer than their target version, and fails on import).
"""

import argparse
import ast
import io
import os
import re
import sys
import zipfile

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

MAX_INSTALLED = 5_000_000  # bytes: the "at most 5 MB installed"
GLIBC_MAX = (2, 17)
SYSTEM_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1"}
# The dynamic loader: the interpreter of every glibc program, and libc.so.6 itself needs it.
# auditwheel never counts it as a dependency and skips its symbol versions (so the glibc check
# here covers them); NumPy's and SciPy's manylinux2014 wheels link it for __tls_get_addr, and
# so does a C thread-local variable in any -fPIC extension (mytorch/_grad_mode.pxd's grad mode).
# Only that symbol may come from it: docs/WHEELS.md.
LOADER = "ld-linux-x86-64.so.2"
LOADER_SYMBOLS = {"__tls_get_addr"}
# NumPy's C API: reached through the table that import_array() loads, so never an undefined symbol.
NUMPY_API = ("PyArray_", "PyDataMem_", "PyUFunc_", "NpyIter_", "_PyArray", "PyDataType_")
LEFTOVERS = re.compile(r"\.(c|cpp|o|html|pyx)$")


def _version_tuple(text):
    return tuple(int(p) for p in text.split("."))


def elf_facts(data):
    """(needed sonames, {library: {versions}}, unversioned undefined symbols, {library: {symbols
    bound to it by their version}}) of one ELF file."""
    elf = ELFFile(io.BytesIO(data))
    needed, versions, unversioned, bound = [], {}, [], {}
    library_of = {}  # version index (.gnu.version) -> the library that defines that version
    for sec in elf.iter_sections():
        if isinstance(sec, DynamicSection):
            needed += [t.needed for t in sec.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        if isinstance(sec, GNUVerNeedSection):
            for verneed, aux in sec.iter_versions():
                for a in aux:
                    versions.setdefault(verneed.name, set()).add(a.name)
                    library_of[a["vna_other"]] = verneed.name
    dynsym = elf.get_section_by_name(".dynsym")
    versym = elf.get_section_by_name(".gnu.version")
    for i, sym in enumerate(dynsym.iter_symbols() if dynsym else ()):
        if sym["st_shndx"] != "SHN_UNDEF" or not sym.name:
            continue
        if sym.name.startswith(NUMPY_API):
            unversioned.append(sym.name)  # NumPy's C API is a table, never a symbol to link
            continue
        if sym.name.startswith(("Py", "_Py")):
            continue  # the interpreter's own API, resolved against the running Python
        ndx = versym.get_symbol(i)["ndx"] if versym else "VER_NDX_LOCAL"
        if ndx in ("VER_NDX_LOCAL", "VER_NDX_GLOBAL") and sym["st_info"]["bind"] != "STB_WEAK":
            unversioned.append(sym.name)
        elif ndx in library_of:
            bound.setdefault(library_of[ndx], set()).add(sym.name)
    return needed, versions, unversioned, bound


def glibc_max(versions):
    found = [
        _version_tuple(v[len("GLIBC_") :])
        for vs in versions.values()
        for v in vs
        if v.startswith("GLIBC_") and v[len("GLIBC_") :].replace(".", "").isdigit()
    ]
    return max(found, default=(0,))


def elf_problems(name, data, allowed=None):
    """Problems of one ELF file (named ``name`` in them), and the newest glibc it needs.

    ``allowed``: the sonames it may link (None: not checked, as for the bundled libraries)."""
    needed, versions, unversioned, bound = elf_facts(data)
    problems = []
    if allowed is not None:
        foreign = [n for n in needed if n not in allowed]
        if foreign:
            problems.append(f"{name}: links {foreign}, neither system nor bundled")
    from_loader = bound.get(LOADER, set()) - LOADER_SYMBOLS
    if from_loader:
        problems.append(f"{name}: imports {sorted(from_loader)} from the dynamic loader")
    if unversioned:
        problems.append(f"{name}: unversioned imports {sorted(unversioned)[:8]}")
    return problems, glibc_max(versions)


def _expected_modules(zf):
    src = zf.read("mytorch/_build.py").decode()
    lists = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("COMPILED", "KERNELS"):
                lists[node.targets[0].id] = ast.literal_eval(node.value)
    return list(lists["COMPILED"]) + list(lists["KERNELS"])


def check(path):
    """Problems found in one wheel (empty: it passes), and its facts for the report."""
    problems = []
    zf = zipfile.ZipFile(path)
    infos = [i for i in zf.infolist() if not i.is_dir()]
    names = [i.filename for i in infos]
    installed = sum(i.file_size for i in infos)
    exts = {n for n in names if n.endswith(".so") and n.startswith("mytorch/")}
    libs = {n for n in names if n.startswith("mytorch_autograd.libs/")}
    for mod in _expected_modules(zf):
        prefix = mod.replace(".", "/") + "."
        if not any(e.startswith(prefix) for e in exts):
            problems.append(f"{mod}: no compiled extension")
        if prefix + "py" in names:
            problems.append(f"{mod}: its .py source ships beside the extension")
    problems += [f"{n}: a build leftover in the wheel" for n in names if LEFTOVERS.search(n)]
    if "mytorch/py.typed" not in names:
        problems.append("mytorch/py.typed is missing")
    if installed > MAX_INSTALLED:
        problems.append(f"installs {installed:,} bytes, over {MAX_INSTALLED:,}")
    if not any("libgomp" in n for n in libs):
        problems.append("no libgomp bundled: the kernels would run on one thread")
    bundled = {n.rsplit("/", 1)[1] for n in libs}
    newest = (0,)
    for name in sorted(exts | libs):
        allowed = SYSTEM_LIBS | bundled | {LOADER} if name in exts else None
        found, glibc = elf_problems(name, zf.read(name), allowed)
        problems += found
        newest = max(newest, glibc)
    if newest > GLIBC_MAX:
        problems.append(f"needs glibc {'.'.join(map(str, newest))}, over 2.17")
    facts = {
        "wheel": os.path.basename(path),
        "wheel_bytes": os.path.getsize(path),
        "installed_bytes": installed,
        "extensions": len(exts),
        "bundled": sorted(bundled),
        "glibc": ".".join(map(str, newest)),
    }
    return problems, facts


def _mb(n):
    return f"{n / 1e6:.2f} MB"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", action="store_true", help="print a Markdown table of sizes")
    ap.add_argument("--glibc-max", nargs=2, metavar=("LIB", "VERSION"))
    ap.add_argument("wheels", nargs="*")
    args = ap.parse_args(argv)
    if args.glibc_max:
        lib, limit = args.glibc_max
        with open(lib, "rb") as f:
            _, versions, _, _ = elf_facts(f.read())
        newest = glibc_max(versions)
        print(".".join(map(str, newest)))
        return 0 if newest <= _version_tuple(limit) else 1
    if args.table:
        print("| wheel | file size | installed |")
        print("| --- | ---: | ---: |")
        for w in args.wheels:
            _, f = check(w)
            print(f"| `{f['wheel']}` | {_mb(f['wheel_bytes'])} | {_mb(f['installed_bytes'])} |")
        return 0
    status = 0
    for w in args.wheels:
        problems, f = check(w)
        print(
            f"{f['wheel']}: {_mb(f['wheel_bytes'])}, installs {_mb(f['installed_bytes'])},"
            f" {f['extensions']} extensions, bundles {', '.join(f['bundled'])},"
            f" needs glibc {f['glibc']}"
        )
        for p in problems:
            print(f"  PROBLEM: {p}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
