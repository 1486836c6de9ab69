"""The NumPy reference backend: one function per kernel name the op table uses.

Every kernel takes and returns NumPy arrays (or NumPy scalars for 0-d results) of the dtype it
was given; dtype promotion has already been done by the caller (mytorch._core.apply*).
"""

import operator

import numpy as np
from scipy.special import expit as _expit

# NOTE: operators, not ufuncs: on NumPy scalars (0-d tensors) `x * y` takes ~40 ns while
# np.multiply(x, y) takes ~450 ns; on arrays both run the same ufunc loop.
add = operator.add
sub = operator.sub
mul = operator.mul
div = operator.truediv
neg = operator.neg
exp = np.exp
log = np.log
sin = np.sin
cos = np.cos
tan = np.tan
tanh = np.tanh
sqrt = np.sqrt
abs = np.absolute
sign = np.sign
sigmoid = _expit  # NOTE: 1 / (1 + exp(-x)) without overflow warnings for large |x|
lt = operator.lt
le = operator.le
gt = operator.gt
ge = operator.ge
eq = operator.eq
ne = operator.ne
maximum = np.maximum
minimum = np.minimum
matmul = np.matmul


def pow(x, y):
    """out = x ** y; integer tensors to negative integer powers raise, as in PyTorch."""
    try:
        return x**y
    except ValueError as e:
        raise RuntimeError(str(e)) from None


def relu(x):
    """out = max(x, 0), NaN kept."""
    return np.maximum(x, x.dtype.type(0))


def sum(x, dim, keepdim):
    """Sum over ``dim`` (None for all); integers and bool accumulate in int64 as in PyTorch."""
    if x.dtype.kind in "biu":
        return np.sum(x, axis=dim, keepdims=keepdim, dtype=np.int64)
    return np.sum(x, axis=dim, keepdims=keepdim)


def mean(x, dim, keepdim):
    return np.mean(x, axis=dim, keepdims=keepdim, dtype=x.dtype)


def sum_to(x, shape):
    """Sum a broadcast array back down to ``shape`` (the inverse of broadcasting)."""
    nd = x.ndim - len(shape)
    axes = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape) if s == 1 and x.shape[i + nd] != 1)
    if axes:
        x = np.sum(x, axis=axes, keepdims=True)
        if nd:
            x = x.reshape(shape)
    return x


def expand(x, shape):
    return np.broadcast_to(x, shape)


def reshape(x, shape):
    return np.reshape(x, shape)


def transpose(x, dim0, dim1):
    return np.swapaxes(x, dim0, dim1)


def permute(x, dims):
    return np.transpose(x, dims)


def getitem(x, index):
    return x[index]


def index_backward(g, shape, index, basic):
    """Scatter ``g`` into zeros of ``shape`` at ``index`` (summing repeats for advanced indices)."""
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def to_dtype(x, np_dtype):
    return x.astype(np_dtype)


def clone(x):
    return x.copy()


def where(cond, x, y):
    return np.where(cond, x, y)


def amax(x, dim, keepdim):
    return np.amax(x, axis=dim, keepdims=keepdim)


def amin(x, dim, keepdim):
    return np.amin(x, axis=dim, keepdims=keepdim)


def cat(*arrays_and_dim):
    *arrays, dim = arrays_and_dim
    return np.concatenate(arrays, axis=dim)


def stack(*arrays_and_dim):
    *arrays, dim = arrays_and_dim
    return np.stack(arrays, axis=dim)


# Fused backward kernels (their primitives are declared in mytorch._fused).
def sigmoid_backward(grad, y):
    """out = grad * y * (1 - y): sigmoid's VJP from its result."""
    return grad * y * (1 - y)


def tanh_backward(grad, y):
    """out = grad * (1 - y * y): tanh's VJP from its result."""
    return grad * (1 - y * y)


def relu_backward(grad, y):
    """out = grad * (y > 0): relu's VJP from its result."""
    return grad * (y > 0)
