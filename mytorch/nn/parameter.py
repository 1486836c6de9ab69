"""mytorch.nn.parameter: Parameter (a Tensor that a Module registers as its parameter),
UninitializedParameter (a lazy module's parameter before its first call) and Buffer (marks a
tensor assigned to a Module as a buffer)."""

import copy

import mytorch
from mytorch import _core

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "is_lazy"]


def _adopt(cls, data, requires_grad):
    """A ``cls`` instance that shares ``data``'s memory and version counter, as a leaf."""
    src = data.detach()
    t = _core.Tensor.__new__(cls)
    t._data = src._data
    t._requires_grad = bool(requires_grad)
    t._grad = None
    t._grad_fn = None
    t._acc = None
    t._retains_grad = False
    t._vc = src._vc
    t._base = None
    t._view = None
    t._output_nr = 0
    return t


class Parameter(mytorch.Tensor):
    """A Tensor that a Module registers as a parameter when assigned as its attribute.
    Matches torch.nn.Parameter: it shares ``data``'s memory; ops on it give plain Tensors.

    NOTE: no __slots__: a Parameter has a __dict__ (as torch's), which also keeps it off the
    compiled Tensor's free list (that list is for objects of Tensor's exact size).
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = mytorch.empty(0)
        if not isinstance(data, mytorch.Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        return _adopt(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass  # everything was done in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(mytorch.clone(self.detach()), self.requires_grad)
        if self._grad is not None:
            result._grad = mytorch.clone(self._grad.detach())
        memo[id(self)] = result
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad, dict(self.__dict__)))

    def __reduce__(self):
        return self.__reduce_ex__(2)


def _rebuild_parameter(data, requires_grad, state):
    p = Parameter(data, requires_grad)
    p.__dict__.update(state)
    return p


class Buffer(mytorch.Tensor):
    """Marks a tensor as a buffer when assigned to a Module. Matches torch.nn.Buffer: what a
    Module keeps is the plain tensor (``persistent`` says whether state_dict saves it)."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = mytorch.empty(0)
        t = _adopt(cls, data, data.requires_grad)
        t.persistent = persistent
        return t

    def _plain(self):
        """The tensor a Module keeps: a plain Tensor sharing this one's memory."""
        return _adopt(mytorch.Tensor, self, self.requires_grad)

    def __init__(self, data=None, *, persistent=True):
        pass


class _Uninitialized:
    """What the uninitialized parameter and buffer share: no shape until ``materialize``."""

    __slots__ = ()

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Gives the tensor ``shape`` (its values are uninitialized) and turns it into
        ``cls_to_become``. Matches torch's UninitializedTensorMixin.materialize."""
        if device is None:
            device = mytorch.Tensor.device.__get__(self)
        if dtype is None:
            dtype = mytorch.Tensor.dtype.__get__(self)
        self.data = mytorch.empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def _no_shape(self, what):
        raise RuntimeError(
            f"Can't access the {what} of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes."
        )

    @property
    def shape(self):
        self._no_shape("shape")

    def size(self, dim=None):
        self._no_shape("size")

    def numel(self):
        self._no_shape("numel")

    def dim(self):
        self._no_shape("dim")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad,))


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter with no shape yet (a lazy module's, before its first call). Matches
    torch.nn.UninitializedParameter; ``materialize`` makes it a Parameter."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _adopt(cls, mytorch.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


class _MaterializedBuffer(mytorch.Tensor):
    """What an UninitializedBuffer becomes: a plain tensor in all but its type's name (the
    compiled Tensor is not a heap type, so an instance's class cannot become Tensor itself; the
    lazy modules put fresh Tensors in their buffers instead)."""

    __slots__ = ()


class UninitializedBuffer(_Uninitialized, mytorch.Tensor):
    """A buffer with no shape yet (a lazy module's running statistics before its first call).
    Matches torch.nn.UninitializedBuffer."""

    __slots__ = ()
    cls_to_become = _MaterializedBuffer

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _adopt(cls, mytorch.empty(0, device=device, dtype=dtype), requires_grad)
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    def __deepcopy__(self, memo):
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param):
    """Whether ``param`` is an uninitialized parameter or buffer. Matches
    torch.nn.parameter.is_lazy."""
    return isinstance(param, _Uninitialized)
