"""``defop``: how an op family declares a primitive (one line per op in its table)."""

from mytorch._core import KIND_SAME, SAVE_NONE
from mytorch._registry import Op, register_op


def defop(name, vjp, save=SAVE_NONE, kind=KIND_SAME, node_name=None, kernel=None, ew=False, view=0):
    """Declare and register a primitive: name = PyTorch's name = kernel name (unless ``kernel``).

    ``vjp(node, grad)`` is written in mytorch ops; ``save`` says what the Node keeps (SAVE_X,
    SAVE_XY, SAVE_OUT); ``kind`` picks the result dtype; ``ew`` marks a one-input op whose
    result has its input's shape (its Node then keeps no input shape); ``view`` marks a view op
    (1: always a view of its input; 2: a view when the kernel did not have to copy).
    """
    if node_name is None:
        node_name = name.capitalize() + "Backward0"
    return register_op(Op(name, kernel or name, vjp, save, kind, node_name, ew, view))
