"""mytorch.cuda on the stand-in device registered as ``cuda`` (the ``cuda`` fixture): devices,
properties, synchronisation, the memory pool's statistics, streams, events and seeding; and
without a GPU, torch's CPU-build behaviour (checked against the installed CPU torch)."""

import re
import gc
import subprocess
import sys

import numpy as np
import pytest
from backends import standin, standin_cuda
from helpers import raises

import mytorch

try:
    import torch
except ImportError:
    torch = None


def test_is_available_and_count(cuda):
    assert mytorch.cuda.is_available() is True
    assert mytorch.cuda.device_count() == standin.DEVICE_COUNT == 2
    assert mytorch.cuda.is_initialized()


def test_import_never_imports_cupy_and_without_it_nothing_is_available():
    code = (
        "import sys; sys.modules['cupy'] = None\n"  # an import of cupy fails
        "import mytorch\n"
        "c = mytorch.cuda\n"
        "assert not c.is_available() and c.device_count() == 0 and not c.is_initialized()\n"
        "assert c.memory_allocated() == c.max_memory_allocated() == c.memory_reserved() == 0\n"
        "c.empty_cache(); c.manual_seed(1); c.manual_seed_all(1)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    code = "import sys, mytorch; mytorch.zeros(2); print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.torch
@pytest.mark.parametrize(
    "call",
    ["mem_get_info()", "get_device_properties(0)", "get_device_capability()",
     "get_device_name()", "current_device()", "synchronize()", "current_stream()"],
)  # fmt: skip
def test_without_a_gpu_errors_as_a_cpu_torch(call):
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    assert not mytorch.cuda.is_available()
    with raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        eval("torch.cuda." + call)
    with raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        eval("mytorch.cuda." + call)


@pytest.mark.torch
def test_without_a_gpu_stream_event_and_device_raise_as_torch():
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    for fn in (
        lambda L: L.cuda.Stream(),
        lambda L: L.cuda.Event(enable_timing=True),
        lambda L: L.cuda.device(0).__enter__(),
    ):
        with pytest.raises(RuntimeError) as t:
            fn(torch)
        with raises(RuntimeError, match=re.escape(str(t.value))):
            fn(mytorch)
    for L in (torch, mytorch):
        assert L.cuda.memory_allocated() == L.cuda.memory_reserved() == 0
        assert L.cuda.max_memory_allocated() == 0
        assert L.cuda.empty_cache() is None
        assert L.cuda.set_device(-1) is None


def test_current_device_set_device_and_the_device_context(cuda):
    c = mytorch.cuda
    assert c.current_device() == 0
    with c.device(1):
        assert c.current_device() == 1
        assert mytorch.zeros(2, device="cuda").device == mytorch.device("cuda", 1)
        with c.device("cuda:0"):
            assert c.current_device() == 0
        assert c.current_device() == 1
    assert c.current_device() == 0
    with c.device(None):
        assert c.current_device() == 0
    c.set_device(1)
    assert c.current_device() == 1
    assert mytorch.ones(1, device="cuda").get_device() == 1
    c.set_device(mytorch.device("cuda", 0))
    assert c.current_device() == 0
    with raises(ValueError, match="Expected a cuda device, but got: cpu"):
        c.set_device("cpu")
    t = mytorch.zeros(1, device="cuda:1")
    with c.device_of(t):
        assert c.current_device() == 1
    with c.device_of(mytorch.zeros(1)):
        assert c.current_device() == 0


def test_device_properties_name_and_capability(cuda):
    c = mytorch.cuda
    p = c.get_device_properties(1)
    raw = standin.xp.cuda.runtime.getDeviceProperties(1)
    assert p.name == raw["name"].decode() == "Stand-in GPU 1"
    assert (p.major, p.minor) == (9, 0) == c.get_device_capability(1)
    assert p.total_memory == standin_cuda.TOTAL_MEMORY
    assert p.multi_processor_count == 132
    assert c.get_device_name() == "Stand-in GPU 0"
    assert c.get_device_name("cuda:1") == "Stand-in GPU 1"
    assert repr(p).startswith("_CudaDeviceProperties(name='Stand-in GPU 1', major=9, minor=0, ")
    with raises(AssertionError, match="Invalid device id"):
        c.get_device_properties(5)


def test_synchronize(cuda):
    assert mytorch.cuda.synchronize() is None
    assert mytorch.cuda.synchronize(1) is None


def _nbytes(n, itemsize=4):
    return -(-n * itemsize // 512) * 512  # the pool's rounding


def test_memory_allocated_follows_live_tensors(cuda):
    c = mytorch.cuda
    gc.collect()  # earlier tests' cycles hold device memory until collected
    c.empty_cache()
    base, base1 = c.memory_allocated(), c.memory_allocated(1)
    a = mytorch.zeros(1000, device="cuda")  # 4000 bytes -> 4096
    assert c.memory_allocated() - base == _nbytes(1000)
    assert c.memory_allocated(1) == base1
    v = a[10:20]  # a view: no new memory
    assert c.memory_allocated() - base == _nbytes(1000)
    del a
    assert c.memory_allocated() - base == _nbytes(1000)  # the view keeps the block alive
    del v
    assert c.memory_allocated() == base
    assert c.memory_reserved() >= base + _nbytes(1000)  # the block stays cached
    c.empty_cache()
    assert c.memory_reserved() == c.memory_allocated() == base
    b = mytorch.ones(300, dtype=mytorch.float64, device="cuda:1")
    assert c.memory_allocated("cuda:1") - base1 == _nbytes(300, 8)
    assert c.memory_allocated(mytorch.device("cuda", 1)) - base1 == _nbytes(300, 8)
    del b


def test_peaks_and_their_reset(cuda):
    c = mytorch.cuda
    gc.collect()  # earlier tests' cycles hold device memory until collected
    c.empty_cache()
    c.reset_peak_memory_stats()
    base = c.memory_allocated()
    assert c.max_memory_allocated() == base
    x = mytorch.randn(4096, device="cuda")
    y = (x * 2).exp()  # a temporary of 4096 floats dies inside
    peak = c.max_memory_allocated()
    assert peak >= base + 3 * _nbytes(4096)
    assert c.max_memory_reserved() >= peak
    del x, y
    assert c.memory_allocated() == base
    assert c.max_memory_allocated() == peak  # the peak stays
    c.reset_peak_memory_stats()
    assert c.max_memory_allocated() == base
    stats = c.memory_stats()
    assert stats["allocated_bytes.all.current"] == base
    assert stats["allocated_bytes.all.peak"] == base


def test_mem_get_info(cuda):
    c = mytorch.cuda
    gc.collect()  # earlier tests' cycles hold device memory until collected
    c.empty_cache()
    free0, total = c.mem_get_info()
    assert total == standin_cuda.TOTAL_MEMORY
    keep = mytorch.empty(1 << 20, device="cuda")  # 4 MiB
    free1, _ = c.mem_get_info()
    assert free0 - free1 == 4 << 20
    assert c.mem_get_info(1)[0] == total - c.memory_reserved(1)
    del keep


def test_memory_stays_flat_over_training_steps(cuda):
    """Nothing is kept alive from one step to the next (the pool's used bytes)."""
    c = mytorch.cuda
    mytorch.manual_seed(0)
    model = mytorch.nn.Sequential(
        mytorch.nn.Linear(8, 16), mytorch.nn.Tanh(), mytorch.nn.Linear(16, 1)
    ).cuda()
    opt = mytorch.optim.Adam(model.parameters(), lr=1e-2)
    x = mytorch.randn(32, 8, device="cuda")
    y = mytorch.randn(32, 1, device="cuda")
    used = []
    for step in range(30):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        del loss
        used.append(c.memory_allocated())
    assert used[-1] == used[5], used


def test_streams(cuda):
    c = mytorch.cuda
    default = c.current_stream()
    assert default == c.default_stream()
    assert default.cuda_stream == 0
    s = c.Stream()
    assert s.device == mytorch.device("cuda", 0)
    assert s != default and s.cuda_stream != 0
    with c.stream(s):
        assert c.current_stream() == s
        assert standin.xp.cuda.get_current_stream() is s._xp_stream  # kernels go there
        x = mytorch.ones(3, device="cuda") * 2
    assert c.current_stream() == default
    assert s.query() is True
    s.synchronize()
    s.wait_stream(default)
    with c.stream(None):
        assert c.current_stream() == default
    s1 = c.Stream(device=1)
    with c.stream(s1):  # entering a stream makes its device current
        assert c.current_device() == 1
    assert c.current_device() == 0
    c.set_stream(s)
    assert c.current_stream() == s
    c.set_stream(default)
    assert "torch.cuda.Stream device=cuda:0" in repr(s)
    np.testing.assert_array_equal(x.cpu().numpy(), [2.0, 2.0, 2.0])


def test_events_time_work(cuda):
    c = mytorch.cuda
    start = c.Event(enable_timing=True)
    end = c.Event(enable_timing=True)
    start.record()
    mytorch.ones(100, device="cuda").sum()
    end.record()
    end.synchronize()
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms >= 0.0
    assert start.query() and end.query()
    e = c.current_stream().record_event()
    e.wait()
    assert e.query()


def test_event_errors_are_torchs(cuda):
    c = mytorch.cuda
    a, b = c.Event(enable_timing=True), c.Event(enable_timing=True)
    with raises(RuntimeError, match="Both events must be recorded"):
        a.elapsed_time(b)
    n1, n2 = c.Event(), c.Event()
    n1.record()
    n2.record()
    with raises(RuntimeError, match="enable_timing=True"):
        n1.elapsed_time(n2)


def test_manual_seed_seeds_the_gpu_generators(cuda):
    c = mytorch.cuda
    c.manual_seed(7)
    a = mytorch.rand(5, device="cuda").cpu()
    c.manual_seed(7)
    b = mytorch.rand(5, device="cuda").cpu()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c.manual_seed_all(3)
    x0 = mytorch.rand(4, device="cuda:0").cpu()
    x1 = mytorch.rand(4, device="cuda:1").cpu()
    c.manual_seed_all(3)
    np.testing.assert_array_equal(mytorch.rand(4, device="cuda:1").cpu().numpy(), x1.numpy())
    np.testing.assert_array_equal(mytorch.rand(4, device="cuda:0").cpu().numpy(), x0.numpy())
    mytorch.manual_seed(11)  # the global seed reaches the GPUs too, as in torch
    y = mytorch.rand(3, device="cuda").cpu()
    mytorch.manual_seed(11)
    np.testing.assert_array_equal(mytorch.rand(3, device="cuda").cpu().numpy(), y.numpy())


def test_rng_state_and_seeds(cuda):
    c = mytorch.cuda
    c.manual_seed(4)
    assert c.initial_seed() == 4
    state = c.get_rng_state()
    assert state.dtype == mytorch.uint8 and state.device == mytorch.device("cpu")
    a = mytorch.rand(3, device="cuda").cpu()
    c.set_rng_state(state)
    np.testing.assert_array_equal(mytorch.rand(3, device="cuda").cpu().numpy(), a.numpy())
    states = c.get_rng_state_all()
    assert len(states) == 2
    b = mytorch.rand(2, device="cuda:1").cpu()
    c.set_rng_state_all(states)
    np.testing.assert_array_equal(mytorch.rand(2, device="cuda:1").cpu().numpy(), b.numpy())
    c.seed()
    fresh = c.initial_seed()
    assert fresh != 4  # a random 64-bit seed
    c.seed_all()
    assert c.initial_seed() != fresh
    with c.device(1):
        c.manual_seed(9)
        assert c.initial_seed() == 9
    assert c.initial_seed() != 9  # device 0's generator is its own


@pytest.mark.torch
def test_rng_functions_without_a_gpu_as_torch():
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    for L in (torch, mytorch):
        assert L.cuda.get_rng_state_all() == []
        assert L.cuda.seed() is None and L.cuda.seed_all() is None
        with raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            L.cuda.get_rng_state()
        with raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            L.cuda.initial_seed()
