"""Device objects. The CPU runs NumPy; ``cuda`` needs CuPy (see mytorch.cuda)."""


class device:
    """Matches torch.device for 'cpu' (and 'cuda[:n]' names, usable only with CuPy present)."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(spec).__name__})")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {spec}"
            )
        self.type = kind
        self.index = int(idx) if idx else index
        if kind == "cuda":
            from mytorch import cuda

            if not cuda.is_available():
                raise RuntimeError("Torch not compiled with CUDA enabled (mytorch: CuPy is not installed)")

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def check(dev):
    """Validate a ``device=`` argument; only the CPU is supported by the NumPy backend."""
    if dev is None:
        return CPU
    d = device(dev)
    if d.type != "cpu":
        raise RuntimeError("mytorch: cuda tensors are not supported in this build")
    return d
