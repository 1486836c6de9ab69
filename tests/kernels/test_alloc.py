"""The caching allocator for NumPy buffers (compiled build only)."""

import os
import threading

import numpy as np
import pytest

# Importing mytorch._ext._alloc imports the mytorch package first, and loading the package's
# kernels installs the allocator (so no separate `import mytorch` is needed).
alloc = pytest.importorskip("mytorch._ext._alloc")

ACTIVE = (
    os.environ.get("MYTORCH_NO_EXT") != "1" and os.environ.get("MYTORCH_CACHING_ALLOCATOR") != "0"
)


def _handler_name():
    return np._core.multiarray.get_handler_name()


@pytest.fixture
def installed():
    alloc.install()
    yield
    if not ACTIVE:
        alloc.uninstall()


def test_installed_when_the_kernels_load():
    if not ACTIVE:
        pytest.skip("allocator switched off")
    assert _handler_name() == "mytorch_caching_allocator"


def test_freed_blocks_are_reused(installed):
    alloc.empty_cache()
    n = (1 << 20) + 3
    a = np.empty(n)
    a[:] = 1
    addr = a.ctypes.data
    del a
    before = alloc.stats()
    b = np.empty(n)
    after = alloc.stats()
    assert after["hits"] == before["hits"] + 1
    assert b.ctypes.data == addr
    assert b.ctypes.data % 64 == 0


def test_zeros_of_a_reused_block_are_zero(installed):
    a = np.full(300_000, 7.0)
    del a
    z = np.zeros(300_000)
    assert not z.any()


def test_small_arrays_and_realloc(installed):
    small = [np.arange(i, dtype=np.float32) for i in range(200)]
    assert all(len(s) == i for i, s in enumerate(small))
    a = np.arange(10.0)
    a.resize(100_000, refcheck=False)  # realloc across the small/large boundary
    assert a[:10].tolist() == list(range(10)) and not a[10:].any()
    a.resize(5, refcheck=False)
    assert a.tolist() == list(range(5))


def test_limit_bounds_the_cache(installed):
    stats = alloc.stats()
    try:
        alloc.set_limit(1 << 20)
        arrays = [np.ones(200_000) for _ in range(10)]  # 1.6 MB each: none fits
        del arrays
        assert alloc.stats()["cached"] <= 1 << 20
        alloc.set_limit(64 << 20)
        arrays = [np.ones(200_000) for _ in range(10)]
        del arrays
        assert 0 < alloc.stats()["cached"] <= 64 << 20
        alloc.empty_cache()
        assert alloc.stats()["cached"] == 0
    finally:
        alloc.set_limit(stats["limit"])


def test_a_full_cache_makes_room_for_the_size_in_use(installed):
    """Freeing a block into a full cache returns the least recently used sizes to the system,
    so the block just freed is cached and its next allocation reuses it."""
    stats = alloc.stats()
    try:
        alloc.empty_cache()
        alloc.set_limit(8 << 20)
        old = [np.ones(250_000) for _ in range(4)]  # 2 MB each: the cache fills with them
        del old
        filled = alloc.stats()["cached"]
        assert filled > 4 << 20
        new = np.ones(700_000)  # 5.6 MB: fits only once older blocks go
        del new
        after = alloc.stats()
        assert after["cached"] <= 8 << 20
        hits = after["hits"]
        again = np.ones(700_000)
        assert alloc.stats()["hits"] == hits + 1  # the block just freed was kept
        del again
    finally:
        alloc.empty_cache()
        alloc.set_limit(stats["limit"])


def test_threads_allocate_and_free_safely(installed):
    errors = []

    def work(seed):
        try:
            alloc.install()  # new threads start with NumPy's default handler (a context variable)
            rng = np.random.default_rng(seed)
            for _ in range(200):
                n = int(rng.integers(1, 400_000))
                a = np.full(n, float(seed))
                assert a[0] == a[-1] == seed
                del a
        except Exception as e:  # noqa: BLE001  (collected, then asserted below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_arrays_outlive_uninstall():
    alloc.install()
    a = np.ones(100_000)
    alloc.uninstall()
    b = np.ones(100_000)
    assert _handler_name() != "mytorch_caching_allocator"
    del a, b  # each freed by the handler that made it
    if ACTIVE:
        alloc.install()
