"""The op families. Each family file declares its ops (mytorch._ops._declare: a primitive's
kernel, what its Node saves and its VJP in mytorch ops, and the forms made from it: function,
Tensor method, in-place method, out=), and lists the functions it writes by hand in ``__all__``
(internal helpers that Tensor methods use in INTERNAL).

Adding an op: one declaration line in its family file and one row in tests/ops/op_db.py.
"""

from mytorch._ops import (
    activation,
    composite,
    conv,
    conversion,
    creation,
    fused,
    indexing,
    interop,
    linalg,
    norms,
    nn_linear,
    math,
    pad,
    loss,
    loss_margin,
    nn_misc,
    nn_embedding,
    nn_shuffle,
    pooling,
    normalization,
    pointwise,
    rearrange,
    rearrange2,
    linalg_decomp,
    linalg_ops,
    products,
    reduction,
    scan,
    scatter,
    sampling,
    shape,
    special_fns,
    statistics,
    strided,
)
from mytorch._ops import complex_ops, linalg_legacy, misc_numeric, misc_ops
from mytorch._ops import inplace_forms  # noqa: E402  (after the families it completes)
from mytorch._registry import publish, register_functions

FAMILIES = (
    pointwise,
    reduction,
    shape,
    indexing,
    strided,
    linalg,
    norms,
    fused,
    composite,
    creation,
    scan,
    nn_linear,
    math,
    special_fns,
    rearrange,
    rearrange2,
    scatter,
    pad,
    products,
    linalg_ops,
    linalg_decomp,
    activation,
    conversion,
    interop,
    sampling,
    loss,
    loss_margin,
    nn_misc,
    conv,
    nn_embedding,
    nn_shuffle,
    statistics,
    pooling,
    normalization,
    misc_ops,
    misc_numeric,
    linalg_legacy,
    complex_ops,
    inplace_forms,
)

for _family in FAMILIES:
    register_functions(vars(_family), list(_family.__all__) + list(_family.INTERNAL))
    for _name in _family.__all__:
        publish("torch", _name, getattr(_family, _name))
