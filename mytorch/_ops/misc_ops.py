"""Miscellaneous ops of torch's namespace: addcdiv/addcmul, heaviside, gcd/lcm, ldexp/frexp,
nextafter, isin, renorm, the unsafe splits, sum_to_size, logspace, range, unravel_index,
cumulative_trapezoid, gradient, vander, and small predicates and constructors.

The primitives here (heaviside, gcd, lcm, nextafter) have no derivative in torch either; the
rest are written in other mytorch ops, so their gradients are those ops'.
"""

import builtins

from mytorch import _dtype as D
from mytorch._core import KIND_BINARY, TensorBase, apply2
from mytorch._ops._declare import TENSOR, composite, declare, defop
from mytorch._ops.norms import vector_norm
from mytorch._ops.statistics import _return_type
from mytorch._out import check_out, with_out, write_out
from mytorch._registry import F


def _no_derivative(n, g):
    raise RuntimeError(f"derivative for aten::{n.op.name} is not implemented")


def _tensor_arg(name, position, arg, value):
    if not isinstance(value, TensorBase):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )


# --- addcdiv, addcmul -----------------------------------------------------------------------
@composite(method=True, inplace=True, out=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """Matches torch.addcmul: input + value * tensor1 * tensor2."""
    if out is not None:
        check_out("addcmul", out, (input, tensor1, tensor2))
        return write_out(out, addcmul(input, tensor1, tensor2, value=value))
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


@composite(method=True, inplace=True, out=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """Matches torch.addcdiv: input + value * tensor1 / tensor2 (true division)."""
    if tensor1.dtype.category <= D.INT and tensor2.dtype.category <= D.INT:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    if out is not None:
        check_out("addcdiv", out, (input, tensor1, tensor2))
        return write_out(out, addcdiv(input, tensor1, tensor2, value=value))
    q = tensor1 / tensor2
    return input + (q if value == 1 else q * value)


# --- integer and float-representation primitives (no derivatives) -------------------------
HEAVISIDE = defop("heaviside", _no_derivative, kind=KIND_BINARY, xp="heaviside",
                  node_name="torch::autograd::NotImplemented")  # fmt: skip
GCD = defop("gcd", None, kind=KIND_BINARY, xp="gcd")
LCM = defop("lcm", None, kind=KIND_BINARY, xp="lcm")
NEXTAFTER = defop("nextafter", _no_derivative, kind=KIND_BINARY, xp="nextafter",
                  node_name="NextafterBackward0")  # fmt: skip


@with_out("heaviside")
def heaviside(input, values):
    """Matches torch.heaviside: 0 below zero, 1 above, ``values`` at zero."""
    _tensor_arg("heaviside", 1, "input", input)
    _tensor_arg("heaviside", 2, "values", values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    r = apply2(HEAVISIDE, input, values)
    return r if r.dtype is input.dtype else r.to(input.dtype)  # NumPy's is float for integers


def _integer_op(name, op):
    @with_out(name)
    def fn(input, other):
        _tensor_arg(name, 1, "input", input)
        _tensor_arg(name, 2, "other", other)
        dt = F.result_type(input, other)
        if dt.category > D.INT or dt is D.bool_:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.title}'")
        return apply2(op, input, other)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches torch.{name} (integer tensors)."
    return fn


gcd = _integer_op("gcd", GCD)
lcm = _integer_op("lcm", LCM)


@with_out("nextafter")
def nextafter(input, other):
    """Matches torch.nextafter: the next float after ``input`` toward ``other``."""
    _tensor_arg("nextafter", 1, "input", input)
    _tensor_arg("nextafter", 2, "other", other)
    return apply2(NEXTAFTER, input, other)


for _fn in (heaviside, gcd, lcm, nextafter):
    declare(_fn, method=True, inplace=True, out=True)


@composite(method=True, inplace=True, out=True)
def ldexp(input, other, *, out=None):
    """Matches torch.ldexp: input * 2 ** other (a float result)."""
    _tensor_arg("ldexp", 2, "other", other)
    if out is not None:
        check_out("ldexp", out, (input, other))
        return write_out(out, ldexp(input, other))
    return input * F.pow(2.0, other)


_FREXP = _return_type("frexp", ("mantissa", "exponent"))
_FREXP_OUT = _return_type("frexp_out", ("mantissa", "exponent"))


@composite(method=True, out=True)
def frexp(input, *, out=None):
    """Matches torch.frexp: (mantissa, exponent) with input = mantissa * 2 ** exponent and
    0.5 <= |mantissa| < 1 (the exponent an int32 tensor; zero, inf and NaN keep exponent 0).
    The mantissa's gradient is the incoming one divided by 2 ** exponent, as torch's."""
    if input.dtype.category != D.FLOAT:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    a = F.abs(input.detach())
    finite = F.isfinite(a) & (a != 0)
    safe = F.where(finite, a, 1.0)
    e = F.floor(F.log2(safe))  # then 1 <= safe / 2 ** e < 2, up to log2's rounding
    m = safe / F.exp2(e)
    e = e - (m < 1).to(e.dtype) + (m >= 2).to(e.dtype) + 1
    e = F.where(finite, e, 0.0)
    # two steps, so that 2 ** e stays finite for the smallest subnormals
    half = F.floor(e / 2)
    mantissa = input / F.exp2(half) / F.exp2(e - half)
    result = _FREXP(mantissa, e.to(D.int32))
    if out is not None:
        check_out("frexp", out[0], (input,))
        write_out(out[0], result[0])
        write_out(out[1], result[1])
        return _FREXP_OUT(*out)
    return result


# --- membership, predicates -----------------------------------------------------------------
@composite()
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Matches torch.isin: whether each element is among ``test_elements`` (a bool tensor of
    elements' shape); either side may be a Python scalar."""
    if not isinstance(elements, TensorBase):
        elements = F.full((), elements, dtype=D.scalar_dtype(elements),
                          device=test_elements.device)  # fmt: skip
    if not isinstance(test_elements, TensorBase):
        test_elements = F.full((), test_elements, dtype=D.scalar_dtype(test_elements),
                               device=elements.device)  # fmt: skip
    hit = F.eq(elements.detach().unsqueeze(-1), test_elements.detach().reshape(-1)).any(-1)
    return F.logical_not(hit) if invert else hit


@composite(method=True)
def is_signed(input):
    """Matches Tensor.is_signed: False for uint8 and bool only."""
    return input.dtype not in (D.uint8, D.bool_)


@composite(method=True)
def isreal(input):
    """Matches torch.isreal: True where the imaginary part is zero (everywhere for a real
    tensor)."""
    if input.dtype.category == D.COMPLEX:
        return F.eq(F.imag(input), 0)
    return F.ones(tuple(input.shape), dtype=D.bool_, device=input.device)


@composite(method=True)
def positive(input):
    """Matches torch.positive: ``input`` itself (refused for bool, as torch's ``+``)."""
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@composite(method=True)
def ravel(input):
    """Matches torch.ravel: the flattened values (a view when they are contiguous)."""
    return input.reshape(-1)


# --- renorm ---------------------------------------------------------------------------------
@composite(method=True, inplace=True, out=True)
def renorm(input, p, dim, maxnorm, *, out=None):
    """Matches torch.renorm: each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled
    down to norm maxnorm (by maxnorm / (norm + 1e-7), as torch)."""
    if input.dim() < 2:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions"
        )
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            + input.dtype.title
        )
    if out is not None:
        check_out("renorm", out, (input,))
        return write_out(out, renorm(input, p, dim, maxnorm))
    d = dim % input.dim()
    others = [i for i in range(input.dim()) if i != d]
    norm = vector_norm(input, p, dim=others, keepdim=True)
    factor = F.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor


# --- splits ---------------------------------------------------------------------------------
def _pieces(input, sizes, dim):
    d = dim % builtins.max(input.dim(), 1)
    out, start = [], 0
    for s in sizes:
        out.append(input.narrow(d, start, s))
        start += s
    return tuple(out)


@composite(method=True)
def split_with_sizes(input, split_sizes, dim=0):
    """Matches torch.split_with_sizes: pieces of the given sizes along ``dim``."""
    n = input.shape[dim]
    if sum(split_sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {dim}), but got split_sizes={list(split_sizes)}"
        )
    return F.split(input, list(split_sizes), dim)


@composite(method=True)
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """Matches torch.unsafe_split_with_sizes: split_with_sizes whose pieces may be written in
    place (plain views)."""
    split_with_sizes(input, split_sizes, dim)  # torch's checks
    return _pieces(input, split_sizes, dim)


@composite(method=True)
def unsafe_split(input, split_size, dim=0):
    """Matches torch.unsafe_split: split whose pieces may be written in place."""
    return _pieces(input, [p.shape[dim] for p in F.split(input, split_size, dim)], dim)


@composite(method=True)
def unsafe_chunk(input, chunks, dim=0):
    """Matches torch.unsafe_chunk: chunk whose pieces may be written in place."""
    return _pieces(input, [p.shape[dim] for p in F.chunk(input, chunks, dim)], dim)


# --- Tensor-only helpers --------------------------------------------------------------------
@composite(namespace=TENSOR, method=True)
def sum_to_size(input, *size):
    """Matches Tensor.sum_to_size: summed down to ``size`` (which input's shape broadcasts
    from)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(
            f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.".replace("'", "")
        )
    r = input
    if lead:
        r = r.sum(tuple(range(lead)))
    keep = tuple(i for i, (s, n) in enumerate(zip(size, shape[lead:])) if s == 1 and n != 1)
    return r.sum(keep, keepdim=True) if keep else r


@composite(namespace=TENSOR, method=True)
def type_as(input, other):
    """Matches Tensor.type_as: ``input`` in ``other``'s dtype."""
    return input.to(other.dtype)


__all__ = []
INTERNAL = []
