"""Numerical gradient checks by central differences (as torch.autograd.gradcheck/gradgradcheck)."""

import numpy as np

from mytorch import _core
from mytorch._core import TensorBase


class GradcheckError(RuntimeError):
    """Raised when an analytical gradient disagrees with the numerical one."""


def _tensors(inputs):
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _flat_outputs(func, inputs):
    out = func(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _numerical_jacobian(func, inputs, wrt, eps):
    """J[k][i] = d out_k / d input_i by central differences, perturbing each element in place."""
    outs = [o for o in _flat_outputs(func, inputs)]
    jac = [[np.zeros((np.size(inputs[i]._data), np.size(o._data))) for i in wrt] for o in outs]
    for col, i in enumerate(wrt):
        t = inputs[i]
        base = np.array(t._data, dtype=t._data.dtype)
        flat = base.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            t._data = base.copy()
            plus = [np.array(o._data, dtype=np.float64).reshape(-1) for o in _flat_outputs(func, inputs)]
            flat[j] = orig - eps
            t._data = base.copy()
            minus = [np.array(o._data, dtype=np.float64).reshape(-1) for o in _flat_outputs(func, inputs)]
            flat[j] = orig
            t._data = base.copy() if base.ndim else base[()]
            for k in range(len(outs)):
                jac[k][col][j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, wrt):
    from mytorch.autograd import grad

    outs = _flat_outputs(func, inputs)
    jac = [[np.zeros((np.size(inputs[i]._data), np.size(o._data))) for i in wrt] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(np.size(o._data)):
            seed = np.zeros(np.size(o._data), dtype=o._data.dtype)
            seed[j] = 1
            g_out = _core._wrap(seed.reshape(np.shape(o._data))[()])
            gs = grad(o, [inputs[i] for i in wrt], g_out, retain_graph=True, create_graph=False, allow_unused=True)
            for col, g in enumerate(gs):
                if g is not None:
                    jac[k][col][:, j] = np.asarray(g._data, dtype=np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """True when ``func``'s gradients match central differences (inputs should be float64)."""
    inputs = _tensors(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    num = _numerical_jacobian(func, inputs, wrt, eps)
    ana = _analytical_jacobian(func, inputs, wrt)
    for k in range(len(num)):
        for col in range(len(wrt)):
            if not np.allclose(ana[k][col], num[k][col], atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {wrt[col]},\n"
                        f"numerical:{num[k][col]}\nanalytical:{ana[k][col]}\n"
                    )
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """True when the gradients of ``func``'s VJP match central differences (second order)."""
    from mytorch.autograd import grad

    inputs = _tensors(inputs)
    outs = _flat_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _core._wrap(rng.standard_normal(np.shape(o._data)).astype(o._data.dtype)[()], requires_grad=True)
            for o in outs
        )
    grad_outputs = _tensors(grad_outputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]

    def vjp(*args):
        xs = args[: len(inputs)]
        gos = args[len(inputs) :]
        o = _flat_outputs(func, xs)
        gs = grad(o, [xs[i] for i in wrt], gos, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else _core._wrap(np.zeros_like(np.asarray(xs[i]._data))[()]) for g, i in zip(gs, wrt))

    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
