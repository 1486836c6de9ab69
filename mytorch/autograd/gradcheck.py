"""Numerical gradient checks by central differences (as torch.autograd.gradcheck/gradgradcheck).

The Jacobians are host-side bookkeeping in NumPy float64; tensor data crosses to and from its
device only through its backend (``to_numpy``/``from_numpy``), so the checks run on any device.
"""

import numpy as np

from mytorch import _backends
from mytorch._autograd import grad
from mytorch._core import TensorBase, _full_like, _wrap


class GradcheckError(RuntimeError):
    """Raised when an analytical gradient disagrees with the numerical one."""


def _tensors(inputs):
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _flat_outputs(func, inputs):
    out = func(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _host(t):
    """A float64 host copy of a tensor's values, flattened."""
    d = t._data
    return np.asarray(_backends.for_array(d).to_numpy(d), dtype=np.float64).reshape(-1)


def _numerical_jacobian(func, inputs, wrt, eps):
    """J[k][i] = d out_k / d input_i by central differences, perturbing one element at a time."""
    outs = _flat_outputs(func, inputs)
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in wrt] for o in outs]
    for col, i in enumerate(wrt):
        t = inputs[i]
        orig_data = t._data
        be = _backends.for_array(orig_data)
        base = np.array(be.to_numpy(orig_data))
        flat = base.reshape(-1)
        try:
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                t._data = be.scalar(be.from_numpy(base.copy()))
                plus = [_host(o) for o in _flat_outputs(func, inputs)]
                flat[j] = orig - eps
                t._data = be.scalar(be.from_numpy(base.copy()))
                minus = [_host(o) for o in _flat_outputs(func, inputs)]
                flat[j] = orig
                for k in range(len(outs)):
                    jac[k][col][j] = (plus[k] - minus[k]) / (2 * eps)
        finally:
            t._data = orig_data
    return jac


def _analytical_jacobian(func, inputs, wrt):
    outs = _flat_outputs(func, inputs)
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in wrt] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        be = _backends.for_array(o._data)
        for j in range(o.numel()):
            seed = np.zeros(o.numel(), dtype=o._data.dtype)
            seed[j] = 1
            g_out = _wrap(be.scalar(be.from_numpy(seed.reshape(tuple(o.shape)))))
            gs = grad(
                o,
                [inputs[i] for i in wrt],
                g_out,
                retain_graph=True,
                create_graph=False,
                allow_unused=True,
            )
            for col, g in enumerate(gs):
                if g is not None:
                    jac[k][col][:, j] = _host(g)
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


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    **kwargs,
):
    """True when the gradients of ``func``'s VJP match central differences (second order)."""
    inputs = _tensors(inputs)
    outs = _flat_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = []
        for o in outs:
            be = _backends.for_array(o._data)
            v = rng.standard_normal(tuple(o.shape)).astype(o._data.dtype)
            grad_outputs.append(_wrap(be.scalar(be.from_numpy(v)), requires_grad=True))
    grad_outputs = _tensors(grad_outputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]

    def vjp(*args):
        xs = args[: len(inputs)]
        gos = args[len(inputs) :]
        o = _flat_outputs(func, xs)
        gs = grad(o, [xs[i] for i in wrt], gos, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else _full_like(xs[i], 0) for g, i in zip(gs, wrt))

    return gradcheck(
        vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )
