"""Helpers shared by the tests: moving data between mytorch and torch, and comparing the two."""

import zlib

import numpy as np

import mytorch

try:
    import torch
except ImportError:  # torch-marked tests are skipped by conftest.py
    torch = None

# Tolerances per float dtype. mytorch runs NumPy kernels, torch its own: summation order and
# libm differ, so float32 results agree to a few ulps, not bit for bit.
TOL = {
    "float16": dict(rtol=2e-3, atol=2e-3),
    "float32": dict(rtol=2e-5, atol=2e-5),
    "float64": dict(rtol=1e-10, atol=1e-12),
}
# Second derivatives go through two rounds of kernels, so float32 gets more slack.
TOL2 = {"float32": dict(rtol=2e-4, atol=2e-4), "float64": dict(rtol=1e-9, atol=1e-10)}


def seeded_rng(*keys):
    """A NumPy generator seeded from strings, so each test id draws its own stable numbers."""
    return np.random.default_rng(zlib.crc32("/".join(map(str, keys)).encode()))


def to_numpy(t):
    """The values of a mytorch or torch tensor (or a Python number) as a NumPy array."""
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy(force=True)  # force: torch returns ZeroTensors for some grads
    if isinstance(t, mytorch.Tensor):
        return np.asarray(t.detach().cpu().numpy())
    return np.asarray(t)


def dtype_str(t):
    """'torch.float32' for either library's tensor."""
    return str(t.dtype) if torch is not None and isinstance(t, torch.Tensor) else repr(t.dtype)


def pair(array, dtype=None, requires_grad=False):
    """The same values as a mytorch tensor and a torch tensor."""
    a = np.array(array, dtype=dtype)
    m = mytorch.tensor(a, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return m, t


def assert_matches(m, t, rtol=None, atol=None, check_dtype=True):
    """mytorch result ``m`` equals torch result ``t``: same shape, same dtype, close values."""
    assert isinstance(m, mytorch.Tensor), f"expected a mytorch.Tensor, got {type(m).__name__}"
    assert isinstance(t, torch.Tensor)
    assert tuple(m.shape) == tuple(t.shape), f"shape {tuple(m.shape)} != torch's {tuple(t.shape)}"
    if check_dtype:
        assert dtype_str(m) == dtype_str(t), f"dtype {dtype_str(m)} != torch's {dtype_str(t)}"
    a, b = to_numpy(m), to_numpy(t)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b)
        return
    tol = TOL.get(str(b.dtype), TOL["float64"])
    np.testing.assert_allclose(
        a.astype(np.float64),
        b.astype(np.float64),
        rtol=tol["rtol"] if rtol is None else rtol,
        atol=tol["atol"] if atol is None else atol,
        equal_nan=True,
    )
