"""Activation functions: torch.nn.functional's (relu6, elu, gelu, softplus, ..., softmin,
normalize), and the ones torch also has at the top level or as Tensor methods, each declared in
exactly torch's namespaces.

Most are composites of other ops, written so that their derivatives at kinks are torch's (a
``where`` on a strict or loose comparison picks the side). Where the first and second
derivatives at a kink come from different sides (elu at 0, softplus at its threshold), or where
no composite is stable (softplus, gelu's erf), the op is a primitive whose VJP is written in
mytorch ops, so derivatives of any order work.
"""

import math
import warnings

from mytorch import _dtype as D
from mytorch._core import KIND_BINARY, SAVE_X, SAVE_XY, apply1, apply2
from mytorch._ops import pointwise as _pw
from mytorch._ops._declare import declare, defop
from mytorch._ops.composite import log_softmax as _log_softmax
from mytorch._ops.composite import softmax as _softmax
from mytorch._ops.creation import rand_like
from mytorch._ops.indexing import chunk
from mytorch._ops.pointwise import abs, clamp, clamp_min, exp, sigmoid, sqrt, tanh, where
from mytorch._ops.reduction import amax, amin, sum
from mytorch._out import can_cast, check_out, write_out
from mytorch._size import _wrap_dim
from mytorch._views import _commit_inplace

NN = "nn.functional"
BOTH = ("torch", NN)
# selu's constants (Klambauer et al., 2017), as torch spells them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2PI = math.sqrt(2 * math.pi)
_GELU_K = math.sqrt(2 / math.pi)  # the tanh approximation's sqrt(2 / pi) and its cubic term
_GELU_C = 0.044715
_SIXTH_F32 = 0.1666666716337204  # 1 / 6 rounded to float32


# --- the primitives ----------------------------------------------------------------------------
def _hardtanh_vjp(n, g):
    # NOTE: torch's hardtanh_backward: no gradient on the bounds themselves (clamp passes it).
    lo, hi = n.params
    return where((n.x <= lo) | (n.x >= hi), 0.0, g)


def _elu_vjp(n, g):
    # torch: scale where x > 0, else alpha * scale * input_scale * exp(x * input_scale); its
    # second derivative takes x < 0 only, so the exponent is a constant 0 at x == 0.
    alpha, scale, input_scale = n.params
    x = n.x
    e = exp(where(x < 0, x * input_scale, 0.0)) * (alpha * scale * input_scale)
    return g * where(x > 0, scale, e)


def _softplus_vjp(n, g):
    # torch: 1 where beta * x > threshold, else sigmoid(beta * x); the second derivative takes
    # beta * x < threshold only, so at the threshold the sigmoid's argument is a constant.
    beta, threshold = n.params
    z = n.x * beta
    s = sigmoid(where(z < threshold, z, float(threshold)))
    return g * where(z > threshold, 1.0, s)


def _gelu_second(x, approximate):
    """d^2 gelu(x) / dx^2, in mytorch ops."""
    if approximate == "tanh":
        t = tanh((x + x * x * x * _GELU_C) * _GELU_K)
        du = (1 + x * x * (3 * _GELU_C)) * _GELU_K
        s = 1 - t * t
        return s * (du + x * 0.5 * (x * (6 * _GELU_C * _GELU_K) - 2 * t * du * du))
    return exp(x * x * -0.5) * (2 - x * x) / _SQRT_2PI


def _gelu_backward_vjp(n, gg):
    (approximate,) = n.params
    grad, x = n.x, n.y
    g_grad = gelu_backward(gg, x, approximate) if n.needs_x else None
    g_x = gg * grad * _gelu_second(x, approximate) if n.needs_y else None
    return g_grad, g_x


# fmt: off
HARDTANH = defop("hardtanh", _hardtanh_vjp, SAVE_X, node_name="HardtanhBackward0", kernel="clamp", ew=True)
ELU      = defop("elu",      _elu_vjp,      SAVE_X, node_name="EluBackward0", ew=True)
CELU     = ELU.variant("CeluBackward0")
SOFTPLUS = defop("softplus", _softplus_vjp, SAVE_X, node_name="SoftplusBackward0", ew=True)
GELU     = defop("gelu",     lambda n, g: gelu_backward(g, n.x, *n.params), SAVE_X, node_name="GeluBackward0", ew=True)
GELU_BACKWARD = defop("gelu_backward", _gelu_backward_vjp, SAVE_XY, KIND_BINARY, "GeluBackwardBackward0")
# fmt: on


def gelu_backward(grad, x, approximate="none"):
    """grad * gelu'(x): gelu's VJP (a primitive, so that it differentiates again)."""
    return apply2(GELU_BACKWARD, grad, x, (approximate,))


# --- argument checks -------------------------------------------------------------------------
def _floating(x, kernel):
    """torch's refusal of integer and bool inputs for a floating-point kernel."""
    if x.dtype.category < D.FLOAT:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{x.dtype.title}'")


def _not_bool(x, name, what="Bool"):
    if x.dtype.category == D.BOOL:
        raise RuntimeError(f"{what} inputs not supported for {name}")


def _maybe_inplace(input, result, inplace):
    """torch's ``inplace=True``: the result written into ``input``, which is returned."""
    return _commit_inplace(input, result) if inplace else result


def _source(input, inplace):
    """What a composite computes from: with ``inplace=True`` and a graph, a copy of ``input``
    where one of its inner nodes saves it (the in-place write would spoil it; torch's in-place
    ops keep their original input the same way)."""
    return input.clone() if inplace and input.requires_grad else input


def _result_dtype(result, out):
    """The out= rule of torch's structured kernels (softplus, gelu, the shrinks, ...): an out
    of the result's dtype only."""
    if result is not out:
        return RuntimeError(f"Found dtype {out.title} but expected {result.title}")
    return None


def _with_out(name, result, out, inputs, rule=can_cast):
    if out is None:
        return result
    check_out(name, out, inputs)
    return write_out(out, result, rule)


# --- relu and its relatives --------------------------------------------------------------------
def _f_relu(input, inplace=False):
    """Matches torch.nn.functional.relu."""
    _not_bool(input, "relu", "Boolean")
    return _maybe_inplace(input, _pw.relu(input), inplace)


def relu_(input):
    """Matches torch.relu_ (torch.nn.functional.relu_)."""
    return _f_relu(input, inplace=True)


def _f_sigmoid(input):
    """Matches torch.nn.functional.sigmoid."""
    return sigmoid(input)


def _f_tanh(input):
    """Matches torch.nn.functional.tanh."""
    return tanh(input)


def _hardtanh(input, lo, hi):
    _not_bool(input, "hardtanh")
    if input.dtype.category < D.FLOAT:
        lo, hi = int(lo), int(hi)
    return apply1(HARDTANH, input, (lo, hi))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Matches torch.nn.functional.hardtanh: no gradient on the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, _hardtanh(input, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """Matches torch.nn.functional.hardtanh_."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """Matches torch.nn.functional.relu6 (hardtanh to [0, 6])."""
    return _maybe_inplace(input, _hardtanh(input, 0.0, 6.0), inplace)


def hardsigmoid(input, inplace=False):
    """Matches torch.nn.functional.hardsigmoid: relu6(x + 3) / 6."""
    _floating(input, "hardsigmoid_cpu")
    h = _hardtanh(input + 3, 0.0, 6.0)
    # NOTE: torch's gradient is grad * (1 / 6) rounded to float32, in float64 too (the value
    # is h / 6): the detached term carries the difference, so the gradient is exactly torch's.
    r = h * _SIXTH_F32 + (h / 6 - h * _SIXTH_F32).detach()
    return _maybe_inplace(input, r, inplace)


def hardswish(input, inplace=False):
    """Matches torch.nn.functional.hardswish: x * relu6(x + 3) / 6 (so the gradient is 0 at -3
    and 1 at 3, and the second derivative 0 at both, as torch's)."""
    _floating(input, "hardswish_cpu")
    x = _source(input, inplace)
    return _maybe_inplace(input, x * _hardtanh(x + 3, 0.0, 6.0) / 6, inplace)


def _leaky(input, slope):
    return where(input > 0, input, input * slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Matches torch.nn.functional.leaky_relu (the slope's gradient at 0)."""
    _floating(input, "leaky_relu_cpu")
    return _maybe_inplace(input, _leaky(input, negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    """Matches torch.nn.functional.leaky_relu_."""
    return leaky_relu(input, negative_slope, inplace=True)


def _threshold(input, threshold, value):
    if input.dtype.category == D.BOOL:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    if input.dtype.category < D.FLOAT:
        value = int(value)
    return where(input > threshold, input, value)


def threshold(input, threshold, value, *, out=None):
    """Matches torch.threshold: input where input > threshold, else value."""
    return _with_out("threshold", _threshold(input, threshold, value), out, (input,))


def _f_threshold(input, threshold, value, inplace=False):
    """Matches torch.nn.functional.threshold."""
    return _maybe_inplace(input, _threshold(input, threshold, value), inplace)


def threshold_(input, threshold, value):
    """Matches torch.threshold_ (torch.nn.functional.threshold_)."""
    return _commit_inplace(input, _threshold(input, threshold, value))


def _rrelu(input, lower, upper, training, generator=None):
    _floating(input, "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _leaky(input, (lower + upper) / 2)
    # A slope drawn uniformly from [lower, upper] for each element <= 0 (1 elsewhere): the
    # gradient is that slope.
    r = rand_like(input, generator=generator) * (upper - lower) + lower
    return input * where(input > 0, 1.0, r)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Matches torch.rrelu."""
    return _rrelu(input, lower, upper, training, generator)


def _f_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Matches torch.nn.functional.rrelu."""
    return _maybe_inplace(input, _rrelu(input, lower, upper, training), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Matches torch.rrelu_ (torch.nn.functional.rrelu_)."""
    return _commit_inplace(input, _rrelu(input, lower, upper, training, generator))


def prelu(input, weight):
    """Matches torch.prelu: input where input > 0, else weight * input, one weight per channel
    (dim 1) or one for all."""
    _floating(input, "prelu_cpu")
    if weight.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1 and n != channels:
        raise RuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels}."
        )
    if n != 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


# --- the exponential family ------------------------------------------------------------------
def _elu(input, alpha, scale, input_scale, op=ELU):
    _floating(input, "elu_cpu")
    return apply1(op, input, (alpha, scale, input_scale))


def elu(input, alpha=1.0, inplace=False):
    """Matches torch.nn.functional.elu: alpha * (exp(x) - 1) for x <= 0."""
    return _maybe_inplace(input, _elu(input, alpha, 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    """Matches torch.nn.functional.elu_."""
    return elu(input, alpha, inplace=True)


def selu(input):
    """Matches torch.selu."""
    return _elu(input, SELU_ALPHA, SELU_SCALE, 1.0)


def _f_selu(input, inplace=False):
    """Matches torch.nn.functional.selu."""
    return _maybe_inplace(input, selu(input), inplace)


def selu_(input):
    """Matches torch.selu_ (torch.nn.functional.selu_)."""
    return _commit_inplace(input, selu(input))


def celu(input, alpha=1.0):
    """Matches torch.celu: alpha * (exp(x / alpha) - 1) for x <= 0."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha, CELU)


def _f_celu(input, alpha=1.0, inplace=False):
    """Matches torch.nn.functional.celu."""
    return _maybe_inplace(input, celu(input, alpha), inplace)


def celu_(input, alpha=1.0):
    """Matches torch.celu_ (torch.nn.functional.celu_)."""
    return _commit_inplace(input, celu(input, alpha))


def softplus(input, beta=1.0, threshold=20.0, *, out=None):
    """Matches torch.nn.functional.softplus: log(1 + exp(beta * x)) / beta, linear where
    beta * x > threshold."""
    _floating(input, "softplus_cpu")
    return _with_out(
        "softplus", apply1(SOFTPLUS, input, (beta, threshold)), out, (input,), _result_dtype
    )


def _softplus_all(input):
    """softplus with no linear part (stable for every x)."""
    return apply1(SOFTPLUS, input, (1.0, math.inf))


def logsigmoid(input, *, out=None):
    """Matches torch.nn.functional.logsigmoid: -softplus(-x), stable for large |x|."""
    _floating(input, "log_sigmoid_cpu")
    return _with_out("log_sigmoid", -_softplus_all(-input), out, (input,), _result_dtype)


def gelu(input, approximate="none", *, out=None):
    """Matches torch.nn.functional.gelu: x * Phi(x), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _floating(input, "GeluKernelImpl")
    return _with_out("gelu", apply1(GELU, input, (approximate,)), out, (input,), _result_dtype)


def silu(input, inplace=False):
    """Matches torch.nn.functional.silu: x * sigmoid(x)."""
    _floating(input, "silu_cpu")
    return _maybe_inplace(input, input * sigmoid(input), inplace)


def mish(input, inplace=False):
    """Matches torch.nn.functional.mish: x * tanh(softplus(x))."""
    _floating(input, "mish_cpu")
    x = _source(input, inplace)
    return _maybe_inplace(input, x * tanh(_softplus_all(x)), inplace)


# --- shrinkage ---------------------------------------------------------------------------------
def hardshrink(input, lambd=0.5, *, out=None):
    """Matches torch.hardshrink: 0 on [-lambd, lambd] (its gradient too), x elsewhere."""
    _floating(input, "hardshrink_cpu")
    r = where((input >= -lambd) & (input <= lambd), 0.0, input)
    return _with_out("hardshrink", r, out, (input,), _result_dtype)


def softshrink(input, lambd=0.5, *, out=None):
    """Matches torch.nn.functional.softshrink: x - clamp(x, -lambd, lambd) (no gradient on
    the bounds)."""
    _floating(input, "softshrink_check")
    if lambd < 0:
        big = 3.40282e38 if input.dtype is D.float32 else 1.79769e308
        raise RuntimeError(
            f"lambda must be in range [0, {big:g}] for input dtype {input.dtype.title}, but "
            f"found {lambd:g}"
        )
    return _with_out(
        "softshrink", input - clamp(input, -lambd, lambd), out, (input,), _result_dtype
    )


def softsign(input):
    """Matches torch.nn.functional.softsign: x / (1 + |x|)."""
    return input / (1 + abs(input))


def tanhshrink(input):
    """Matches torch.nn.functional.tanhshrink: x - tanh(x)."""
    return input - tanh(input)


# --- along a dim -------------------------------------------------------------------------------
def glu(input, dim=-1):
    """Matches torch.nn.functional.glu: a * sigmoid(b), a and b the halves along dim."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    _floating(input, "glu_cpu")
    a, b = chunk(input, 2, d)
    return a * sigmoid(b)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _f_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.softmax (an implicit dim warns, as torch's)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _softmax(input, dim, dtype)


def _f_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.log_softmax."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Matches torch.nn.functional.softmin: softmax(-x)."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return _softmax(-input, dim, dtype)


def _vector_norm(x, p, dim):
    """The p-norm along dim (kept), with torch's gradient 0 where the norm is 0."""
    a = abs(x)
    if p == math.inf:
        return amax(a, dim, keepdim=True)
    if p == -math.inf:
        return amin(a, dim, keepdim=True)
    if p == 0:
        return sum(a != 0, dim, keepdim=True, dtype=x.dtype)
    s = sum(x * x if p == 2 else a**p, dim, keepdim=True)
    nonzero = s > 0
    safe = where(nonzero, s, 1.0)  # NOTE: no inf * 0 in the gradient where s == 0
    return where(nonzero, sqrt(safe) if p == 2 else safe ** (1.0 / p), 0.0)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """Matches torch.nn.functional.normalize: x / max(||x||_p, eps) along dim."""
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{input.dtype.title}"
        )
    if input.ndim == 0:
        _wrap_dim(dim, 1)
        return _with_out("div", input / clamp_min(abs(input), eps), out, (input,))
    d = _wrap_dim(dim, input.ndim)
    denom = clamp_min(_vector_norm(input, p, d), eps).expand_as(input)
    return _with_out("div", input / denom, out, (input,))


# --- declarations ------------------------------------------------------------------------------
# fmt: off
declare(_f_relu, name="relu", namespace=NN)
declare(relu_, namespace=BOTH)
declare(_f_sigmoid, name="sigmoid", namespace=NN)
declare(_f_tanh, name="tanh", namespace=NN)
declare(hardtanh, namespace=NN, op=HARDTANH)
declare(hardtanh_, namespace=NN)
declare(relu6, namespace=NN, composite=True)
declare(hardsigmoid, namespace=NN, composite=True)
declare(hardswish, namespace=NN, composite=True)
declare(leaky_relu, namespace=NN, composite=True)
declare(leaky_relu_, namespace=NN, composite=True)
declare(threshold, out=True, composite=True)
declare(_f_threshold, name="threshold", namespace=NN, composite=True)
declare(threshold_, namespace=BOTH, composite=True)
declare(rrelu, composite=True)
declare(_f_rrelu, name="rrelu", namespace=NN, composite=True)
declare(rrelu_, namespace=BOTH, composite=True)
declare(prelu, namespace=BOTH, method=True, composite=True)
declare(elu, namespace=NN, op=ELU)
declare(elu_, namespace=NN)
declare(selu)
declare(_f_selu, name="selu", namespace=NN)
declare(selu_, namespace=BOTH)
declare(celu)
declare(_f_celu, name="celu", namespace=NN)
declare(celu_, namespace=BOTH)
declare(softplus, namespace=NN, out=True, op=SOFTPLUS)
declare(logsigmoid, namespace=NN, out=True, composite=True)
declare(gelu, namespace=NN, out=True, op=GELU)
declare(silu, namespace=NN, composite=True)
declare(mish, namespace=NN, composite=True)
declare(hardshrink, namespace=BOTH, method=True, out=True, composite=True)
declare(softshrink, namespace=NN, out=True, composite=True)
declare(softsign, namespace=NN, composite=True)
declare(tanhshrink, namespace=NN, composite=True)
declare(glu, namespace=NN, composite=True)
declare(_f_softmax, name="softmax", namespace=NN, composite=True)
declare(_f_log_softmax, name="log_softmax", namespace=NN, composite=True)
declare(softmin, namespace=NN, composite=True)
declare(normalize, namespace=NN, out=True, composite=True)
# fmt: on

__all__ = []
INTERNAL = ["gelu_backward"]
