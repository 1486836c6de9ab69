"""Shared fixtures: float dtypes, devices (the CPU and the stand-in device), a seeded NumPy
generator, and the torch oracle."""

import numpy as np
import pytest

import mytorch
from backends.standin_backend import BACKEND as STANDIN

# The stand-in device (tests/backends/standin_backend.py) exists for the whole session.
mytorch._backends.register(STANDIN)

try:
    import torch
except ImportError:  # the oracle is in the test extra; without it torch-marked tests skip
    torch = None


FLOAT_DTYPES = ["float32", "float64"]
DEVICES = ["cpu", "standin"]


@pytest.fixture(params=FLOAT_DTYPES)
def dtype_name(request):
    return request.param


@pytest.fixture(params=DEVICES)
def device(request):
    """Each device every test machine has: the CPU and the stand-in device."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(config, items):
    skip_torch = pytest.mark.skip(reason="torch (the oracle) is not installed")
    skip_gpu = pytest.mark.skip(reason="no CUDA GPU with CuPy")
    for item in items:
        if torch is None and "torch" in item.keywords:
            item.add_marker(skip_torch)
        if "gpu" in item.keywords and not mytorch.cuda.is_available():
            item.add_marker(skip_gpu)
