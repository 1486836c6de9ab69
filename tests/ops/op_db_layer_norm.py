"""op_db rows of layer_norm's primitives (mytorch/_ops/nn_layer_norm.py): native_layer_norm
with and without weight and bias, over one and two trailing dims, with a one-entry row (zero
variance), empty inputs and another eps, and its backward primitive (torch's
layer_norm_backward: the input's, weight's and bias's gradients) with first and second
derivatives."""

from op_db import OpInfo, _vjp

LN = dict(op="native_layer_norm")
BW = dict(op="layer_norm_backward", tol={"float32": dict(rtol=2e-4, atol=2e-4)})
XWB = [((3, 4, 5), (4, 5), (4, 5)), ((2, 3), (3,), (3,))]
XW = [((3, 4, 5), (5,)), ((2, 3), (3,))]


def _ln(T, x, *wb, k=1, eps=1e-5):
    return T.nn.functional.layer_norm(x, tuple(x.shape[x.ndim - k :]), *wb, eps=eps)


def _w(T, x):
    """Constant weights 1, 2, ... of x's shape (a weighted sum: the VJP of a non-uniform
    gradient)."""
    return T.ones_like(x).flatten().cumsum(0).reshape(x.shape)


def _grads(T, x, w, b, i):
    """The i-th gradient of a weighted sum of layer_norm(x, w, b) ** 2 (computed in the row;
    squared: each depends on all of x, w and b)."""
    return _vjp(T, lambda x, w, b: _ln(T, x, w, b, k=w.ndim) ** 2 * _w(T, x), x, w, b)[i]


BACKWARD = [
    OpInfo("layer_norm_backward_input", lambda T, x, w, b: _grads(T, x, w, b, 0), XWB,
           gradgrad=False, grad_fn="NativeLayerNormBackwardBackward0", **BW),
    OpInfo("layer_norm_backward_weight", lambda T, x, w, b: _grads(T, x, w, b, 1), XWB,
           gradgrad=False, **BW),
    OpInfo("layer_norm_backward_bias", lambda T, x, w, b: _grads(T, x, w, b, 2), XWB,
           gradgrad=False, **BW),
    OpInfo("layer_norm_backward_plain",
           lambda T, x: _vjp(T, lambda x: _ln(T, x) * _w(T, x) * x, x)[0], [((3, 4, 5),)],
           gradgrad=False, **BW),
]  # fmt: skip

ROWS = [
    OpInfo("layer_norm_affine", lambda T, x, w, b: _ln(T, x, w, b, k=w.ndim), XWB,
           grad_fn="NativeLayerNormBackward0", **LN),
    OpInfo("layer_norm_plain", lambda T, x: _ln(T, x) * x, [((3, 4, 5),), ((2, 3),), ((4,),)],
           **LN),
    OpInfo("layer_norm_two_dims", lambda T, x: _ln(T, x, k=2) * _w(T, x), [((3, 4, 5),)], **LN),
    OpInfo("layer_norm_weight", lambda T, x, w: _ln(T, x, w) * x, XW, **LN),
    # torch's double backward of a bias without a weight raises (an undefined tensor): first
    # derivatives only
    OpInfo("layer_norm_bias", lambda T, x, b: _ln(T, x, None, b) * x, XW, gradgrad=False, **LN),
    OpInfo("layer_norm_eps", lambda T, x, w, b: _ln(T, x, w, b, eps=0.5) * x,
           [((2, 3), (3,), (3,))], **LN),
    OpInfo("layer_norm_one_entry", lambda T, x, w, b: _ln(T, x, w, b, eps=0.5) * x,
           [((3, 1), (1,), (1,))], **LN),
    OpInfo("layer_norm_empty", lambda T, x, w, b: _ln(T, x, w, b), [((0, 3), (3,), (3,))],
           **LN),
    # --- the backward primitive: d input, d weight, d bias. First derivatives only: torch's
    # derivatives of its double backward are wrong (its gradgradcheck of layer_norm's gradient
    # fails); tests/ops/test_layer_norm.py checks these rows' second ones by gradgradcheck.
    *BACKWARD,
]  # fmt: skip
