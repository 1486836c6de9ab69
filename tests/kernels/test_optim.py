"""The fused optimizer steps (csrc/_optim.pyx: sgd_step, adam_step) against the NumPy
reference (mytorch._backends._optim): the same updates of parameter and state, on the fast path
(contiguous float32/float64, threaded sizes included) and on what falls back."""

import numpy as np
import pytest

import mytorch
from mytorch._backends import CPU as K
from mytorch._backends.reference import NUMPY as R

pytestmark = pytest.mark.kernels_vs_reference

SIZES = [1, 7, 1000, 70001]
ULPS = {"float32": dict(rtol=2e-6, atol=1e-7), "float64": dict(rtol=1e-14, atol=1e-15)}


def _arrays(rng, n, dtype, k):
    return [rng.standard_normal(n).astype(dtype) for _ in range(k)]


def _both(fn_name, arrays, args):
    """Run the kernel on copies in both backends; the arrays each wrote."""
    got = [a.copy() for a in arrays]
    want = [a.copy() for a in arrays]
    getattr(K, fn_name)(*got, *args)
    getattr(R, fn_name)(*want, *args)
    return got, want


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    "opts",
    [(0.1, 0.0, 0.0, 0.0, False, False, True), (0.1, 0.01, 0.9, 0.1, False, False, False),
     (0.1, 0.01, 0.9, 0.0, True, True, False), (0.1, 0.0, 0.9, 0.0, False, False, True)],
)  # fmt: skip
def test_sgd_step_matches_the_reference(n, opts, dtype_name, rng):
    p, g, buf = _arrays(rng, n, dtype_name, 3)
    got, want = _both("sgd_step", [p, g, buf], opts)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, **ULPS[dtype_name])


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize(
    "opts",
    [(1e-3, 0.9, 0.999, 1e-8, 0.0, False, False), (1e-2, 0.9, 0.99, 1e-6, 0.1, False, True),
     (1e-2, 0.3, 0.9, 1e-8, 0.1, True, False)],
)  # fmt: skip
def test_adam_step_matches_the_reference(n, amsgrad, opts, dtype_name, rng):
    p, g, m, v, vmax = _arrays(rng, n, dtype_name, 5)
    v, vmax = v * v, vmax * vmax
    step = 3.0
    lr, b1, b2 = opts[:3]
    extra = (lr / (1 - b1**step), (1 - b2**step) ** 0.5)
    got = [a.copy() for a in (p, g, m, v, vmax)]
    want = [a.copy() for a in (p, g, m, v, vmax)]
    for be, arrs in ((K, got), (R, want)):
        be.adam_step(arrs[0], arrs[1], arrs[2], arrs[3], arrs[4] if amsgrad else None, *opts,
                     *extra)  # fmt: skip
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, **ULPS[dtype_name])


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize(
    "opts",
    [(1e-3, 0.9, 0.999, 1e-8, 0.0, False, False), (1e-2, 0.3, 0.9, 1e-8, 0.1, True, True)],
)  # fmt: skip
def test_adam_steps_over_a_group_matches_the_reference(amsgrad, opts, rng):
    """adam_steps: tensors of several sizes and both dtypes, each its own step scalars, split
    across threads end to end; a non-contiguous one falls back to the reference."""
    sizes = [(40000, "float32"), (7, "float64"), (30001, "float32"), (3, "float32"),
             (50000, "float64"), (1000, "float32")]  # fmt: skip
    groups = []
    for n, dtype in sizes:
        p, g, m, v, vmax = _arrays(rng, n, dtype, 5)
        groups.append([p, g, m, v * v, vmax * vmax])
    steps = [1.0, 3.0, 3.0, 10.0, 2.0, 5.0]
    lr, b1, b2 = opts[:3]
    sizes_ = [lr / (1 - b1**s) for s in steps]
    bc2s = [(1 - b2**s) ** 0.5 for s in steps]
    got = [[a.copy() for a in grp] for grp in groups]
    got[5][0] = np.stack([got[5][0], got[5][0]], 1)[:, 0]  # a strided view: the reference's
    assert not got[5][0].flags.c_contiguous
    want = [[a.copy() for a in grp] for grp in groups]
    cols = [list(c) for c in zip(*got)]
    K.adam_steps(*cols[:4], cols[4] if amsgrad else None, sizes_, bc2s, *opts)
    for k, arrs in enumerate(want):
        R.adam_step(*arrs[:4], arrs[4] if amsgrad else None, *opts, sizes_[k], bc2s[k])
    for k, (ga, wa) in enumerate(zip(got, want)):
        for a, b in zip(ga, wa):
            np.testing.assert_allclose(a, b, **ULPS[str(b.dtype)], err_msg=f"tensor {k}")


def test_the_fused_kernels_are_loaded():
    assert "_optim" in mytorch._build.kernel_modules()
    assert K.adam_step is not R.adam_step and K.sgd_step is not R.sgd_step
    assert K.adam_steps is not R.adam_steps


def test_other_layouts_fall_back_to_the_reference(rng):
    p = rng.standard_normal((4, 6))[:, ::2]  # not contiguous
    g = np.broadcast_to(np.float64(0.5), p.shape)  # a broadcast gradient
    assert not p.flags.c_contiguous
    got, want = p.copy()[:, ::1], p.copy()
    buf1, buf2 = np.zeros_like(p), np.zeros_like(p)
    K.sgd_step(got, g, buf1, 0.1, 0.0, 0.9, 0.0, False, False, True)
    R.sgd_step(want, g, buf2, 0.1, 0.0, 0.9, 0.0, False, False, True)
    np.testing.assert_array_equal(got, want)
    # mixed dtypes and 0-d arrays take the reference too
    p32, g64 = np.ones(5, np.float32), np.ones(5)
    K.sgd_step(p32, g64, None, 0.5, 0.0, 0.0, 0.0, False, False, False)
    np.testing.assert_array_equal(p32, np.full(5, 0.5, np.float32))
    p0 = np.array(1.0)
    m0, v0 = np.array(0.0), np.array(0.0)
    K.adam_step(p0, np.float64(2.0), m0, v0, None, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False,
                1.0, 1.0)  # fmt: skip
    assert float(m0) == pytest.approx(0.2)


def test_optimizers_use_the_fused_kernels_and_agree(rng):
    """Adam through the optimizer in the compiled build equals the reference kernels."""
    arrays = [rng.standard_normal(5000).astype("float32") for _ in range(2)]
    grads = [[rng.standard_normal(5000).astype("float32") for _ in range(2)] for _ in range(5)]
    results = []
    for kernels in (K, R):
        ps = [mytorch.tensor(a, requires_grad=True) for a in arrays]
        opt = mytorch.optim.AdamW(ps, lr=0.01, amsgrad=True)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = mytorch.tensor(g)
            if kernels is R:
                for group in opt.param_groups:
                    for p in group["params"]:
                        st = opt.state[p]
                        if not st:
                            opt._init_state(p, group)
                            st = opt.state[p]
                        step = float(st["step"]) + 1
                        st["step"].fill_(step)
                        b1, b2 = group["betas"]
                        R.adam_step(p.detach().numpy(), p.grad.numpy(),
                                    st["exp_avg"].numpy(), st["exp_avg_sq"].numpy(),
                                    st["max_exp_avg_sq"].numpy(), group["lr"], b1, b2,
                                    group["eps"], group["weight_decay"], True, False,
                                    group["lr"] / (1 - b1**step),
                                    (1 - b2**step) ** 0.5)  # fmt: skip
            else:
                opt.step()
        results.append([p.detach().numpy().copy() for p in ps])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **ULPS["float32"])
