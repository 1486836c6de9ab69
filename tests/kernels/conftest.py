"""Fixtures shared by the kernel tests."""

import pytest


@pytest.fixture
def threads_from_any_size(use_threads):
    """The im2col module's kernels (im2col, col2im, pooling) use threads from the smallest size,
    three of them (both restored after the test)."""
    ext = pytest.importorskip("mytorch._ext._im2col")
    prev = ext._set_par_size(1)
    use_threads(3)
    yield
    ext._set_par_size(prev)
