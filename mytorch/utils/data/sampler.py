"""Samplers (torch.utils.data.sampler): the orders in which a DataLoader visits a dataset's keys,
and BatchSampler, which groups them into batches."""

import mytorch

__all__ = [
    "BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
    "WeightedRandomSampler",
]  # fmt: skip

# RandomSampler draws this many indices at a time when sampling with replacement (as torch).
_CHUNK = 32


class Sampler:
    """Matches torch.utils.data.Sampler: the base class; subclasses give ``__iter__`` (and
    ``__len__`` where the length is known)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Matches torch.utils.data.SequentialSampler: 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _check_bool(name, value, exc):
    if not isinstance(value, bool):
        raise exc(f"{name} should be a boolean value, but got {name}={value}")


def _check_positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _fresh_generator():
    """A generator seeded from the default one (so mytorch.manual_seed fixes the order)."""
    seed = int(mytorch.empty((), dtype=mytorch.int64).random_().item())
    return mytorch.Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """Matches torch.utils.data.RandomSampler: a random permutation of the keys (repeated as
    needed for ``num_samples``), or ``num_samples`` keys drawn with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", self.replacement, TypeError)
        _check_positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self):
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            for _ in range(self.num_samples // _CHUNK):
                yield from mytorch.randint(0, n, (_CHUNK,), generator=generator).tolist()
            rest = self.num_samples % _CHUNK
            yield from mytorch.randint(0, n, (rest,), generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from mytorch.randperm(n, generator=generator).tolist()
            yield from mytorch.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Matches torch.utils.data.SubsetRandomSampler: ``indices`` in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in mytorch.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Matches torch.utils.data.WeightedRandomSampler: ``num_samples`` keys drawn with
    probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement, ValueError)
        weights_tensor = mytorch.as_tensor(weights, dtype=mytorch.double)
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        drawn = mytorch.multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Matches torch.utils.data.BatchSampler: lists of ``batch_size`` keys from ``sampler``
    (the last one shorter, or dropped with ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last, ValueError)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
