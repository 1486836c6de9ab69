"""Shared benchmark harness: both mytorch builds and torch in one process, timing, the machine line.

Timing is the median (or minimum) over repeats.

The compiled build is the installed package (``python -m pip install .``); the pure-Python build is
this repository's source tree, which holds no compiled modules. Both are imported into the same
process: first the installed one, then, with every ``mytorch*`` entry removed from ``sys.modules``
and the source tree first on ``sys.path``, the source tree. An optional fourth contender, "orig"
(the project mytorch grew from, given its folder), is imported the same way after them.

NOTE: mytorch imports a few of its own modules lazily, inside functions (``Tensor.backward`` runs
``from mytorch._autograd import backward``). Those imports read ``sys.modules``, so a build only
runs as itself while its own modules are the ones registered there. ``Library.active()`` swaps
them in for the duration of a measurement; never time a build outside it.
"""

import argparse
import contextlib
import datetime
import gc
import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# The repository root, found from this file so the scripts run from any working directory.
REPO_ROOT = Path(__file__).resolve().parent.parent
BUILDS = ("compiled", "pure", "torch")
# Every contender, in the tables' column order; "orig" only with --orig.
CONTENDERS = ("compiled", "pure", "orig", "torch")


class Library:
    """One contender: a module used as ``torch`` by the workloads.

    It carries the ``sys.modules`` entries it runs with.
    """

    def __init__(self, name, module, modules=None, info=""):
        self.name = name
        self.module = module
        self._modules = modules or {}  # {"mytorch._ops": module, ...}; empty for torch
        self.info = info

    @contextlib.contextmanager
    def active(self):
        """Register this build's mytorch modules in sys.modules while the block runs.

        See the module NOTE.
        """
        if not self._modules:
            yield self.module
            return
        saved = _pop_mytorch_modules()
        sys.modules.update(self._modules)
        try:
            yield self.module
        finally:
            # Modules this build imported lazily while active are its own: keep them, so the next
            # activation does not import (execute) them afresh.
            self._modules.update(_pop_mytorch_modules())
            sys.modules.update(saved)


def _pop_mytorch_modules():
    names = [n for n in sys.modules if n == "mytorch" or n.startswith("mytorch.")]
    return {n: sys.modules.pop(n) for n in names}


def _is_repo_path(entry):
    try:
        return Path(entry or os.getcwd()).resolve() == REPO_ROOT
    except OSError:
        return False


def _module_kinds(info):
    kinds = (f"{name.rsplit('.', 1)[-1]}={'C' if ok else 'py'}" for name, ok in info.items())
    return ", ".join(kinds)


def _describe(mod):
    parts = _module_kinds(mod.build_info())
    return f"mytorch {getattr(mod, '__version__', '?')} from {_short_path(mod.__file__)} [{parts}]"


def _short_path(path):
    p = Path(path).resolve().parent
    try:
        return "<repo>/" + str(p.relative_to(REPO_ROOT))
    except ValueError:
        return "<site-packages>/" + p.name if "site-packages" in p.parts else str(p.name)


def _load_compiled():
    # Hide the source tree (also '' or '.' when run from the repo root) so the installed package is
    # found.
    saved_path = list(sys.path)
    sys.path[:] = [e for e in sys.path if not _is_repo_path(e)]
    try:
        _pop_mytorch_modules()
        try:
            mod = importlib.import_module("mytorch")
        except ImportError as exc:
            raise SystemExit(
                "benchmarks: no installed mytorch found for the compiled build; "
                "run `python -m pip install .` from the repository root first"
            ) from exc
        if not mod.compiled():
            raise SystemExit(
                "benchmarks: the installed mytorch is not compiled "
                f"({mod.build_info()} at {mod.__file__}); "
                "reinstall with `MYTORCH_REQUIRE_COMPILE=1 python -m pip install .`"
            )
        # Described now, while these modules are registered (the description reads the module
        # files).
        return Library("compiled", mod, _pop_mytorch_modules(), _describe(mod))
    finally:
        sys.path[:] = saved_path


def _load_pure():
    so_files = [p for p in (REPO_ROOT / "mytorch").rglob("*") if p.suffix in (".so", ".pyd")]
    if so_files:
        raise SystemExit(
            f"benchmarks: the source tree holds compiled modules ({so_files[0].name}, ...), "
            "so it is not the pure-Python build; "
            "remove them (never build in place in the repository)"
        )
    saved_path = list(sys.path)
    sys.path.insert(0, str(REPO_ROOT))
    try:
        _pop_mytorch_modules()
        mod = importlib.import_module("mytorch")
        if Path(mod.__file__).resolve().parent != REPO_ROOT / "mytorch":
            raise SystemExit(
                f"benchmarks: pure build imported from {mod.__file__}, not from the source tree"
            )
        if any(mod.build_info().values()):
            raise SystemExit(
                f"benchmarks: the source-tree mytorch reports compiled modules: {mod.build_info()}"
            )
        return Library("pure", mod, _pop_mytorch_modules(), _describe(mod))
    finally:
        sys.path[:] = saved_path


def _load_orig(folder):
    """The original project, imported from `folder` (which holds a ``mytorch/`` package).

    Loaded as the pure build is, but it need not have ``compiled()`` or ``build_info()``.
    """
    folder = Path(folder).resolve()
    if not (folder / "mytorch" / "__init__.py").is_file():
        raise SystemExit(f"benchmarks: --orig {folder.name}: no mytorch/__init__.py in that folder")
    saved_path = list(sys.path)
    sys.path.insert(0, str(folder))
    try:
        _pop_mytorch_modules()
        mod = importlib.import_module("mytorch")
        if Path(mod.__file__).resolve().parent != folder / "mytorch":
            raise SystemExit(f"benchmarks: --orig imported mytorch from {mod.__file__}")
        info = f"mytorch {getattr(mod, '__version__', '?')} from the --orig folder {folder.name}/"
        if callable(getattr(mod, "build_info", None)):
            info += " [" + _module_kinds(mod.build_info()) + "]"
        return Library("orig", mod, _pop_mytorch_modules(), info)
    finally:
        sys.path[:] = saved_path


def _load_torch():
    import torch

    return Library(
        "torch", torch, None, f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )


def load_libraries(builds, orig=None):
    """{name: Library} for the requested builds, each checked to be what its name says.

    With `orig` (a folder holding the original project's ``mytorch/`` package), an "orig"
    contender is loaded as well. The order is compiled, pure, orig, torch: the tables' column order.
    """
    loaders = {"compiled": _load_compiled, "pure": _load_pure, "torch": _load_torch}
    loaded = {}
    # The compiled build must be imported first: the others put their folders on sys.path.
    for name in BUILDS:
        if name in builds:
            loaded[name] = loaders[name]()
    if orig is not None:
        loaded["orig"] = _load_orig(orig)
        with loaded["orig"].active() as mt:
            if type(mt.ones(1)) is not mt.Tensor:
                raise SystemExit("benchmarks: the --orig mytorch does not check out")
        for name in ("compiled", "pure"):
            if name in loaded and loaded[name].module.Tensor is loaded["orig"].module.Tensor:
                raise SystemExit(f"benchmarks: --orig loaded the {name} build again")
    libs = {name: loaded[name] for name in CONTENDERS if name in loaded}
    for name in ("compiled", "pure"):
        if name in libs:
            with libs[name].active() as mt:
                expected = name == "compiled"
                # Checked again with the build's own modules registered, as every measurement runs.
                if mt.compiled() != expected or type(mt.ones(1)) is not mt.Tensor:
                    raise SystemExit(
                        f"benchmarks: the {name} build does not check out: {mt.build_info()}"
                    )
    if (
        "compiled" in libs
        and "pure" in libs
        and libs["compiled"].module.Tensor is libs["pure"].module.Tensor
    ):
        raise SystemExit("benchmarks: the compiled and pure builds are the same module")
    return libs


def parse_args(description, argv=None, orig=False, rows=False, anomaly=False):
    """The common options; with `orig`, also ``--orig DIR`` (the original project's folder);
    with `rows`, also ``--rows NAME,...`` (only the workloads whose names contain one); with
    `anomaly`, also ``--anomaly`` (time some workloads with anomaly detection off and on)."""
    parser = argparse.ArgumentParser(description=description)
    if anomaly:
        parser.add_argument(
            "--anomaly",
            action="store_true",
            help="instead of the main table: some workloads with anomaly detection off and on "
            "(autograd.set_detect_anomaly(True)), timed interleaved, and their ratio",
        )
    if rows:
        parser.add_argument(
            "--rows",
            default=None,
            metavar="NAME,...",
            help="only the workloads whose names contain one of these (comma-separated) strings",
        )
    if orig:
        parser.add_argument(
            "--orig",
            metavar="DIR",
            default=None,
            help="also time the original project, DIR/mytorch/ imported from source, as 'orig'",
        )
    parser.add_argument(
        "--builds",
        default=",".join(BUILDS),
        help="comma-separated subset of compiled,pure,torch (default: all three)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="timed repeats per workload (median reported)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and shorter runs, for a smoke test"
    )
    parser.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="statistic over the repeats (default median; min is steadier on a loaded machine)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what a repeat's time is: wall-clock (default) or this process's CPU time, the "
        "sum over its threads (with --threads 1, steadier than wall-clock on a machine whose "
        "cores other jobs keep busy: time spent waiting for a core is not counted)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="intra-op threads for every library (torch.set_num_threads and "
        "mytorch.set_num_threads, which also sets NumPy's and SciPy's BLAS); default: the usable "
        "cores",
    )
    args = parser.parse_args(argv)
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads is None:
        args.threads = _usable_cores()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    builds = [b.strip() for b in args.builds.split(",") if b.strip()]
    unknown = sorted(set(builds) - set(BUILDS))
    if unknown:
        parser.error(f"unknown builds {unknown}; choose from {','.join(BUILDS)}")
    args.builds = [b for b in BUILDS if b in builds]
    return args


# ------------------------------------------------------------------------------------------ machine


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def _numpy_blas():
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except (KeyError, TypeError, ValueError):  # show_config's layout differs across NumPy versions
        return "?"


def machine_line():
    """One line naming the machine and software versions, for the results table."""
    import numpy as np
    import scipy

    parts = [
        f"{cpu_model()}, {_usable_cores()} cores",
        f"Python {platform.python_version()}",
        f"numpy {np.__version__} ({_numpy_blas()})",
        f"scipy {scipy.__version__}",
    ]
    try:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        parts.append("torch not installed")
    return ", ".join(parts)


def pin_threads(libs, n):
    """Give every library ``n`` intra-op threads, so the comparison is at equal footing.

    torch.set_num_threads for torch; mytorch.set_num_threads for each mytorch build, run with its
    own modules active (it also sets the BLAS of NumPy and SciPy, which the `numpy (ref)` column
    runs on). A build without set_num_threads (an old "orig") keeps its own count. Each count is
    read back and checked.
    """
    for lib in libs.values():
        with lib.active() as mod:
            if callable(getattr(mod, "set_num_threads", None)):
                mod.set_num_threads(n)
                if mod.get_num_threads() != n:
                    raise SystemExit(
                        f"benchmarks: {lib.name} runs {mod.get_num_threads()} threads, not {n}"
                    )
    if "torch" in libs:
        torch = libs["torch"].module
        libs["torch"].info = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"


def threads_line(libs):
    """Each library's intra-op thread count, read now (what pin_threads set)."""
    parts = []
    for lib in libs.values():
        with lib.active() as mod:
            get = getattr(mod, "get_num_threads", None)
            count = get() if callable(get) else "?"
        parts.append(f"{lib.name} {count}")
    return "threads (get_num_threads): " + ", ".join(parts)


def print_header(title, libs):
    print(f"# {title}")
    print()
    print(f"- date: {datetime.date.today().isoformat()}")
    print(f"- machine: {machine_line()}")
    for lib in libs.values():
        print(f"- {lib.name}: {lib.info}")
    print(f"- {threads_line(libs)}")
    clock = "process CPU time (--clock cpu)" if _clock is time.process_time else "wall-clock"
    print(f"- clock: {clock}")
    print(f"- {load_line()} at start")
    print()
    sys.stdout.flush()


def load_line():
    """The 1-minute load average against the core count.

    Other work on the machine skews every figure.
    """
    try:
        return f"load average {os.getloadavg()[0]:.2f} on {_usable_cores()} cores"
    except OSError:
        return "load average unknown"


# ------------------------------------------------------------------------------------------- timing


# The timer of every repeat: time.perf_counter, or time.process_time with --clock cpu.
_clock = time.perf_counter


def _run(fn, number):
    t0 = _clock()
    for _ in range(number):
        fn()
    return _clock() - t0


def _calibrate(fn, warmup, min_time):
    """(calls per repeat, seconds per call of the calibrating run).

    Enough calls per repeat to last `min_time`.
    """
    for _ in range(warmup):
        fn()
    number = 1
    while True:
        elapsed = _run(fn, number)
        if elapsed >= min_time or number >= 1 << 20:
            return number, elapsed / number
        number *= 2 if elapsed <= 0 else max(2, min(10, int(1.5 * min_time / elapsed) + 1))


def _summary(samples, stat):
    return min(samples) if stat == "min" else statistics.median(samples)


def measure(fn, *, repeat=7, warmup=1, min_time=0.02, stat="median"):
    """Median (or, with stat="min", fastest) seconds per call of fn().

    After `warmup` untimed calls, the number of calls per timed repeat is raised until one repeat
    lasts at least `min_time` seconds (so tiny workloads are not swamped by timer resolution); the
    median over `repeat` repeats is returned. The garbage collector stays on (users pay for it too)
    but is run before each repeat.
    """
    number, first = _calibrate(fn, warmup, min_time)
    samples = [first]
    for _ in range(repeat - 1):
        gc.collect()
        samples.append(_run(fn, number) / number)
    return _summary(samples, stat)


def compare(fns, libs, *, repeat=7, warmup=1, min_time=0.02, stat="median", lib_of=None):
    """{name: seconds per call} for the contenders of one workload.

    Timed as `measure` does, but interleaved. `fns` maps a contender's name to its zero-argument
    function; a name found in `libs` (or mapped to one by `lib_of`) runs with that build's modules
    active. Each round times one repeat of every contender, in an order rotated from round to
    round, so a change in the machine's load during the run hits all contenders alike and the
    ratios stay fair.
    """
    names = list(fns)
    lib_of = lib_of or {}

    def context(name):
        name = lib_of.get(name, name)
        return libs[name].active() if name in libs else contextlib.nullcontext()

    numbers, samples = {}, {}
    for name in names:
        with context(name):
            numbers[name], first = _calibrate(fns[name], warmup, min_time)
        samples[name] = [first]
    for r in range(repeat - 1):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            with context(name):
                samples[name].append(_run(fns[name], numbers[name]) / numbers[name])
    return {name: _summary(samples[name], stat) for name in names}


# ------------------------------------------------------------------------------------------- tables


def fmt_time(seconds):
    """Seconds in the unit that reads best: ns, µs, ms or s."""
    if seconds is None:
        return "—"
    for scale, unit in ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms")):
        if seconds < scale:
            value = seconds / scale * 1e3
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{seconds:.3g} s"


def fmt_ratio(num, den):
    """num / den as a plain number (two decimals): a time ratio, below 1 when num is faster."""
    if num is None or den is None or den == 0:
        return "—"
    return f"{num / den:.2f}"


def markdown_table(header, rows):
    """A markdown table as a string; rows are lists of already formatted cells."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in rows])


# (numerator, denominator) of the ratio columns, each a time over a time. compiled/torch is issue
# 9's convention (below 1: mytorch is faster); the others say how far the compiled build is from
# the builds it replaces (above 1: it is faster) and from the hand-written NumPy floor.
RATIOS = (("compiled", "torch"), ("pure", "compiled"), ("orig", "compiled"), ("compiled", "numpy"))


def ratio_columns(names):
    """The RATIOS whose two contenders are both among `names`."""
    return [(num, den) for num, den in RATIOS if num in names and den in names]


def ratio_legend(names):
    """One sentence that says how to read the ratio columns present for these contenders."""
    parts = []
    for num, den in ratio_columns(names):
        if (num, den) == ("compiled", "torch"):
            parts.append("`compiled/torch` below 1 means the compiled build is faster than torch")
        elif den == "compiled":
            parts.append(f"`{num}/compiled` above 1 means the compiled build is faster than {num}")
        else:
            parts.append("`compiled/numpy` is the compiled build's time over the NumPy floor")
    if not parts:
        return ""
    return "Ratios are time over time: " + "; ".join(parts) + "."


def results_table(results, libs, *, value_fmt=fmt_time, extra=None, note_col="notes"):
    """Rows = workloads; columns = each contender, the NumPy reference, then the RATIOS columns.

    `results` maps workload -> {contender or "numpy": seconds or None}; `extra` maps workload -> a
    note string.
    """
    names = list(libs)
    has_numpy = any("numpy" in r for r in results.values())
    header = ["workload"] + names + (["numpy (ref)"] if has_numpy else [])
    ratio_cols = ratio_columns(names + (["numpy"] if has_numpy else []))
    header += [f"{num}/{den}" for num, den in ratio_cols]
    if extra:
        header.append(note_col)
    rows = []
    for workload, res in results.items():
        row = [workload] + [value_fmt(res.get(n)) for n in names]
        if has_numpy:
            row.append(value_fmt(res.get("numpy")))
        row += [fmt_ratio(res.get(num), res.get(den)) for num, den in ratio_cols]
        if extra:
            row.append(extra.get(workload, ""))
        rows.append(row)
    return markdown_table(header, rows)


def target_line(workload, ratio, target, held="", versus="torch"):
    """One line of a targets section: `ratio` (compiled/`versus`) against `target`, met or
    MISSED."""
    if ratio is None:
        return f"- {workload}: compiled/{versus} ≤ {target:.2f} → not measured"
    verdict = "met" if ratio <= target else "MISSED"
    line = f"- {workload}: compiled/{versus} ≤ {target:.2f} → {ratio:.3f} ({verdict})"
    return line + (f"; held against: {held}" if held else "")
