"""nn.SyncBatchNorm in one process (no process group: BatchNorm, as torch's on CPU) against
torch's SyncBatchNorm and mytorch's BatchNorm, and convert_sync_batchnorm. Across processes:
tests/distributed/test_syncbn.py."""

import inspect

import numpy as np
import pytest

import mytorch
from helpers import raises_like, seeded_rng, to_numpy, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 3, 2)], ids=str)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"momentum": None}, {"affine": False, "track_running_stats": False},
     {"eps": 1e-3, "bias": False}],
    ids=str,
)  # fmt: skip
def test_matches_torch(shape, kwargs, dtype_name, device):
    x = seeded_rng("syncbn", shape).standard_normal(shape) * 2 + 1
    for train in (True, False):
        make = lambda T: T.nn.SyncBatchNorm(3, **kwargs)  # noqa: E731
        check_layer(make, [x], dtype_name, device, train)


def test_is_batchnorm_without_a_process_group():
    """Several training steps then eval: the same values, gradients and statistics as
    BatchNorm2d, and as torch's SyncBatchNorm."""
    rng = seeded_rng("syncbn-steps")
    mods = {
        "sync": mytorch.nn.SyncBatchNorm(3).double(),
        "bn": mytorch.nn.BatchNorm2d(3).double(),
        "torch": torch.nn.SyncBatchNorm(3).double(),
    }
    for step in range(4):
        a = rng.standard_normal((2, 3, 4, 4)) * (step + 1) + step
        outs = {}
        for k, m in mods.items():
            T = torch if k == "torch" else mytorch
            m.train(step < 3)
            x = T.tensor(a, requires_grad=True)
            y = m(x)
            (y * y).sum().backward()
            outs[k] = [to_numpy(t) for t in (y, x.grad, m.weight.grad, m.bias.grad)]
            outs[k] += [to_numpy(v) for v in m.state_dict().values()]
            m.zero_grad()
        for a_, b_ in zip(outs["sync"], outs["bn"]):
            np.testing.assert_array_equal(a_, b_)
        for a_, b_ in zip(outs["sync"], outs["torch"]):
            np.testing.assert_allclose(a_, b_, rtol=1e-12, atol=1e-12)


def test_constructor_and_attributes():
    sig, tsig = (inspect.signature(T.nn.SyncBatchNorm.__init__) for T in (mytorch, torch))
    assert list(sig.parameters) == list(tsig.parameters)
    assert mytorch.nn.SyncBatchNorm.__module__ == "mytorch.nn.modules.batchnorm"
    assert mytorch.nn.modules.batchnorm.SyncBatchNorm is mytorch.nn.SyncBatchNorm
    assert issubclass(mytorch.nn.SyncBatchNorm, mytorch.nn.modules.batchnorm._BatchNorm)
    group = object()
    for T in (torch, mytorch):
        m = T.nn.SyncBatchNorm(4, 1e-3, 0.2, False, False, group, None, T.float64)
        assert m.process_group is group and m.eps == 1e-3 and m.momentum == 0.2
        assert m.weight is None and m.running_mean is None
        assert T.nn.SyncBatchNorm(2, dtype=T.float64).weight.dtype == T.float64
    assert repr(mytorch.nn.SyncBatchNorm(5, bias=False)) == repr(
        torch.nn.SyncBatchNorm(5, bias=False)
    )


def test_input_checks():
    raises_like(lambda T: T.nn.SyncBatchNorm(3)(T.zeros(3)), ["expected at least 2D input"])
    raises_like(lambda T: T.nn.SyncBatchNorm(3).eval()(T.zeros(())), ["got 0D input"])
    raises_like(lambda T: T.nn.SyncBatchNorm(0)(T.zeros(2, 0)), ["should be non-zero"])
    raises_like(lambda T: T.nn.SyncBatchNorm(3)(T.zeros(1, 3)), ["more than 1 value"])
    raises_like(lambda T: T.nn.SyncBatchNorm(3)(T.zeros(2, 4)))


def _net(T):
    inner = T.nn.Sequential(T.nn.Conv2d(3, 4, 1), T.nn.BatchNorm2d(4, bias=False).eval())
    return T.nn.Sequential(
        T.nn.Linear(2, 3), T.nn.BatchNorm1d(3, momentum=None), inner,
        T.nn.BatchNorm3d(4, affine=False, track_running_stats=False),
    )  # fmt: skip


def test_convert_sync_batchnorm():
    nets = {T: _net(T) for T in (torch, mytorch)}
    for T, net in nets.items():
        net[1].qconfig = "q"
        olds = [net[1], net[2][1], net[3]]
        out = T.nn.SyncBatchNorm.convert_sync_batchnorm(net, process_group="pg")
        assert out is net
        news = [net[1], net[2][1], net[3]]
        for old, new in zip(olds, news):
            assert type(new) is T.nn.SyncBatchNorm and new is not old
            assert new.training == old.training and new.process_group == "pg"
            assert new.weight is old.weight and new.bias is old.bias
            assert new.running_mean is old.running_mean
            assert new.num_batches_tracked is old.num_batches_tracked
        assert news[0].qconfig == "q" and not hasattr(news[1], "qconfig")
        assert [news[1].training, news[0].training] == [False, True]
        assert type(net[0]) is T.nn.Linear
    assert repr(nets[mytorch]) == repr(nets[torch])
    assert list(nets[mytorch].state_dict()) == list(nets[torch].state_dict())
    # a BatchNorm given itself: a new SyncBatchNorm; a SyncBatchNorm is converted too (as torch)
    for T in (torch, mytorch):
        bn = T.nn.BatchNorm1d(3)
        sync = T.nn.SyncBatchNorm.convert_sync_batchnorm(bn)
        assert type(sync) is T.nn.SyncBatchNorm and sync.weight is bn.weight
        assert sync.process_group is None
        again = T.nn.SyncBatchNorm.convert_sync_batchnorm(sync)
        assert again is not sync and again.weight is sync.weight
        lin = T.nn.Linear(2, 2)
        assert T.nn.SyncBatchNorm.convert_sync_batchnorm(lin) is lin


def test_converted_model_trains_like_the_original():
    rng = seeded_rng("syncbn-convert")
    a = rng.standard_normal((5, 2))
    m = _net(mytorch).double()
    s = mytorch.nn.SyncBatchNorm.convert_sync_batchnorm(_net(mytorch).double())
    s.load_state_dict(m.state_dict())
    m, s = m[:2], s[:2]  # (the 2d/3d layers want other shapes)
    ym, ys = m(mytorch.tensor(a)), s(mytorch.tensor(a))
    ym.sum().backward()
    ys.sum().backward()
    assert mytorch.equal(ym, ys)
    assert mytorch.equal(m[0].weight.grad, s[0].weight.grad)
    assert mytorch.equal(m[1].running_var, s[1].running_var)
