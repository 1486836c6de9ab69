"""Resampling in nn.functional: interpolate (nearest, nearest-exact, linear, bilinear, bicubic,
trilinear, area) and its deprecated forms upsample, upsample_nearest, upsample_bilinear.

Composites, one spatial dim at a time (every mode but area is separable): for each output
position along the dim, the input positions it reads ("taps") and their weights are computed in
Python from the shapes alone, with torch's coordinate conventions and in torch's arithmetic
(float64 for float64 inputs, else float32, emulated by rounding each operation's result); the dim is then one
index_select of all the taps and a weighted sum over them. So the gradient is index_select's
(an index_add) times the weights, and derivatives of any order follow.
"""

import math
import struct
import warnings

from mytorch import _dtype as D
from mytorch._core import TensorBase
from mytorch._ops._declare import composite
from mytorch._ops.creation import tensor
from mytorch._ops.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from mytorch._ops.reduction import sum
from mytorch._ops.scatter import index_select
from mytorch._ops.shape import reshape


NN = "nn.functional"
_LINEAR = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_CUBIC_A = -0.75
_NUMPY_INTS = {f"{u}int{b}" for u in ("", "u") for b in (8, 16, 32, 64)}


def _f32(x):
    """x rounded to float32 (one float32 operation: its exact result, rounded once)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _f64(x):
    return x


def _scale(ft, in_size, out_size, scale, align_corners=False):
    """torch's source-per-destination scale (area_pixel_compute_scale) in float type ``ft``."""
    if align_corners:
        return ft((in_size - 1) / (out_size - 1)) if out_size > 1 else 0.0
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size / out_size)


def _nearest_taps(input, in_size, out_size, scale, exact):
    """Source index per output index: torch's floor(o * scale) (nearest-exact: (o + 0.5) *
    scale), capped at in_size - 1, in torch's arithmetic. Its 2-d kernels work in float32,
    copy a dim whose size is kept and halve the index of a dim whose size doubles (nearest),
    whatever scale_factor says; its 1-d and 3-d ones don't, and take a float64 input's scale in
    float64 (the product still rounded to float32)."""
    two_d = input.ndim == 4
    if two_d and not exact and out_size == in_size:
        return [[o] for o in range(out_size)]
    if two_d and not exact and out_size == 2 * in_size:
        return [[o >> 1] for o in range(out_size)]
    s = _scale(_f64 if input.dtype == D.float64 and not two_d else _f32, in_size, out_size, scale)
    half = 0.5 if exact else 0.0
    return [[min(math.floor(_f32((o + half) * s)), in_size - 1)] for o in range(out_size)]


def _cubic_weights(t):
    """The 4 cubic-convolution weights (A = -0.75) of the fractional offset ``t``."""
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _linear_taps(ft, in_size, out_size, scale, align_corners, cubic):
    """(indices, weights), lists of out rows of 2 taps (linear) or 4 (cubic), the source
    coordinates computed in float type ``ft`` as torch does."""
    s = _scale(ft, in_size, out_size, scale, align_corners)
    idx, wts = [], []
    for o in range(out_size):
        src = ft(s * o) if align_corners else ft(ft(s * ft(o + 0.5)) - 0.5)
        if not cubic and not align_corners:
            src = max(src, 0.0)
        i0 = min(math.floor(src), in_size - 1)
        t = min(max(ft(src - i0), 0.0), 1.0)
        if cubic:
            idx.append([min(max(i0 + j, 0), in_size - 1) for j in range(-1, 3)])
            wts.append(_cubic_weights(t))
        else:
            idx.append([i0, i0 + (i0 < in_size - 1)])
            wts.append([1.0 - t, t])
    return idx, wts


def _resample(x, dim, idx, w):
    """x along ``dim`` resampled: out[o] = sum_t w[o][t] * x[idx[o][t]] (w None: one tap)."""
    out, taps = len(idx), len(idx[0])
    flat = [i for row in idx for i in row]
    picked = index_select(x, dim, tensor(flat, dtype=D.int64, device=x.device))
    if w is None:
        return picked
    shape = tuple(x.shape)
    picked = reshape(picked, shape[:dim] + (out, taps) + shape[dim + 1 :])
    wt = tensor(w, dtype=x.dtype, device=x.device).reshape((out, taps) + (1,) * (x.ndim - dim - 1))
    return sum(picked * wt, dim + 1)


def _sizes(input, size, scale_factor, mode, recompute_scale_factor):
    """(output sizes, scales passed on to the kernels: None entries when recomputed)."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(a) for a in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(a) for a in size]}"
                )
            out = [int(a) for a in size]
        else:
            out = [int(size)] * dim
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and "
                    f"scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format."
                )
            scales = [float(a) for a in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = [int(n * s) for n, s in zip(spatial, scales)]
        if recompute_scale_factor or mode == "area":
            scales = [None] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    return out, scales


def _is_integer(a):
    if isinstance(a, TensorBase):
        return not a.dtype.is_floating_point
    return isinstance(a, int) or type(a).__name__ in _NUMPY_INTS


def _check_sizes(input, out):
    names = "DHW"[3 - len(out) :]
    if any(a <= 0 for a in out) or any(a <= 0 for a in input.shape[2:]):
        ins = ", ".join(f"{c}: {a}" for c, a in zip(names, input.shape[2:]))
        outs = ", ".join(f"{c}: {a}" for c, a in zip(names, out))
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input "
            f"({ins}) output ({outs})"
        )
    if input.shape[1] == 0:
        raise RuntimeError(
            f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
            f"{list(input.shape)}"
        )


@composite(namespace=NN)
def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Matches torch.nn.functional.interpolate (antialias=False; antialias=True raises
    NotImplementedError)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the "
                "interpolating modes: linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    out, scales = _sizes(input, size, scale_factor, mode, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if mode == "lanczos" and input.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if antialias:
        raise NotImplementedError(
            f"interpolate: antialias=True ({mode}) is not implemented in mytorch"
        )
    ft = _f64 if input.dtype == D.float64 else _f32
    if input.ndim in (3, 4, 5) and mode in ("nearest", "nearest-exact", "area"):
        if mode == "area":
            pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)
            return pool[input.ndim - 3](input, out)
        _check_sizes(input, out)
        x = input
        for j, (o, s) in enumerate(zip(out, scales)):
            idx = _nearest_taps(input, x.shape[2 + j], o, s, mode == "nearest-exact")
            x = _resample(x, 2 + j, idx, None)
        return x
    if mode in _LINEAR and input.ndim == _LINEAR[mode]:
        if not input.dtype.is_floating_point:
            raise NotImplementedError(
                f'"upsample_{mode}" not implemented for {input.dtype} input in mytorch'
            )
        _check_sizes(input, out)
        x = input
        for j, (o, s) in enumerate(zip(out, scales)):
            if o == x.shape[2 + j] and mode != "bicubic":
                continue  # torch's separable linear kernels skip a dim whose size is kept
            idx, w = _linear_taps(ft, x.shape[2 + j], o, s, align_corners, mode == "bicubic")
            x = _resample(x, 2 + j, idx, w)
        return x
    for n, m in ((3, "linear"), (4, "bilinear"), (5, "trilinear")):
        if mode == m and input.ndim in (3, 4, 5) and input.ndim != n:
            raise NotImplementedError(f"Got {input.ndim}D input, but {m} mode needs {n}D input")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.ndim}D) for the modes: {_MODES} (got {mode})"
    )


@composite(namespace=NN)
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Matches torch.nn.functional.upsample (deprecated: interpolate, with a warning)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


@composite(namespace=NN)
def upsample_nearest(input, size=None, scale_factor=None):
    """Matches torch.nn.functional.upsample_nearest (deprecated: interpolate, mode nearest)."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


@composite(namespace=NN)
def upsample_bilinear(input, size=None, scale_factor=None):
    """Matches torch.nn.functional.upsample_bilinear (deprecated: interpolate, mode bilinear,
    align_corners=True)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__all__ = []
INTERNAL = []
