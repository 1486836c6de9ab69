"""The global random generator behind rand, randn, randint and manual_seed.

NOTE: mytorch draws from NumPy's PCG64, so a seed gives reproducible numbers, but not the
same numbers as PyTorch's Mersenne Twister for that seed.
"""

from mytorch import _backends

# NOTE: one host generator for every device: a tensor drawn on a device is drawn on the host and
# copied there, so a seed gives the same numbers on every device.
_state = {"gen": _backends.CPU.generator(None), "seed": None}


def _generator():
    return _state["gen"]


class Generator:
    """The object manual_seed returns (matches torch.Generator's seed queries)."""

    def __init__(self, seed=None):
        self._seed = seed

    def initial_seed(self):
        return self._seed

    def manual_seed(self, seed):
        manual_seed(seed)
        return self


def manual_seed(seed):
    """Matches torch.manual_seed (reproducible, but not PyTorch's stream of numbers)."""
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):  # torch reads it as an int64 or a uint64
        raise ValueError("Overflow when unpacking long long")
    _state["gen"] = _backends.CPU.generator(seed & 0xFFFFFFFFFFFFFFFF)
    _state["seed"] = seed
    return Generator(seed)


def seed():
    s = _backends.CPU.entropy() & 0xFFFFFFFFFFFFFFFF
    manual_seed(s)
    return s


def initial_seed():
    return _state["seed"]
