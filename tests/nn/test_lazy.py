"""The lazy layers (LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*) and
UninitializedBuffer against torch: repr and state_dict before the first call, the class and
shapes they become on it (batched and unbatched inputs), and, with torch's weights copied in,
the same outputs and gradients."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, seeded_rng, torch
from nn_check import compare_derivatives, copy_state

pytestmark = pytest.mark.torch

CASES = [
    ("LazyConv1d", (4, 3), {}, (2, 5, 9)),
    ("LazyConv1d", (4, 3), {"groups": 1}, (5, 9)),  # unbatched
    ("LazyConv2d", (6, 3), {"stride": 2, "padding": 1, "groups": 2}, (2, 4, 7, 7)),
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 5, 6)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 4, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_layer(name, args, kwargs, shape, dtype_name, device):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    mm = getattr(mytorch.nn, name)(*args, **kwargs)
    assert type(mm).__module__ == type(tm).__module__.replace("torch", "mytorch", 1)
    assert repr(mm) == repr(tm)
    assert list(mm.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        assert repr(mm.state_dict()[k]) == repr(v)
    assert mm.has_uninitialized_params() == tm.has_uninitialized_params()
    x = seeded_rng(name, shape).standard_normal(shape).astype(dtype_name)
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    tm(torch.tensor(x))
    mm(mytorch.tensor(x, device=device))
    assert type(mm).__name__ == type(tm).__name__ == name[4:]
    assert repr(mm) == repr(tm)
    for (km, vm), (kt, vt) in zip(mm.state_dict().items(), tm.state_dict().items()):
        assert km == kt and tuple(vm.shape) == tuple(vt.shape) and vm.dtype.itemsize == vt.itemsize
        assert vm.device.type == device
    copy_state(mm, tm)
    xt = torch.tensor(x, requires_grad=True)
    xm = mytorch.tensor(x, device=device, requires_grad=True)
    ot, om = tm(xt), mm(xm)
    assert_matches(om, ot)
    compare_derivatives(
        ot, om, [xt] + list(tm.parameters()), [xm] + list(mm.parameters()), dtype_name, device,
        second=name.startswith("LazyConv"),
    )  # fmt: skip


def test_lazy_conv_checks_groups_on_its_first_call():
    mm, tm = mytorch.nn.LazyConv2d(4, 3, groups=2), torch.nn.LazyConv2d(4, 3, groups=2)
    x = np.zeros((1, 3, 5, 5), "float32")
    with pytest.raises(ValueError):
        tm(torch.tensor(x))
    with pytest.raises(ValueError, match="divisible by groups"):
        mm(mytorch.tensor(x))


def test_uninitialized_buffer():
    tb, mb = torch.nn.UninitializedBuffer(), mytorch.nn.UninitializedBuffer()
    assert repr(mb) == repr(tb) == "<UninitializedBuffer>"
    assert mb.requires_grad is tb.requires_grad is False
    assert mytorch.nn.parameter.is_lazy(mb)
    with pytest.raises(RuntimeError, match="uninitialized"):
        mb.shape
    mb.materialize((2, 3))
    assert isinstance(mb, mytorch.Tensor) and not mytorch.nn.parameter.is_lazy(mb)
    assert tuple(mb.shape) == (2, 3) and mb.dtype == mytorch.float32
