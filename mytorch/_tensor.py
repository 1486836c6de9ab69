"""The public Tensor class: operators and methods over the compiled TensorBase."""

import numpy as np

from mytorch import _core
from mytorch import _dtype as D
from mytorch import _ops as F
from mytorch._core import TensorBase, _wrap, apply1, apply2, is_grad_enabled
from mytorch._ops import ADD, DIV, EQ, GE, GT, LE, LT, MUL, NE, NEG, RSUB, SUB


class Tensor(TensorBase):
    """An n-dimensional array that records the ops applied to it. Matches torch.Tensor."""

    __slots__ = ()

    # --- arithmetic ------------------------------------------------------------------
    def __add__(self, other):
        return apply2(ADD, self, other)

    def __radd__(self, other):
        return apply2(ADD, other, self)

    def __sub__(self, other):
        return apply2(SUB, self, other)

    def __rsub__(self, other):
        return apply2(RSUB, other, self)

    def __mul__(self, other):
        return apply2(MUL, self, other)

    def __rmul__(self, other):
        return apply2(MUL, other, self)

    def __truediv__(self, other):
        return apply2(DIV, self, other)

    def __rtruediv__(self, other):
        return apply2(DIV, other, self)

    def __pow__(self, other):
        return F.pow(self, other)

    def __rpow__(self, other):
        return F.pow(other, self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __neg__(self):
        return apply1(NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return F.abs(self)

    def __floordiv__(self, other):
        return F.div(self, other, rounding_mode="floor")

    def __rfloordiv__(self, other):
        return F.div(other, self, rounding_mode="floor")

    def __mod__(self, other):
        return self - F.div(self, other, rounding_mode="floor") * other

    # --- comparisons (no gradient) ----------------------------------------------------
    def __lt__(self, other):
        return apply2(LT, self, other)

    def __le__(self, other):
        return apply2(LE, self, other)

    def __gt__(self, other):
        return apply2(GT, self, other)

    def __ge__(self, other):
        return apply2(GE, self, other)

    def __eq__(self, other):
        if other is None:
            return False
        return apply2(EQ, self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return apply2(NE, self, other)

    def __hash__(self):
        # NOTE: defining __eq__ (elementwise) would otherwise make tensors unhashable.
        return id(self)

    # --- logical (bool and integer tensors) -------------------------------------------
    def __and__(self, other):
        return _logical(np.bitwise_and, self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _logical(np.bitwise_or, self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _logical(np.bitwise_xor, self, other)

    __rxor__ = __xor__

    def __invert__(self):
        if self.dtype.category > D.INT:
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _wrap(np.invert(self._data))

    # --- in place ---------------------------------------------------------------------
    def _inplace(self, result):
        """Make ``self`` hold ``result``: in its own buffer when no graph is involved."""
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(result._data.shape)}"
            )
        if is_grad_enabled() and (self._requires_grad or result._requires_grad):
            if self._grad_fn is None and self._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            # NOTE: out of place under the hood. The op that computed ``result`` saved ``self``
            # as it was; give that node a snapshot so rebinding ``self`` does not change it.
            node = result._grad_fn
            if node is not None and node.saved is not None:
                before = _wrap(self._data)
                before._grad_fn = self._grad_fn
                before._requires_grad = self._requires_grad
                node.saved = tuple(before if s is self else s for s in node.saved)
            self._data = result._data
            self._grad_fn = node
            self._requires_grad = True
            return self
        rd = result._data
        if rd.dtype != self._data.dtype:
            if D.from_numpy_dtype(rd.dtype).category > self.dtype.category:
                raise RuntimeError(
                    f"result type {D.from_numpy_dtype(rd.dtype).name.capitalize()} can't be cast to the "
                    f"desired output type {self.dtype.name.capitalize()}"
                )
            rd = rd.astype(self._data.dtype)
        d = self._data
        if isinstance(d, np.ndarray) and d.flags.writeable:
            d[...] = rd
        else:
            self._data = np.array(np.broadcast_to(rd, d.shape), dtype=d.dtype)
            if self._data.ndim == 0:
                self._data = self._data[()]
        return self

    def __iadd__(self, other):
        return self._inplace(self + other)

    def __isub__(self, other):
        return self._inplace(self - other)

    def __imul__(self, other):
        return self._inplace(self * other)

    def __itruediv__(self, other):
        return self._inplace(self / other)

    def add_(self, other, alpha=1):
        return self._inplace(F.add(self, other, alpha=alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(F.sub(self, other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(self * other)

    def div_(self, other):
        return self._inplace(self / other)

    def zero_(self):
        """Matches torch.Tensor.zero_."""
        return self.fill_(0)

    def fill_(self, value):
        """Matches torch.Tensor.fill_."""
        if is_grad_enabled() and self._requires_grad and self._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        d = self._data
        if isinstance(d, np.ndarray) and d.flags.writeable:
            d.fill(value)
        else:
            self._data = d.dtype.type(value) if d.ndim == 0 else np.full(d.shape, value, dtype=d.dtype)
        return self

    def copy_(self, src):
        """Matches torch.Tensor.copy_ (no gradient through it)."""
        src = src._data if isinstance(src, TensorBase) else np.asarray(src)
        return self._inplace(_wrap(np.broadcast_to(np.asarray(src), self._data.shape)))

    def clamp_(self, min=None, max=None):
        return self._inplace(self.clamp(min, max))

    def normal_(self, mean=0.0, std=1.0):
        from mytorch._random import _generator

        return self._inplace(_wrap(_generator().normal(mean, std, self._data.shape).astype(self._data.dtype)))

    def uniform_(self, a=0.0, b=1.0):
        from mytorch._random import _generator

        return self._inplace(_wrap(_generator().uniform(a, b, self._data.shape).astype(self._data.dtype)))

    # --- autograd ---------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Matches torch.Tensor.backward."""
        from mytorch.autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Matches torch.Tensor.register_hook: ``hook(grad)`` may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = _core._edge(self)
        node.register_hook(hook)
        return _Handle(node, hook)

    # --- conversion -------------------------------------------------------------------
    def numpy(self, force=False):
        """Matches torch.Tensor.numpy (shares memory; refuses tensors that require grad)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        d = self._data
        return d if isinstance(d, np.ndarray) else np.asarray(d)

    def tolist(self):
        """Matches torch.Tensor.tolist."""
        return self._data.tolist()

    def to(self, *args, **kwargs):
        """Matches torch.Tensor.to for dtypes and the cpu device."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, TensorBase):
                dtype = a.dtype
            else:
                from mytorch._device import device as _device

                _device(a)  # validates; cpu only here
        if "device" in kwargs:
            from mytorch._device import device as _device

            _device(kwargs["device"])
        if dtype is None:
            return self
        return F.to_dtype(self, dtype)

    def type(self, dtype=None):
        if dtype is None:
            return {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "int64": "torch.LongTensor",
                    "int32": "torch.IntTensor", "bool": "torch.BoolTensor", "float16": "torch.HalfTensor",
                    "uint8": "torch.ByteTensor", "int16": "torch.ShortTensor", "int8": "torch.CharTensor"}.get(
                        self.dtype.name, "torch." + self.dtype.name)
        return self.to(dtype)

    def float(self):
        return F.to_dtype(self, D.float32)

    def double(self):
        return F.to_dtype(self, D.float64)

    def half(self):
        return F.to_dtype(self, D.float16)

    def int(self):
        return F.to_dtype(self, D.int32)

    def long(self):
        return F.to_dtype(self, D.int64)

    def bool(self):
        return F.to_dtype(self, D.bool_)

    def cpu(self):
        return self

    @property
    def device(self):
        from mytorch._device import CPU

        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def T(self):
        nd = self._data.ndim
        return F.permute(self, tuple(range(nd - 1, -1, -1)))

    @property
    def mT(self):
        return F.transpose(self, -2, -1)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        from mytorch._repr import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __getitem__(self, index):
        return F.getitem(self, index)

    def __setitem__(self, index, value):
        if is_grad_enabled() and self._requires_grad and self._grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if isinstance(value, TensorBase):
            if value._requires_grad and is_grad_enabled():
                raise NotImplementedError("mytorch: assigning a tensor that requires grad into a slice is not supported")
            value = value._data
        idx, _, _ = F._normalize_index(index, self._data.shape)
        d = self._data
        if not isinstance(d, np.ndarray):
            d = np.array(d)
        d[idx] = value
        self._data = d

    def __reduce__(self):
        return (_rebuild, (np.asarray(self._data), self._requires_grad))

    def __deepcopy__(self, memo):
        t = _wrap(np.array(self._data, copy=True))
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = _wrap(np.array(self._grad._data, copy=True))
        memo[id(self)] = t
        return t

    # --- methods that forward to the functional ops -----------------------------------
    def add(self, other, alpha=1):
        return F.add(self, other, alpha=alpha)

    def sub(self, other, alpha=1):
        return F.sub(self, other, alpha=alpha)

    def mul(self, other):
        return F.mul(self, other)

    def div(self, other, rounding_mode=None):
        return F.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return F.pow(self, exponent)

    def neg(self):
        return F.neg(self)

    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def sin(self):
        return F.sin(self)

    def cos(self):
        return F.cos(self)

    def tan(self):
        return F.tan(self)

    def tanh(self):
        return F.tanh(self)

    def sigmoid(self):
        return F.sigmoid(self)

    def relu(self):
        return F.relu(self)

    def sqrt(self):
        return F.sqrt(self)

    def abs(self):
        return F.abs(self)

    def sign(self):
        return F.sign(self)

    def sum(self, dim=None, keepdim=False, dtype=None):
        return F.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return F.mean(self, dim, keepdim, dtype=dtype)

    def amax(self, dim=(), keepdim=False):
        return F.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return F.amin(self, dim, keepdim)

    def maximum(self, other):
        return F.maximum(self, other)

    def minimum(self, other):
        return F.minimum(self, other)

    def reshape(self, *shape):
        return F.reshape(self, *shape)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], D.dtype):
            raise NotImplementedError("mytorch: view(dtype) is not supported")
        return F.reshape(self, *shape)

    def view_as(self, other):
        return F.reshape(self, other.shape)

    def reshape_as(self, other):
        return F.reshape(self, other.shape)

    def expand(self, *sizes):
        return F.expand(self, *sizes)

    def expand_as(self, other):
        return F.expand(self, other.shape)

    def unsqueeze(self, dim):
        return F.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return F.squeeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return F.permute(self, *dims)

    def t(self):
        return F.t(self)

    def matmul(self, other):
        return F.matmul(self, other)

    def mm(self, mat2):
        return F.mm(self, mat2)

    def dot(self, other):
        return F.dot(self, other)

    def contiguous(self, memory_format=None):
        return self

    def is_contiguous(self, memory_format=None):
        d = self._data
        return not isinstance(d, np.ndarray) or d.flags.c_contiguous

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def element_size(self):
        return self._data.itemsize

    def clone(self, memory_format=None):
        return F.clone(self)

    def select(self, dim, index):
        return F.select(self, dim, index)

    def narrow(self, dim, start, length):
        return F.narrow(self, dim, start, length)

    def lt(self, other):
        return F.lt(self, other)

    def le(self, other):
        return F.le(self, other)

    def gt(self, other):
        return F.gt(self, other)

    def ge(self, other):
        return F.ge(self, other)

    def eq(self, other):
        return F.eq(self, other)

    def ne(self, other):
        return F.ne(self, other)

    def equal(self, other):
        return self.shape == other.shape and bool(np.all(self._data == other._data))

    def clamp(self, min=None, max=None):
        out = self
        if min is not None:
            out = F.maximum(out, min)
        if max is not None:
            out = F.minimum(out, max)
        return out

    clip = clamp

    def trunc(self):
        return _wrap(np.trunc(self._data))

    def floor(self):
        return _wrap(np.floor(self._data))

    def ceil(self):
        return _wrap(np.ceil(self._data))

    def round(self):
        return _wrap(np.round(self._data))

    def argmax(self, dim=None, keepdim=False):
        return _arg_reduce(np.argmax, self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _arg_reduce(np.argmin, self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        from mytorch._functions import max as _max

        return _max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        from mytorch._functions import min as _min

        return _min(self, dim, keepdim)

    def softmax(self, dim):
        from mytorch._functions import softmax

        return softmax(self, dim)

    def log_softmax(self, dim):
        from mytorch._functions import log_softmax

        return log_softmax(self, dim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        from mytorch._functions import var

        return var(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        from mytorch._functions import std

        return std(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)

    def all(self):
        return _wrap(np.all(self._data))

    def any(self):
        return _wrap(np.any(self._data))

    def square(self):
        return self * self

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        from mytorch._creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        from mytorch._creation import ones

        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False):
        from mytorch._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _logical(fn, a, b):
    x = a._data if isinstance(a, TensorBase) else a
    y = b._data if isinstance(b, TensorBase) else b
    for v in (x, y):
        kind = np.asarray(v).dtype.kind
        if kind in "fc":
            name = {"f": "Float", "c": "ComplexFloat"}[kind]
            raise NotImplementedError(f'"{fn.__name__}_cpu" not implemented for \'{name}\'')
    return _wrap(fn(x, y))


def _arg_reduce(fn, t, dim, keepdim):
    if dim is None:
        out = np.int64(fn(t._data))
        if keepdim:
            out = np.reshape(out, (1,) * t._data.ndim)
        return _wrap(out)
    d = _core._wrap_dim(dim, t._data.ndim)
    return _wrap(np.asarray(fn(t._data, axis=d, keepdims=keepdim), dtype=np.int64))


def _rebuild(array, requires_grad):
    t = _wrap(array if array.ndim else array[()])
    t._requires_grad = requires_grad
    return t


class _Handle:
    """What register_hook returns: ``remove()`` takes the hook off again."""

    def __init__(self, node, hook):
        self._node = node
        self._hook = hook

    def remove(self):
        hooks = self._node.hooks
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)


_core._set_tensor_class(Tensor)
