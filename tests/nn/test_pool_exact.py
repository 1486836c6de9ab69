"""Max pooling's primitives against torch, exactly: values, argmax indices and gradients bit for
bit (float32 and float64) on random geometries of 1 to 3 spatial dims (padding, dilation,
overlapping strides, ceil_mode), at ties, infinities and NaNs; integer inputs; second
derivatives through the backward's gather."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, to_numpy, torch

pytestmark = pytest.mark.torch


def _case(rng, n):
    kernel = [int(k) for k in rng.integers(1, 4, n)]
    dilation = [int(d) for d in rng.integers(1, 3, n)]
    stride = [int(s) for s in rng.integers(1, 4, n)]
    padding = [int(rng.integers(0, k // 2 + 1)) for k in kernel]
    top = 9 if n < 3 else 6
    spatial = [int(rng.integers((k - 1) * d + 1, top)) for k, d in zip(kernel, dilation)]
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), *spatial)
    if rng.random() < 0.3:
        shape = shape[1:]  # unbatched
    kw = dict(
        kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
        ceil_mode=bool(rng.random() < 0.5),
    )  # fmt: skip
    return shape, kw


def _exact(m, t):
    a, b = to_numpy(m), to_numpy(t)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_values_indices_gradients_bit_for_bit(n, kind, dtype_name, device):
    rng = np.random.default_rng(7 * n + len(kind))
    for _ in range(12):
        shape, kw = _case(rng, n)
        if kind == "ties":
            x = rng.integers(-2, 3, shape).astype(dtype_name)
        else:
            x = rng.standard_normal(shape).astype(dtype_name)
        if kind == "special":
            x[rng.random(shape) < 0.2] = -np.inf
            x[rng.random(shape) < 0.1] = np.nan
        xt = torch.tensor(x, requires_grad=True)
        xm = mytorch.tensor(x, device=device, requires_grad=True)
        fn = f"max_pool{n}d"
        vt, it = getattr(torch.nn.functional, fn)(xt, return_indices=True, **kw)
        vm, im = getattr(mytorch.nn.functional, fn)(xm, return_indices=True, **kw)
        _exact(vm, vt)
        _exact(im, it)
        w = rng.standard_normal(tuple(vt.shape)).astype(dtype_name)
        (gt,) = torch.autograd.grad(vt, xt, torch.tensor(w))
        (gm,) = mytorch.autograd.grad(vm, xm, mytorch.tensor(w, device=device))
        if device == "cpu":
            _exact(gm, gt)  # overlapping windows add in torch's order
        else:
            assert_matches(gm, gt)


def test_integer_inputs(device):
    x = np.random.default_rng(3).integers(-50, 50, (2, 3, 7, 6))
    for dt in ("int64", "int32", "uint8"):
        a = x.astype(dt)
        vt, it = torch.nn.functional.max_pool2d(torch.tensor(a), 3, 2, 1, return_indices=True)
        vm, im = mytorch.nn.functional.max_pool2d(
            mytorch.tensor(a, device=device), 3, 2, 1, return_indices=True
        )
        _exact(vm, vt)
        _exact(im, it)


def test_second_derivatives_go_through_the_gather(device):
    x = np.random.default_rng(4).standard_normal((2, 2, 6, 5))
    g0 = np.random.default_rng(5).standard_normal((2, 2, 3, 3))
    res = []
    for T, dev in ((torch, "cpu"), (mytorch, device)):
        xt = T.tensor(x, device=dev, requires_grad=True)
        g = T.tensor(g0, device=dev, requires_grad=True)
        out = T.nn.functional.max_pool2d(xt, 3, 2, 1)
        (gx,) = T.autograd.grad(out, xt, g, create_graph=True)
        assert gx.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"
        (gg,) = T.autograd.grad((gx * gx.detach()).sum(), g)
        res.append((gx, gg))
    _exact(res[1][0], res[0][0])
    _exact(res[1][1], res[0][1])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_padding_over_half_the_kernel_raises_even_when_dilated(n):
    """torch checks padding against half the kernel size before half the dilated one."""
    for T in (torch, mytorch):
        x = T.zeros((1, 1) + (9,) * n)
        with pytest.raises(RuntimeError):
            getattr(T.nn.functional, f"max_pool{n}d")(x, 3, 1, 2, 2)
        getattr(T.nn.functional, f"max_pool{n}d")(x, 2, 1, 1, 3)


def test_windows_with_no_entry_inside_take_torch_indices(device):
    """Dilation past a short input with ceil_mode leaves windows with no entry inside: -inf,
    and torch's index (each dim's first position at or past 0, even outside the plane); the
    backward adds the gradients of the indices inside the plane."""
    x = np.random.default_rng(6).standard_normal((1, 2, 4, 1))
    kw = dict(kernel_size=(1, 3), stride=(1, 3), padding=(0, 1), dilation=(1, 2), ceil_mode=True)
    xt = torch.tensor(x, requires_grad=True)
    xm = mytorch.tensor(x, device=device, requires_grad=True)
    vt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    vm, im = mytorch.nn.functional.max_pool2d(xm, return_indices=True, **kw)
    _exact(vm, vt)
    _exact(im, it)
    w = np.arange(1.0, 9.0).reshape(tuple(vt.shape))
    (gt,) = torch.autograd.grad(vt, xt, torch.tensor(w))
    (gm,) = mytorch.autograd.grad(vm, xm, mytorch.tensor(w, device=device))
    # positions 1-3 get indices 1-3 (torch's too); index 4 lies past the plane's end, where
    # torch's kernel writes into the next plane's position 0: here it adds nothing
    np.testing.assert_array_equal(to_numpy(gm)[:, :, 1:], to_numpy(gt)[:, :, 1:])
    assert not to_numpy(gm)[:, :, 0].any()
