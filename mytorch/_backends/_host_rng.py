"""NumPy's global random state on the host, which user code (a dataset's augmentations) draws
from: the DataLoader's workers seed it, as torch's do."""

import numpy as np


def seed_numpy_global(base_seed, worker_id):
    """Seed numpy.random's global state for worker ``worker_id`` of a loader whose base seed is
    ``base_seed``: distinct workers get unrelated streams (SeedSequence spawn keys), and the same
    (base_seed, worker_id) gives the same stream."""
    state = np.random.SeedSequence(base_seed, spawn_key=(worker_id,)).generate_state(4)
    np.random.seed(state)
