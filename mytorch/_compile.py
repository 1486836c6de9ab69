"""mytorch.compile: torch.compile's signature; the model (or function) comes back unchanged.

mytorch has no graph compiler: its hot path is compiled ahead of time. A one-time
UserWarning says so, the first time compile is called.
"""

import warnings

__all__ = ["compile"]

_noted = []


def _note():
    if not _noted:
        _noted.append(True)
        warnings.warn(
            "mytorch.compile returns the model unchanged: mytorch has no graph compiler (its "
            "hot path is compiled ahead of time)",
            UserWarning,
            stacklevel=3,
        )


def compile(
    model=None,
    *,
    fullgraph=False,
    dynamic=None,
    backend="inductor",
    mode=None,
    options=None,
    disable=False,
    **kwargs,
):
    """Matches torch.compile: ``compile(model)`` is ``model``; ``@compile`` and
    ``@compile(mode=...)`` decorate a function with itself."""
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same time."
        )
    if model is None:

        def decorate(fn):
            return compile(
                fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                options=options, disable=disable, **kwargs,
            )  # fmt: skip

        return decorate
    if not callable(model):
        raise RuntimeError("model must be a callable")
    _note()
    return model
