"""Helpers shared by the tests: moving data between mytorch and torch, and comparing the two."""

import contextlib
import zlib

import numpy as np
import pytest

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


# --- the in-place, view and setitem tests: one program run with both libraries -------------
LIBS = ("mytorch", "torch")


def lib(name):
    return mytorch if name == "mytorch" else torch


def weighted_sum(T, tensors, weights):
    """sum_i (tensors_i * weights_i).sum(), over the tensors that require grad (None if none)."""
    terms = [(t * w).sum() for t, w in zip(tensors, weights) if t.requires_grad]
    if not terms:
        return None
    s = terms[0]
    for term in terms[1:]:
        s = s + term
    return s


def weights_like(T, arrays, like, device):
    """NumPy weights as tensors of T with the dtypes of ``like``."""
    dev = device if T is mytorch else "cpu"
    return [
        T.tensor(a.astype(dtype_str(t).split(".")[-1]), device=dev) for a, t in zip(arrays, like)
    ]


def grads_or_zeros(T, out, inputs, create_graph):
    """Gradients of ``out`` w.r.t. ``inputs``: zeros (NumPy) where nothing depends on one."""
    if out is None:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    gs = T.autograd.grad(out, inputs, create_graph=create_graph, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else g for g, x in zip(gs, inputs)]


@contextlib.contextmanager
def raises(exc, match=None):
    """``pytest.raises(exc, match=...)`` that requires exactly ``exc`` (torch's class), not a
    subclass of it. Yields pytest's ExceptionInfo."""
    assert isinstance(exc, type), "one class: the one torch raises"
    with pytest.raises(Exception) as info:
        yield info
    got = type(info.value)
    assert got is exc, f"raised {got.__module__}.{got.__name__}, not {exc.__name__}: {info.value}"
    if match is not None:
        info.match(match)


def assert_same_exception(em, et):
    """mytorch's exception ``em`` is of exactly the class of torch's ``et``."""
    assert type(em) is type(et), (
        f"mytorch raised {type(em).__name__}: {em}; torch {type(et).__name__}: {et}"
    )


def raises_like(fn, phrases=(), exc=None):
    """``fn(torch)`` raises (of class ``exc`` when given); ``fn(mytorch)`` raises exactly the
    same class, and both messages contain each phrase (compared case-insensitively). Returns
    both messages (mytorch's, torch's)."""
    with pytest.raises(Exception) as et:
        fn(torch)
    if exc is not None:
        assert type(et.value) is exc, f"torch raised {type(et.value).__name__}"
    with pytest.raises(Exception) as em:
        fn(mytorch)
    assert_same_exception(em.value, et.value)
    m, t = str(em.value), str(et.value)
    for p in phrases:
        assert p.lower() in t.lower(), f"torch's message lacks {p!r}: {t}"
        assert p.lower() in m.lower(), f"mytorch's message lacks {p!r}: {m}"
    return m, t
