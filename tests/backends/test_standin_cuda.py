"""The stand-in's model of CuPy's CUDA runtime (tests/backends/standin_cuda.py) and of
``cupy.fuse``: the memory pool's accounting, the allocator hook, streams, events, properties,
what a fused function may do, and the GEMM compute type."""

import gc

import numpy as np
import pytest
from backends import standin, standin_cuda
from backends.standin import xp


@pytest.fixture
def pool():
    gc.collect()
    p = xp.get_default_memory_pool()
    p.free_all_blocks()
    return p


def test_pool_counts_live_arrays_in_512_byte_blocks(pool):
    used = pool.used_bytes()
    a = xp.zeros(10, dtype=np.float32)  # 40 bytes -> one 512-byte block
    assert pool.used_bytes() - used == 512
    b = a[2:5]  # a view holds the same block
    c = a.reshape(2, 5)
    assert pool.used_bytes() - used == 512
    del a, b
    assert pool.used_bytes() - used == 512
    del c
    assert pool.used_bytes() == used
    assert pool.free_bytes() == 512 and pool.n_free_blocks() == 1
    xp.ones(3)  # a temporary reuses the cached block
    assert pool.free_bytes() == 512
    pool.free_all_blocks()
    assert pool.free_bytes() == 0 and pool.total_bytes() == used
    assert xp.empty(0).size == 0 and pool.used_bytes() == used  # nothing for no elements


def test_pool_answers_for_the_current_device(pool):
    with xp.cuda.Device(1):
        used1 = pool.used_bytes()
        a = xp.ones(1000)
        assert pool.used_bytes() - used1 == 8192
    assert a.device.id == 1
    free, total = xp.cuda.runtime.memGetInfo()
    assert total == standin_cuda.TOTAL_MEMORY and free == total - pool.total_bytes()


def test_the_allocator_can_be_replaced(pool):
    seen = []
    base = xp.cuda.get_allocator()

    def spy(size):
        seen.append(size)
        return base(size)

    xp.cuda.set_allocator(spy)
    try:
        xp.arange(5.0) * 2
    finally:
        xp.cuda.set_allocator(base)
    assert seen and all(s == 40 for s in seen)
    pool.set_limit(size=1024)
    try:
        with pytest.raises(standin_cuda.OutOfMemoryError):
            xp.zeros(1 << 20)
    finally:
        pool.set_limit(size=0)


def test_streams_events_and_properties():
    s = xp.cuda.Stream(non_blocking=True)
    assert xp.cuda.get_current_stream() == xp.cuda.Stream.null
    with s:
        assert xp.cuda.get_current_stream() is s
    assert xp.cuda.get_current_stream() == xp.cuda.Stream.null
    e1, e2 = xp.cuda.Event(), xp.cuda.Event()
    e1.record()
    e2.record(s)
    assert xp.cuda.get_elapsed_time(e1, e2) >= 0
    with pytest.raises(standin_cuda.CUDARuntimeError):
        xp.cuda.get_elapsed_time(e1, xp.cuda.Event())  # never recorded
    d = xp.cuda.Event(disable_timing=True)
    d.record()
    with pytest.raises(standin_cuda.CUDARuntimeError):
        xp.cuda.get_elapsed_time(e1, d)
    with pytest.raises(ValueError):
        xp.cuda.Event(interprocess=True)
    p = xp.cuda.runtime.getDeviceProperties(1)
    assert p["name"] == b"Stand-in GPU 1" and xp.cuda.Device(1).compute_capability == "90"
    with pytest.raises(standin_cuda.CUDARuntimeError):
        xp.cuda.runtime.getDeviceProperties(standin.DEVICE_COUNT)


def test_fuse_runs_one_kernel_and_refuses_what_cupy_refuses():
    @xp.fuse(kernel_name="axpy")
    def axpy(a, x, y):
        return a * x + xp.exp(y)

    x, y = xp.arange(4.0), xp.ones(4)
    before = standin.kernels["fused"]
    r = axpy(2.0, x, y)
    assert standin.kernels["fused"] == before + 1
    assert type(r) is standin.StandinArray
    np.testing.assert_allclose(r.get(), 2 * np.arange(4.0) + np.e)

    @xp.fuse
    def update(p, g):
        p -= g * 0.5  # in place on an argument

    p = xp.ones(3)
    assert update(p, xp.ones(3)) is None
    np.testing.assert_array_equal(p.get(), [0.5] * 3)

    @xp.fuse
    def assign(p, g):
        p[...] = g * 2

    assign(p, xp.ones(3))
    np.testing.assert_array_equal(p.get(), [2.0] * 3)
    with pytest.raises(ValueError, match="supports"):
        xp.fuse(lambda a: a.__setitem__(0, 1.0))(xp.ones(2))
    for body in (
        lambda a: a[0],  # indexing
        lambda a: a.reshape(2, 2),  # views
        lambda a: float(a.sum()),  # reading a value into Python
        lambda a: xp.concatenate([a, a]),  # not an elementwise function
    ):
        with pytest.raises(TypeError, match="fused"):
            xp.fuse(body)(xp.ones(4))
    with pytest.raises(TypeError):
        axpy(2.0, np.ones(4), y)  # host memory
    with pytest.raises(TypeError, match="Keyword"):
        axpy(2.0, x, y=y)


def test_gemm_compute_type_rounds_float32_to_tf32():
    core = xp._core._routines_linalg
    a = xp.asarray(np.full((1, 8), 1 + 2.0**-12, np.float32))
    b = xp.asarray(np.ones((8, 1), np.float32))
    assert core.get_compute_type(np.float32) == core.COMPUTE_TYPE_DEFAULT
    exact = (a @ b).get()
    core.set_compute_type(np.float32, core.COMPUTE_TYPE_TF32)
    try:
        assert (a @ b).get()[0, 0] == 8.0 and xp.matmul(a, b).get()[0, 0] == 8.0
    finally:
        core.set_compute_type(np.float32, core.COMPUTE_TYPE_DEFAULT)
    np.testing.assert_array_equal((a @ b).get(), exact)
    assert exact[0, 0] != 8.0


def test_dlpack_and_pinned_memory():
    a = xp.arange(3.0)
    assert a.__dlpack_device__() == (2, 0)
    b = xp.from_dlpack(a)
    b[0] = 7.0
    assert a.get()[0] == 7.0
    with pytest.raises(RuntimeError):
        xp.from_dlpack(np.arange(3.0))  # host memory
    mem = xp.cuda.alloc_pinned_memory(24)
    base = np.frombuffer(mem, np.float64, 3).reshape(3, 1)
    while isinstance(base, np.ndarray):
        base = base.base
    base = base.obj if isinstance(base, memoryview) else base
    assert isinstance(base, xp.cuda.PinnedMemoryPointer) and len(base) == 24
