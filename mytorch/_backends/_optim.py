"""The reference kernels of the optimizers (mytorch.optim), written once against ``xp``: a base
class of reference.Backend.

Each kernel updates its parameter and state arrays in place, with torch's single-tensor
algorithm and its order of operations (so float64 results agree to rounding): the scalars
(learning rates, bias corrections) arrive as Python floats computed by the optimizer, and an
operation of a float32 array with a Python float runs in float32 as torch's does. ``grad``
may be any array of the parameter's shape (a broadcast view, a NumPy scalar): it is only read.
"""


def _scalar(x, value):
    """``value`` rounded to the precision of array ``x`` (torch casts a scalar operand so)."""
    return float(x.dtype.type(value))


class OptimKernels:
    """The optimizers' update steps over ``self.xp`` (the compiled backend overrides some)."""

    def _into(self, fn, a, *args):
        """fn(a, *args), written into the temporary a where it is an array (a 0-d result of
        NumPy is an immutable scalar: then a new value)."""
        if isinstance(a, self.xp.ndarray):
            return fn(a, *args, out=a)
        return fn(a, *args)

    def _into_right(self, fn, x, a):
        """fn(x, a), written into the temporary a where it is an array."""
        if isinstance(a, self.xp.ndarray):
            return fn(x, a, out=a)
        return fn(x, a)

    def _lerp_(self, a, b, w):
        """a = lerp(a, b, w) in place, with torch's two formulas (w rounded to a's dtype)."""
        xp = self.xp
        w32 = a.dtype.type(w)
        d = xp.subtract(b, a)
        if abs(w32) < 0.5:
            d = self._into(xp.multiply, d, float(w32))
            xp.add(a, d, out=a)
        else:
            d = self._into(xp.multiply, d, float(a.dtype.type(1) - w32))
            xp.subtract(b, d, out=a)

    def _addcmul_(self, a, t1, t2, value):
        """a += value * t1 * t2 in place (torch's order: (value * t1) * t2)."""
        xp = self.xp
        tmp = xp.multiply(t1, value)
        tmp = self._into(xp.multiply, tmp, t2)
        xp.add(a, tmp, out=a)

    def _addcdiv_(self, a, t1, t2, value):
        """a += value * (t1 / t2) in place."""
        xp = self.xp
        tmp = xp.divide(t1, t2)
        tmp = self._into(xp.multiply, tmp, value)
        xp.add(a, tmp, out=a)

    def _grad_in(self, param, grad, weight_decay, maximize):
        """The gradient a step uses: negated to maximize, plus weight_decay * param (a new
        array where either applies, else ``grad`` itself)."""
        xp = self.xp
        if maximize:
            grad = xp.negative(grad)
        if weight_decay != 0:
            grad = xp.add(grad, xp.multiply(param, weight_decay))
        return grad

    def sgd_step(self, param, grad, buf, lr, weight_decay, momentum, dampening, nesterov,
                 maximize, first):  # fmt: skip
        """One SGD step in place; ``buf`` (momentum != 0) is set to the gradient when first."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        if momentum != 0:
            if first:
                xp.copyto(buf, g)
            else:
                xp.multiply(buf, momentum, out=buf)
                xp.add(buf, xp.multiply(g, 1 - dampening), out=buf)
            g = xp.add(g, xp.multiply(buf, momentum)) if nesterov else buf
        xp.subtract(param, xp.multiply(g, lr), out=param)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt):  # fmt: skip
        """One Adam (decoupled: AdamW) step in place; max_exp_avg_sq is None without amsgrad."""
        xp = self.xp
        if decoupled and weight_decay != 0:
            xp.multiply(param, 1 - lr * weight_decay, out=param)
            g = self._grad_in(param, grad, 0, maximize)
        else:
            g = self._grad_in(param, grad, weight_decay, maximize)
        self._lerp_(exp_avg, g, 1 - beta1)
        xp.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        self._addcmul_(exp_avg_sq, g, g, 1 - beta2)
        v = exp_avg_sq
        if max_exp_avg_sq is not None:
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            v = max_exp_avg_sq
        denom = xp.sqrt(v)
        denom = self._into(xp.divide, denom, bias_correction2_sqrt)
        denom = self._into(xp.add, denom, eps)
        self._addcdiv_(param, exp_avg, denom, -step_size)

    def adam_steps(self, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step_sizes,
                   bias_correction2_sqrts, lr, beta1, beta2, eps, weight_decay, decoupled,
                   maximize):  # fmt: skip
        """adam_step over lists of arrays (a parameter group): each tensor's own step_size and
        bias_correction2_sqrt; max_exp_avg_sqs is None without amsgrad."""
        for k, param in enumerate(params):
            vmax = None if max_exp_avg_sqs is None else max_exp_avg_sqs[k]
            self.adam_step(param, grads[k], exp_avgs[k], exp_avg_sqs[k], vmax, lr, beta1, beta2,
                           eps, weight_decay, decoupled, maximize, step_sizes[k],
                           bias_correction2_sqrts[k])  # fmt: skip

    def rmsprop_step(self, param, grad, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                     momentum, maximize):  # fmt: skip
        """One RMSprop step in place; grad_avg (centered) and buf (momentum) may be None."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        xp.multiply(square_avg, alpha, out=square_avg)
        self._addcmul_(square_avg, g, g, 1 - alpha)
        if grad_avg is not None:
            self._lerp_(grad_avg, g, 1 - alpha)
            avg = xp.multiply(grad_avg, -1.0)
            avg = self._into(xp.multiply, avg, grad_avg)
            avg = self._into_right(xp.add, square_avg, avg)
            avg = self._into(xp.sqrt, avg)
        else:
            avg = xp.sqrt(square_avg)
        avg = self._into(xp.add, avg, eps)
        if buf is not None:
            xp.multiply(buf, momentum, out=buf)
            self._addcdiv_(buf, g, avg, 1.0)
            xp.subtract(param, xp.multiply(buf, lr), out=param)
        else:
            self._addcdiv_(param, g, avg, -lr)

    def adagrad_step(self, param, grad, state_sum, clr, weight_decay, eps, maximize):
        """One Adagrad step in place at learning rate clr."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        self._addcmul_(state_sum, g, g, 1.0)
        std = xp.sqrt(state_sum)
        std = self._into(xp.add, std, eps)
        self._addcdiv_(param, g, std, -clr)

    def adadelta_step(self, param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay,
                      maximize):  # fmt: skip
        """One Adadelta step in place."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        xp.multiply(square_avg, rho, out=square_avg)
        self._addcmul_(square_avg, g, g, 1 - rho)
        std = xp.add(square_avg, eps)
        std = self._into(xp.sqrt, std)
        delta = xp.add(acc_delta, eps)
        delta = self._into(xp.sqrt, delta)
        delta = self._into(xp.divide, delta, std)
        delta = self._into(xp.multiply, delta, g)
        xp.multiply(acc_delta, rho, out=acc_delta)
        self._addcmul_(acc_delta, delta, delta, 1 - rho)
        xp.subtract(param, xp.multiply(delta, lr), out=param)

    def adamax_step(self, param, grad, exp_avg, exp_inf, clr, beta1, beta2, eps, weight_decay,
                    maximize):  # fmt: skip
        """One Adamax step in place at bias-corrected learning rate clr."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        self._lerp_(exp_avg, g, 1 - beta1)
        xp.multiply(exp_inf, beta2, out=exp_inf)
        norm = xp.abs(g)
        norm = self._into(xp.add, norm, eps)
        xp.maximum(exp_inf, norm, out=exp_inf)
        self._addcdiv_(param, exp_avg, exp_inf, -clr)

    def nadam_step(self, param, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, weight_decay,
                   decay, bias_correction2, grad_coef, avg_coef, maximize):  # fmt: skip
        """One NAdam step in place; ``decay`` (decoupled weight decay) scales param first."""
        xp = self.xp
        if decay is not None:
            xp.multiply(param, decay, out=param)
            weight_decay = 0
        g = self._grad_in(param, grad, weight_decay, maximize)
        self._lerp_(exp_avg, g, 1 - beta1)
        xp.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        self._addcmul_(exp_avg_sq, g, g, 1 - beta2)
        denom = xp.divide(exp_avg_sq, bias_correction2)
        denom = self._into(xp.sqrt, denom)
        denom = self._into(xp.add, denom, eps)
        self._addcdiv_(param, g, denom, grad_coef)
        self._addcdiv_(param, exp_avg, denom, avg_coef)

    def radam_step(self, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                   decay, bias_correction1, bias_correction2, rect, maximize):  # fmt: skip
        """One RAdam step in place; ``rect`` is None where the variance is not tractable."""
        xp = self.xp
        if decay is not None:
            xp.multiply(param, decay, out=param)
            weight_decay = 0
        g = self._grad_in(param, grad, weight_decay, maximize)
        self._lerp_(exp_avg, g, 1 - beta1)
        xp.multiply(exp_avg_sq, beta2, out=exp_avg_sq)
        self._addcmul_(exp_avg_sq, g, g, 1 - beta2)
        upd = xp.divide(exp_avg, bias_correction1)
        upd = self._into(xp.multiply, upd, lr)
        if rect is not None:
            adaptive = xp.sqrt(exp_avg_sq)
            adaptive = self._into(xp.add, adaptive, eps)
            adaptive = self._into_right(xp.divide, bias_correction2**0.5, adaptive)
            upd = self._into(xp.multiply, upd, adaptive)
            upd = self._into(xp.multiply, upd, rect)
        xp.subtract(param, upd, out=param)

    def asgd_step(self, param, grad, ax, eta, lambd, mu, weight_decay, maximize):
        """One ASGD step in place (eta and mu: the values the step uses)."""
        xp = self.xp
        g = self._grad_in(param, grad, weight_decay, maximize)
        xp.multiply(param, 1 - lambd * eta, out=param)
        xp.subtract(param, xp.multiply(g, eta), out=param)
        if mu != 1:
            d = xp.subtract(param, ax)
            d = self._into(xp.multiply, d, mu)
            xp.add(ax, d, out=ax)
        else:
            xp.copyto(ax, param)

    def rprop_step(self, param, grad, prev, step_size, etaminus, etaplus, step_size_min,
                   step_size_max, maximize):  # fmt: skip
        """One Rprop step in place."""
        xp = self.xp
        g = xp.negative(grad) if maximize else grad
        sign = xp.sign(xp.multiply(g, prev))
        factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0))
        factor = factor.astype(step_size.dtype, copy=False)
        xp.multiply(step_size, factor, out=step_size)
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        g = xp.where(sign < 0, 0, g).astype(param.dtype, copy=False)
        upd = xp.sign(g)
        upd = self._into(xp.multiply, upd, step_size)
        xp.subtract(param, upd, out=param)
        xp.copyto(prev, g)
