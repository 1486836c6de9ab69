"""A dataset in a module that imports mytorch alone, for the spawn-context worker test (a
spawned worker imports the module that defines the dataset it unpickles)."""

import mytorch


class Numbered:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return mytorch.full((2,), float(i)), i
