"""The registry: every primitive (an Op) by name, and every torch-named function by name.

The op families (mytorch._ops.*) declare their primitives with ``register_op`` and list their
functions in ``__all__``; mytorch._ops registers those. Tensor methods and operators reach ops
and functions through this module at call time, which keeps the package's imports one-way:
the families stand on mytorch._core, and mytorch._core never imports a family.
"""

OPS = {}  # op name -> Op


class _Functions:
    """The torch-named functions as attributes: ``F.sum(x, 1)`` is ``mytorch.sum(x, 1)``."""

    def __repr__(self):
        return f"<mytorch functions: {len(vars(self))} registered>"


F = _Functions()


def register_op(op):
    """Record a primitive under its name; a name is declared once."""
    if op.name in OPS:
        raise RuntimeError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    return op


def register_functions(module, names):
    """Record ``module``'s functions of those names (a family's __all__ and internals)."""
    for name in names:
        if hasattr(F, name) and getattr(F, name) is not getattr(module, name):
            raise RuntimeError(f"function {name!r} is exported by two op families")
        setattr(F, name, getattr(module, name))
