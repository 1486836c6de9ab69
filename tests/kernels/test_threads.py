"""The thread-count setting shared by the compiled kernels (torch.set_num_threads's twin)."""

import pytest
from helpers import raises

from mytorch import _threads


def test_set_and_get():
    before = _threads.get_num_threads()
    try:
        _threads.set_num_threads(1)
        assert _threads.get_num_threads() == 1
        _threads.set_num_threads(3)
        assert _threads.get_num_threads() == 3
    finally:
        _threads.set_num_threads(before)
    assert _threads.get_num_threads() == before >= 1


@pytest.mark.parametrize(
    "bad,exc", [(0, RuntimeError), (-2, RuntimeError), (1.5, TypeError), (True, TypeError)]
)
def test_rejects(bad, exc):
    with raises(exc):
        _threads.set_num_threads(bad)


def test_loaded_kernels_follow_the_setting():
    ext = pytest.importorskip("mytorch._ext._elementwise")
    seen = []
    _threads._register(seen.append)
    try:
        before = _threads.get_num_threads()
        _threads.set_num_threads(2)
        _threads.set_num_threads(before)
        assert seen == [before, 2, before]
    finally:
        _threads._listeners.remove(seen.append)
    assert hasattr(ext, "_set_num_threads")


def test_top_level_names_are_the_setting():
    import mytorch

    assert mytorch.set_num_threads is _threads.set_num_threads
    assert mytorch.get_num_threads is _threads.get_num_threads
