"""Page-locked host memory, as the backends see it: the CPU has none of its own (a GPU backend
overrides both members with its pinned pool, see cupy_backend)."""


class HostMemory:
    def pinned_copy(self, a):
        """Page-locked memory comes from a GPU backend (CuPy's pinned pool)."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, a):
        """Never: this backend makes no page-locked memory."""
        return False
