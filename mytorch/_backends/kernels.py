"""The active CPU kernels: the NumPy reference, with compiled overrides from mytorch._ext.

Each override has the reference's contract and falls back to it for inputs outside its fast
path. Set MYTORCH_NO_EXT=1 to ignore the compiled kernels at run time.
"""

import importlib
import os

from mytorch._backends import numpy_ref

# Kernel modules under mytorch._ext whose public names override numpy_ref's.
EXT_MODULES = ()

loaded = {}


def _load():
    ns = {name: getattr(numpy_ref, name) for name in dir(numpy_ref) if not name.startswith("_")}
    if os.environ.get("MYTORCH_NO_EXT", "") == "1":
        return ns
    for mod_name in EXT_MODULES:
        try:
            mod = importlib.import_module("mytorch._ext." + mod_name)
        except ImportError:
            continue
        loaded[mod_name] = mod
        for name in getattr(mod, "OVERRIDES", ()):
            ns[name] = getattr(mod, name)
    return ns


globals().update(_load())
