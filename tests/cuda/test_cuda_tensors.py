"""Tensors on ``cuda`` as in torch (issue 19, point 2), on the stand-in registered as ``cuda``:
device strings and context managers, moves, pinned memory, device queries, printing, host
conversion errors, modules and optimizers on the device, saving, seeded random numbers, DLPack
and higher-order gradients. torch (CPU) is the oracle for values and error messages."""

import re
import io

import numpy as np
import pytest
from backends import standin
from helpers import raises

import mytorch

try:
    import torch
except ImportError:
    torch = None


def on(t, index=0):
    return t.device == mytorch.device("cuda", index) and isinstance(t._data, standin.StandinArray)


def test_device_strings(cuda):
    assert on(mytorch.zeros(2, device="cuda"))
    assert on(mytorch.ones(2, device="cuda:1"), 1)
    assert on(mytorch.tensor([1.0], device=mytorch.device("cuda", 1)), 1)
    assert on(mytorch.randn(3, device="cuda"))
    assert on(mytorch.arange(3, device="cuda"))


def test_device_context_manager_and_default_device(cuda):
    with mytorch.device("cuda:1"):
        for t in (mytorch.zeros(2), mytorch.rand(2), mytorch.tensor([1, 2]), mytorch.arange(3)):
            assert on(t, 1), t.device
        with mytorch.device("cpu"):
            assert mytorch.zeros(1).device == mytorch.device("cpu")
        assert mytorch.get_default_device() == mytorch.device("cuda", 1)
    assert mytorch.zeros(1).device == mytorch.device("cpu")
    assert mytorch.get_default_device() == mytorch.device("cpu")
    mytorch.set_default_device("cuda")
    try:
        assert on(mytorch.ones(2))
        assert mytorch.get_default_device() == mytorch.device("cuda", 0)
    finally:
        mytorch.set_default_device(None)
    assert mytorch.ones(1).device == mytorch.device("cpu")


@pytest.mark.torch
def test_default_device_as_torch_on_the_cpu():
    for L in (torch, mytorch):
        with L.device("cpu"):
            assert str(L.zeros(1).device) == "cpu"
        assert str(L.get_default_device()) == "cpu"


def test_moves(cuda):
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cuda", non_blocking=True)
    assert on(y)
    assert on(x.cuda()) and on(x.cuda(1), 1) and on(x.cuda("cuda:1"), 1)
    z = y.to(mytorch.ones(1, device="cuda:1"))
    assert on(z, 1)
    back = z.cpu()
    assert back.device == mytorch.device("cpu")
    (back * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert y.to("cuda:0") is y


def test_pin_memory(cuda):
    x = mytorch.arange(6.0).reshape(2, 3)
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.device == mytorch.device("cpu")
    assert p.pin_memory() is p
    assert p[0].is_pinned()  # a view of pinned memory
    np.testing.assert_array_equal(p.numpy(), x.numpy())
    assert on(p.to("cuda", non_blocking=True))
    w = mytorch.ones(2, requires_grad=True)
    (w.pin_memory() * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])
    with raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        mytorch.ones(2, device="cuda").pin_memory()
    assert not mytorch.ones(2, device="cuda").is_pinned()


@pytest.mark.torch
def test_pin_memory_without_a_gpu_as_torch():
    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU here")
    with pytest.raises(RuntimeError) as t:
        torch.ones(2).pin_memory()
    with raises(RuntimeError, match=re.escape(str(t.value))):
        mytorch.ones(2).pin_memory()
    assert mytorch.ones(2).is_pinned() is torch.ones(2).is_pinned() is False


def test_queries_and_repr(cuda):
    t = mytorch.tensor([1.0, 2.0], device="cuda:1")
    assert t.is_cuda and not mytorch.ones(1).is_cuda
    assert t.get_device() == 1 and mytorch.ones(1).get_device() == -1
    assert repr(mytorch.tensor([1.0, 2.0], device="cuda")) == ("tensor([1., 2.], device='cuda:0')")
    r = repr(mytorch.tensor([1.0], requires_grad=True).cuda())
    assert r == "tensor([1.], device='cuda:0', grad_fn=<ToCopyBackward0>)"


def test_numpy_of_a_cuda_tensor_raises_torchs_type_error(cuda):
    msg = (
        "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
        "to host memory first."
    )
    with raises(TypeError, match=re.escape(msg)):
        mytorch.ones(2, device="cuda").numpy()


def test_module_to_and_cuda_and_optimizer_steps_on_the_device(cuda):
    mytorch.manual_seed(0)
    ref = mytorch.nn.Sequential(mytorch.nn.Linear(3, 4), mytorch.nn.BatchNorm1d(4))
    dev = mytorch.nn.Sequential(mytorch.nn.Linear(3, 4), mytorch.nn.BatchNorm1d(4))
    dev.load_state_dict(ref.state_dict())
    assert dev.cuda() is dev
    assert all(on(p) for p in dev.parameters()) and all(on(b) for b in dev.buffers())
    dev.to("cuda:1")
    assert all(on(p, 1) for p in dev.parameters()) and all(on(b, 1) for b in dev.buffers())
    dev.to(mytorch.device("cuda", 0))
    x = mytorch.randn(8, 3)
    for opt_cls in (mytorch.optim.SGD, mytorch.optim.Adam, mytorch.optim.AdamW):
        o_ref = opt_cls(ref.parameters(), lr=0.1)
        o_dev = opt_cls(dev.parameters(), lr=0.1)
        for _ in range(2):
            for model, o, inp in ((ref, o_ref, x), (dev, o_dev, x.cuda())):
                o.zero_grad()
                model(inp).pow(2).sum().backward()
                standin.reset_counts()
                o.step()
                if model is dev:
                    assert standin.counts() == {"to_host": 0, "to_device": 0, "scalar": 0}
    for p, q in zip(ref.parameters(), dev.parameters()):
        assert on(q)
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=1e-5)


def test_save_and_load_with_map_location(cuda):
    buf = io.BytesIO()
    mytorch.save({"a": mytorch.tensor([1.0, 2.0], device="cuda:1"), "b": mytorch.ones(1)}, buf)
    for loc, dev in (
        (None, mytorch.device("cuda", 1)),
        ("cpu", mytorch.device("cpu")),
        ("cuda:0", mytorch.device("cuda", 0)),
        ({"cuda:1": "cuda:0"}, mytorch.device("cuda", 0)),
        (mytorch.device("cpu"), mytorch.device("cpu")),
    ):
        buf.seek(0)
        d = mytorch.load(buf, map_location=loc)
        assert d["a"].device == dev, (loc, d["a"].device)
        np.testing.assert_array_equal(d["a"].cpu().numpy(), [1.0, 2.0])


def test_random_numbers_on_the_device_are_seeded(cuda):
    for seed_fn in (mytorch.manual_seed, mytorch.cuda.manual_seed):
        seed_fn(5)
        standin.reset_counts()
        a = mytorch.randn(4, device="cuda")
        assert standin.counts()["to_device"] == 0  # drawn on the device
        seed_fn(5)
        b = mytorch.randn(4, device="cuda")
        np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    g = mytorch.Generator(device="cuda")
    g.manual_seed(1)
    c = mytorch.rand(3, device="cuda", generator=g)
    g.manual_seed(1)
    np.testing.assert_array_equal(
        c.cpu().numpy(), mytorch.rand(3, device="cuda", generator=g).cpu().numpy()
    )


def test_dlpack_with_the_array_module(cuda):
    t = mytorch.arange(4.0, device="cuda:1")
    assert t.__dlpack_device__() == (2, 1)
    arr = standin.xp.from_dlpack(t)  # CuPy takes a tensor's memory
    with standin.xp.cuda.Device(1):
        arr[0] = 42.0
    assert t[0].item() == 42.0
    a = standin.xp.arange(3.0)
    u = mytorch.from_dlpack(a)
    assert on(u)
    a[1] = -1.0
    assert u.cpu().tolist() == [0.0, -1.0, 2.0]
    v = mytorch.from_dlpack(t)
    assert on(v, 1) and v._data._mem is t._data._mem
    with raises(BufferError, match="require gradient"):
        mytorch.ones(1, device="cuda", requires_grad=True).__dlpack__()


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_higher_order_gradients_match_torch(cuda, dtype):
    data = [0.3, -1.2, 2.0]

    def f(L, x):
        return (x.tanh() * x.sigmoid() + x.exp() * x.relu()).sum()

    x = mytorch.tensor(data, dtype=getattr(mytorch, dtype), device="cuda", requires_grad=True)
    (g,) = mytorch.autograd.grad(f(mytorch, x), x, create_graph=True)
    (gg,) = mytorch.autograd.grad(g.sum(), x)
    tx = torch.tensor(data, dtype=getattr(torch, dtype), requires_grad=True)
    (tg,) = torch.autograd.grad(f(torch, tx), tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    assert on(gg)
    np.testing.assert_allclose(g.detach().cpu().numpy(), tg.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(gg.detach().cpu().numpy(), tgg.numpy(), rtol=1e-5)


def test_mismatch_errors(cuda):
    with raises(RuntimeError, match="found at least two devices, cuda:0 and cpu!"):
        mytorch.ones(2, device="cuda") + mytorch.ones(2)
    with raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1!"):
        mytorch.ones(2, device="cuda") + mytorch.ones(2, device="cuda:1")
