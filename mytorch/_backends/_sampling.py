"""Draws that the backends' ``random`` makes from uniform numbers with array-module functions
only (so that they run on any device): multinomial with and without replacement; and the
reference backend's random-number members (``DeviceRandom``)."""

import numpy as np

from mytorch._backends import _rng


def multinomial(xp, u, probs, n, replacement):
    """``n`` category indices per row of ``probs`` (rows, k), from uniforms ``u``: (rows, n)
    with replacement, (rows, k) without.

    With replacement: inverse CDF (the first category whose cumulative weight exceeds u).
    Without: the n smallest keys -log(u) / p (an exponential race, each row's winners in the
    order they arrive), which draws as successive sampling without replacement does.
    """
    k = probs.shape[1]
    if replacement:
        cdf = xp.cumsum(probs, axis=1)
        cdf = cdf / cdf[:, -1:]
        idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        return xp.minimum(idx, k - 1)
    positive = probs > 0
    safe_p = xp.where(positive, probs, 1.0)
    safe_u = xp.where(u > 0, u, 1.0)  # NOTE: u == 0 (the one draw of 2**53): key +inf
    keys = xp.where(positive & (u > 0), -xp.log(safe_u) / safe_p, xp.inf)
    return xp.argsort(keys, axis=1, kind="stable")[:, :n]


class DeviceRandom:
    """The random-number members of the reference backend (mytorch._backends.base: random)."""

    # --- random numbers: made on the device by xp.random.RandomState ---------------------
    # NOTE: a device generator is a (seed, offset) pair, as torch's CUDA (Philox) generators
    # are: draw number ``offset`` reseeds the module's RandomState with a mix of the two, so
    # that the state can be read and restored without reading the device generator back.
    def generator(self, seed):
        """A generator of this device (draws happen on the device, nothing is uploaded)."""
        return _rng.Stream(self._random_state(), int(seed))

    def _random_state(self):
        return self.xp.random.RandomState(0)

    def random(self, gen, kind, shape, np_dtype, *args):
        """Samples from ``gen`` of one kind: uniform in [0, 1), standard normal, integers in
        [args[0], args[1]), Poisson counts of rates args[0] (an array of ``shape``), multinomial
        indices (args: probabilities (rows, k), samples per row, with replacement), or a
        permutation of range(shape[0]); cast to ``np_dtype``."""
        rs = gen.state
        rs.seed(_rng.mix(gen.seed, gen.offset))
        gen.offset += 1
        xp = self.xp
        if 0 in shape:
            return xp.zeros(shape, dtype=np_dtype)
        draw = np.float32 if np_dtype in _rng.SINGLE else np.float64
        if kind == "uniform":
            a = rs.random_sample(shape, dtype=draw)
        elif kind == "normal":
            a = rs.standard_normal(shape, dtype=draw)
        elif kind == "integers":
            a = rs.randint(args[0], args[1], shape, dtype=np.int64)
        elif kind == "poisson":
            a = rs.poisson(args[0], shape)
        elif kind == "multinomial":
            ushape = shape if args[2] else args[0].shape
            a = multinomial(xp, rs.random_sample(ushape), *args)
        else:
            a = rs.permutation(shape[0])
        return a.astype(np_dtype)

    def rng_state(self, gen):
        """(seed, offset) as 16 bytes."""
        return _rng.to_bytes([gen.seed, gen.offset])

    def set_rng_state(self, gen, state):
        gen.seed, gen.offset = _rng.from_bytes(state, 2)

    def entropy(self):
        """A fresh 64-bit seed from the operating system."""
        return _rng.entropy()
