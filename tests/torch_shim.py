"""Run a PyTorch script with ``torch`` bound to mytorch: ``python torch_shim.py SCRIPT [ARGS]``.

A finder on ``sys.meta_path`` answers every ``torch`` / ``torch.X.Y`` import with the module
``mytorch`` / ``mytorch.X.Y``, so ``import torch``, ``import torch.nn as nn``,
``from torch.nn.utils.rnn import pack_padded_sequence`` ... all reach mytorch. The script is
then run as ``__main__``. It lives in tests/ (a test helper), not in the package.
"""

import importlib
import importlib.abc
import importlib.util
import runpy
import sys


class TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``torch[.X]`` to the already imported (or importable) ``mytorch[.X]``."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            if importlib.util.find_spec("my" + name) is None:
                return None  # torch has it, mytorch does not: a plain ModuleNotFoundError
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("my" + spec.name)

    def exec_module(self, module):
        pass  # the mytorch module is already executed


def install():
    """Make ``import torch`` give mytorch in this interpreter (refuses if torch is loaded)."""
    if "torch" in sys.modules and sys.modules["torch"].__name__ != "mytorch":
        raise RuntimeError("the real torch is already imported in this interpreter")
    sys.meta_path.insert(0, TorchAlias())


def main(argv):
    install()
    script = argv[1]
    sys.argv = argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
