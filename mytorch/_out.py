"""out= arguments: torch's checks of the tensors given, and the write of a result into them.

An op called with ``out=`` checks it first (``check_out``: a Tensor, and no autograd), computes
its result out of place as usual, then ``write_out`` copies the result into ``out``'s memory
(through its base when ``out`` is a view), resizing an ``out`` of another shape as torch does,
and returns ``out``. Every check runs before anything is written, so a call that fails leaves
``out`` as it was.

Ops differ in the dtypes they accept for ``out`` (torch's own rules): ``can_cast`` (the
default, torch's canCast), ``same_dtype``, or a rule of the op's own, a function of the result
dtype and out's dtype that returns the exception to raise, or None.
"""

import warnings

from mytorch import _backends
from mytorch import _dtype as D
from mytorch._core import TensorBase, _ensure_vc
from mytorch._device import device as _device
from mytorch._grad_mode import is_grad_enabled
from mytorch._registry import sync
from mytorch._views import _check_writable

# torch's C++ names of the dtypes, as its messages spell them ("Expected out tensor to have
# dtype long int", "to - 1 is out of bounds for signed char").
C_NAMES = {
    D.float16: "c10::Half",
    D.float32: "float",
    D.float64: "double",
    D.complex64: "c10::complex<float>",
    D.complex128: "c10::complex<double>",
    D.int8: "signed char",
    D.int16: "short int",
    D.int32: "int",
    D.int64: "long int",
    D.uint8: "unsigned char",
    D.bool_: "bool",
}


# --- dtype rules: (result dtype, out's dtype) -> the exception to raise, or None -----------
def can_cast(result, out):
    """torch's canCast: no cast to a lower category (complex > float > integer > bool)."""
    if result.category > out.category:
        return RuntimeError(
            f"result type {result.title} can't be cast to the desired output type {out.title}"
        )
    return None


def same_dtype(result, out):
    """out must have the result's dtype (matmul, softmax, sort, ..., and any op given dtype=)."""
    if result is not out:
        want, got = C_NAMES[result], C_NAMES[out]
        return RuntimeError(f"Expected out tensor to have dtype {want}, but got {got} instead")
    return None


def any_dtype(result, out):
    """Any out dtype (sum, which computes in out's dtype)."""
    return None


# --- checks before the op runs ----------------------------------------------------------------
def check_out(name, out, inputs=()):
    """torch's checks of an out= tensor: a Tensor, and no input (nor out) that requires grad
    while grad mode is on (out= results are not differentiable)."""
    if not isinstance(out, TensorBase):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    _check_no_grad(name, (out,), inputs)


def check_outs(name, out, n, inputs=()):
    """The same for an out= tuple of ``n`` tensors (values and indices)."""
    if not isinstance(out, (tuple, list)):
        raise TypeError(
            f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}"
        )
    if len(out) != n:
        raise TypeError(f"expected tuple of {n} elements but got {len(out)}")
    for i, o in enumerate(out):
        if not isinstance(o, TensorBase):
            raise TypeError(
                f"expected Tensor as element {i} in argument 'out', but got {type(o).__name__}"
            )
    _check_no_grad(name, out, inputs)


def _check_no_grad(name, outs, inputs):
    if not is_grad_enabled():
        return
    for t in (*outs, *inputs):
        if isinstance(t, TensorBase) and t._requires_grad:
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )


def factory_out(name, out, dtype, device, requires_grad):
    """check_out for a creation function: its dtype and device are out's, and must agree with
    ``dtype`` and ``device`` where given. Returns (dtype, device) to create the result with."""
    check_out(name, out)
    if requires_grad is not None and type(requires_grad) is not bool:
        raise TypeError(
            f"{name}(): argument 'requires_grad' must be bool, not {type(requires_grad).__name__}"
        )
    if dtype in D.PY_TYPES:
        dtype = D.PY_TYPES[dtype]
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(
            f"dtype {dtype.title} does not match dtype of out parameter ({out.dtype.title})"
        )
    if device is not None:
        dev = _device(device)
        if dev.type != out.device.type:
            raise RuntimeError(
                f"device type {dev.type} does not match device type of out parameter "
                f"({out.device.type})"
            )
    if requires_grad and out.dtype.category < D.FLOAT:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return out.dtype, out.device


# --- the write --------------------------------------------------------------------------------
def write_out(out, result, rule=can_cast, warn=True):
    """Write ``result`` (a Tensor computed out of place) into ``out`` and return ``out``.

    ``out`` keeps its dtype (the result is cast into it when ``rule`` allows) and its memory
    when it has the result's shape; a tensor of another shape gets new memory of that shape
    (with torch's UserWarning when it had elements and ``warn``). Its version counter moves on.
    """
    plan = _prepare(out, result, rule, warn)
    _write(out, result, plan)
    return out


def write_outs(outs, results, rules, warn=True):
    """write_out for several results (values, indices): all checked before any is written."""
    plans = [_prepare(o, r, rule, warn) for o, r, rule in zip(outs, results, rules)]
    for o, r, plan in zip(outs, results, plans):
        _write(o, r, plan)
    return tuple(outs)


_SAME_SHAPE = 0
_RESIZE = 1


def _prepare(out, result, rule, warn):
    """Every check of one write; returns how to write (in place, or into new memory)."""
    err = rule(result.dtype, out.dtype)
    if err is not None:
        raise err
    if out.device != result.device:
        raise RuntimeError(
            f"Expected out tensor to have device {result.device}, but got {out.device} instead"
        )
    shape = result._data.shape
    if out._data.shape == shape:
        sync(out)
        _check_writable(out, False)
        return _SAME_SHAPE
    if out._base is not None:
        # NOTE: torch resizes a view inside its base's storage when the storage is large
        # enough; a view here cannot change its shape, so this is refused instead.
        raise RuntimeError(
            f"out= tensor of shape {list(out._data.shape)} is a view of another tensor and "
            f"cannot be resized to the result's shape {list(shape)}; pass an out of that shape"
        )
    if warn and out._data.size:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{list(out._data.shape)}, which does not match the required output shape "
            f"{list(shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly "
            "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
            UserWarning,
            stacklevel=4,
        )
    return _RESIZE


def _write(out, result, plan):
    rd = result._data
    if plan == _SAME_SHAPE:
        d = out._data
        out._data = _backends.for_array(d).assign(d, rd)
    else:
        be = _backends.for_array(out._data)
        out._data = be.assign(be.full(rd.shape, 0, out._data.dtype), rd)
    _ensure_vc(out).version += 1


def with_out(name, rule=can_cast):
    """Give function ``fn`` torch's ``out=`` keyword: checked (check_out, over its tensor
    arguments) before the result is computed out of place, then written (write_out, with
    ``rule`` for out's dtype)."""

    def wrap(fn):
        def fn_out(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            check_out(name, out, args)
            return write_out(out, fn(*args, **kwargs), rule)

        fn_out.__name__ = fn.__name__
        fn_out.__qualname__ = fn.__qualname__
        fn_out.__doc__ = fn.__doc__
        return fn_out

    return wrap
