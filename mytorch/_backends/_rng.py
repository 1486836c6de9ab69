"""Random-number helpers of the backends: device streams as (seed, offset) pairs, and generator
states as host uint8 arrays (what torch.Generator.get_state returns)."""

import numpy as np

MASK64 = 0xFFFFFFFFFFFFFFFF
# Drawn in single precision on a device (float16 is drawn as float32, then cast).
SINGLE = (np.dtype(np.float32), np.dtype(np.float16))


class Stream:
    """A device generator: the array module's RandomState and the (seed, offset) it is at.

    NOTE: as torch's CUDA (Philox) generators, a device stream is a seed and an offset: draw
    number ``offset`` reseeds the RandomState from both, so the state can be saved and restored
    without reading the device generator back to the host.
    """

    __slots__ = ("state", "seed", "offset")

    def __init__(self, state, seed):
        self.state = state
        self.seed = seed
        self.offset = 0


def mix(seed, offset):
    """A 64-bit seed for draw ``offset`` of stream ``seed`` (SplitMix64's finalizer, from
    Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014)."""
    z = (seed + (offset + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def to_bytes(words):
    """Unsigned 64-bit ``words`` as a host uint8 array."""
    return np.array(words, dtype=np.uint64).view(np.uint8)


def from_bytes(state, n):
    """``n`` Python ints from a uint8 array that ``to_bytes`` made."""
    a = np.ascontiguousarray(state)
    if a.dtype != np.uint8 or a.ndim != 1 or a.size != 8 * n:
        raise RuntimeError(
            f"Invalid generator state: expected {8 * n} bytes (a 1-D uint8 tensor), got "
            f"{a.size} of {a.dtype}"
        )
    return [int(v) for v in a.view(np.uint64)]


def pcg64_state(gen):
    """A NumPy PCG64 generator's state and increment (128 bits each) and its buffered 32-bit
    draw, as bytes."""
    st = gen.bit_generator.state
    s, inc = st["state"]["state"], st["state"]["inc"]
    return to_bytes([s & MASK64, s >> 64, inc & MASK64, inc >> 64, st["has_uint32"],
                     st["uinteger"]])  # fmt: skip


def set_pcg64_state(gen, state):
    w = from_bytes(state, 6)
    gen.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": w[0] | (w[1] << 64), "inc": w[2] | (w[3] << 64)},
        "has_uint32": w[4],
        "uinteger": w[5],
    }


def entropy():
    """A fresh 64-bit seed from the operating system."""
    return int(np.random.SeedSequence().entropy) & MASK64
