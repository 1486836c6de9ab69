"""Device objects (torch.device). The CPU runs NumPy; ``cuda`` needs CuPy (see mytorch.cuda);
other device types exist once a backend registers them (see mytorch._backends.register).
"""

from mytorch import cuda  # a leaf module: it asks CuPy only when called

_types = {"cpu", "cuda"}
# The device factory functions use when given none (torch.set_default_device, and ``with
# torch.device(...)``, which pushes onto this stack); None: the CPU.
_default = [None]


def register_type(kind):
    """Accept ``kind`` as a device type (called when a backend for it is registered)."""
    _types.add(kind)


def unregister_type(kind):
    if kind not in ("cpu", "cuda"):
        _types.discard(kind)


class device:
    """Matches torch.device: ``device('cpu')``, ``device('cuda:1')``, ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            if not cuda.is_available():
                raise RuntimeError("Cannot access accelerator device when none is available.")
            type, index = "cuda", type  # torch.device(0) is the current accelerator's index 0
        if not isinstance(type, str):
            raise TypeError(
                f"device() received an invalid combination of arguments - got ({_tname(type)})"
            )
        kind, colon, idx = type.partition(":")
        if kind not in _types:
            raise RuntimeError(
                "Expected one of " + ", ".join(sorted(_types)) + " device type at start of "
                f"device string: {type}"
            )
        if colon:
            if not idx.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = kind
        self.index = index

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

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """Matches ``with torch.device(...)``: factory functions make tensors on this device."""
        _default.append(None if self.type == "cpu" else self)
        return self

    def __exit__(self, *exc):
        _default.pop()
        return False


def set_default_device(dev):
    """Matches torch.set_default_device (None or 'cpu': back to the CPU)."""
    dev = None if dev is None else device(dev)
    _default[-1] = None if dev is None or dev.type == "cpu" else dev


def get_default_device():
    """Matches torch.get_default_device (a numbered device's current index)."""
    dev = _default[-1]
    if dev is None:
        return CPU
    if dev.index is None and dev.type == "cuda":
        return device("cuda", cuda.current_device())
    return dev


def _tname(v):
    return type(v).__name__


CPU = device("cpu")
