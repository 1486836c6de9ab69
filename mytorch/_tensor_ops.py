"""Tensor methods that forward to the torch-named functions, grouped like mytorch._ops.

``F.sum`` is ``mytorch.sum``, looked up in the registry at call time, so this module stands
below the op families and imports none of them.
"""

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False

from mytorch import _dtype as D
from mytorch._registry import F

DECLARED = {}  # method name -> function, for the methods made from op declarations


def add_method(name, fn):
    """Make ``fn`` Tensor's method ``name``: how a declaration (mytorch._ops._declare) gives
    Tensor an op's method and in-place method. Nothing else adds to Tensor's methods."""
    if name in DECLARED and DECLARED[name] is not fn:
        raise RuntimeError(f"Tensor.{name} is declared twice")
    if name not in DECLARED and name in vars(OpMethods):
        raise RuntimeError(f"Tensor.{name} is written by hand and declared")
    DECLARED[name] = fn
    if _COMPILED:
        # NOTE: a compiled class is a static type, which refuses setattr; its dict takes the
        # method the way Cython fills it with class attributes (then the lookup caches reset).
        _mt_type_set(OpMethods, name, fn)  # noqa: F821  (declared in _tensor_ops.pxd)
    else:
        setattr(OpMethods, name, fn)


def remove_method(name):
    """Undo ``add_method`` (tests use it to take a test-declared op away again)."""
    if DECLARED.pop(name, None) is None:
        return
    if _COMPILED:
        _mt_type_del(OpMethods, name)  # noqa: F821  (declared in _tensor_ops.pxd)
    else:
        delattr(OpMethods, name)


class OpMethods:
    """``t.exp()`` is ``mytorch.exp(t)``, and so on for every op with a Tensor method."""

    __slots__ = ()

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

    negative = neg

    def sign(self):
        return F.sign(self)

    def maximum(self, other):
        return F.maximum(self, other)

    def minimum(self, other):
        return F.minimum(self, other)

    def floor(self):
        return F.floor(self)

    def ceil(self):
        return F.ceil(self)

    def round(self, *, decimals=0):
        return F.round(self, decimals=decimals)

    def trunc(self):
        return F.trunc(self)

    fix = trunc

    def clamp(self, min=None, max=None):
        return F.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return F.clamp_min(self, min)

    def clamp_max(self, max):
        return F.clamp_max(self, max)

    def nonzero(self, as_tuple=False):
        return F.nonzero(self, as_tuple=as_tuple)

    def masked_fill(self, mask, value):
        return F.masked_fill(self, mask, value)

    def index_put(self, indices, values, accumulate=False):
        return F.index_put(self, indices, values, accumulate)

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

    less = lt
    less_equal = le
    greater = gt
    greater_equal = ge
    not_equal = ne

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
    def sum(self, dim=None, keepdim=False, dtype=None, **kwargs):
        return F.sum(self, dim, keepdim, dtype=dtype, **kwargs)

    def mean(self, dim=None, keepdim=False, dtype=None, **kwargs):
        return F.mean(self, dim, keepdim, dtype=dtype, **kwargs)

    def amax(self, dim=(), keepdim=False, **kwargs):
        return F.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim=(), keepdim=False, **kwargs):
        return F.amin(self, dim, keepdim, **kwargs)

    def argmax(self, dim=None, keepdim=False, **kwargs):
        return F.argmax(self, dim, keepdim, **kwargs)

    def argmin(self, dim=None, keepdim=False, **kwargs):
        return F.argmin(self, dim, keepdim, **kwargs)

    def all(self, dim=None, keepdim=False, **kwargs):
        return F.all(self, dim, keepdim, **kwargs)

    def any(self, dim=None, keepdim=False, **kwargs):
        return F.any(self, dim, keepdim, **kwargs)

    def max(self, dim=None, keepdim=False, **kwargs):
        return F.max(self, dim, keepdim, **kwargs)

    def min(self, dim=None, keepdim=False, **kwargs):
        return F.min(self, dim, keepdim, **kwargs)

    def sort(self, dim=-1, descending=False, stable=None, **kwargs):
        return F.sort(self, dim, descending, stable, **kwargs)

    def topk(self, k, dim=-1, largest=True, sorted=True, **kwargs):
        return F.topk(self, k, dim, largest, sorted, **kwargs)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None, **kwargs):
        return F.var(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction, **kwargs)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None, **kwargs):
        return F.std(self, dim, unbiased=unbiased, keepdim=keepdim, correction=correction, **kwargs)

    # --- shape and views -----------------------------------------------------------------
    def reshape(self, *shape):
        return F.reshape(self, *shape)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], D.dtype):
            raise NotImplementedError("mytorch: view(dtype) is not supported")
        return F.view(self, *shape)

    def view_as(self, other):
        return F.view(self, other.shape)

    def reshape_as(self, other):
        return F.reshape(self, other.shape)

    def expand(self, *sizes):
        return F.expand(self, *sizes)

    def expand_as(self, other):
        return F.expand(self, other.shape)

    def broadcast_to(self, size):
        return F.broadcast_to(self, size)

    def unsqueeze(self, *args, **kwargs):  # NOTE: axis= too (see mytorch._aliases)
        return F.unsqueeze(self, *args, **kwargs)

    def squeeze(self, *args, **kwargs):
        return F.squeeze(self, *args, **kwargs)

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return F.transpose(self, dim0, dim1)

    def swapaxes(self, axis0, axis1):
        return F.transpose(self, axis0, axis1)

    swapdims = transpose

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

    @property
    def mH(self):
        if self._data.ndim < 2:
            raise RuntimeError(
                "tensor.mH is only supported on matrices or batches of matrices. Got "
                f"{self._data.ndim}-D tensor."
            )
        return F.adjoint(self)

    @property
    def H(self):
        if self._data.ndim == 0:
            return self
        if self._data.ndim != 2:
            raise RuntimeError(
                "tensor.H is only supported on matrices (2-D tensors). Got "
                f"{self._data.ndim}-D tensor."
            )
        return F.adjoint(self)

    @property
    def real(self):
        return F.real(self)

    @property
    def imag(self):
        return F.imag(self)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    @property
    def output_nr(self):
        return self._output_nr

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return F.diagonal(self, offset, dim1, dim2)

    def as_strided(self, size, stride, storage_offset=None):
        return F.as_strided(self, size, stride, storage_offset)

    # --- indexing ------------------------------------------------------------------------
    def select(self, *args, **kwargs):
        return F.select(self, *args, **kwargs)

    def narrow(self, *args, **kwargs):
        return F.narrow(self, *args, **kwargs)

    def split(self, split_size, dim=0):
        return F.split(self, split_size, dim)

    def chunk(self, *args, **kwargs):
        return F.chunk(self, *args, **kwargs)

    def unbind(self, *args, **kwargs):
        return F.unbind(self, *args, **kwargs)

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

    ger = outer

    # --- NumPy interop, @, %, the shifts and the augmented assignments ------------------
    # NOTE: above NumPy's priorities, so that a NumPy scalar or array on the left of an
    # operator returns NotImplemented and Python calls the Tensor's reflected operator (as
    # torch's Tensor does). A NumPy ufunc on a Tensor still reads it through __array__, and
    # gives its result back as a Tensor through __array_wrap__, as torch does.
    __array_priority__ = 1000

    def __array_wrap__(self, array, context=None, return_scalar=False):
        return F.tensor(array) if array.ndim == 0 else F.from_numpy(array)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(F._numpy_operand(other), self)

    def __mod__(self, other):
        return _remainder(self, F._numpy_operand(other))

    def __rmod__(self, other):
        return _remainder(F._numpy_operand(other), self)

    def __iadd__(self, other):
        if F._inplace_ufunc(self, other, "add"):
            return self
        return F._commit_inplace(self, self + other)

    def __isub__(self, other):
        if F._inplace_ufunc(self, other, "subtract"):
            return self
        return F._commit_inplace(self, self - other)

    def __imul__(self, other):
        if F._inplace_ufunc(self, other, "multiply"):
            return self
        return F._commit_inplace(self, self * other)

    def __itruediv__(self, other):
        if F._inplace_ufunc(self, other, "divide"):
            return self
        return F._commit_inplace(self, self / other)

    def __ipow__(self, other):
        return F._commit_inplace(self, F.pow(self, other))

    def __lshift__(self, other):
        return F.bitwise_left_shift(self, F._numpy_operand(other))

    def __rlshift__(self, other):
        return F.bitwise_left_shift(F._numpy_operand(other), self)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __rshift__(self, other):
        return F.bitwise_right_shift(self, F._numpy_operand(other))

    def __rrshift__(self, other):
        return F.bitwise_right_shift(F._numpy_operand(other), self)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

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


def _remainder(a, b):
    """a % b with the sign of b (torch.remainder): a - floor(a / b) * b.

    NOTE: written a + -(q * b), which rounds the same, because torch refuses ``-`` with a bool
    tensor but takes ``%`` with one."""
    return a + -(F.div(a, b, rounding_mode="floor") * b)


# --- argument checks of Tensor's in-place methods (torch's errors) ---------------------------
def _fill_value(name, v):
    """A fill value: a number or a tensor (torch's TypeError for a string, None, ...)."""
    if isinstance(v, (int, float, complex, OpMethods)) or hasattr(v, "__float__"):
        return v
    raise TypeError(f"{name}(): argument 'value' must be Number, not {type(v).__name__}")


def _normal_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return std


def _uniform_span(a, b):
    """b - a for uniform_(a, b), refusing an empty range as torch does."""
    if a > b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )
    return b - a


def _settable(t, value):
    """Whether ``t[...] = value`` (value not a Tensor) needs a graph; a string is refused."""
    if isinstance(value, str):
        raise TypeError(f"can't assign a str to a {t.type()}")
    return t.requires_grad
