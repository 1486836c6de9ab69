"""mytorch.nn.utils.rnn: PackedSequence and the functions that pad, pack and unpack batches of
sequences of different lengths, as torch.nn.utils.rnn. Everything is written in differentiable
mytorch ops (slices, cat, stack, index_select), so gradients flow through packing and padding.

A PackedSequence holds the steps of a batch sorted by decreasing length, time-major: step t
holds ``batch_sizes[t]`` rows (the sequences still running), so ``data`` has sum(lengths) rows.
``batch_sizes`` is an int64 CPU tensor; ``sorted_indices`` (the batch order the data is in) and
``unsorted_indices`` (its inverse) live on the data's device, or are None when the batch was
already sorted.
"""

from collections import namedtuple

import mytorch

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

_PackedSequenceBase = namedtuple(
    "PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"]
)


class PackedSequence(_PackedSequenceBase):
    """A packed batch of sequences of different lengths. Matches torch.nn.utils.rnn.PackedSequence
    (a namedtuple: data, batch_sizes, sorted_indices, unsorted_indices)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        # NOTE: torch's form PackedSequence((data, batch_sizes)): a pair as the first argument
        data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with(self, fn, indices_too=True):
        data = fn(self.data)
        if data is self.data:
            return self
        sorted_i, unsorted_i = self.sorted_indices, self.unsorted_indices
        if indices_too and sorted_i is not None:
            dev = data.device
            sorted_i, unsorted_i = sorted_i.to(dev), unsorted_i.to(dev)
        return type(self)(data, self.batch_sizes, sorted_i, unsorted_i)

    def to(self, *args, **kwargs):
        """The sequence with its data (and indices, to the data's device) moved or cast as
        Tensor.to does; itself when nothing changes."""
        return self._with(lambda d: d.to(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._with(lambda d: d.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        return self._with(lambda d: d.cpu(*args, **kwargs))

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    def double(self):
        return self.to(dtype=mytorch.double)

    def float(self):
        return self.to(dtype=mytorch.float)

    def half(self):
        return self.to(dtype=mytorch.half)

    def long(self):
        return self.to(dtype=mytorch.long)

    def int(self):
        return self.to(dtype=mytorch.int)

    def short(self):
        return self.to(dtype=mytorch.short)

    def char(self):
        return self.to(dtype=mytorch.int8)

    def byte(self):
        return self.to(dtype=mytorch.uint8)

    def bool(self):
        return self.to(dtype=mytorch.bool)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def invert_permutation(permutation):
    """The inverse of a permutation (an int64 tensor), None for None."""
    if permutation is None:
        return None
    out = mytorch.empty_like(permutation)
    n = permutation.numel()
    out.scatter_(0, permutation, mytorch.arange(n, device=permutation.device))
    return out


def _lengths_list(lengths):
    if isinstance(lengths, mytorch.Tensor):
        return [int(v) for v in lengths.cpu().tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """A padded batch (T, B, *) (batch_first: (B, T, *)) packed by its lengths. Matches
    torch.nn.utils.rnn.pack_padded_sequence."""
    lens = _lengths_list(lengths)
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])  # stable, as torch's sort
        sorted_indices = mytorch.tensor(order, dtype=mytorch.int64, device=input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
        lens = [lens[i] for i in order]
    if batch_first:
        input = input.transpose(0, 1)
    if len(lens) != input.shape[1]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
            f"(batch_size={input.shape[1]})"
        )
    if lens and lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    sizes = [sum(1 for n in lens if n > t) for t in range(lens[0] if lens else 0)]
    data = mytorch.cat([input[t, :b] for t, b in enumerate(sizes)], 0)
    batch_sizes = mytorch.tensor(sizes, dtype=mytorch.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _padding(like, rows, value):
    return mytorch.full(
        (rows,) + tuple(like.shape[1:]), value, dtype=like.dtype, device=like.device
    )


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded batch (T, B, *) or (B, T, *), int64 lengths) of a PackedSequence, in the batch's
    original order. Matches torch.nn.utils.rnn.pad_packed_sequence."""
    data = sequence.data
    sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = sizes[0] if sizes else 0
    rows = []
    off = 0
    for t in range(steps):
        b = sizes[t] if t < len(sizes) else 0
        piece = data[off : off + b]
        off += b
        if b < batch:
            piece = mytorch.cat([piece, _padding(data, batch - b, padding_value)], 0)
        rows.append(piece)
    padded = mytorch.stack(rows, 1 if batch_first else 0)
    lens = [sum(1 for b in sizes if b > i) for i in range(batch)]
    lengths = mytorch.tensor(lens, dtype=mytorch.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Sequences (L_i, *) padded to the longest into (L, B, *) (batch_first: (B, L, *)).
    Matches torch.nn.utils.rnn.pad_sequence."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, mytorch.Tensor):
        sequences = list(sequences.unbind(0))
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        gap = longest - s.shape[0]
        if gap:
            pad = _padding(s, gap, padding_value)
            s = mytorch.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        rows.append(s)
    return mytorch.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences that pad_sequence padded, cut to their lengths. Matches
    torch.nn.utils.rnn.unpad_sequence."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences.unbind(0), _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """A list of sequences (L_i, *) packed. Matches torch.nn.utils.rnn.pack_sequence."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds. Matches
    torch.nn.utils.rnn.unpack_sequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
