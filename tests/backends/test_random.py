"""Random numbers on every device: each device draws with its backend's own generator (NumPy's
PCG64 on the CPU; the array module's RandomState on the stand-in, as CuPy's on a GPU), seeded
by manual_seed; mytorch.Generator objects, honoured by ``generator=``, as torch.Generator.

torch is the oracle for the API (types, defaults, errors); its numbers differ by design.
"""

import numpy as np
import pytest
from backends import standin
from backends.standin import counts, reset_counts

import mytorch

try:
    import torch
except ImportError:  # torch-marked tests are skipped by conftest.py
    torch = None

NONE = {"to_host": 0, "to_device": 0, "scalar": 0}


def values(t):
    return t.detach().cpu().numpy()


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (any exception is the result)
        return type(e), str(e)
    return None


# Each random function, drawing ``device``'s tensor with ``gen`` (None: the default generator).
DRAWS = {
    "rand": lambda L, d, g: L.rand(2, 3, device=d, generator=g),
    "randn": lambda L, d, g: L.randn(5, dtype=L.float64, device=d, generator=g),
    "randint": lambda L, d, g: L.randint(-4, 9, (7,), device=d, generator=g),
    "randperm": lambda L, d, g: L.randperm(6, device=d, generator=g),
    "rand_like": lambda L, d, g: L.rand_like(L.zeros(3, device=d), generator=g),
    "randn_like": lambda L, d, g: L.randn_like(L.zeros(2, 2, device=d), generator=g),
    "normal_": lambda L, d, g: L.zeros(4, device=d).normal_(2.0, 0.5, generator=g),
    "uniform_": lambda L, d, g: L.zeros(4, device=d).uniform_(-1.0, 3.0, generator=g),
}


# --- the CPU keeps its numbers ------------------------------------------------------------
def test_cpu_draws_are_numpys_pcg64_stream_for_the_seed():
    mytorch.manual_seed(123)
    got = [values(mytorch.rand(3)), values(mytorch.randn(2, dtype=mytorch.float64)),
           values(mytorch.randint(0, 10, (4,))), values(mytorch.randperm(5))]  # fmt: skip
    rng = np.random.default_rng(123)
    want = [rng.random(3).astype(np.float32), rng.standard_normal(2), rng.integers(0, 10, 4),
            rng.permutation(5)]  # fmt: skip
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# --- the device draws on the device -------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DRAWS))
def test_device_draws_move_no_data_and_repeat_with_the_seed(name, device):
    draw = DRAWS[name]
    mytorch.manual_seed(11)
    reset_counts()
    a = draw(mytorch, device, None)
    if device == "standin":
        # normal_ and uniform_ fill a tensor made on the device; nothing crosses
        assert counts() == NONE
    assert a.device.type == device
    mytorch.manual_seed(11)
    np.testing.assert_array_equal(values(draw(mytorch, device, None)), values(a))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DRAWS))
def test_device_draws_have_torchs_shapes_dtypes_and_ranges(name):
    m = DRAWS[name](mytorch, "standin", None)
    t = DRAWS[name](torch, "cpu", None)
    assert tuple(m.shape) == tuple(t.shape) and repr(m.dtype) == str(t.dtype)
    v = values(m)
    if name in ("rand", "rand_like"):
        assert 0 <= v.min() and v.max() < 1
    if name == "uniform_":
        assert -1 <= v.min() and v.max() < 3
    if name == "randint":
        assert -4 <= v.min() and v.max() < 9
    if name == "randperm":
        assert sorted(v.tolist()) == list(range(6))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_device_distributions(dtype):
    dt = getattr(mytorch, dtype)
    u = values(mytorch.rand(20000, dtype=dt, device="standin")).astype(np.float64)
    n = values(mytorch.randn(20000, dtype=dt, device="standin")).astype(np.float64)
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    i = values(mytorch.randint(0, 2, (1000,), dtype=mytorch.bool, device="standin"))
    assert i.dtype == np.bool_ and 300 < i.sum() < 700
    assert mytorch.randn(0, 3, device="standin").shape == (0, 3)
    assert mytorch.rand((), device="standin").shape == ()


def test_manual_seed_seeds_every_devices_default_generator():
    mytorch.manual_seed(5)
    first = [values(mytorch.randn(3, device=d)) for d in ("cpu", "standin", "standin:1")]
    mytorch.manual_seed(5)
    again = [values(mytorch.randn(3, device=d)) for d in ("cpu", "standin", "standin:1")]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    # Each device has its own default generator, seeded alike (as torch's cuda:0 and cuda:1).
    np.testing.assert_array_equal(first[1], first[2])
    assert not np.array_equal(first[0], first[1])  # the CPU's PCG64 is another stream
    assert mytorch.initial_seed() == 5
    s = mytorch.seed()
    assert isinstance(s, int) and mytorch.initial_seed() == s


# --- Generator ----------------------------------------------------------------------------
@pytest.mark.torch
def test_generator_api_matches_torch():
    g, tg = mytorch.Generator(), torch.Generator()
    assert g.device == mytorch.device("cpu") and repr(g.device) == repr(tg.device)
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    assert (g.manual_seed(9) is g) and (tg.manual_seed(9) is tg)
    assert g.initial_seed() == tg.initial_seed() == 9
    assert g.manual_seed(-1).initial_seed() == tg.manual_seed(-1).initial_seed()
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    state, tstate = g.get_state(), tg.get_state()
    assert state.dtype is mytorch.uint8 and repr(state.dtype) == str(tstate.dtype)
    assert state.device.type == "cpu" and state.ndim == tstate.ndim == 1
    assert mytorch.manual_seed(3) is mytorch.default_generator
    assert torch.manual_seed(3) is torch.default_generator
    assert mytorch.get_rng_state().dtype is mytorch.uint8
    assert mytorch.Generator("standin:1").device == mytorch.device("standin", 1)
    assert mytorch.Generator("standin").device == mytorch.device("standin", 0)


@pytest.mark.torch
@pytest.mark.parametrize(
    "call",
    [
        lambda L, g: g.set_state(L.zeros(3)),
        lambda L, g: g.set_state([1, 2]),
        lambda L, g: g.manual_seed(2**64),
        lambda L, g: L.manual_seed(-(2**63) - 1),
    ],
    ids=["float_state", "list_state", "seed_too_large", "seed_too_small"],
)
def test_generator_errors_match_torch(call):
    m = error_of(lambda: call(mytorch, mytorch.Generator()))
    t = error_of(lambda: call(torch, torch.Generator()))
    assert t is not None and m == t


@pytest.mark.parametrize("dev", ["cpu", "standin", "standin:1"])
def test_get_state_and_set_state_restore_the_stream(dev):
    g = mytorch.Generator(dev).manual_seed(21)
    mytorch.rand(4, device=dev, generator=g)
    state = g.get_state()
    a = values(mytorch.randn(6, device=dev, generator=g))
    b = values(mytorch.randn(6, device=dev, generator=g))
    assert not np.array_equal(a, b)
    g.manual_seed(99)
    assert g.set_state(state) is g and g.initial_seed() == 21
    np.testing.assert_array_equal(values(mytorch.randn(6, device=dev, generator=g)), a)
    state[0] = 1  # a copy: changing it does not change the generator
    np.testing.assert_array_equal(values(mytorch.randn(6, device=dev, generator=g)), b)
    with pytest.raises(RuntimeError, match="Invalid generator state"):
        g.set_state(state[:12])


def test_set_rng_state_restores_the_default_cpu_stream():
    mytorch.manual_seed(4)
    state = mytorch.get_rng_state()
    a = values(mytorch.rand(5))
    mytorch.set_rng_state(state)
    np.testing.assert_array_equal(values(mytorch.rand(5)), a)


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_generator_argument_is_honoured(name, device):
    draw = DRAWS[name]
    mytorch.manual_seed(0)
    default_first = values(draw(mytorch, device, None))
    g1 = mytorch.Generator(device).manual_seed(77)
    g2 = mytorch.Generator(device).manual_seed(77)
    mytorch.manual_seed(0)
    reset_counts()
    a = draw(mytorch, device, g1)
    if device == "standin" and not name.endswith("_"):
        assert counts() == NONE
    b = draw(mytorch, device, g2)
    np.testing.assert_array_equal(values(a), values(b))
    # The default generator did not move: its next draw is still its first.
    np.testing.assert_array_equal(values(draw(mytorch, device, None)), default_first)
    # A generator continues its own stream.
    assert not np.array_equal(values(draw(mytorch, device, g1)), values(a)) or name == "randperm"


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DRAWS))
@pytest.mark.parametrize("bad", [5, "cpu"], ids=["int", "str"])
def test_a_generator_that_is_not_a_generator_raises_type_error_like_torch(name, bad):
    m = error_of(lambda: DRAWS[name](mytorch, "cpu", bad))
    t = error_of(lambda: DRAWS[name](torch, "cpu", bad))
    assert t[0] is TypeError
    assert m[0] is TypeError and "generator" in m[1]


@pytest.mark.parametrize(
    "gen_device, device",
    [("cpu", "standin"), ("standin", "cpu"), ("standin:1", "standin:0")],
)
def test_a_generator_of_another_device_raises(gen_device, device):
    g = mytorch.Generator(gen_device)
    with pytest.raises(RuntimeError, match="generator"):
        mytorch.randn(2, device=device, generator=g)


@pytest.mark.torch
def test_randint_with_an_empty_range_raises_like_torch():
    for args in ((5, 5, (3,)), (5, 3, (3,)), (0, (2,))):
        m = error_of(lambda: mytorch.randint(*args))
        t = error_of(lambda: torch.randint(*args))
        assert m == t and t[0] is RuntimeError


def test_device_generators_draw_on_their_own_device():
    g = mytorch.Generator("standin:1").manual_seed(1)
    with standin.Device(0):  # whatever the current device, draws happen on device 1
        t = mytorch.rand(3, device="standin:1", generator=g)
    assert t.device == mytorch.device("standin", 1) and t._data.device.id == 1
