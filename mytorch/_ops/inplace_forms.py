"""In-place forms that other families' ops lacked: torch's ``torch.<op>_`` functions (one loop
over the Tensor methods they call), Tensor's in-place comparisons, bitwise ops and shifts,
``fill_diagonal_``, and the in-place view ops (``squeeze_``, ``t_``, ``transpose_``, ...) that
change a tensor's own shape.
"""

from mytorch import _dtype as D
from mytorch._core import _FW, KIND_BINARY, TensorBase, _ensure_vc, apply2
from mytorch._grad_mode import _grad_on
from mytorch._ops import pointwise
from mytorch._ops._declare import TENSOR, declare, defop
from mytorch._ops._declare import _inplace_method as inplace_method
from mytorch._out import with_out
from mytorch._registry import F
from mytorch._views import _check_writable, _commit_inplace, _refresh_view

# torch.<name>(input, ...) for each of torch's in-place functions: input.<name>(...).
TORCH_INPLACE = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ "
    "atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ "
    "erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ "
    "log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ round_ rsqrt_ "
    "sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_"
).split()


def _torch_inplace(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, TensorBase):
            raise TypeError(
                f"{name}(): argument 'input' (position 1) must be Tensor, not "
                f"{type(input).__name__}"
            )
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name}: input.{name}(...)."
    return fn


for _name in TORCH_INPLACE:
    declare(_torch_inplace(_name), name=_name)


# --- Tensor in-place methods of existing functions ------------------------------------------
def _float_power_(self, exponent):
    want = D.complex128 if self.dtype.category == D.COMPLEX else D.float64
    if self.dtype is not want:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {self.dtype.title} but the operation's "
            f"result requires dtype {want.title}"
        )
    return _commit_inplace(self, F.float_power(self, exponent))


INPLACE_OF = (
    "eq ne lt le gt ge greater greater_equal less less_equal not_equal bitwise_and bitwise_or "
    "bitwise_xor bitwise_not sign fix negative clamp_min clamp_max"
).split()
for _name in INPLACE_OF:
    _fn = inplace_method(getattr(pointwise, _name), _name + "_")
    declare(_fn, name=_name + "_", namespace=TENSOR, method=True)
declare(_float_power_, name="float_power_", namespace=TENSOR, method=True)


# --- shifts -------------------------------------------------------------------------------
LEFT_SHIFT = defop("bitwise_left_shift", None, kind=KIND_BINARY, xp="left_shift")
RIGHT_SHIFT = defop("bitwise_right_shift", None, kind=KIND_BINARY, xp="right_shift")


def _scalar(v, like):
    return F.full((), v, dtype=D.scalar_dtype(v), device=like.device)


def _shift(name, kernel, op, input, other, left):
    for v in (input, other):
        dt = v.dtype if isinstance(v, TensorBase) else D.scalar_dtype(v)
        if dt.category > D.INT:
            title = "ComplexFloat" if dt.category == D.COMPLEX else "Float"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{title}'")
    if not isinstance(input, TensorBase) and not isinstance(other, TensorBase):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not int")
    x = input if isinstance(input, TensorBase) else _scalar(input, other)
    n = other if isinstance(other, TensorBase) else _scalar(other, x)
    bits = F.result_type(input, other).itemsize * 8
    outside = (n < 0) | (n >= bits)  # C leaves these undefined; torch fills with the sign
    r = apply2(op, input, F.clamp(n, 0, bits - 1) if n.dtype is not D.bool_ else n)
    fill = 0 if left else F.where(x < 0, -1, 0)
    return F.where(outside, fill, r).to(r.dtype)


@with_out("bitwise_left_shift")
def bitwise_left_shift(input, other):
    """Matches torch.bitwise_left_shift (the ``<<`` operator): 0 where the shift leaves the
    type's width (or is negative)."""
    return _shift("bitwise_left_shift", "lshift_cpu", LEFT_SHIFT, input, other, True)


@with_out("bitwise_right_shift")
def bitwise_right_shift(input, other):
    """Matches torch.bitwise_right_shift (the ``>>`` operator, arithmetic): the sign where the
    shift leaves the type's width (or is negative)."""
    return _shift("bitwise_right_shift", "rshift_cpu", RIGHT_SHIFT, input, other, False)


declare(bitwise_left_shift, method=True, inplace=True, out=True)
declare(bitwise_right_shift, method=True, inplace=True, out=True)


# --- fill_diagonal_ -----------------------------------------------------------------------
def fill_diagonal_(self, fill_value, wrap=False):
    """Matches Tensor.fill_diagonal_: the main diagonal (all indices equal) set to
    ``fill_value``; a tall matrix with ``wrap`` starts the diagonal again after N + 1 rows."""
    shape = tuple(self.shape)
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    numel = self.numel()
    if len(shape) == 2:
        n, m = shape
        step = m + 1
        limit = numel if wrap else min(n, m) * step
    else:
        n = shape[0]
        step = sum(n**i for i in range(len(shape)))
        limit = n * step
    flat = F.arange(numel, device=self.device).reshape(shape)
    on = ((flat % step) == 0) & (flat < limit)
    value = F.full((), fill_value, dtype=self.dtype, device=self.device)
    return _commit_inplace(self, F.where(on, value, self))


declare(fill_diagonal_, namespace=TENSOR, method=True)


# --- in-place view ops ----------------------------------------------------------------------
def _inplace_view(t, view):
    """``t`` becomes ``view(t)``: its own shape changes, its memory stays, its version counter
    moves on, and with grad mode on its history is the view op's (torch's in-place views)."""
    if t._view is not None:
        _refresh_view(t)
    grad = _grad_on() and t._requires_grad
    if grad and t._grad_fn is None and t._base is None:
        _check_writable(t, True)  # torch's error for a leaf that requires grad
    v = view(t)
    if _FW[0] is not None:  # forward AD: t's tangent takes the view's shape too
        _FW[0].inplace_view(t, v)
    t._data = v._data
    if t._base is not None:
        t._view = v._view
    if grad:
        t._grad_fn = v._grad_fn
        t._output_nr = v._output_nr
    vc = _ensure_vc(t)
    vc.version += 1
    if t._view is not None:
        t._view.version = vc.version
    return t


def squeeze_(self, dim=None):
    """Matches Tensor.squeeze_."""
    return _inplace_view(self, lambda t: t.squeeze() if dim is None else t.squeeze(dim))


def unsqueeze_(self, dim):
    """Matches Tensor.unsqueeze_."""
    return _inplace_view(self, lambda t: t.unsqueeze(dim))


def t_(self):
    """Matches Tensor.t_."""
    return _inplace_view(self, lambda t: t.t())


def transpose_(self, dim0, dim1):
    """Matches Tensor.transpose_."""
    return _inplace_view(self, lambda t: t.transpose(dim0, dim1))


def swapaxes_(self, axis0, axis1):
    """Matches Tensor.swapaxes_."""
    return _inplace_view(self, lambda t: t.transpose(axis0, axis1))


def swapdims_(self, dim0, dim1):
    """Matches Tensor.swapdims_."""
    return _inplace_view(self, lambda t: t.transpose(dim0, dim1))


for _fn in (squeeze_, unsqueeze_, t_, transpose_, swapaxes_, swapdims_):
    declare(_fn, namespace=TENSOR, method=True)

__all__ = []
INTERNAL = []
