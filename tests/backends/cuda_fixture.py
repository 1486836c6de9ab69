"""The ``cuda`` fixture (tests/conftest.py makes it every test's): the stand-in device
(tests/backends/standin.py) registered under the name ``cuda`` for one test, so that
``device='cuda'``, ``.cuda()`` and ``mytorch.cuda`` run the CUDA backend (CupyBackend) over
CuPy's API as they would on a GPU."""

import pytest
from backends import standin, standin_cuda, standin_cupyx
from backends.standin_backend import BACKEND as STANDIN

import mytorch
from mytorch import _random
from mytorch._backends import cupy_backend


def _reset_standin():
    standin._current[:] = [0]
    standin_cuda.Stream.null.use()


@pytest.fixture
def cuda():
    """The CUDA backend over the stand-in, as device type ``cuda``, with 2 devices."""
    be = cupy_backend.CupyBackend(standin.xp, scipy_linalg=standin_cupyx.linalg)
    previous = mytorch._backends.loaded().get("cuda")  # real CuPy's, on a GPU machine
    mytorch._backends.unregister(STANDIN)
    mytorch._backends.register(be)
    _reset_standin()
    try:
        yield be
    finally:
        mytorch._backends.unregister(be)
        mytorch._backends.register(STANDIN)
        if previous is not None:
            mytorch._backends.register(previous)
        for key in [k for k in _random._defaults if k[0] == "cuda"]:
            del _random._defaults[key]
        _reset_standin()
