"""Tensor's methods, grouped like mytorch._ops; the fields and hot operators are in _core.

Each method forwards to the torch-named function through the registry (``F.sum`` is
``mytorch.sum``), so this module stands below the op families and imports none of them.
"""

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _device
from mytorch._grad_mode import is_grad_enabled
from mytorch._registry import F
from mytorch._repr import tensor_repr


def _be(t):
    return _backends.for_array(t._data)


class TensorMethods:
    """The methods of mytorch.Tensor other than its fields and hot operators."""

    __slots__ = ()

    # --- operators that are not hot ----------------------------------------------------
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

    def __and__(self, other):
        return F.bitwise_and(self, other)

    def __rand__(self, other):
        return F.bitwise_and(other, self)

    def __or__(self, other):
        return F.bitwise_or(self, other)

    def __ror__(self, other):
        return F.bitwise_or(other, self)

    def __xor__(self, other):
        return F.bitwise_xor(self, other)

    def __rxor__(self, other):
        return F.bitwise_xor(other, self)

    def __invert__(self):
        return F.bitwise_not(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (F.getitem(self, i) for i in range(self._data.shape[0]))

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        return tensor_repr(self)

    __str__ = __repr__

    # --- in place ----------------------------------------------------------------------
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
                before = self.detach()
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
                    f"result type {D.from_numpy_dtype(rd.dtype).name.capitalize()} can't be "
                    f"cast to the desired output type {self.dtype.name.capitalize()}"
                )
            rd = rd.astype(self._data.dtype)
        self._data = _be(self).assign(self._data, rd)
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
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        self._data = _be(self).fill(self._data, value)
        return self

    def copy_(self, src):
        """Matches torch.Tensor.copy_ (no gradient through it); copies across devices too."""
        if not isinstance(src, TensorMethods):
            src = F.tensor(src, dtype=self.dtype)
        if src.device != self.device:
            src = src.to(self.device)
        return self._inplace(F.expand(src.detach(), self._data.shape))

    def clamp_(self, min=None, max=None):
        return self._inplace(self.clamp(min, max))

    def normal_(self, mean=0.0, std=1.0):
        return self._inplace(F.randn_like(self) * std + mean)

    def uniform_(self, a=0.0, b=1.0):
        return self._inplace(F.rand_like(self) * (b - a) + a)

    def __setitem__(self, index, value):
        if is_grad_enabled() and self._requires_grad and self._grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        be = _be(self)
        if isinstance(value, TensorMethods):
            if value._requires_grad and is_grad_enabled():
                raise NotImplementedError(
                    "mytorch: assigning a tensor that requires grad into a slice is not supported"
                )
            if value.device != self.device:
                if value._data.ndim != 0 or value.device.type != "cpu":
                    raise RuntimeError(
                        "Expected all tensors to be on the same device, but found at least two "
                        f"devices, {self.device} and {value.device}!"
                    )
                value = value.item()
            else:
                value = value._data
        idx = F._device_index(self, index)
        self._data = be.setitem(self._data, idx, value)

    # --- autograd ----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Matches torch.Tensor.backward."""
        from mytorch._autograd import backward  # NOTE: the engine stands above Tensor

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # --- conversion and devices --------------------------------------------------------
    def numpy(self, force=False):
        """Matches torch.Tensor.numpy (shares memory; refuses tensors that require grad)."""
        dev = self.device
        if dev.type != "cpu":
            raise TypeError(
                f"can't convert {dev} device type tensor to numpy. Use Tensor.cpu() to copy the "
                "tensor to host memory first."
            )
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return _backends.CPU.to_numpy(self._data)

    def tolist(self):
        """Matches torch.Tensor.tolist."""
        return self._data.tolist()

    def to(self, *args, **kwargs):
        """Matches torch.Tensor.to: a dtype, a device, both, or another tensor's."""
        dtype = kwargs.get("dtype")
        dev = kwargs.get("device")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, TensorMethods):
                dtype = a.dtype
                dev = a.device
            elif a is not None:
                dev = a
        out = self
        if dev is not None:
            out = F._to_device(out, _device.device(dev))
        if dtype is not None:
            out = F.to_dtype(out, dtype)
        if copy and out is self:
            out = F.clone(self)
        return out

    def cpu(self, memory_format=None):
        """Matches torch.Tensor.cpu: a differentiable copy to host memory (self if there)."""
        return F._to_device(self, _device.CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Matches torch.Tensor.cuda (needs CuPy and a GPU)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = _device.device("cuda", device)
        return F._to_device(self, _device.device(device))

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    def get_device(self):
        """Matches torch.Tensor.get_device: the device index, -1 on the CPU."""
        dev = self.device
        return -1 if dev.type == "cpu" else (dev.index or 0)

    def type(self, dtype=None):
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype.name, "torch." + self.dtype.name)
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

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def element_size(self):
        return self._data.itemsize

    def contiguous(self, memory_format=None):
        return self

    def is_contiguous(self, memory_format=None):
        d = self._data
        return d.ndim == 0 or d.flags.c_contiguous

    def __reduce__(self):
        return (_rebuild, (self.cpu().detach().numpy(), self._requires_grad, str(self.device)))

    def __deepcopy__(self, memo):
        t = F.clone(self.detach())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = F.clone(self._grad.detach())
        memo[id(self)] = t
        return t

    # --- pointwise -----------------------------------------------------------------------
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

    def square(self):
        return F.square(self)

    def maximum(self, other):
        return F.maximum(self, other)

    def minimum(self, other):
        return F.minimum(self, other)

    def floor(self):
        return F.floor(self)

    def ceil(self):
        return F.ceil(self)

    def round(self):
        return F.round(self)

    def trunc(self):
        return F.trunc(self)

    def clamp(self, min=None, max=None):
        return F.clamp(self, min, max)

    clip = clamp

    def where(self, condition, other):
        return F.where(condition, self, other)

    def clone(self, memory_format=None):
        return F.clone(self)

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

    def bitwise_and(self, other):
        return F.bitwise_and(self, other)

    def bitwise_or(self, other):
        return F.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return F.bitwise_xor(self, other)

    def bitwise_not(self):
        return F.bitwise_not(self)

    def equal(self, other):
        return F.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return F.allclose(self, other, rtol, atol, equal_nan)

    # --- reductions ----------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        return F.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return F.mean(self, dim, keepdim, dtype=dtype)

    def amax(self, dim=(), keepdim=False):
        return F.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return F.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return F.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return F.argmin(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return F.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return F.any(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        return F.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return F.min(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        return F.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return F.log_softmax(self, dim, dtype=dtype)

    def logsumexp(self, dim, keepdim=False):
        return F.logsumexp(self, dim, keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return F.var(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return F.std(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction)

    # --- shape and views -----------------------------------------------------------------
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

    def broadcast_to(self, size):
        return F.broadcast_to(self, size)

    def unsqueeze(self, dim):
        return F.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return F.squeeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return F.transpose(self, dim0, dim1)

    swapaxes = transpose

    def permute(self, *dims):
        return F.permute(self, *dims)

    def t(self):
        return F.t(self)

    @property
    def T(self):
        return F.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return F.transpose(self, -2, -1)

    # --- indexing ------------------------------------------------------------------------
    def select(self, dim, index):
        return F.select(self, dim, index)

    def narrow(self, dim, start, length):
        return F.narrow(self, dim, start, length)

    # --- linalg --------------------------------------------------------------------------
    def matmul(self, other):
        return F.matmul(self, other)

    def mm(self, mat2):
        return F.mm(self, mat2)

    def bmm(self, mat2):
        return F.bmm(self, mat2)

    def dot(self, other):
        return F.dot(self, other)

    def outer(self, vec2):
        return F.outer(self, vec2)

    # --- creation from a tensor ----------------------------------------------------------
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return F.zeros(*size, **_like_kwargs(self, dtype, device, requires_grad))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return F.ones(*size, **_like_kwargs(self, dtype, device, requires_grad))

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return F.full(size, fill_value, **_like_kwargs(self, dtype, device, requires_grad))

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return F.tensor(data, **_like_kwargs(self, dtype, device, requires_grad))


def _like_kwargs(t, dtype, device, requires_grad):
    return {
        "dtype": dtype or t.dtype,
        "device": device if device is not None else t.device,
        "requires_grad": requires_grad,
    }


_TYPE_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "int64": "torch.LongTensor",
    "int32": "torch.IntTensor",
    "bool": "torch.BoolTensor",
    "float16": "torch.HalfTensor",
    "uint8": "torch.ByteTensor",
    "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor",
}


def _rebuild(array, requires_grad, device="cpu"):
    t = F.tensor(array, device=device)
    t._requires_grad = requires_grad
    return t
