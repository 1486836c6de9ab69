"""Anomaly detection (as torch.autograd.anomaly_mode): detect_anomaly, set_detect_anomaly, and
the switches behind them (mytorch.set_anomaly_enabled, is_anomaly_enabled,
is_anomaly_check_nan_enabled).

While it is on:

- every Node recorded keeps where the user's code made it: the file, line and function of the
  first frame outside the mytorch package (``Node.trace``; the source text is read only when it
  is shown, through linecache). A Node recorded by a backward pass that builds a graph also
  keeps the Node whose backward made it, as torch's ``parent_``;
- the engine runs each Node's backward through ``_run_vjp``: with ``check_nan`` a gradient
  holding NaN raises torch's RuntimeError ("Function 'XBackward0' returned nan values in its 0th
  output."), and one holding an infinity raises the same with "inf" (torch checks NaN only);
  any error raised in a Node's backward warns, as torch does, with the forward call that made
  the Node ("Error detected in XBackward0. Traceback of forward call that caused the
  error: ..."), and carries that text as a note of the exception (shown under its traceback).

Off, it costs nothing per op: the Node recorder hangs on the hook that saved-tensors hooks use
(CORE.saved_pack, None while both are off), and the engine reads its switch once per pass. The
mode is process-wide, as torch's is.
"""

import dis
import functools
import linecache
import os
import sys
import warnings

from mytorch import _backends, _engine
from mytorch._grad_mode import _set_grad_enabled
from mytorch._registry import F as _F
from mytorch.autograd import graph as _graph

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class _State:
    enabled = False
    check_nan = True


_state = _State()
_running = [None]  # the Node whose backward runs now (the parent of Nodes it records)


def is_anomaly_enabled():
    """Matches torch.is_anomaly_enabled."""
    return _state.enabled


def is_anomaly_check_nan_enabled():
    """Matches torch.is_anomaly_check_nan_enabled."""
    return _state.check_nan


def set_anomaly_enabled(enabled, check_nan=True):
    """Matches torch.set_anomaly_enabled: anomaly mode on or off, process-wide."""
    _state.enabled = bool(enabled)
    _state.check_nan = bool(check_nan)
    _graph.RECORDER[0] = _record if _state.enabled else None
    _graph._set_active()
    _engine.ANOMALY[0] = _run_vjp if _state.enabled else None


class detect_anomaly:
    """Matches torch.autograd.detect_anomaly(check_nan=True): anomaly mode on inside the block
    (restored on exit); also a decorator (mytorch only: torch's is a context manager)."""

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def __call__(self, func):
        check_nan = self.check_nan

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
            set_anomaly_enabled(True, check_nan)
            try:
                return func(*args, **kwargs)
            finally:
                set_anomaly_enabled(*prev)

        return wrapper


class set_detect_anomaly:
    """Matches torch.autograd.set_detect_anomaly(mode, check_nan=True): takes effect at once;
    used with ``with``, the previous mode comes back on exit."""

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False


# --- recording: where each Node was made ------------------------------------------------------
def _package_dir():
    # This file's path as Python has it (the same form as every other module of the package's).
    here = _package_dir.__code__.co_filename
    return os.path.dirname(os.path.dirname(here)) + os.sep


_PKG = _package_dir()
_getframe = sys._getframe
_all_finite = _backends.all_finite
_stack = _graph._stack  # the active saved_tensors_hooks (a list changed in place)
_pack_node = _graph._pack_node


def _record(node, out):
    """CORE.saved_pack while anomaly mode is on: called with each new Node (and its output, or
    None), it stores the user's frame in ``node.trace`` as (code object, bytecode offset,
    parent), then packs as saved-tensors hooks do.

    NOTE: a walk up f_back (compiled modules have no frames; pure-Python ones a few), and no
    source text: linecache reads it only when an error shows it.
    """
    f = _getframe(1)
    code = f.f_code
    while code.co_filename.startswith(_PKG):
        f = f.f_back
        if f is None:
            return _pack_node(node, out) if _stack else out
        code = f.f_code
    parent = _running[0]
    if parent is not None:
        parent = (parent.name(), parent.trace)
    node.trace = (code, f.f_lasti, parent)  # the line is found from the offset when shown
    return _pack_node(node, out) if _stack else out


def _format(trace):
    """A trace as traceback.format_list shows a frame."""
    code, lasti, _ = trace
    file = code.co_filename
    line = code.co_firstlineno
    for start, n in dis.findlinestarts(code):
        if start > lasti:
            break
        if n is not None:
            line = n
    text = f'  File "{file}", line {line}, in {code.co_name}\n'
    src = linecache.getline(file, line).strip()
    return text + (f"    {src}\n" if src else "")


def forward_trace(node):
    """The forward call that made ``node`` (as the anomaly warning shows it), or None when the
    node was recorded with anomaly mode off."""
    trace = getattr(node, "trace", None)
    return None if trace is None else _format(trace)


# --- backward: each Node's VJP, checked ---------------------------------------------------------
def _run_vjp(node, g, multi, needed):
    """Run ``node``'s VJP as the engine would (_engine.ANOMALY while anomaly mode is on) and
    return its gradients as a tuple; check them for NaN/Inf, and report an error raised here
    with the forward call that made the node."""
    prev = _running[0]
    _running[0] = node
    if needed is not None:
        node.wanted = needed
    try:
        out = node.op.vjp(node, *g) if multi else node.op.vjp(node, g)
        if not isinstance(out, tuple):
            out = (out,)
        if _state.check_nan:
            i = 0
            for gi in out:
                if gi is not None and not _all_finite(gi._data):
                    what = "nan" if _has_nan(gi) else "inf"
                    raise RuntimeError(
                        f"Function '{node.name()}' returned {what} values in its {i}th output."
                    )
                i += 1
        return out
    except Exception as e:
        _report(node, e)
        raise
    finally:
        if needed is not None:
            node.wanted = None
        _running[0] = prev


def _has_nan(t):
    prev = _set_grad_enabled(False)
    try:
        return bool(_F.isnan(t).any())
    finally:
        _set_grad_enabled(prev)


def _report(node, exc):
    """Warn as torch does with the forward call that made ``node`` (and, for a Node made by a
    backward pass, the one whose backward made it); the same text becomes a note of ``exc``."""
    name = node.name()
    trace = getattr(node, "trace", None)
    if trace is None:
        texts = [
            f"Error detected in {name}. No forward pass information available. Enable detect "
            "anomaly during forward pass for more information."
        ]
    else:
        texts = [
            f"Error detected in {name}. Traceback of forward call that caused the error:\n"
            + _format(trace)
        ]
        parent = trace[2]
        while parent is not None:
            pname, ptrace = parent
            if ptrace is None:
                texts.append(
                    f"\n\nPrevious calculation was induced by {pname}. No forward pass "
                    "information available. Enable detect anomaly during forward pass for more "
                    "information."
                )
                break
            texts.append(
                f"\n\nPrevious calculation was induced by {pname}. Traceback of forward call "
                "that induced the previous calculation:\n" + _format(ptrace)
            )
            parent = ptrace[2]
    for text in texts:
        warnings.warn(text, UserWarning, stacklevel=3)
    if hasattr(exc, "add_note"):  # Python 3.11+: shown under the exception's traceback
        exc.add_note("".join(texts).strip("\n"))
