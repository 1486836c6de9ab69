"""The CUDA backend's fused kernels: each fused primitive of the CPU as one ``cupy.fuse`` kernel,
so that it makes one pass over memory where the reference's expression makes temporaries.

A base class of cupy_backend.CupyBackend, placed before the reference Backend so that these
override its kernels; each has the same contract as the reference kernel it replaces (its CPU
twin, which tests/cuda/test_cuda_kernels.py compares it with). Kernels are made on first use,
per array module and variant (``_fused``), never at import; CuPy compiles each once per dtype
signature and caches it. Variants (momentum or not, maximize, ...) are separate kernels whose
flags are Python constants inside the fused function.

Also here: matmul through cuBLAS with torch's TF32 switch (``torch.backends.cuda.matmul.
allow_tf32``, ``torch.set_float32_matmul_precision``), which sets CuPy's compute type of
float32 GEMMs (``cupy._core._routines_linalg.set_compute_type``).
"""

import numpy as np

from mytorch import _settings

_kernels = {}  # (id(xp), name, variant) -> the fused function
_tf32 = {}  # id(xp) -> whether its float32 GEMMs were last set to TF32 (process-wide in CuPy)


def _fused(xp, name, variant, make):
    """The fused kernel ``name`` for ``variant`` (flags), made by ``make(*variant)`` once."""
    key = (id(xp), name, variant)
    k = _kernels.get(key)
    if k is None:
        k = _kernels[key] = xp.fuse(kernel_name=name)(make(*variant))
    return k


def _sigmoid_expr(xp, x):
    """The reference's sigmoid (from exp(-|x|), no overflow) as a fused expression."""
    e = xp.exp(-xp.absolute(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


# --- the kernels' bodies (xp is bound by the closures) ---------------------------------------


def _make_sigmoid(xp):
    def sigmoid(x):
        return _sigmoid_expr(xp, x).astype(x.dtype)

    return sigmoid


def _make_sigmoid_backward(xp):
    def sigmoid_backward(grad, y):
        return grad * y * (1 - y)

    return sigmoid_backward


def _make_tanh_backward(xp):
    def tanh_backward(grad, y):
        return grad * (1 - y * y)

    return tanh_backward


def _make_relu_backward(xp):
    def relu_backward(grad, y):
        return grad * (y > 0)

    return relu_backward


def _make_sgd(xp, maximize, decay, momentum, first, nesterov):
    def sgd_step(param, grad, buf, lr, weight_decay, mom, keep):
        g = -grad if maximize else grad
        if decay:
            g = g + param * weight_decay
        if momentum:
            if first:
                buf[...] = g
            else:
                buf *= mom
                buf += g * keep
            g = g + buf * mom if nesterov else buf
        param -= g * lr

    return sgd_step


def _make_adam(xp, maximize, coupled, decoupled, small_w, amsgrad):
    def adam_step(param, grad, m, v, vmax, shrink, weight_decay, w, beta2, one_minus_beta2, eps,
                  bc2, neg_step):  # fmt: skip
        if decoupled:
            param *= shrink
        g = -grad if maximize else grad
        if coupled:
            g = g + param * weight_decay
        if small_w:  # torch's two lerp formulas, by the weight
            m += (g - m) * w
        else:
            m[...] = g - (g - m) * (1 - w)
        v *= beta2
        v += g * one_minus_beta2 * g
        if amsgrad:
            vmax[...] = xp.maximum(vmax, v)
            param += m / (xp.sqrt(vmax) / bc2 + eps) * neg_step
        else:
            param += m / (xp.sqrt(v) / bc2 + eps) * neg_step

    return adam_step


def _make_lstm(xp):
    def lstm_cell_gates(ai, af, ag, ao, c):
        c2 = _sigmoid_expr(xp, af) * c + _sigmoid_expr(xp, ai) * xp.tanh(ag)
        return _sigmoid_expr(xp, ao) * xp.tanh(c2), c2

    return lstm_cell_gates


def _make_lstm_backward(xp):
    def lstm_cell_gates_backward(gh, gc, ai, af, ag, ao, c):
        i = _sigmoid_expr(xp, ai)
        f = _sigmoid_expr(xp, af)
        o = _sigmoid_expr(xp, ao)
        g = xp.tanh(ag)
        tc = xp.tanh(f * c + i * g)
        dc = gc + gh * o * (1 - tc * tc)
        return (dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                gh * tc * o * (1 - o), dc * f)  # fmt: skip

    return lstm_cell_gates_backward


def _make_gru(xp):
    def gru_cell_gates(gi_r, gi_z, gi_n, gh_r, gh_z, gh_n, h):
        r = _sigmoid_expr(xp, gi_r + gh_r)
        z = _sigmoid_expr(xp, gi_z + gh_z)
        n = xp.tanh(gi_n + r * gh_n)
        return (1 - z) * n + z * h

    return gru_cell_gates


# --- softmax and log_softmax: CuPy's fuse makes at most one reduction per kernel, as its last
# step, so each is a row reduction or two (premapped) and one elementwise kernel; ``axis`` is
# a Python constant of the variant.


def _make_row_max(xp, axis):
    def softmax_row_max(x):
        return xp.amax(x, axis=axis)

    return softmax_row_max


def _make_exp_sum(xp, axis):
    def softmax_exp_sum(x, m):
        return xp.sum(xp.exp(x - m), axis=axis)

    return softmax_exp_sum


def _make_softmax_out(xp):
    def softmax_normalize(x, m, s):
        return xp.exp(x - m) / s

    return softmax_normalize


def _make_log_softmax_out(xp):
    def log_softmax_normalize(x, m, s):
        return x - m - xp.log(s)

    return log_softmax_normalize


def _make_dot_sum(xp, axis):
    def softmax_grad_dot(y, g):
        return xp.sum(g * y, axis=axis)

    return softmax_grad_dot


def _make_softmax_backward(xp):
    def softmax_backward(y, g, s):
        return y * (g - s)

    return softmax_backward


def _make_grad_sum(xp, axis):
    def log_softmax_grad_sum(g):
        return xp.sum(g, axis=axis)

    return log_softmax_grad_sum


def _make_log_softmax_backward(xp):
    def log_softmax_backward(y, g, s):
        return g - xp.exp(y) * s

    return log_softmax_backward


# --- layer norm: rows (M, N); each row reduction its own kernel (premapped, over axis 1), the
# column sums of the weight's and bias's gradients over axis 0; ``inv_n`` is 1 / N.


def _make_ln_mean(xp):
    def layer_norm_row_mean(x, inv_n):
        return xp.sum(x * inv_n, axis=1)

    return layer_norm_row_mean


def _make_ln_var(xp):
    def layer_norm_row_var(x, mu, inv_n):
        d = x - mu
        return xp.sum(d * d * inv_n, axis=1)

    return layer_norm_row_var


def _make_ln_rstd(xp):
    def layer_norm_rstd(var, eps):
        return 1 / xp.sqrt(var + eps)

    return layer_norm_rstd


def _make_ln_out(xp, has_w, has_b):
    def layer_norm_out(x, mu, rstd, w, b):
        y = (x - mu) * rstd
        if has_w:
            y = y * w
        if has_b:
            y = y + b
        return y

    return layer_norm_out


def _make_ln_grad_rows(xp, has_w, with_xh):
    def layer_norm_grad_rows(g, x, mu, rstd, w, inv_n):
        a = g * w if has_w else g
        if with_xh:
            a = a * ((x - mu) * rstd)
        return xp.sum(a * inv_n, axis=1)

    return layer_norm_grad_rows


def _make_ln_grad_cols(xp, with_xh):
    def layer_norm_grad_cols(g, x, mu, rstd):
        return xp.sum(g * ((x - mu) * rstd) if with_xh else g, axis=0)

    return layer_norm_grad_cols


def _make_ln_grad_input(xp, has_w):
    def layer_norm_grad_input(g, x, mu, rstd, w, c1, c2):
        a = g * w if has_w else g
        return (a - c1 - (x - mu) * rstd * c2) * rstd

    return layer_norm_grad_input


def _float(x):
    return x.dtype.kind == "f" and x.dtype.itemsize >= 4  # float32/64 (not bfloat16, ints)


def _parts(a, k, n):
    """The ``n`` consecutive chunks of width ``k`` of ``a``'s last axis (views)."""
    return tuple(a[..., j * k : (j + 1) * k] for j in range(n))


class FusedKernels:
    """One-pass CuPy kernels for the CPU's fused primitives (see the module docstring)."""

    def _fuse(self, name, make, *variant):
        xp = self.xp
        return _fused(xp, name, variant, lambda *v: make(xp, *v))

    # --- activations and their backward passes -------------------------------------------
    def sigmoid(self, x):
        if not _float(x):
            return super().sigmoid(x)
        return self._fuse("sigmoid", _make_sigmoid)(x)

    def sigmoid_backward(self, grad, y):
        return self._fuse("sigmoid_backward", _make_sigmoid_backward)(grad, y)

    def tanh_backward(self, grad, y):
        return self._fuse("tanh_backward", _make_tanh_backward)(grad, y)

    def relu_backward(self, grad, y):
        return self._fuse("relu_backward", _make_relu_backward)(grad, y)

    # --- softmax and log_softmax: no temporaries of x's size (exp(x - max) is recomputed) ---
    def _rows(self, x, dim, *others):
        """Whether the fused softmax kernels take these arrays (float32/64, not empty, not 0-d),
        and the row reduction over ``dim``, kept as a broadcastable size-1 axis."""
        if not (_float(x) and x.ndim and x.size) or any(o.dtype != x.dtype for o in others):
            return None
        xp = self.xp
        return lambda name, make, *arrays: xp.expand_dims(self._fuse(name, make, dim)(*arrays), dim)

    def _max_and_exp_sum(self, x, dim):
        """(row max, row sum of exp(x - max)) along ``dim``, two fused row kernels; None where
        the fused kernels do not take ``x``."""
        rows = self._rows(x, dim)
        if rows is None:
            return None
        m = rows("softmax_row_max", _make_row_max, x)
        return m, rows("softmax_exp_sum", _make_exp_sum, x, m)

    def softmax(self, x, dim):
        stats = self._max_and_exp_sum(x, dim)
        if stats is None:
            return super().softmax(x, dim)
        return self._fuse("softmax_normalize", _make_softmax_out)(x, *stats)

    def log_softmax(self, x, dim):
        stats = self._max_and_exp_sum(x, dim)
        if stats is None:
            return super().log_softmax(x, dim)
        return self._fuse("log_softmax_normalize", _make_log_softmax_out)(x, *stats)

    def softmax_backward(self, y, g, dim):
        rows = self._rows(y, dim, g)
        if rows is None:
            return super().softmax_backward(y, g, dim)
        s = rows("softmax_grad_dot", _make_dot_sum, y, g)
        return self._fuse("softmax_backward", _make_softmax_backward)(y, g, s)

    def log_softmax_backward(self, y, g, dim):
        rows = self._rows(y, dim, g)
        if rows is None:
            return super().log_softmax_backward(y, g, dim)
        s = rows("log_softmax_grad_sum", _make_grad_sum, g)
        return self._fuse("log_softmax_backward", _make_log_softmax_backward)(y, g, s)

    # --- layer norm: three row kernels and one elementwise forward; two row kernels, two
    # column kernels (as wanted) and one elementwise backward -------------------------------
    def _ln_rows(self, x, k):
        """x as rows (M, N) and N, or None where the fused kernels do not take it."""
        if not (_float(x) and x.size and k <= x.ndim):
            return None
        n = 1
        for s in x.shape[x.ndim - k :]:
            n *= s
        return x.reshape(-1, n), n

    def _ln_stats(self, a, n, eps):
        inv_n = a.dtype.type(1 / n)
        mu = self._fuse("layer_norm_row_mean", _make_ln_mean)(a, inv_n).reshape(-1, 1)
        var = self._fuse("layer_norm_row_var", _make_ln_var)(a, mu, inv_n)
        rstd = self._fuse("layer_norm_rstd", _make_ln_rstd)(var, a.dtype.type(eps))
        return mu, rstd.reshape(-1, 1)

    def layer_norm(self, x, w, b, k, eps, saved):
        rows = self._ln_rows(x, k)
        if rows is None or any(v is not None and v.dtype != x.dtype for v in (w, b)):
            return super().layer_norm(x, w, b, k, eps, saved)
        a, n = rows
        mu, rstd = self._ln_stats(a, n, eps)
        saved["mean"], saved["rstd"] = mu, rstd
        k_out = self._fuse("layer_norm_out", _make_ln_out, w is not None, b is not None)
        wr = a[:1] if w is None else w.reshape(1, n)  # unused without a weight (bias)
        br = a[:1] if b is None else b.reshape(1, n)
        return k_out(a, mu, rstd, wr, br).reshape(x.shape)

    def layer_norm_backward(self, g, x, w, k, eps, stats, mask):
        rows = self._ln_rows(x, k)
        if rows is None or g.dtype != x.dtype or w.dtype != x.dtype:
            return super().layer_norm_backward(g, x, w, k, eps, stats, mask)
        a, n = rows
        ga = g.reshape(a.shape)
        has_w, need_w, need_b = mask
        mu, rstd = self._ln_stats(a, n, eps) if stats is None else stats
        inv_n = a.dtype.type(1 / n)
        wr = w.reshape(1, n) if has_w else a[:1]
        rows_k = self._fuse("layer_norm_grad_rows", _make_ln_grad_rows, has_w, False)
        c1 = rows_k(ga, a, mu, rstd, wr, inv_n).reshape(-1, 1)
        rows_k = self._fuse("layer_norm_grad_rows", _make_ln_grad_rows, has_w, True)
        c2 = rows_k(ga, a, mu, rstd, wr, inv_n).reshape(-1, 1)
        k_in = self._fuse("layer_norm_grad_input", _make_ln_grad_input, has_w)
        dx = k_in(ga, a, mu, rstd, wr, c1, c2).reshape(x.shape)
        xp = self.xp
        zeros = xp.zeros(w.shape, w.dtype)
        cols = "layer_norm_grad_cols"
        dw = self._fuse(cols, _make_ln_grad_cols, True)(ga, a, mu, rstd) if need_w else zeros
        db = self._fuse(cols, _make_ln_grad_cols, False)(ga, a, mu, rstd) if need_b else zeros
        return dx, dw.reshape(w.shape), db.reshape(w.shape)

    # --- optimizers (in place, one kernel per parameter) ---------------------------------
    def sgd_step(self, param, grad, buf, lr, weight_decay, momentum, dampening, nesterov,
                 maximize, first):  # fmt: skip
        if not _float(param):
            return super().sgd_step(param, grad, buf, lr, weight_decay, momentum, dampening,
                                    nesterov, maximize, first)  # fmt: skip
        momentum_on = momentum != 0
        variant = (bool(maximize), weight_decay != 0, momentum_on, momentum_on and bool(first),
                   bool(nesterov))  # fmt: skip
        k = self._fuse("sgd_step", _make_sgd, *variant)
        if buf is None:
            buf = param  # unused by the kernel without momentum
        k(param, grad, buf, lr, weight_decay, momentum, 1 - dampening)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt):  # fmt: skip
        w = float(param.dtype.type(1 - beta1))
        if not _float(param):
            return super().adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1,
                                     beta2, eps, weight_decay, decoupled, maximize, step_size,
                                     bias_correction2_sqrt)  # fmt: skip
        has_wd = weight_decay != 0
        amsgrad = max_exp_avg_sq is not None
        variant = (bool(maximize), has_wd and not decoupled, has_wd and decoupled, abs(w) < 0.5,
                   amsgrad)  # fmt: skip
        k = self._fuse("adam_step", _make_adam, *variant)
        vmax = max_exp_avg_sq if amsgrad else exp_avg_sq  # unused without amsgrad
        k(param, grad, exp_avg, exp_avg_sq, vmax, 1 - lr * weight_decay, weight_decay, w, beta2,
          1 - beta2, eps, bias_correction2_sqrt, -step_size)  # fmt: skip

    # --- recurrent cells ------------------------------------------------------------------
    def lstm_cell_gates(self, gates, c):
        if not _float(gates):
            return super().lstm_cell_gates(gates, c)
        parts = _parts(gates, c.shape[-1], 4)
        return self._fuse("lstm_cell_gates", _make_lstm)(*parts, c)

    def lstm_cell_gates_backward(self, gh, gc, gates, c):
        if not _float(gates):
            return super().lstm_cell_gates_backward(gh, gc, gates, c)
        parts = _parts(gates, c.shape[-1], 4)
        k = self._fuse("lstm_cell_gates_backward", _make_lstm_backward)
        di, df, dg, do, dc_prev = k(gh, gc, *parts, c)
        return self.xp.concatenate([di, df, dg, do], axis=-1), dc_prev

    def gru_cell_gates(self, gi, gh, h):
        if not _float(gi):
            return super().gru_cell_gates(gi, gh, h)
        k = h.shape[-1]
        fn = self._fuse("gru_cell_gates", _make_gru)
        return fn(*_parts(gi, k, 3), *_parts(gh, k, 3), h)

    # --- GEMM -----------------------------------------------------------------------------
    def matmul(self, x, y):
        """x @ y on cuBLAS; float32 in TF32 when torch's flags allow it (off by default)."""
        xp = self.xp
        want = _settings.get_float32_matmul_precision() != "highest"
        if want is not _tf32.get(id(xp), False):
            linalg = getattr(getattr(xp, "_core", None), "_routines_linalg", None)
            if linalg is not None:
                mode = linalg.COMPUTE_TYPE_TF32 if want else linalg.COMPUTE_TYPE_DEFAULT
                linalg.set_compute_type(np.float32, mode)
            _tf32[id(xp)] = want
        return xp.matmul(x, y)
