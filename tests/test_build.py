"""The build under test is the one CI asked for: compiled means the hot path really is compiled."""

import os

import pytest

import mytorch
from mytorch._core import Node, TensorBase

EXPECT = os.environ.get("MYTORCH_EXPECT_BUILD")

HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: set for classes defined in Python, clear for cdef classes


@pytest.mark.skipif(EXPECT != "compiled", reason="runs against the compiled build")
def test_compiled_build_is_compiled():
    assert mytorch.compiled()
    assert all(mytorch.build_info().values())
    assert not TensorBase.__flags__ & HEAPTYPE
    assert not Node.__flags__ & HEAPTYPE
    if os.environ.get("MYTORCH_NO_EXT") != "1":  # the csrc/ kernels are loaded too
        assert mytorch._build.kernel_modules() == [
            "_alloc",
            "_blas",
            "_elementwise",
            "_im2col",
            "_optim",
            "_reduce",
            "_rnn",
            "_shape",
        ]


@pytest.mark.skipif(EXPECT != "pure", reason="runs against the pure-Python build")
def test_pure_build_is_pure():
    assert not mytorch.compiled()
    assert not any(mytorch.build_info().values())
    assert TensorBase.__flags__ & HEAPTYPE
    assert mytorch._build.kernel_modules() == []


def test_installed_package_not_source_tree():
    # The suite must exercise the installed build, not the checkout's uncompiled sources.
    if EXPECT is None:
        pytest.skip("MYTORCH_EXPECT_BUILD not set (run through tests/run.sh)")
    assert "site-packages" in mytorch.__file__
