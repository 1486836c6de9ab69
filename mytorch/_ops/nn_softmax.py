"""softmax and log_softmax: primitives with one kernel call each (backend methods: the
max-subtracted reference over the array module; on a GPU fused CuPy kernels, two row reductions
and one elementwise pass, with no temporaries of the input's size), and VJPs that are primitives
too (softmax_backward, log_softmax_backward: torch's _softmax_backward_data and
_log_softmax_backward_data; one row reduction and one elementwise pass on a GPU), whose own VJPs
are written in mytorch ops, so derivatives of any order work.

Each saves its result only: softmax's VJP is y * (g - sum(g * y)), log_softmax's
g - exp(y) * sum(g), both along the softmax's dim.
"""

import builtins

from mytorch import _dtype as D
from mytorch._aliases import numpy_axis
from mytorch._core import KIND_SAME, SAVE_OUT, SAVE_XY, apply1, apply2
from mytorch._ops._declare import declare, defop
from mytorch._ops.pointwise import exp
from mytorch._ops.reduction import sum
from mytorch._out import same_dtype, with_out
from mytorch._size import _wrap_dim


def _rowsum(t, d):
    """sum(t, d, keepdim=True); a 0-d tensor is its own sum."""
    return t if t.ndim == 0 else sum(t, d, keepdim=True)


# --- the VJPs ----------------------------------------------------------------------------------
def _softmax_vjp(n, g):
    return softmax_backward(n.out, g, n.params[0])


def _log_softmax_vjp(n, g):
    return log_softmax_backward(n.out, g, n.params[0])


# r = y * (g - s), s = sum(g * y): d/dg is the same map of gg (it is symmetric); d/dy is
# gg * (g - s) - g * sum(gg * y).
def _softmax_backward_vjp(n, gg):
    y, g = n.inputs
    (d,) = n.params
    gy = None
    if n.needs_x:
        gy = gg * (g - _rowsum(g * y, d)) - g * _rowsum(gg * y, d)
    gg_ = softmax_backward(y, gg, d) if n.needs_y else None
    return gy, gg_


# r = g - exp(y) * s, s = sum(g): d/dg is gg - sum(gg * exp(y)); d/dy is -gg * exp(y) * s.
def _log_softmax_backward_vjp(n, gg):
    y, g = n.inputs
    (d,) = n.params
    e = exp(y)
    gy = -(gg * e * _rowsum(g, d)) if n.needs_x else None
    gg_ = gg - _rowsum(gg * e, d) if n.needs_y else None
    return gy, gg_


# NOTE: not elementwise (KIND_SAME, no ew=): forward-mode AD must not take their VJPs for their
# JVPs (log_softmax's Jacobian is not symmetric), and they go through the generic rule.
# fmt: off
SOFTMAX = defop("softmax", _softmax_vjp, SAVE_OUT, node_name="SoftmaxBackward0")
LOG_SOFTMAX = defop("log_softmax", _log_softmax_vjp, SAVE_OUT, node_name="LogSoftmaxBackward0")
SOFTMAX_BACKWARD = defop("softmax_backward", _softmax_backward_vjp, SAVE_XY, KIND_SAME, "SoftmaxBackwardDataBackward0")
LOG_SOFTMAX_BACKWARD = defop("log_softmax_backward", _log_softmax_backward_vjp, SAVE_XY, KIND_SAME, "LogSoftmaxBackwardDataBackward0")
# fmt: on


def softmax_backward(y, g, dim):
    """y * (g - sum(g * y, dim)) in one pass: softmax's VJP given its result y."""
    return apply2(SOFTMAX_BACKWARD, y, g, (dim,))


def log_softmax_backward(y, g, dim):
    """g - exp(y) * sum(g, dim) in one pass: log_softmax's VJP given its result y."""
    return apply2(LOG_SOFTMAX_BACKWARD, y, g, (dim,))


# --- the functions -----------------------------------------------------------------------------
def _check_float(name, input, dim):
    """torch has no softmax kernel for integer, bool and complex tensors (given no dtype=)."""
    if input.dtype.category != D.FLOAT:
        kernel = "lastdim_kernel_impl" if dim == builtins.max(input.ndim - 1, 0) else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{input.dtype.title}'")


def _prepare(name, input, dim, dtype):
    d = _wrap_dim(dim, input._data.ndim)  # torch requires an int dim (no implicit one)
    if dtype is not None:
        input = input.to(dtype)
    _check_float(name, input, d)
    return input, d


@with_out("softmax", same_dtype)
@numpy_axis
def softmax(input, dim, dtype=None):
    """Matches torch.softmax."""
    input, d = _prepare("softmax", input, dim, dtype)
    return apply1(SOFTMAX, input, (d,))


@with_out("log_softmax", same_dtype)
@numpy_axis
def log_softmax(input, dim, dtype=None):
    """Matches torch.log_softmax."""
    input, d = _prepare("log_softmax", input, dim, dtype)
    return apply1(LOG_SOFTMAX, input, (d,))


declare(softmax, namespace=("torch", "special"), method=True, out=True, op=SOFTMAX)
declare(log_softmax, namespace=("torch", "special"), method=True, out=True, op=LOG_SOFTMAX)

__all__ = []
INTERNAL = ["softmax_backward", "log_softmax_backward"]
