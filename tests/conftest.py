"""Shared fixtures: float dtypes, devices (the CPU and the stand-in device), a seeded NumPy
generator, and the torch oracle.

Two guards keep a run from passing on less than it claims:

- torch (the oracle) is required: a run that collects torch-marked tests without it stops with
  an error, unless ``MYTORCH_ALLOW_NO_TORCH=1`` asks for those tests to be skipped (the wheel
  builds' smoke tests, which install pytest alone, set it).
- the tests marked ``kernels_vs_reference`` compare the CPU backend's kernels with the NumPy
  reference; where the CPU backend *is* the reference (the pure build, or ``MYTORCH_NO_EXT=1``)
  they would compare it with itself, so they are skipped there.
"""

import os

import numpy as np
import pytest

import mytorch
from backends.cuda_fixture import cuda  # noqa: F401 (the stand-in registered as cuda)
from backends.standin_backend import BACKEND as STANDIN
from mytorch._backends.reference import NUMPY

# The stand-in device (tests/backends/standin_backend.py) exists for the whole session.
mytorch._backends.register(STANDIN)

try:
    import torch
except ImportError:  # the oracle is in the test extra; see the guard below
    torch = None

ALLOW_NO_TORCH = os.environ.get("MYTORCH_ALLOW_NO_TORCH") == "1"
NO_TORCH_ERROR = (
    "torch (the oracle, in the test extra: pip install '.[test]') is not installed, so the "
    "{n} tests that compare with it cannot run. Set MYTORCH_ALLOW_NO_TORCH=1 to skip them."
)
# The CPU kernels are the NumPy reference itself (nothing compiled loaded).
KERNELS_ARE_REFERENCE = mytorch._backends.CPU is NUMPY


FLOAT_DTYPES = ["float32", "float64"]
# MYTORCH_TEST_CUDA=1 adds the real GPU (CuPy) to the devices every table runs on; those cases
# are gpu-marked (``pytest -m gpu`` runs them alone) and skip where no GPU is.
TEST_CUDA = os.environ.get("MYTORCH_TEST_CUDA") == "1"
DEVICES = ["cpu", "standin"] + (["cuda"] if TEST_CUDA else [])


@pytest.fixture(params=FLOAT_DTYPES)
def dtype_name(request):
    return request.param


@pytest.fixture(params=DEVICES)
def device(request):
    """Each device every test machine has: the CPU and the stand-in device."""
    return request.param


@pytest.fixture
def use_threads():
    """Call it with n: mytorch's thread count (kernels and BLAS) for this test, restored after."""
    before = mytorch.get_num_threads()
    yield mytorch.set_num_threads
    mytorch.set_num_threads(before)


@pytest.fixture
def threads_from_any_size(use_threads):
    """The im2col module's kernels (im2col, col2im, pooling) use threads from the smallest size,
    three of them (both restored after the test)."""
    ext = pytest.importorskip("mytorch._ext._im2col")
    prev = ext._set_par_size(1)
    use_threads(3)
    yield
    ext._set_par_size(prev)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "kernels_vs_reference: compares the CPU kernels with the NumPy reference (skipped "
        "where the kernels are the reference)",
    )


def pytest_collection_modifyitems(config, items):
    skip_torch = pytest.mark.skip(reason="torch (the oracle) is not installed")
    skip_gpu = pytest.mark.skip(reason="no CUDA GPU with CuPy")
    skip_self = pytest.mark.skip(
        reason="the CPU kernels are the NumPy reference here: the comparison would be with itself"
    )
    # Markers, not keywords: keywords hold the names of the directories above a test too.
    need_torch = [item for item in items if item.get_closest_marker("torch")]
    if torch is None and need_torch and not ALLOW_NO_TORCH:
        raise pytest.UsageError(NO_TORCH_ERROR.format(n=len(need_torch)))
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("device") == "cuda":
            item.add_marker(pytest.mark.gpu)
        if torch is None and item.get_closest_marker("torch"):
            item.add_marker(skip_torch)
        if item.get_closest_marker("gpu") and not mytorch.cuda.is_available():
            item.add_marker(skip_gpu)
        if KERNELS_ARE_REFERENCE and item.get_closest_marker("kernels_vs_reference"):
            item.add_marker(skip_self)
