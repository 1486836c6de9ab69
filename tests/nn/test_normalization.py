"""Normalisation against torch: nn.functional's batch/instance/layer/group/rms/local-response
norms and torch's top-level names, and the modules (values, gradients of inputs and parameters
of two orders, running statistics over several steps, eval mode, exception classes)."""

import numpy as np
import pytest

import mytorch
from fn_check import check_fn
from helpers import TOL, raises_like, seeded_rng, to_numpy, torch
from nn_check import check_layer, copy_state

pytestmark = pytest.mark.torch


def _close(m, t, dtype_name):
    np.testing.assert_allclose(to_numpy(m), to_numpy(t), **TOL[dtype_name])


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5)], ids=str)
def test_batch_norm_functional(shape, affine, dtype_name, device):
    rng = seeded_rng("bnf", shape)
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    args = [x, w, b] if affine else [x]

    def train(T, x, w=None, b=None):
        return T.nn.functional.batch_norm(x, None, None, w, b, training=True, eps=1e-3)

    def evaluate(T, x, w=None, b=None):
        dev = x.device
        m, v = (T.tensor(a.astype(dtype_name), device=dev) for a in (rm, rv))
        return T.nn.functional.batch_norm(x, m, v, w, b, False)

    def top(T, x, w=None, b=None):
        return T.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False)

    for f in (train, evaluate, top):
        check_fn(f, args, dtype_name, device)


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats(momentum, dtype_name, device):
    rng = seeded_rng("bnrun", momentum)
    stats = {}
    for T in (torch, mytorch):
        dev = "cpu" if T is torch else device
        dt = getattr(T, dtype_name)
        m, v = T.zeros(3, dtype=dt, device=dev), T.ones(3, dtype=dt, device=dev)
        r = np.random.default_rng(0)
        for _ in range(4):
            x = T.tensor(r.standard_normal((5, 3, 4)).astype(dtype_name), device=dev)
            T.nn.functional.batch_norm(x, m, v, training=True, momentum=momentum)
        stats[T] = (m, v)
    for a, b in zip(stats[mytorch], stats[torch]):
        assert a.device.type == device
        _close(a, b, dtype_name)
    del rng


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize(
    "cls,shape",
    [
        ("BatchNorm1d", (6, 3)),
        ("BatchNorm1d", (4, 3, 5)),
        ("BatchNorm2d", (2, 3, 4, 5)),
        ("BatchNorm3d", (2, 3, 2, 3, 2)),
    ],
)
def test_batch_norm_modules(cls, shape, momentum, dtype_name, device):
    rng = seeded_rng("bnmod", cls, shape)
    x = rng.standard_normal(shape)
    for train in (True, False):
        make = lambda T: getattr(T.nn, cls)(3, momentum=momentum)  # noqa: E731
        check_layer(make, [x], dtype_name, device, train)
        make = lambda T: getattr(T.nn, cls)(3, affine=False, track_running_stats=False)  # noqa: E731
        check_layer(make, [x], dtype_name, device, train)
        make = lambda T: getattr(T.nn, cls)(3, eps=1e-3, bias=False)  # noqa: E731
        check_layer(make, [x], dtype_name, device, train)
    # several steps of training, then eval mode with the running statistics
    tm, mm = (
        getattr(torch.nn, cls)(3, momentum=momentum),
        getattr(mytorch.nn, cls)(3, momentum=momentum),
    )
    tm.to(getattr(torch, dtype_name))
    mm.to(device, getattr(mytorch, dtype_name))
    for i in range(3):
        a = (rng.standard_normal(shape) * (i + 1) + i).astype(dtype_name)
        tm(torch.tensor(a))
        mm(mytorch.tensor(a, device=device))
    for k, v in tm.state_dict().items():
        mv = mm.state_dict()[k]
        assert mv.dtype.is_floating_point == v.dtype.is_floating_point, k
        _close(mv, v, dtype_name)
    assert int(mm.num_batches_tracked.item()) == 3
    assert mm.num_batches_tracked.dtype == mytorch.int64
    tm.eval()
    mm.eval()
    a = rng.standard_normal(shape).astype(dtype_name)
    _close(mm(mytorch.tensor(a, device=device)), tm(torch.tensor(a)), dtype_name)
    mm.reset_running_stats()
    assert int(mm.num_batches_tracked.item()) == 0
    assert float(mm.running_var.sum().item()) == 3.0


def test_batch_norm_errors():
    raises_like(lambda T: T.nn.BatchNorm2d(3)(T.zeros(2, 3)))
    raises_like(lambda T: T.nn.BatchNorm1d(3)(T.zeros(1, 3)))
    raises_like(
        lambda T: T.nn.functional.batch_norm(
            T.zeros(4, 3), None, None, training=True, weight=T.ones(4)
        )
    )
    raises_like(lambda T: T.nn.InstanceNorm1d(3, affine=True)(T.zeros(2, 4, 5)))
    raises_like(lambda T: T.nn.InstanceNorm1d(3)(T.zeros(2, 3, 4, 5)))
    raises_like(lambda T: T.nn.functional.instance_norm(T.zeros(2, 3, 1)))
    raises_like(lambda T: T.nn.functional.layer_norm(T.zeros(2, 3), (4,)))
    raises_like(lambda T: T.nn.functional.layer_norm(T.zeros(2, 4), (4,), T.ones(3)))
    raises_like(lambda T: T.nn.functional.rms_norm(T.zeros(2, 3), [4]))
    raises_like(lambda T: T.nn.functional.group_norm(T.zeros(2, 6, 3), 4))
    raises_like(lambda T: T.nn.GroupNorm(4, 6))
    raises_like(lambda T: T.nn.functional.local_response_norm(T.zeros(2, 3), 2))


@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5)], ids=str)
def test_instance_norm_functional(shape, use_input_stats, dtype_name, device):
    rng = seeded_rng("inf", shape)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    stats = {}

    def f(T, x, w, b):
        dev = x.device
        m, v = (T.tensor(a.astype(dtype_name), device=dev) for a in (rm, rv))
        out = T.nn.functional.instance_norm(x, m, v, w, b, use_input_stats, 0.3)
        stats[T] = (m, v)
        return out

    check_fn(f, [x, w, b], dtype_name, device)
    for a, c in zip(stats[mytorch], stats[torch]):
        _close(a, c, dtype_name)
    check_fn(
        lambda T, x: T.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False),
        [x],
        dtype_name,
        device,
    )


@pytest.mark.parametrize(
    "cls,shape",
    [
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm1d", (3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 5)),
        ("InstanceNorm3d", (2, 3, 2, 3, 2)),
    ],
)
def test_instance_norm_modules(cls, shape, dtype_name, device):
    x = seeded_rng("inmod", cls, shape).standard_normal(shape)
    for train in (True, False):
        check_layer(lambda T: getattr(T.nn, cls)(3), [x], dtype_name, device, train)
        make = lambda T: getattr(T.nn, cls)(3, affine=True, track_running_stats=True)  # noqa: E731
        check_layer(make, [x], dtype_name, device, train)
    tm = getattr(torch.nn, cls)(3, track_running_stats=True, momentum=0.4)
    mm = getattr(mytorch.nn, cls)(3, track_running_stats=True, momentum=0.4)
    copy_state(mm, tm)
    for i in range(3):
        a = (x * (i + 1)).astype("float32")
        tm(torch.tensor(a))
        mm(mytorch.tensor(a))
    for k, v in tm.state_dict().items():
        _close(mm.state_dict()[k], v, "float32")


@pytest.mark.parametrize("ns", [(5,), (4, 5), (3, 4, 5)], ids=str)
def test_layer_rms_norm(ns, dtype_name, device):
    rng = seeded_rng("ln", ns)
    x, w, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(ns), rng.standard_normal(ns)
    F = lambda T: T.nn.functional  # noqa: E731
    check_fn(lambda T, x, w, b: F(T).layer_norm(x, ns, w, b), [x, w, b], dtype_name, device)
    check_fn(lambda T, x: F(T).layer_norm(x, ns, eps=1e-2), [x], dtype_name, device)
    check_fn(lambda T, x, w, b: T.layer_norm(x, ns, w, b), [x, w, b], dtype_name, device)
    check_fn(lambda T, x, w: F(T).rms_norm(x, ns, w), [x, w], dtype_name, device)
    check_fn(lambda T, x: F(T).rms_norm(x, ns, eps=1e-3), [x], dtype_name, device)
    check_fn(lambda T, x, w: T.rms_norm(x, list(ns), w), [x, w], dtype_name, device)
    n = ns if len(ns) > 1 else ns[0]
    for train in (True, False):
        check_layer(lambda T: T.nn.LayerNorm(n), [x], dtype_name, device, train)
        check_layer(lambda T: T.nn.LayerNorm(ns, bias=False, eps=1e-3), [x], dtype_name, device)
        check_layer(lambda T: T.nn.LayerNorm(n, elementwise_affine=False), [x], dtype_name, device)
        check_layer(lambda T: T.nn.RMSNorm(n), [x], dtype_name, device, train)
        check_layer(
            lambda T: T.nn.RMSNorm(list(ns), eps=1e-3, elementwise_affine=False),
            [x],
            dtype_name,
            device,
        )


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("shape", [(2, 6), (2, 6, 5), (3, 6, 2, 3)], ids=str)
def test_group_norm(shape, groups, dtype_name, device):
    rng = seeded_rng("gn", shape, groups)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(6), rng.standard_normal(6)
    # NOTE: channels offset alternately, so that no small group has a near-zero variance (where
    # float32's rounding of 1 / std differs between the two libraries by more than TOL)
    x = x + np.where(np.arange(6) % 2, 1.5, -1.5).reshape((6,) + (1,) * (len(shape) - 2))
    check_fn(
        lambda T, x, w, b: T.nn.functional.group_norm(x, groups, w, b),
        [x, w, b],
        dtype_name,
        device,
    )
    check_fn(lambda T, x: T.group_norm(x, groups), [x], dtype_name, device)
    if groups == 6 and len(shape) == 2:
        # NOTE: one value per group: the exact gradient is 0, torch's float32 one rounding noise
        return
    check_layer(lambda T: T.nn.GroupNorm(groups, 6), [x], dtype_name, device)
    check_layer(
        lambda T: T.nn.GroupNorm(groups, 6, affine=False, eps=1e-3), [x], dtype_name, device
    )


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 4, 5), (2, 4, 3, 5)], ids=str)
def test_local_response_norm(shape, size, dtype_name, device):
    x = seeded_rng("lrn", shape, size).standard_normal(shape) * 3
    check_fn(
        lambda T, x: T.nn.functional.local_response_norm(x, size, 0.3, 0.6, 2.0),
        [x],
        dtype_name,
        device,
    )
    check_layer(lambda T: T.nn.LocalResponseNorm(size), [x], dtype_name, device)
    check_layer(lambda T: T.nn.LocalResponseNorm(size, 1e-2, 1.0, 0.5), [x], dtype_name, device)
