"""The op families. Each family file declares its primitives (registry entries: name, kernel,
what the Node saves, the VJP in mytorch ops), defines the torch-named functions that apply
them, and lists those in ``__all__`` (internal helpers that Tensor methods use in INTERNAL).

Adding an op: one table line and one function in its family file, its name in ``__all__``,
the kernel in mytorch._backends.reference.Backend, and one row in tests/ops/op_db.py.
"""

from mytorch._ops import (
    composite,
    creation,
    fused,
    indexing,
    linalg,
    pointwise,
    reduction,
    shape,
    strided,
)
from mytorch._ops.composite import *  # noqa: F403
from mytorch._ops.creation import *  # noqa: F403
from mytorch._ops.fused import *  # noqa: F403
from mytorch._ops.indexing import *  # noqa: F403
from mytorch._ops.linalg import *  # noqa: F403
from mytorch._ops.pointwise import *  # noqa: F403
from mytorch._ops.reduction import *  # noqa: F403
from mytorch._ops.shape import *  # noqa: F403
from mytorch._ops.strided import *  # noqa: F403
from mytorch._registry import register_functions

FAMILIES = (pointwise, reduction, shape, indexing, strided, linalg, fused, composite, creation)

for _family in FAMILIES:
    register_functions(vars(_family), list(_family.__all__) + list(_family.INTERNAL))

__all__ = [name for family in FAMILIES for name in family.__all__]
