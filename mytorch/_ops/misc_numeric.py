"""Constructors and numerical helpers of torch's namespace that no family had: logspace,
range (deprecated), scalar_tensor, empty_strided, empty_permuted, frombuffer, unravel_index,
cumulative_trapezoid, gradient, vander, typename, get_device, is_distributed.

All are written in other mytorch ops (their gradients are those ops').
"""

import builtins
import math as _m
import warnings

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._core import TensorBase
from mytorch._ops._declare import composite, declare
from mytorch._ops.statistics import _return_type
from mytorch._out import write_out
from mytorch._registry import F


def _finish(t, requires_grad):
    return t.requires_grad_() if requires_grad else t


# --- constructors ---------------------------------------------------------------------------
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None):  # fmt: skip
    """Matches torch.logspace: base ** linspace(start, end, steps) (computed in float64, then
    in ``dtype``, by default the default float dtype)."""
    dt = dtype or D.get_default_dtype()
    if out is not None:
        r = logspace(start, end, steps, base, dtype=out.dtype, device=out.device)
        return _finish(write_out(out, r), requires_grad)
    if dt is D.bool_:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    exps = F.linspace(start, end, steps, dtype=D.float64, device=device)
    vals = F.pow(float(base), exps)
    if dt.category <= D.INT:
        vals = F.round(vals)  # torch's integer logspace rounds the powers it computes
    return _finish(vals.to(dt), requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Matches torch.range (deprecated, with torch's warning): start, start + step, ... up to
    and including ``end``, in the default float dtype unless ``dtype``."""
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        raise TypeError("range() missing required argument 'end' (pos 2)")
    vals = [v.item() if isinstance(v, TensorBase) else v for v in (start, end, step)]
    lo, hi, st = vals
    if st == 0:
        raise RuntimeError("step must be nonzero")
    if (st > 0 and hi < lo) or (st < 0 and hi > lo):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = dtype or (out.dtype if out is not None else D.get_default_dtype())
    n = int(_m.floor((hi - lo) / st)) + 1
    r = F.arange(n, dtype=D.float64, device=device) * st + lo
    r = r.to(dt)
    if out is not None:
        return _finish(write_out(out, r), requires_grad)
    return _finish(r, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """Matches torch.scalar_tensor: a 0-d tensor of ``s`` (the default float dtype unless
    ``dtype``)."""
    if isinstance(s, TensorBase):
        s = s.item()
    t = F.full((), s, dtype=dtype or D.get_default_dtype(), device=device)
    return _finish(t, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """Matches torch.empty_strided: a tensor of ``size`` with ``stride`` over memory just large
    enough (its values are not defined: here zeros)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(size)} vs {len(stride)}")
    n = 0 if 0 in size else 1 + builtins.sum((s - 1) * st for s, st in zip(size, stride))
    base = F.zeros(n, dtype=dtype, device=device)
    return _finish(base.as_strided(size, stride).detach(), requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad=False):
    """Matches torch.empty_permuted: a tensor of ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first); its values are not defined (here zeros)."""
    size, layout = tuple(size), tuple(physical_layout)
    if sorted(layout) != list(builtins.range(len(size))):
        raise RuntimeError(
            f"Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(layout)}"
        )
    t = F.zeros([size[p] for p in layout], dtype=dtype, device=device)
    inverse = [layout.index(i) for i in builtins.range(len(size))]
    return _finish(t.permute(inverse), requires_grad)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """Matches torch.frombuffer: a 1-D CPU tensor over the memory of a Python buffer (shared:
    writes show through)."""
    a = _backends.CPU.xp.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    if not a.flags.writeable:
        warnings.warn(
            "The given buffer is not writable, and PyTorch does not support non-writable "
            "tensors. This means you can write to the underlying (supposedly non-writable) "
            "buffer using the tensor. You may want to copy the buffer to protect its data or make "
            "it writable before converting it to a tensor.",
            UserWarning,
            stacklevel=2,
        )
        a = a.copy()
    return _finish(F.from_numpy(a), requires_grad)


for _fn in (logspace, range, scalar_tensor, empty_strided, empty_permuted, frombuffer):
    declare(_fn)


# --- indices --------------------------------------------------------------------------------
@composite()
def unravel_index(indices, shape):
    """Matches torch.unravel_index: the coordinates in ``shape`` of flat ``indices`` (a tuple
    of int64 tensors; indices wrap around the number of elements, as torch's do)."""
    if not isinstance(indices, TensorBase):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.category != D.INT:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    idx = indices.to(D.int64)
    total = _m.prod(shape)
    if total:
        idx = F.remainder(idx, total)
    coords = []
    for s in reversed(shape):
        coords.append(F.remainder(idx, s) if s else idx * 0)
        idx = F.div(idx, s, rounding_mode="floor") if s else idx
    return tuple(reversed(coords))


# --- integration and differences ------------------------------------------------------------
@composite()
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """Matches torch.cumulative_trapezoid: the running trapezoid rule along ``dim`` (samples at
    ``x``, or spaced ``dx`` apart)."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments")
    n = y.shape[dim]
    d = dim % y.dim()
    pair = F.narrow(y, d, 0, builtins.max(n - 1, 0)) + F.narrow(y, d, 1, builtins.max(n - 1, 0))
    if x is None:
        return F.cumsum(pair * ((1.0 if dx is None else dx) / 2), d)
    if not isinstance(x, TensorBase):
        raise TypeError("cumulative_trapezoid(): argument 'x' must be Tensor")
    if x.dim() == 1:
        if x.shape[0] != n:
            raise RuntimeError(
                "cumulative_trapezoid: There must be one `x` value for each sample point"
            )
        h = F.diff(x).reshape([-1 if i == d else 1 for i in builtins.range(y.dim())])
    else:
        h = F.diff(x, dim=d)
    return F.cumsum(pair * h / 2, d)


def _edge(f, d, i, n):
    return F.narrow(f, d, i % n, 1)


def _gradient_dim(f, d, spacing, edge_order):
    """One dim of torch.gradient: ``spacing`` a number (uniform) or a 1-D tensor of
    coordinates."""
    n = f.shape[d]
    f0 = F.narrow(f, d, 0, n - 2)
    f1 = F.narrow(f, d, 1, n - 2)
    f2 = F.narrow(f, d, 2, n - 2)
    shape = [1] * f.dim()
    shape[d] = -1
    if not isinstance(spacing, TensorBase):
        h = float(spacing)
        mid = (f2 - f0) / (2 * h)
        if edge_order == 1:
            left = (_edge(f, d, 1, n) - _edge(f, d, 0, n)) / h
            right = (_edge(f, d, -1, n) - _edge(f, d, -2, n)) / h
        else:
            left = (-1.5 * _edge(f, d, 0, n) + 2 * _edge(f, d, 1, n) - 0.5 * _edge(f, d, 2, n)) / h
            right = (0.5 * _edge(f, d, -3, n) - 2 * _edge(f, d, -2, n)
                     + 1.5 * _edge(f, d, -1, n)) / h  # fmt: skip
        return F.cat([left, mid, right], d)
    hs = F.diff(spacing.to(f.dtype) if f.dtype.category == D.FLOAT else spacing)
    h1 = hs[:-1].reshape(shape)
    h2 = hs[1:].reshape(shape)
    mid = (
        (-h2 / (h1 * (h1 + h2))) * f0 + ((h2 - h1) / (h1 * h2)) * f1 + (h1 / (h2 * (h1 + h2))) * f2
    )
    if edge_order == 1:
        left = (_edge(f, d, 1, n) - _edge(f, d, 0, n)) / hs[0]
        right = (_edge(f, d, -1, n) - _edge(f, d, -2, n)) / hs[-1]
    else:
        a, b = hs[0], hs[1]
        left = (-(2 * a + b) / (a * (a + b)) * _edge(f, d, 0, n)
                + (a + b) / (a * b) * _edge(f, d, 1, n)
                - a / (b * (a + b)) * _edge(f, d, 2, n))  # fmt: skip
        a, b = hs[-2], hs[-1]
        right = (b / (a * (a + b)) * _edge(f, d, -3, n)
                 - (a + b) / (a * b) * _edge(f, d, -2, n)
                 + (2 * b + a) / (b * (a + b)) * _edge(f, d, -1, n))  # fmt: skip
    return F.cat([left, mid, right], d)


@composite()
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Matches torch.gradient: the derivative estimated by central differences in the interior
    and one-sided differences of ``edge_order`` (1 or 2) at the ends, along each of ``dim``
    (all dims by default); ``spacing`` a number, one number per dim, or one coordinate
    tensor per dim. Returns a tuple, one tensor per dim."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(builtins.range(input.dim())) if dim is None else (
        [dim] if isinstance(dim, int) else list(dim))  # fmt: skip
    dims = [d % builtins.max(input.dim(), 1) for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing "
                f"and dim arguments to have the same length, but got a spacing argument of "
                f"length {len(spacing)} and a dim argument of length {len(dims)}."
            )
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    f = input if input.dtype.category >= D.FLOAT else input.to(D.get_default_dtype())
    out = []
    for d, s in zip(dims, spacings):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
        out.append(_gradient_dim(f, d, s, edge_order))
    return tuple(out)


@composite()
def vander(x, N=None, increasing=False):
    """Matches torch.vander: the columns x ** (N - 1), ..., x ** 0 (reversed with
    ``increasing``), as running products (int64 for integer and bool x)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    v = x if x.dtype.category >= D.FLOAT else x.to(D.int64)
    if n == 0:
        return F.zeros((x.shape[0], 0), dtype=v.dtype, device=x.device)
    ones = F.ones((x.shape[0], 1), dtype=v.dtype, device=x.device)
    cols = F.cat([ones, v.unsqueeze(1).expand(x.shape[0], n - 1)], 1) if n > 1 else ones
    r = F.cumprod(cols, 1)
    return r if increasing else F.flip(r, (1,))


# --- histogramdd, binomial ---------------------------------------------------------------
_HISTOGRAMDD = _return_type("histogramdd", ("hist", "bin_edges"))


@composite()
def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """Matches torch.histogramdd: the histogram of the points in input's last dim, with
    ``bins`` a count (for every dim), one count per dim, or one edge tensor per dim; equal
    lowest and highest values widen to +-0.5; ``density`` divides by the count times the bin
    volumes. Returns (hist, bin_edges)."""
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.title}'")
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    nd = input.shape[-1]
    pts = input.detach().reshape(-1, nd)
    spec = [bins] * nd if isinstance(bins, int) else list(bins)
    if len(spec) != nd:
        raise RuntimeError(
            "histogramdd: The size of bins must be equal to the innermost dimension of the input."
        )
    edges, index, inside = [], None, None
    for d, b in enumerate(spec):
        col = pts[:, d]
        if isinstance(b, TensorBase):
            e = b.to(input.dtype)
            nb = e.shape[0] - 1
            idx = F.searchsorted(e, col, right=True) - 1
        else:
            nb = int(b)
            if range is not None:
                lo, hi = float(range[2 * d]), float(range[2 * d + 1])
            elif pts.shape[0]:
                lo, hi = col.min().item(), col.max().item()
            else:
                lo, hi = 0.0, 0.0
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            e = F.linspace(lo, hi, nb + 1, dtype=input.dtype, device=input.device)
            idx = F.floor((col - lo) * (nb / (hi - lo))).to(D.int64)
        first, last = e[0], e[-1]
        ok = (col >= first) & (col <= last)
        idx = F.where(col == last, nb - 1, F.clamp(idx, 0, builtins.max(nb - 1, 0)))
        index = idx if index is None else index * nb + idx
        inside = ok if inside is None else inside & ok
        edges.append(e)
    sizes = [e.shape[0] - 1 for e in edges]
    w = F.ones(pts.shape[0], dtype=input.dtype, device=input.device) if weight is None else (
        weight.detach().reshape(-1).to(input.dtype))  # fmt: skip
    w = F.where(inside, w, 0.0)
    total = _m.prod(sizes)
    hist = F.zeros(total, dtype=input.dtype, device=input.device)
    hist = F.index_add(hist, 0, F.where(inside, index, 0), w).reshape(sizes)
    if density:
        vol = None
        for d, e in enumerate(edges):
            shape = [1] * nd
            shape[d] = -1
            width = F.diff(e).reshape(shape)
            vol = width if vol is None else vol * width
        hist = hist / (hist.sum() * vol)
    return _HISTOGRAMDD(hist, tuple(edges))


@composite()
def binomial(count, prob, generator=None):
    """Matches torch.binomial: successes in ``count`` trials of probability ``prob`` (mytorch's
    own random stream: each trial one uniform draw, so memory grows with the largest count)."""
    if count.dtype.category != D.FLOAT:
        raise ValueError(
            f"binomial only supports floating-point dtypes for count, got: {count.dtype.title}"
        )
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype.title} but expected {count.dtype.title}")
    n, p = F.broadcast_tensors(count.detach(), prob.detach())
    trials = int(builtins.max(n.max().item(), 0)) if n.numel() else 0
    u = F.rand((*n.shape, trials), dtype=D.float64, device=n.device, generator=generator)
    k = F.arange(trials, device=n.device)
    hits = (u < p.unsqueeze(-1).to(D.float64)) & (k < n.unsqueeze(-1))
    return hits.sum(-1).to(count.dtype)


# --- about tensors --------------------------------------------------------------------------
def typename(obj):
    """Matches torch.typename: a tensor's type string (torch.FloatTensor, ...), else the
    object's qualified name."""
    if isinstance(obj, TensorBase):
        return obj.type()
    module = getattr(obj, "__module__", None)
    prefix = module + "." if module and module not in ("builtins", "__builtin__") else ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name is None:
        name = type(obj).__name__
    return prefix + name


def get_device(input):
    """Matches torch.get_device: the device index (-1 on the CPU)."""
    return input.get_device()


def is_distributed(input):
    """Matches torch.is_distributed: False (mytorch has no distributed tensors)."""
    return False


for _fn in (typename, get_device, is_distributed):
    declare(_fn)
declare(is_distributed, name="is_distributed", namespace="Tensor", method=True)

__all__ = []
INTERNAL = []
