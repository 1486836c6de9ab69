"""Tensor printing in PyTorch's format: ``tensor([1., 2.], requires_grad=True)``."""

import math

import numpy as np

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _registry

# The print options (torch.set_printoptions), PyTorch's defaults first; sci_mode None: chosen
# from the values.
PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
OPTIONS = dict(PROFILES["default"], sci_mode=None)


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
):
    """Matches torch.set_printoptions: a profile ("default", "short", "full") first, then the
    options given; ``sci_mode`` is always set (None: chosen from the values)."""
    if profile is not None:
        OPTIONS.update(PROFILES.get(profile, {}))
    for k, v in (
        ("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):  # fmt: skip
        if v is not None:
            OPTIONS[k] = v
    OPTIONS["sci_mode"] = sci_mode


class _Format:
    """Chooses integer, fixed or scientific notation and one width for all shown values."""

    def __init__(self, values, floating):
        self.floating = floating
        self.precision = p = OPTIONS["precision"]
        self.int_mode = True
        self.sci = False
        self.width = 1
        if not floating:
            for v in values:
                self.width = max(self.width, len(str(v)))
            return
        vals = [v for v in values if math.isfinite(v) and v != 0]
        if not vals:
            return  # NOTE: as torch, no notation to force without a nonzero finite value
        mags = [abs(v) for v in vals]
        lo, hi = min(mags), max(mags)
        self.int_mode = all(v == math.ceil(v) for v in vals)
        # NOTE: PyTorch's thresholds: ratio over 1000, max over 1e8, or (fractions only) min
        # under 1e-4.
        forced = OPTIONS["sci_mode"]
        self.sci = (
            hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
            if forced is None
            else forced
        )
        for v in vals:
            if self.sci:
                n = len(f"{v:.{p}e}")
            elif self.int_mode:
                n = len(f"{v:.0f}") + 1
            else:
                n = len(f"{v:.{p}f}")
            self.width = max(self.width, n)

    def __call__(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci:
            s = f"{v:{self.width}.{self.precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}"
            if math.isfinite(v):
                s += "."
        else:
            s = f"{v:.{self.precision}f}"
        return " " * (self.width - len(s)) + s


def _summarized(a):
    """The values PyTorch shows of a large array: the edge items along every dim."""
    edge = OPTIONS["edgeitems"]
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    if a.ndim == 1:
        return a
    return np.stack([_summarized(r) for r in a]).reshape(-1)


def _py(v):
    return bool(v) if isinstance(v, np.bool_) else v.item()


def _body(a, fmt, indent, summarize):
    edge = OPTIONS["edgeitems"]
    if a.ndim == 0:
        return fmt(_py(a))
    n = a.shape[0]
    if a.ndim == 1:
        if summarize and n > 2 * edge:
            # NOTE: PyTorch pads the ellipsis of a row with one space: "2.,  ..., 7.".
            items = [fmt(_py(v)) for v in a[:edge]] + [" ..."] + [fmt(_py(v)) for v in a[-edge:]]
        else:
            items = [fmt(_py(v)) for v in a]
        per_line = max(1, (OPTIONS["linewidth"] - indent) // (fmt.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and n > 2 * edge:
        rows = [_body(a[i], fmt, indent + 1, summarize) for i in range(edge)]
        rows += ["..."]
        rows += [_body(a[i], fmt, indent + 1, summarize) for i in range(n - edge, n)]
    else:
        rows = [_body(a[i], fmt, indent + 1, summarize) for i in range(n)]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def array_str(a, indent):
    """The bracketed values of an array, laid out as PyTorch lays them out."""
    dt = D.from_numpy_dtype(a.dtype)
    summarize = a.size > OPTIONS["threshold"]
    shown = _summarized(a) if summarize else a.reshape(-1)
    fmt = _Format([_py(v) for v in shown], dt.category >= D.FLOAT)
    return _body(a, fmt, indent, summarize)


def tensor_repr(t):
    """repr(tensor) as PyTorch prints it, dtype, grad_fn and requires_grad suffixes included."""
    d = t._data
    be = _backends.for_array(d)
    a = be.to_numpy(d)  # NOTE: printing formats a host copy, as torch's printing does
    prefix = "tensor("
    indent = len(prefix)
    dt = D.from_numpy_dtype(a.dtype)
    suffixes = []
    if be.device_type != "cpu":
        suffixes.append(f"device='{be.device(d)}'")
    if a.size == 0:
        body = "[]"
        if a.shape != (0,):
            suffixes.append(
                "size=(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"
            )
    else:
        body = array_str(a, indent)
    # An empty tensor has no values to tell int64 or bool apart, so only the default dtype goes
    # unsaid.
    implied = (D.get_default_dtype(),) if a.size == 0 else (D.get_default_dtype(), D.int64, D.bool_)
    if dt not in implied:
        suffixes.append(f"dtype={dt!r}")
    _registry.sync(t)
    if t._grad_fn is not None:
        suffixes.append(f"grad_fn=<{t._grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    # NOTE: torch counts the last line as two longer than it is until the first wrap.
    line = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if line + len(s) + 2 > OPTIONS["linewidth"]:
            text += ",\n" + " " * indent + s
            line = indent + len(s)
        else:
            text += ", " + s
            line += len(s) + 2
    return text + ")"
