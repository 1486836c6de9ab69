"""The reference kernels of the activations (their primitives live in mytorch._ops.activation;
softmax's and log_softmax's in mytorch._ops.nn_softmax),
written once against the backend's array module ``xp``: a base class of reference.Backend."""

import math

import numpy as np

_SQRT_PI = math.sqrt(math.pi)
_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class ActivationKernels:
    """elu, softplus, gelu and gelu_backward over ``self.xp`` (the NumPy backend takes SciPy's
    erf in place of ``_erf``), and the fused backward kernels of sigmoid, tanh and relu (their
    primitives live in mytorch._ops.fused)."""

    def sigmoid_backward(self, grad, y):
        """out = grad * y * (1 - y): sigmoid's VJP from its result."""
        return grad * y * (1 - y)

    def tanh_backward(self, grad, y):
        """out = grad * (1 - y * y): tanh's VJP from its result."""
        return grad * (1 - y * y)

    def relu_backward(self, grad, y):
        """out = grad * (y > 0): relu's VJP from its result."""
        return grad * (y > 0)

    def elu(self, x, alpha, scale, input_scale):
        """out = scale * x where x > 0, else alpha * scale * expm1(x * input_scale)."""
        xp = self.xp
        neg = xp.expm1(xp.minimum(x, x.dtype.type(0)) * input_scale) * (alpha * scale)
        return self.scalar(xp.asarray(xp.where(x > 0, x * scale, neg)))

    def softplus(self, x, beta, threshold):
        """out = log1p(exp(beta * x)) / beta, x where beta * x > threshold; exp never
        overflows (max(z, 0) + log1p(exp(-|z|)))."""
        xp = self.xp
        z = x * beta
        soft = (xp.maximum(z, z.dtype.type(0)) + xp.log1p(xp.exp(-xp.absolute(z)))) / beta
        return self.scalar(xp.asarray(xp.where(z > threshold, x, soft)))

    def _erf(self, x):
        """The error function, in x's dtype, from the array module's elementary functions:
        its Maclaurin series up to |x| = 2, beyond 1 - erfc by Laplace's continued fraction
        (both within a few ulps in float64)."""
        xp = self.xp
        a = xp.absolute(x)
        xs = xp.minimum(a, 2.0)
        x2 = xs * xs
        term = xs
        s = xs
        for n in range(1, 40):
            term = term * -x2 / n
            s = s + term / (2 * n + 1)
        xl = xp.maximum(a, 2.0)
        f = xl
        for k in range(60, 0, -1):
            f = xl + (k / 2) / f
        tail = 1 - xp.exp(-xl * xl) / (f * _SQRT_PI)
        return xp.copysign(xp.where(a <= 2.0, s * (2 / _SQRT_PI), tail), x).astype(x.dtype)

    def gelu(self, x, approximate):
        """out = x * Phi(x) (Phi: the standard normal CDF); 'tanh': Phi(x) taken as
        (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))) / 2."""
        if x.dtype.kind == "V":  # bfloat16: in float32, rounded back
            return self.gelu(x.astype(self.xp.float32), approximate).astype(x.dtype)
        if approximate == "tanh":
            inner = (x + x * x * x * 0.044715) * _SQRT_2_OVER_PI
            return self.scalar(self.xp.asarray(x * 0.5 * (1 + self.xp.tanh(inner))))
        return self.scalar(self.xp.asarray(x * 0.5 * (1 + self._erf(x * _SQRT1_2))))

    def gelu_backward(self, grad, x, approximate):
        """out = grad * d gelu(x) / dx."""
        xp = self.xp
        if x.dtype.kind == "V":  # bfloat16: in float32, rounded back
            f32 = xp.float32
            return self.gelu_backward(grad.astype(f32), x.astype(f32), approximate).astype(x.dtype)
        if approximate == "tanh":
            t = xp.tanh((x + x * x * x * 0.044715) * _SQRT_2_OVER_PI)
            du = (1 + x * x * (3 * 0.044715)) * _SQRT_2_OVER_PI
            d = 0.5 * (1 + t) + x * 0.5 * (1 - t * t) * du
        else:
            cdf = 0.5 * (1 + self._erf(x * _SQRT1_2))
            d = cdf + x * xp.exp(x * x * -0.5) * _INV_SQRT_2PI
        return self.scalar(xp.asarray(grad * d))

    # --- softmax and log_softmax (max-subtracted: exp never overflows) -----------------------
    def _softmax_args(self, arrays, dim):
        """The arrays as the softmax kernels take them: a 0-d array as one of shape (1,), and
        half precision (float16, bfloat16) in float32, which is torch's accumulation type."""
        wide = arrays[0].dtype.itemsize < 4
        out = []
        for a in arrays:
            if a.ndim == 0:
                a = a.reshape(1)
            out.append(a.astype(self.xp.float32) if wide else a)
        return out, min(dim, out[0].ndim - 1)

    def _softmax_result(self, r, like):
        return self.scalar(self.xp.asarray(r.astype(like.dtype, copy=False).reshape(like.shape)))

    def softmax(self, x, dim):
        """exp(x - max) / sum(exp(x - max)) along dim; a row of -inf (or holding +inf or NaN)
        gives NaN, as torch's."""
        xp = self.xp
        (a,), d = self._softmax_args((x,), dim)
        with np.errstate(invalid="ignore"):  # a row of infinities: NaN, silently as torch's
            e = xp.exp(a - xp.amax(a, axis=d, keepdims=True)) if a.size else a.copy()
            return self._softmax_result(e / xp.sum(e, axis=d, keepdims=True), x)

    def log_softmax(self, x, dim):
        """x - max - log(sum(exp(x - max))) along dim."""
        xp = self.xp
        (a,), d = self._softmax_args((x,), dim)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = a - xp.amax(a, axis=d, keepdims=True) if a.size else a.copy()
            return self._softmax_result(z - xp.log(xp.sum(xp.exp(z), axis=d, keepdims=True)), x)

    def softmax_backward(self, y, g, dim):
        """y * (g - sum(g * y, dim)): softmax's VJP given its result y."""
        (a, b), d = self._softmax_args((y, g), dim)
        return self._softmax_result(a * (b - self.xp.sum(b * a, axis=d, keepdims=True)), y)

    def log_softmax_backward(self, y, g, dim):
        """g - exp(y) * sum(g, dim): log_softmax's VJP given its result y."""
        xp = self.xp
        (a, b), d = self._softmax_args((y, g), dim)
        return self._softmax_result(b - xp.exp(a) * xp.sum(b, axis=d, keepdims=True), y)

    # --- nll_loss over rows of log-probabilities (no class weights) -------------------------
    def _kept_targets(self, target, c, ignore_index, check=True):
        """(the rows not ignored, the targets with ignored ones as class 0); with ``check``,
        IndexError names a kept target outside [0, c), as torch's nll_loss does (on a device
        one scalar is read back for it: torch's CUDA kernel asserts there)."""
        xp = self.xp
        keep = target != ignore_index
        t = xp.where(keep, target, 0)
        if check and t.size:
            if xp is np:
                bad = int(t.min()) < 0 or int(t.max()) >= c
            else:
                bad = bool(((t < 0) | (t >= c)).any())
            if bad:
                outside = target[keep & ((target < 0) | (target >= c))]
                raise IndexError(f"Target {int(outside[0])} is out of bounds.")
        return keep, t

    def nll_rows(self, logp, target, ignore_index, reduction):
        """-logp[i, target[i]] of each row of logp (N, C), 0 where target[i] == ignore_index:
        those (reduction 'none'), their sum, or their mean over the rows not ignored."""
        xp = self.xp
        keep, t = self._kept_targets(target, logp.shape[1], ignore_index)
        loss = xp.where(keep, -logp[xp.arange(t.shape[0]), t], 0).astype(logp.dtype, copy=False)
        if reduction == "none":
            return loss
        total = loss.sum(dtype=logp.dtype)
        if reduction == "sum":
            return self.scalar(xp.asarray(total))
        with np.errstate(invalid="ignore"):  # every row ignored: NaN, silently as torch's
            return self.scalar(xp.asarray(total / xp.asarray(keep.sum(), dtype=logp.dtype)))

    def nll_rows_backward(self, g, target, c, ignore_index, reduction):
        """nll_rows' VJP for its result's gradient g: zeros (N, c) with -g (-g[i] for 'none',
        -g / the rows kept for 'mean') at each kept row's target."""
        xp = self.xp
        keep, t = self._kept_targets(target, c, ignore_index, check=False)
        coef = -g.reshape(-1) if reduction == "none" else xp.full(t.shape, -g, dtype=g.dtype)
        if reduction == "mean":
            with np.errstate(divide="ignore", invalid="ignore"):  # no row kept: no entry set
                coef = coef / xp.asarray(keep.sum(), dtype=g.dtype)
        out = xp.zeros((t.shape[0], c), dtype=g.dtype)
        out[xp.arange(t.shape[0]), t] = xp.where(keep, coef, 0)
        return out
