"""Spatial transformers in nn.functional: affine_grid and grid_sample (torch.affine_grid_generator
and torch.grid_sampler at the top level).

Composites. affine_grid is a batched matmul of the base grid (linspace in each dim) with theta's
transpose. grid_sample computes, per spatial dim, the source coordinate of each output entry
from the grid (unnormalised, then padded: border clips, reflection reflects then clips), the
taps it reads (2 for bilinear, 1 for nearest, 4 for bicubic) and their weights, as mytorch ops
of the grid; all taps of all dims are read with one gather from the flattened input. The
padding's piecewise-linear maps enter the graph as s * x + c with the slope s (0 or +-1, torch's
choice at the kinks: a clipped coordinate on the border has slope 0) and c computed without
gradient, so the gradients with respect to input and grid are torch's, and derivatives of any
order are the gather's and the weights'.
"""

import itertools
import warnings

from mytorch import _dtype as D
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import composite, declare
from mytorch._ops.creation import linspace, ones
from mytorch._ops.indexing import stack
from mytorch._ops.reduction import sum
from mytorch._ops.shape import reshape

NN = "nn.functional"
_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_CUBIC_A = -0.75
_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed "
    "to align_corners=False since 1.3.0. Please specify "
    "align_corners=True if the old behavior is desired. "
    "See the documentation of grid_sample for details."
)


def _base(n, align_corners, dtype, device):
    """torch's linspace_from_neg_one: n points in [-1, 1], scaled by (n - 1) / n without
    align_corners; a single point is 0."""
    if n <= 1:
        return linspace(0.0, 0.0, n, dtype=dtype, device=device)
    r = linspace(-1.0, 1.0, n, dtype=dtype, device=device)
    return r if align_corners else r * ((n - 1) / n)


def _affine_grid_generator(theta, size, align_corners):
    """Matches torch.affine_grid_generator."""
    size = [int(a) for a in size]
    spatial = size[2:]
    n = len(spatial)
    axes = [_base(s, align_corners, theta.dtype, theta.device) for s in spatial]
    cols = []
    for j in range(n):  # x (the last dim) first
        d = n - 1 - j
        shape = [1] * n
        shape[d] = spatial[d]
        cols.append(axes[d].reshape(tuple(shape)).expand(tuple(spatial)))
    cols.append(ones(tuple(spatial), dtype=theta.dtype, device=theta.device))
    base = reshape(stack(cols, -1), (1, -1, n + 1)).expand(size[0], -1, n + 1)
    out = base.bmm(theta.transpose(1, 2))
    return reshape(out, (size[0], *spatial, n))


declare(_affine_grid_generator, name="affine_grid_generator", composite=True)


@composite(namespace=NN)
def affine_grid(theta, size, align_corners=None):
    """Matches torch.nn.functional.affine_grid."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) in (4, 5):
        n = len(size) - 2
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (n, n + 1):
            raise ValueError(
                f"Expected a batch of {n}D affine matrices of shape Nx{n}x{n + 1} for size "
                f"{size}. Got {theta.shape}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if align_corners and min(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{size[0]}, {theta.shape[2]}] but got: [{theta.shape[0]}, {theta.shape[2]}]."
        )
    return _affine_grid_generator(theta, size, align_corners)


def _unnormalize(x, size, align_corners):
    if align_corners:
        return (x + 1) * ((size - 1) / 2)
    return ((x + 1) * size - 1) / 2


def _clip(x, size):
    """(value, slope) of torch's clip_coordinates_set_grad: the slope is 0 on the borders."""
    hi = float(size - 1)
    return x.clamp(0.0, hi), ((x > 0) & (x < hi)).to(x.dtype)


def _reflect(x, twice_low, twice_high):
    """(value, slope) of torch's reflect_coordinates_set_grad."""
    if twice_low == twice_high:
        return x * 0.0, x * 0.0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    rel = x - lo
    mult = (rel >= 0).to(x.dtype) * 2 - 1
    rel = rel.abs()
    extra = rel.fmod(span)
    even = (rel / span).floor().fmod(2) == 0
    return (extra + lo).where(even, span - extra + lo), mult.where(even, -mult)


def _pad_coordinate(x, size, padding_mode, align_corners):
    """(value, slope) of the padded coordinate (no gradient)."""
    one = x * 0.0 + 1.0
    if padding_mode == "border":
        return _clip(x, size)
    if padding_mode == "reflection":
        if align_corners:
            r, s = _reflect(x, 0, 2 * (size - 1))
        else:
            r, s = _reflect(x, -1, 2 * size - 1)
        c, t = _clip(r, size)
        return c, s * t
    return x, one


def _dim_taps(g, size, mode, padding_mode, align_corners):
    """For one spatial dim: [(index, weight, valid)] per tap, index an int64 tensor, weight a
    tensor of g's dtype (differentiable in g), valid a bool tensor (None: always)."""
    x = _unnormalize(g, size, align_corners)
    if mode == "bicubic":
        with no_grad():
            x0 = x.detach().floor()
        t = x - x0
        a = _CUBIC_A
        ws = [
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a,
        ]
        taps = []
        with no_grad():
            for i in range(4):
                p = _pad_coordinate(x0 + (i - 1), size, padding_mode, align_corners)[0]
                idx = p.trunc().to(D.int64)
                taps.append((idx, (idx >= 0) & (idx < size)))
        return [(idx, w, ok) for (idx, ok), w in zip(taps, ws)]
    with no_grad():
        value, slope = _pad_coordinate(x.detach(), size, padding_mode, align_corners)
        offset = value - slope * x.detach()
    x = x * slope + offset
    if mode == "nearest":
        with no_grad():
            idx = x.detach().round().to(D.int64)
        return [(idx, x * 0.0 + 1.0, (idx >= 0) & (idx < size))]
    with no_grad():
        x0 = x.detach().floor()
        i0 = x0.to(D.int64)
    w1 = x - x0
    return [(i0, 1 - w1, (i0 >= 0) & (i0 < size)), (i0 + 1, w1, (i0 + 1 >= 0) & (i0 + 1 < size))]


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """Matches torch.grid_sampler (modes and padding modes as torch's enums)."""
    mode = {v: k for k, v in _MODES.items()}[int(interpolation_mode)]
    padding = {v: k for k, v in _PADDINGS.items()}[int(padding_mode)]
    _check_grid_sampler(input, grid, mode)
    n = input.ndim - 2
    batch, channels = input.shape[:2]
    spatial = tuple(input.shape[2:])
    out_sp = tuple(grid.shape[1:-1])
    per_dim = [
        _dim_taps(grid[..., n - 1 - d], spatial[d], mode, padding, align_corners) for d in range(n)
    ]
    idxs, wts = [], []
    for combo in itertools.product(*per_dim):
        flat, weight, valid = None, None, None
        for d, (idx, w, ok) in enumerate(combo):
            flat = idx if flat is None else flat * spatial[d] + idx
            weight = w if weight is None else weight * w
            valid = ok if valid is None else valid & ok
        with no_grad():
            flat = flat.where(valid, 0)
        idxs.append(flat)
        wts.append(weight.where(valid, 0.0))
    taps = len(idxs)
    q = 1
    for a in out_sp:
        q *= a
    index = reshape(stack(idxs, 1), (batch, 1, taps * q)).expand(batch, channels, taps * q)
    vals = reshape(input, (batch, channels, -1)).gather(2, index)
    vals = reshape(vals, (batch, channels, taps) + out_sp)
    weights = reshape(stack(wts, 1), (batch, 1, taps) + out_sp)
    return sum(vals * weights, 2)


def _check_grid_sampler(input, grid, mode):
    if input.ndim not in (4, 5) or input.ndim != grid.ndim:
        raise RuntimeError(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes "
            f"{list(grid.shape)}"
        )
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {i} being empty"
            )
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"grid_sampler(): expected input and grid to have the same dtype, but input has "
            f"{input.dtype} and grid has {grid.dtype}"
        )
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"grid_sampler is not implemented for {input.dtype}")


declare(_grid_sampler, name="grid_sampler", composite=True)


@composite(namespace=NN)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Matches torch.nn.functional.grid_sample."""
    if mode not in _MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in _PADDINGS:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return _grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], align_corners)


__all__ = []
INTERNAL = []
