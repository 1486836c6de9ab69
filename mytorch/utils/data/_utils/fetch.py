"""Fetchers (torch.utils.data._utils.fetch): what a DataLoader (or one of its workers) does
with one index from its sampler: the samples it names, collated."""

from mytorch.utils.data._utils.collate import default_collate
from mytorch.utils.data.dataset import TensorDataset


class _BaseDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last


class _IterableDatasetFetcher(_BaseDatasetFetcher):
    """The next sample (or the next len(index) samples, when batching) of the dataset's
    iterator; StopIteration at its end (and for a short last batch with drop_last)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


class _MapDatasetFetcher(_BaseDatasetFetcher):
    """dataset[index] (a batch through the dataset's ``__getitems__`` where it has one)."""

    def fetch(self, possibly_batched_index):
        if self.auto_collation:
            if self.collate_fn is default_collate and type(self.dataset) is TensorDataset:
                batch = _tensor_batch(self.dataset.tensors, possibly_batched_index)
                if batch is not None:
                    return batch
            getitems = getattr(self.dataset, "__getitems__", None)
            if getitems:
                data = getitems(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


def _tensor_batch(tensors, index):
    """What default_collate makes of a TensorDataset's samples ``index`` (a list, one tensor
    per field, each the samples stacked), gathered in one indexing per field instead of one
    per sample; None where that would differ (a field that requires grad: stacking it keeps
    a graph per sample)."""
    if not isinstance(index, list) or not index or not all(type(i) is int for i in index):
        return None
    for t in tensors:
        if t.requires_grad:
            return None
    return [t[index] for t in tensors]


class _DatasetKind:
    """Map-style or iterable dataset, and the fetcher for each."""

    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        if kind == _DatasetKind.Map:
            return _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
