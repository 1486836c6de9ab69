"""DistributedSampler against torch's: the same keys per rank, for every seed, epoch, dataset
size, number of replicas and drop_last (no MPI needed: num_replicas and rank are given)."""

import pytest

import mytorch
from mytorch.utils.data.distributed import DistributedSampler

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402


@pytest.mark.parametrize("n", [1, 2, 7, 10, 33, 1000, 100001])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_order_as_torch(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        for shuffle, seed, epoch in [(True, 0, 0), (True, 0, 3), (True, 1234, 1), (False, 0, 2)]:
            if n > 1000 and (rank or seed):
                continue  # the big permutation once per replica count is enough
            ours = DistributedSampler(data, replicas, rank, shuffle, seed, drop_last)
            theirs = TorchSampler(data, replicas, rank, shuffle, seed, drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs), (rank, shuffle, seed, epoch)
            assert len(ours) == len(theirs)
            assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


def test_epochs_differ_and_ranks_partition():
    data = list(range(40))
    s = [DistributedSampler(data, 4, r, seed=7) for r in range(4)]
    first = [list(x) for x in s]
    assert sorted(sum(first, [])) == data
    for x in s:
        x.set_epoch(1)
    assert [list(x) for x in s] != first


def test_errors_as_torch():
    for args in [(4, 4), (4, -1)]:
        with pytest.raises(ValueError) as ours:
            DistributedSampler(range(4), *args)
        with pytest.raises(ValueError) as theirs:
            TorchSampler(range(4), *args)
        assert str(ours.value) == str(theirs.value)
    # no process group: torch's ValueError from get_world_size
    with pytest.raises(ValueError):
        DistributedSampler(range(4))
    with pytest.raises(ValueError):
        TorchSampler(range(4))


def test_exported_at_torch_paths():
    assert mytorch.utils.data.DistributedSampler is DistributedSampler
    assert torch.utils.data.DistributedSampler is TorchSampler


def test_with_dataloader():
    ds = mytorch.utils.data.TensorDataset(mytorch.arange(10.0))
    sampler = DistributedSampler(ds, 2, 1, seed=3)
    got = [b[0].tolist() for b in mytorch.utils.data.DataLoader(ds, batch_size=2, sampler=sampler)]
    tds = torch.utils.data.TensorDataset(torch.arange(10.0))
    want = [
        b[0].tolist()
        for b in torch.utils.data.DataLoader(
            tds, batch_size=2, sampler=TorchSampler(tds, 2, 1, seed=3)
        )
    ]
    assert got == want
