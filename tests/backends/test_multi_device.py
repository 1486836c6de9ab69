"""Numbered devices: ``standin:N`` (as ``cuda:N``) puts tensors on device N, and everything done
with them runs there, whatever device is current (the stand-in refuses, as CuPy does without
peer access, a kernel given an array of another device than the current one)."""

import numpy as np
import pytest
from backends import standin
from backends.standin import counts, reset_counts

import mytorch

try:
    import torch
except ImportError:  # torch-marked tests are skipped by conftest.py
    torch = None

NONE = {"to_host": 0, "to_device": 0, "scalar": 0}
D1 = "standin:1"


def on(t, index):
    """``t`` is a stand-in tensor on device ``index``, its array too."""
    assert t.device == mytorch.device("standin", index), t.device
    assert t._data.device.id == index and t._data.data.device_id == index
    assert t.get_device() == index
    return True


FACTORIES = {
    "tensor": lambda d: mytorch.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
    "zeros": lambda d: mytorch.zeros(2, 3, device=d),
    "full": lambda d: mytorch.full((2,), 7, device=d),
    "arange": lambda d: mytorch.arange(0.0, 1.0, 0.25, device=d),
    "linspace": lambda d: mytorch.linspace(-1, 1, 5, device=d),
    "eye": lambda d: mytorch.eye(3, device=d),
    "rand": lambda d: mytorch.rand(4, device=d),
    "randperm": lambda d: mytorch.randperm(4, device=d),
    "zeros_like": lambda d: mytorch.zeros_like(mytorch.ones(2, device=d)),
    "to": lambda d: mytorch.tensor([1.0, 2.0]).to(d),
    "to_device_object": lambda d: mytorch.ones(2).to(mytorch.device("standin", 1)),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_creation_on_device_1(name):
    t = FACTORIES[name](D1)
    assert on(t, 1)
    assert str(t.device) == D1 and f"device='{D1}'" in repr(t)


def test_a_device_without_a_number_is_the_current_one():
    assert on(mytorch.zeros(2, device="standin"), 0)
    with standin.Device(1):
        assert on(mytorch.zeros(2, device="standin"), 1)
        assert on(mytorch.tensor([1.0]).to("standin"), 1)


def test_ops_and_backward_on_device_1_run_there_with_device_0_current():
    data = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = mytorch.tensor(data, requires_grad=True, device=D1)
    w = mytorch.tensor(np.ones((2, 2)), requires_grad=True, device=D1)
    reset_counts()
    y = ((x @ w).tanh() * x[mytorch.tensor([1, 0], device=D1)]).sum(0)
    loss = (y.exp() + x.diagonal().sum()).mean()
    loss.backward()
    assert counts()["to_host"] == counts()["scalar"] == 0
    assert on(y, 1) and on(loss, 1) and on(x.grad, 1) and on(w.grad, 1)
    with mytorch.no_grad():
        x -= 0.1 * x.grad  # an in-place op on device 1
        x[0, 0] = 3.0  # and a setitem
    assert on(x, 1) and x[0, 0].item() == 3.0
    # the same program on device 0 gives the same numbers
    x0 = mytorch.tensor(data, requires_grad=True, device="standin:0")
    w0 = mytorch.tensor(np.ones((2, 2)), requires_grad=True, device="standin:0")
    y0 = ((x0 @ w0).tanh() * x0[mytorch.tensor([1, 0], device="standin:0")]).sum(0)
    (y0.exp() + x0.diagonal().sum()).mean().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), x0.grad.cpu().numpy())
    np.testing.assert_allclose(w.grad.cpu().numpy(), w0.grad.cpu().numpy())


def test_moves_between_devices_copy_on_the_devices_and_differentiate():
    x = mytorch.tensor([1.0, -2.0, 3.0], requires_grad=True, device="standin:0")
    reset_counts()
    y = x.to(D1)
    assert counts() == NONE  # device to device, not through the host
    assert on(y, 1) and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert on(x.grad, 0)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, -4.0, 6.0])
    back = y.detach().to("standin:0")
    assert on(back, 0) and back.tolist() == [1.0, -2.0, 3.0]
    assert y.to(D1) is y and y.to(mytorch.device("standin", 1)) is y
    assert mytorch.ones(2, device=D1).cpu().device == mytorch.device("cpu")


@pytest.mark.torch
def test_tensors_on_two_devices_raise_torchs_error():
    a = mytorch.ones(2, device="standin:0")
    b = mytorch.ones(2, device=D1)
    for op in (lambda: a + b, lambda: b * a, lambda: mytorch.cat([a, b]), lambda: a.copy_(b) + b):
        with pytest.raises(RuntimeError) as e:
            op()
        assert str(e.value) == (
            "Expected all tensors to be on the same device, but found at least two devices, "
            "standin:0 and standin:1!"
        ) or str(e.value).endswith("standin:1 and standin:0!")


def test_a_device_number_out_of_range_raises():
    with pytest.raises(RuntimeError, match="out of range"):
        mytorch.zeros(2, device=f"standin:{standin.DEVICE_COUNT}")
    with pytest.raises(RuntimeError, match="out of range"):
        mytorch.ones(2).to(f"standin:{standin.DEVICE_COUNT}")


def _row_on(op, arrays, device):
    """A row of the op database on ``device``: its output and the gradients of the output
    (weighted by one fixed cotangent) with respect to its float inputs."""
    xs = [
        mytorch.tensor(a, device=device, requires_grad=op.grad and a.dtype.kind == "f")
        for a in arrays
    ]
    out = op.fn(mytorch, *xs)
    grads = []
    if op.grad and out.requires_grad:
        v = mytorch.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)), device=device)
        wrt = [x for x in xs if x.requires_grad]
        grads = mytorch.autograd.grad(out, wrt, v.to(out.dtype), allow_unused=True)
    return out, [g for g in grads if g is not None]


def _op_rows():
    from ops.op_db import OPS

    # (rows of CPU-only kernels, such as SciPy's, do not run on the stand-in device)
    return [
        pytest.param(op, id=op.name)
        for op in OPS
        if op.op_name != "to_device" and "standin" in getattr(op, "devices", ("standin",))
    ]


@pytest.mark.parametrize("op", _op_rows())
def test_every_op_row_runs_on_device_1(op):
    """Every kernel of the backend bound to device 1 runs there (device 0 is current): the
    row's output and gradients live on device 1 and equal those on device 0."""
    from helpers import seeded_rng
    from ops.op_db import inputs_for

    arrays = inputs_for(op, 0, seeded_rng(op.name, "device1"))
    out1, grads1 = _row_on(op, arrays, D1)
    out0, grads0 = _row_on(op, arrays, "standin:0")
    for r1, r0 in zip([out1, *grads1], [out0, *grads0]):
        assert on(r1, 1)
        np.testing.assert_array_equal(r1.detach().cpu().numpy(), r0.detach().cpu().numpy())


# In-place programs: each mutates a non-leaf ``t`` (and a view of it) made from the leaves.
INPLACE = {
    "add_other_dtype": lambda T, t, o: t.add_(o.double()),  # float64 result cast back
    "mul_view": lambda T, t, o: t[:, 1:].mul_(o[:, 1:]),
    "masked_fill": lambda T, t, o: t.masked_fill_(o > 0, 2.0),
    "index_put_accumulate": lambda T, t, o: t.index_put_(
        (T.tensor([0, 1, 0], device=t.device),), o[0].expand(3, 3), accumulate=True
    ),
    "copy_int": lambda T, t, o: t.copy_((o * 10).long()),
    "setitem_mask": lambda T, t, o: t.__setitem__(o < 0, o.double()[o < 0]),
    "setitem_slice_int": lambda T, t, o: t.__setitem__(
        (slice(None), 0), T.tensor(3, device=o.device)
    ),
    "clamp_transposed": lambda T, t, o: t.t().clamp_(-0.5, 0.5),
    "fill_diagonal_view": lambda T, t, o: t.diagonal().fill_(7.0),
    "normal_": lambda T, t, o: t[0].normal_(generator=T.Generator(t.device).manual_seed(1)),
}


def _inplace_on(name, device):
    rng = np.random.default_rng(3)
    x = mytorch.tensor(rng.standard_normal((3, 3)), requires_grad=True, device=device)
    o = mytorch.tensor(rng.standard_normal((3, 3)), device=device)
    t = x * 1.0
    INPLACE[name](mytorch, t, o)
    (g,) = mytorch.autograd.grad((t * t).sum(), x)
    return t, g


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_ops_on_device_1(name):
    t1, g1 = _inplace_on(name, D1)
    t0, g0 = _inplace_on(name, "standin:0")
    assert on(t1, 1) and on(g1, 1)
    np.testing.assert_array_equal(t1.detach().cpu().numpy(), t0.detach().cpu().numpy())
    np.testing.assert_array_equal(g1.detach().cpu().numpy(), g0.detach().cpu().numpy())
