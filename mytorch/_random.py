"""Random generators: ``Generator`` (torch.Generator), each device's default generator, and
manual_seed, seed, initial_seed, get_rng_state and set_rng_state.

A generator belongs to one device and draws there, with its backend's own generator: NumPy's
PCG64 on the CPU, the array module's RandomState on a device (nothing is drawn on the host and
uploaded). ``manual_seed`` seeds the default generator of every device, as torch's does.

NOTE: a seed gives reproducible numbers, but not PyTorch's numbers for that seed (PyTorch runs
a Mersenne Twister on the CPU and Philox on CUDA), and a device's numbers differ from the CPU's.
"""

from mytorch import _backends
from mytorch import _device as D
from mytorch._core import TensorBase, _wrap
from mytorch._dtype import uint8

_CPU = _backends.CPU
_MASK64 = 0xFFFFFFFFFFFFFFFF
# The seed of a new torch.Generator (its default_rng_seed_val).
DEFAULT_SEED = 67280421310721


def _seed_value(seed):
    """``seed`` as torch takes it: any int in [-2**63, 2**64), kept modulo 2**64."""
    seed = int(seed)
    if not -(1 << 63) <= seed <= _MASK64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _MASK64


class Generator:
    """Matches torch.Generator: a random generator of one device (``device='cpu'`` by default)
    that the random functions take as ``generator=``."""

    def __init__(self, device="cpu"):
        dev = device if isinstance(device, D.device) else D.device(device)
        be = _backends.for_device(dev)
        self.device = D.device(dev.type, be.index) if be.multi_device else dev
        self._be = be
        self._seed = DEFAULT_SEED
        self._impl = be.generator(DEFAULT_SEED)

    def manual_seed(self, seed):
        """Matches torch.Generator.manual_seed: restart from ``seed``; returns the generator."""
        seed = _seed_value(seed)
        self._impl = self._be.generator(seed)
        self._seed = seed
        return self

    def seed(self):
        """Matches torch.Generator.seed: restart from a fresh seed from the system; returns it."""
        s = self._be.entropy()
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """Matches torch.Generator.initial_seed: the seed this generator last started from."""
        return self._seed

    def get_state(self):
        """Matches torch.Generator.get_state: a CPU uint8 tensor (the seed, then the backend's
        state; not torch's layout)."""
        state = list(self._seed.to_bytes(8, "little")) + self._be.rng_state(self._impl).tolist()
        return _wrap(_backends.CPU.array(state, uint8.np))

    def set_state(self, new_state):
        """Matches torch.Generator.set_state: back to a state that get_state returned."""
        if not isinstance(new_state, TensorBase):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not uint8 or new_state.device.type != "cpu":
            raise TypeError("RNG state must be a torch.ByteTensor")
        data = _backends.CPU.to_numpy(new_state._data).reshape(-1)
        if data.size < 8:
            raise RuntimeError(f"Invalid generator state of {data.size} bytes")
        self._be.set_rng_state(self._impl, data[8:])
        self._seed = int.from_bytes(bytes(data[:8].tolist()), "little")
        return self


default_generator = Generator("cpu")
# NOTE: unseeded, mytorch's CPU numbers differ from run to run (torch's default seed is fixed).
default_generator.manual_seed(_backends.CPU.entropy())
_defaults = {("cpu", None): default_generator}  # (device type, index) -> its default generator
_global = {"seed": default_generator.initial_seed()}


def default_for(be):
    """The default generator of backend ``be``'s device (made on first use, seeded with the
    last manual_seed)."""
    g = _defaults.get((be.device_type, be.index))
    if g is None:
        g = Generator(D.device(be.device_type, be.index))
        g.manual_seed(_global["seed"])
        _defaults[(be.device_type, be.index)] = g
    return g


def draw_from(be, generator, fname):
    """The backend generator that a random function on backend ``be`` draws from: that of
    ``generator``, or the device's default one."""
    if generator is None:
        return default_generator._impl if be is _CPU else default_for(be)._impl
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{fname}(): argument 'generator' must be torch.Generator, not "
            f"{type(generator).__name__}"
        )
    if generator._be is not be:
        if generator.device.type != be.device_type:
            raise RuntimeError(
                f"Expected a '{be.device_type}' device type for generator but found "
                f"'{generator.device.type}'"
            )
        raise RuntimeError(
            f"Expected a generator of device {be.device_type}:{be.index} but found one of "
            f"{generator.device}"
        )
    return generator._impl


def manual_seed(seed):
    """Matches torch.manual_seed: seeds every device's default generator; returns the CPU's."""
    seed = _seed_value(seed)
    _global["seed"] = seed
    for g in _defaults.values():
        g.manual_seed(seed)
    return default_generator


def seed():
    """Matches torch.seed: a fresh seed from the system for every default generator."""
    s = _backends.CPU.entropy()
    manual_seed(s)
    return s


def initial_seed():
    """Matches torch.initial_seed: the CPU default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """Matches torch.get_rng_state: the CPU default generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Matches torch.set_rng_state."""
    default_generator.set_state(new_state)
