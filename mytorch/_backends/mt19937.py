"""PyTorch's CPU permutation for a seed: the order torch.randperm(n, generator=g) gives after
g.manual_seed(seed), which DistributedSampler must reproduce on every rank and in both libraries.

torch's CPU generator is a 32-bit Mersenne Twister seeded with the low 32 bits of the seed
(MT19937's standard init_genrand, which NumPy's MT19937 legacy seeding is too); randperm starts
from 0..n-1 and, for i = 0..n-2, swaps item i with item i + (next 32-bit draw) % (n - i).

NOTE: torch draws 64-bit numbers instead for n >= 2**32 / 20 (over 214 million items); this
follows the 32-bit path only, checked against torch 2.13 up to 100,001 items.
"""

import numpy as np

__all__ = ["torch_randperm"]


def torch_randperm(n, seed):
    """The list torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()."""
    bits = np.random.MT19937()
    bits._legacy_seeding(int(seed) & 0xFFFFFFFF)
    draws = bits.random_raw(max(n - 1, 0)).tolist()
    perm = list(range(n))
    for i, d in enumerate(draws):
        j = i + d % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm
