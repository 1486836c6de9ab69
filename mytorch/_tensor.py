"""Tensor's methods, grouped like mytorch._ops; the fields and hot operators are in _core.

Each method forwards to the torch-named function through the registry (``F.sum`` is
``mytorch.sum``), so this module stands below the op families and imports none of them.
"""

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _device
from mytorch._grad_mode import is_grad_enabled
from mytorch._hooks import NH_ACC, node_hooks
from mytorch import _registry
from mytorch._registry import F
from mytorch._repr import tensor_repr
from mytorch._size import Size, _bool_arg, _wrap_dim
from mytorch._tensor_ops import OpMethods, _fill_value, _normal_std, _settable, _uniform_span


def _be(t):
    return _backends.for_array(t._data)


# The engine stands above Tensor: Tensor.backward reaches autograd.backward, and every method
# reaches a view's up-to-date history, through the registry.
_CORE = _registry.CORE
_sync = _registry.sync


class TensorMethods(OpMethods):
    """The methods of mytorch.Tensor other than its fields and hot operators: its state, devices
    and in-place ops here, the op-forwarding methods in OpMethods."""

    __slots__ = ()

    # --- metadata and autograd state -------------------------------------------------
    def size(self, dim=None):
        """Matches torch.Tensor.size."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def nelement(self):
        return int(self._data.size)

    @property
    def device(self):
        """Matches torch.Tensor.device: derived from the array (``cuda:0`` with its index)."""
        d = self._data
        return _backends.for_array(d).device(d)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad_fn(self):
        return _sync(self)._grad_fn

    @property
    def requires_grad(self):
        return _sync(self)._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value, "only Tensors of floating point dtype can require gradients")

    def _set_requires_grad(self, value, message):
        value = _bool_arg("requires_grad_", "requires_grad", value)
        _sync(self)
        if self._grad_fn is not None:
            if value:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and D.FROM_NP[self._data.dtype].category < D.FLOAT:
            raise RuntimeError(message)
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Matches torch.Tensor.requires_grad_."""
        self._set_requires_grad(
            requires_grad, "only Tensors of floating point dtype can require gradients"
        )
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, TensorMethods):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value._data.shape)} "
                    f"vs {list(self._data.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype} vs {self.dtype}"
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """The same memory without history; unlike detach(), writes through it are not
        tracked (it has a version counter of its own), as in torch."""
        return F._alias(self)

    @data.setter
    def data(self, value):
        if not isinstance(value, TensorMethods):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        if self._requires_grad and value.dtype.category < D.FLOAT:
            raise RuntimeError(
                "data set to a tensor that requires gradients must be floating point or complex "
                "dtype"
            )
        self._data = value._data

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Matches torch.Tensor.retain_grad: a non-leaf keeps its .grad after backward."""
        _sync(self)
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        fn, self._retains_grad = self._grad_fn, True  # several outputs: a tuple of retained ones
        fn.retained = self if fn.n_outputs < 2 else (fn.retained or ()) + (self,)

    def detach_(self):
        _sync(self)
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        if self._grad_fn is not None and self._grad_fn.retained is self:
            self._grad_fn.retained = None
        self._grad_fn = None
        self._requires_grad = False
        return self

    def register_hook(self, hook):
        """Matches torch.Tensor.register_hook: ``hook(grad)`` may return a replacement."""
        _sync(self)
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self._grad_fn if self._grad_fn is not None else self._accumulate_node()
        hook = (self._output_nr, hook) if node.n_outputs > 1 else hook  # for that output only
        if node.hooks is None:
            node.hooks = []  # the engine's tensor hooks (the node's own: Node.register_hook)
        node.hooks.append(hook)
        return _Handle(node, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Matches torch.Tensor.register_post_accumulate_grad_hook: ``hook(tensor)`` runs after
        backward accumulated the leaf's ``.grad``."""
        _sync(self)
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        return node_hooks(self._accumulate_node()).add(NH_ACC, hook)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # Python's number protocol on one-element tensors.
    def item(self):
        """Matches torch.Tensor.item."""
        d = self._data
        if d.size != 1:
            raise RuntimeError(f"a Tensor with {d.size} elements cannot be converted to Scalar")
        return d.item() if d.ndim == 0 else d.reshape(()).item()

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if D.FROM_NP[self._data.dtype].category > D.INT:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __complex__(self):
        return complex(self.item())

    # --- hot operators: straight to their Op (the registry is filled by mytorch._ops) ----

    # --- operators that are not hot ----------------------------------------------------
    def __pos__(self):
        return self

    def __abs__(self):
        return F.abs(self)

    def __floordiv__(self, other):
        return F.div(self, F._numpy_operand(other), rounding_mode="floor")

    def __rfloordiv__(self, other):
        return F.div(F._numpy_operand(other), self, rounding_mode="floor")

    def __and__(self, other):
        return F.bitwise_and(self, F._numpy_operand(other))

    def __rand__(self, other):
        return F.bitwise_and(F._numpy_operand(other), self)

    def __or__(self, other):
        return F.bitwise_or(self, F._numpy_operand(other))

    def __ror__(self, other):
        return F.bitwise_or(F._numpy_operand(other), self)

    def __xor__(self, other):
        return F.bitwise_xor(self, F._numpy_operand(other))

    def __rxor__(self, other):
        return F.bitwise_xor(F._numpy_operand(other), self)

    def __invert__(self):
        return F.bitwise_not(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (F.getitem(self, i) for i in range(self._data.shape[0]))

    def __array__(self, dtype=None, copy=None):
        """NumPy's view of the tensor (memory shared, as numpy()); NumPy 2's ``copy``: True
        copies, False refuses to (ValueError) where a copy is needed."""
        a = self.numpy()
        if dtype is not None and a.dtype != dtype:
            if copy is False:
                raise ValueError(f"Unable to avoid copy while casting {a.dtype} to {dtype}")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        return tensor_repr(self)

    __str__ = __repr__

    # --- in place ----------------------------------------------------------------------
    def _inplace(self, result):
        """Make ``self`` hold ``result``, its new value computed from its old one (see
        mytorch._views._commit_inplace: memory, version counter and history)."""
        return F._commit_inplace(self, result)

    def add_(self, other, alpha=1):
        if type(alpha) is int and alpha == 1 and F._inplace_ufunc(self, other, "add"):
            return self
        return F._commit_inplace(self, F.add(self, other, alpha=alpha))

    def sub_(self, other, alpha=1):
        if type(alpha) is int and alpha == 1 and F._inplace_ufunc(self, other, "subtract"):
            return self
        return F._commit_inplace(self, F.sub(self, other, alpha=alpha))

    def mul_(self, other):
        if F._inplace_ufunc(self, other, "multiply"):
            return self
        return F._commit_inplace(self, F.mul(self, other))

    def div_(self, other, rounding_mode=None):
        if rounding_mode is None and F._inplace_ufunc(self, other, "divide"):
            return self
        return F._commit_inplace(self, F.div(self, other, rounding_mode=rounding_mode))

    def pow_(self, exponent):
        return F._commit_inplace(self, F.pow(self, exponent))

    def neg_(self):
        return F._commit_inplace(self, F.neg(self))

    def floor_(self):
        return F._commit_inplace(self, F.floor(self))

    def ceil_(self):
        return F._commit_inplace(self, F.ceil(self))

    def round_(self, *, decimals=0):
        return F._commit_inplace(self, F.round(self, decimals=decimals))

    def trunc_(self):
        return F._commit_inplace(self, F.trunc(self))

    def clamp_(self, min=None, max=None):
        return F._commit_inplace(self, F.clamp(self, min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return F._commit_inplace(self, F.masked_fill(self, mask, value))

    def zero_(self):
        """Matches torch.Tensor.zero_."""
        return F._commit_inplace(self, F.zero(self))

    def fill_(self, value):
        """Matches torch.Tensor.fill_."""
        return F._commit_inplace(self, F.fill(self, _fill_value("fill_", value)))

    def copy_(self, src, non_blocking=False):
        """Matches torch.Tensor.copy_: broadcasts, casts and crosses devices; the gradient goes
        to ``src``."""
        if not isinstance(src, TensorMethods):
            src = F.tensor(src, dtype=self.dtype, device=self.device)
        return F._commit_inplace(self, F.copy(self, src))

    def index_put_(self, indices, values, accumulate=False):
        """Matches torch.Tensor.index_put_."""
        return F._commit_inplace(self, F.index_put(self, indices, values, accumulate))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        r = F.randn_like(self, generator=generator) * _normal_std(std) + mean
        return F._commit_inplace(self, r)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        r = F.rand_like(self, generator=generator) * _uniform_span(a, b) + a
        return F._commit_inplace(self, r)

    def __setitem__(self, index, value):
        """``self[index] = value``: written through a view for basic indices (torch's
        CopySlices), with index_put for advanced ones; differentiable in both operands."""
        if isinstance(value, TensorMethods):
            if value.device != self.device:
                # NOTE: as torch's copy_, setitem copies a value across devices.
                value = F.to_device(value, self.device)
            needs_graph = value.requires_grad or self.requires_grad
        else:
            needs_graph = _settable(self, value)
        first, rest = F._split_ints(index)
        if first is not None:  # torch: the integers select first, then the rest is written
            F.getitem(self, first)[rest] = value
            return
        if not (needs_graph and is_grad_enabled()) and _registry.FORWARD_AD[0] is None:
            F._check_writable(self, False)
            idx = F._device_index(self, index)
            F._check_setitem(self, idx, value)
            v = value._data if isinstance(value, TensorMethods) else value
            self._data = _be(self).setitem(self._data, idx, v)
            F._bump_version(self)
            return
        if F._is_basic_index(self, index):
            view = F.getitem(self, index)
            F._commit_inplace(view, F.copy(view, value))
        else:
            F._commit_inplace(self, F._setitem_value(self, index, value))

    # --- autograd ----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Matches torch.Tensor.backward."""
        _CORE.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # --- conversion and devices --------------------------------------------------------
    def numpy(self, force=False):
        """Matches torch.Tensor.numpy (shares memory; refuses tensors that require grad, or on
        another device, unless ``force`` asks for a detached host copy)."""
        if force:
            t = self.detach().cpu()
            return _backends.CPU.to_numpy(t._data)
        dev = self.device
        if dev.type != "cpu":
            raise TypeError(
                f"can't convert {dev} device type tensor to numpy. Use Tensor.cpu() to copy the "
                "tensor to host memory first."
            )
        if _sync(self)._requires_grad:
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
            if isinstance(a, D.dtype) or a in D.PY_TYPES:  # dtype=float is float64, as torch
                dtype = a
            elif isinstance(a, TensorMethods):
                dtype = a.dtype
                dev = a.device
            elif a is not None:
                dev = a
        out = self
        if dev is not None:
            out = F.to_device(out, _device.device(dev))
        if dtype is not None:
            out = F.to_dtype(out, D.PY_TYPES.get(dtype, dtype))
        if copy and out is self:
            out = F.clone(self)
        return out

    def cpu(self, memory_format=None):
        """Matches torch.Tensor.cpu: a differentiable copy to host memory (self if there)."""
        return F.to_device(self, _device.CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Matches torch.Tensor.cuda (needs CuPy and a GPU)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = _device.device("cuda", device)
        return F.to_device(self, _device.device(device))

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
            return f"torch.{self.dtype.title}Tensor"
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

    # --- memory layout and views -------------------------------------------------------
    @property
    def _version(self):
        """How often this tensor's memory was written in place (shared with its views)."""
        return 0 if self._vc is None else self._vc.version

    def _is_view(self):
        """Matches torch.Tensor._is_view: whether this tensor is a view of another."""
        return self._base is not None

    def contiguous(self, memory_format=None):
        """Matches torch.Tensor.contiguous: self when contiguous, else a contiguous copy."""
        return self if self.is_contiguous() else F.clone(self)

    def is_contiguous(self, memory_format=None):
        d = self._data
        return d.ndim == 0 or d.flags.c_contiguous

    def stride(self, dim=None):
        """Matches torch.Tensor.stride: steps in elements between neighbours along each dim."""
        d = self._data
        st = [s // d.itemsize for s in getattr(d, "strides", ())]
        # NOTE: NumPy gives a new axis (t[None]) stride 0; torch gives it the stride that keeps
        # the layout contiguous across it, as unsqueeze does.
        for i in range(len(st) - 1, -1, -1):
            if st[i] == 0 and d.shape[i] == 1:
                st[i] = st[i + 1] * d.shape[i + 1] if i + 1 < len(st) else 1
        return tuple(st) if dim is None else st[_wrap_dim(dim, d.ndim)]

    def data_ptr(self):
        """Matches torch.Tensor.data_ptr: the address of the first element."""
        return _be(self).data_ptr(self._data)

    def storage_offset(self):
        """Matches torch.Tensor.storage_offset: elements from the base's first element."""
        if self._base is None:
            return 0
        return (self.data_ptr() - self._base.data_ptr()) // self._data.itemsize + (
            self._base.storage_offset()
        )

    def __reduce__(self):
        return (_rebuild, (self.cpu().detach().numpy(), self._requires_grad, str(self.device)))

    def __deepcopy__(self, memo):
        t = F.clone(self.detach())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = F.clone(self._grad.detach())
        memo[id(self)] = t
        return t


def _rebuild(array, requires_grad, device="cpu"):
    t = F.tensor(array, device=device)
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
