"""The process-wide switches that reproducible scripts set (use_deterministic_algorithms,
set_float32_matmul_precision, torch.backends.cudnn / mps) read back as torch's do."""

import importlib
import warnings

import pytest
from helpers import raises_like

import mytorch

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.torch


def _state(T):
    return (
        T.are_deterministic_algorithms_enabled(),
        T.is_deterministic_algorithms_warn_only_enabled(),
        T.get_deterministic_debug_mode(),
        T.get_float32_matmul_precision(),
    )


@pytest.fixture
def restore():
    saved = {T: _state(T) for T in (mytorch, torch)}
    yield
    for T, (det, warn, _, prec) in saved.items():
        T.use_deterministic_algorithms(det, warn_only=warn)
        T.set_float32_matmul_precision(prec)


@pytest.mark.parametrize(
    "calls",
    [
        [],
        [("use_deterministic_algorithms", (True,), {})],
        [("use_deterministic_algorithms", (True,), {"warn_only": True})],
        [
            ("use_deterministic_algorithms", (True,), {}),
            ("use_deterministic_algorithms", (False,), {}),
        ],
        [("set_float32_matmul_precision", ("high",), {})],
        [("set_float32_matmul_precision", ("medium",), {})],
    ],
)
def test_settings_read_back_as_torch(calls, restore):
    for T in (mytorch, torch):
        for name, args, kw in calls:
            getattr(T, name)(*args, **kw)
    assert _state(mytorch) == _state(torch)


def test_settings_refuse_as_torch(restore):
    raises_like(lambda T: T.use_deterministic_algorithms("yes"), exc=TypeError)
    raises_like(lambda T: T.use_deterministic_algorithms(True, warn_only=1), exc=TypeError)
    for T in (mytorch, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.set_float32_matmul_precision("low")
        assert [w.category for w in caught] == [UserWarning]
        assert T.get_float32_matmul_precision() == "highest"


def test_backends_flags_match_torch():
    for mod in ("cudnn", "mps"):
        m = importlib.import_module(f"mytorch.backends.{mod}")
        assert getattr(mytorch.backends, mod) is m
    mc, tc = mytorch.backends.cudnn, torch.backends.cudnn
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(mc, flag) == getattr(tc, flag), flag
    assert mc.is_available() is tc.is_available() is False
    assert mc.version() is tc.version() is None
    assert mytorch.backends.mps.is_available() is torch.backends.mps.is_available()
    assert mytorch.backends.mps.is_built() is torch.backends.mps.is_built()
    old = mc.deterministic
    try:
        mytorch.backends.cudnn.deterministic = True
        import mytorch.backends.cudnn as cudnn

        assert cudnn.deterministic is True
    finally:
        mc.deterministic = old
