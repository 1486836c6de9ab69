"""The in-place op database: one row per in-place op variant, driving tests/ops/test_inplace.py.

Each row's ``fn(T, t, *others)`` is written once against the torch API, mutates ``t`` in place
and returns something (usually what the op returns: ``t`` itself for torch's ``op_`` methods).
It runs with ``T = mytorch`` and with ``T = torch``, on each of the TARGETS: ``t`` is a leaf's
clone, a non-leaf, a view of a non-leaf (row slice, transposition, strided column slice).

``others`` are described by ``Arg``s relative to the target ``t``: their shape (``t``'s own, a
row of it, a column of it, 0-d) and kind (a float tensor that requires grad, a constant float
tensor, a float tensor of the other float dtype, an int64 tensor, a bool mask).
"""

from dataclasses import dataclass

from op_db import ANY, BOOL, INT, NONZERO, POS

# Shapes of ``others``, relative to the target's shape (always 2-D).
SAME = "same"  # t's shape
ROW = "row"  # t.shape[1:]: broadcast over the rows
COL = "col"  # (t.shape[0], 1): broadcast over the columns
SCALAR = "0d"  # a 0-d tensor

# Kinds of ``others``.
FLOAT = "float"  # the dtype under test, requires grad
CONST = "const"  # the dtype under test, does not require grad
OTHER = "other"  # the other float dtype (float64 for float32 and back), requires grad
INT64 = "int64"  # int64 values in [-5, 5]
MASK = "mask"  # a bool mask

# The leaf every row starts from, and the shape of ``t`` on each target.
X_SHAPE = (3, 4)


@dataclass(frozen=True)
class Target:
    """How ``t`` is made from the leaf ``x``: ``make(x)`` returns ``(t, bases)``, where the bases
    (the tensors ``t`` is a view of) are returned by the test too, so their values and gradients
    are compared as well."""

    name: str
    make: object
    shape: tuple


def _clone(x):
    return x.clone(), []


def _nonleaf(x):
    return x * 1.5, []


def _row_view(x):
    b = x * 1.5
    return b[1:], [b]


def _transposed(x):
    b = x * 1.5
    return b.t(), [b]


def _strided(x):
    b = x.sin()  # sin saves its input, not b: b may be modified; its second derivative is not 0
    return b[:, ::2], [b]


TARGETS = [
    Target("clone", _clone, (3, 4)),
    Target("nonleaf", _nonleaf, (3, 4)),
    Target("view", _row_view, (2, 4)),
    Target("transposed", _transposed, (4, 3)),
    Target("strided", _strided, (3, 2)),
]


@dataclass(frozen=True)
class Arg:
    shape: str = SAME
    kind: str = FLOAT
    domain: str = ANY


def arg_shape(arg, target_shape):
    if arg.shape == SAME:
        return tuple(target_shape)
    if arg.shape == ROW:
        return tuple(target_shape[1:])
    if arg.shape == COL:
        return (target_shape[0], 1)
    return ()


@dataclass
class InplaceInfo:
    name: str
    fn: object
    args: tuple = ()
    domain: str = ANY  # the domain of x's values (the targets keep the sign of x)
    gradgrad: bool = True


# Augmented assignments and setitem are statements, so they get small functions.
def _iadd(T, t, y):
    t += y
    return t


def _isub(T, t, y):
    t -= y
    return t


def _imul(T, t, y):
    t *= y
    return t


def _itruediv(T, t, y):
    t /= y
    return t


def _setitem(index):
    def fn(T, t, *value):
        t[index] = value[0] if value else 0.75
        return None

    return fn


def _chain(T, t, y):
    t.mul_(y)
    t.add_(1.0)
    return t.exp_()


INPLACE = [
    # --- arithmetic ------------------------------------------------------------------------
    InplaceInfo("add_tensor", lambda T, t, y: t.add_(y), (Arg(),)),
    InplaceInfo("add_row_alpha", lambda T, t, y: t.add_(y, alpha=2), (Arg(ROW),)),
    InplaceInfo("add_0d", lambda T, t, y: t.add_(y), (Arg(SCALAR),)),
    InplaceInfo("add_scalar", lambda T, t: t.add_(1.5)),
    InplaceInfo("add_scalar_alpha", lambda T, t: t.add_(1.5, alpha=-2)),
    InplaceInfo("sub_tensor", lambda T, t, y: t.sub_(y), (Arg(),)),
    InplaceInfo("sub_col_alpha", lambda T, t, y: t.sub_(y, alpha=0.5), (Arg(COL),)),
    InplaceInfo("sub_scalar", lambda T, t: t.sub_(2.0)),
    InplaceInfo("mul_tensor", lambda T, t, y: t.mul_(y), (Arg(),)),
    InplaceInfo("mul_row", lambda T, t, y: t.mul_(y), (Arg(ROW),)),
    InplaceInfo("mul_const", lambda T, t, y: t.mul_(y), (Arg(kind=CONST),)),
    InplaceInfo("mul_other_dtype", lambda T, t, y: t.mul_(y), (Arg(kind=OTHER),)),
    InplaceInfo("mul_int_tensor", lambda T, t, y: t.mul_(y), (Arg(kind=INT64, domain=INT),)),
    InplaceInfo("mul_scalar", lambda T, t: t.mul_(-2.5)),
    InplaceInfo("div_tensor", lambda T, t, y: t.div_(y), (Arg(domain=NONZERO),)),
    InplaceInfo("div_col", lambda T, t, y: t.div_(y), (Arg(COL, domain=NONZERO),)),
    InplaceInfo("div_scalar", lambda T, t: t.div_(4.0)),
    InplaceInfo("pow_square", lambda T, t: t.pow_(2)),
    InplaceInfo("pow_frac", lambda T, t: t.pow_(1.5), domain=POS),
    InplaceInfo("iadd_tensor", _iadd, (Arg(),)),
    InplaceInfo("iadd_scalar", lambda T, t: _iadd(T, t, 0.5)),
    InplaceInfo("isub_row", _isub, (Arg(ROW),)),
    InplaceInfo("isub_scalar", lambda T, t: _isub(T, t, 3.0)),
    InplaceInfo("imul_tensor", _imul, (Arg(),)),
    InplaceInfo("imul_scalar", lambda T, t: _imul(T, t, 0.5)),
    InplaceInfo("itruediv_tensor", _itruediv, (Arg(domain=NONZERO),)),
    InplaceInfo("itruediv_scalar", lambda T, t: _itruediv(T, t, -3.0)),
    # --- copies and fills ------------------------------------------------------------------
    InplaceInfo("copy_same_shape", lambda T, t, s: t.copy_(s), (Arg(),)),
    InplaceInfo("copy_broadcast", lambda T, t, s: t.copy_(s), (Arg(ROW),)),
    InplaceInfo("copy_const", lambda T, t, s: t.copy_(s), (Arg(kind=CONST),)),
    InplaceInfo("copy_other_dtype", lambda T, t, s: t.copy_(s), (Arg(kind=OTHER),)),
    InplaceInfo("copy_int", lambda T, t, s: t.copy_(s), (Arg(kind=INT64, domain=INT),)),
    InplaceInfo("fill_scalar", lambda T, t: t.fill_(2.5)),
    InplaceInfo("zero_", lambda T, t: t.zero_()),
    InplaceInfo("clamp_min", lambda T, t: t.clamp_(min=-0.5)),
    InplaceInfo("clamp_max", lambda T, t: t.clamp_(max=0.5)),
    InplaceInfo("clamp_both", lambda T, t: t.clamp_(-0.5, 0.5)),
    InplaceInfo(
        "masked_fill_", lambda T, t, m: t.masked_fill_(m, 0.25), (Arg(kind=MASK, domain=BOOL),)
    ),
    InplaceInfo(
        "masked_fill_row_mask",
        lambda T, t, m: t.masked_fill_(m, -1.0),
        (Arg(ROW, kind=MASK, domain=BOOL),),
    ),
    # --- pointwise functions ---------------------------------------------------------------
    InplaceInfo("exp_", lambda T, t: t.exp_()),
    InplaceInfo("neg_", lambda T, t: t.neg_()),
    InplaceInfo("sigmoid_", lambda T, t: t.sigmoid_()),
    InplaceInfo("tanh_", lambda T, t: t.tanh_()),
    InplaceInfo("relu_", lambda T, t: t.relu_(), domain=NONZERO),
    # --- setitem (basic indices; tests/ops/test_setitem.py has the rest) --------------------
    InplaceInfo("setitem_row", _setitem(1), (Arg(ROW),)),
    InplaceInfo("setitem_slice_scalar", _setitem((slice(None), slice(1, None)))),
    InplaceInfo("setitem_element_0d", _setitem((0, 1)), (Arg(SCALAR),)),
    # --- several in-place ops on one tensor ------------------------------------------------
    InplaceInfo("mul_add_exp_chain", _chain, (Arg(),)),
]
