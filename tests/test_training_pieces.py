"""The small pieces training scripts touch, against torch: backends flags, deterministic
algorithms, mytorch.cuda on a CPU machine, activation checkpointing, CPU autocast, GradScaler
and compile."""

import warnings

import numpy as np
import pytest

import mytorch
from helpers import raises_like, seeded_rng, to_numpy, torch

pytestmark = pytest.mark.torch


# --- flags ---------------------------------------------------------------------------------
def test_backends_flags_match_torch_defaults_and_keep_values():
    for lib in (mytorch, torch):
        cudnn = lib.backends.cudnn
        assert (cudnn.benchmark, cudnn.deterministic, cudnn.enabled) == (False, False, True)
        assert cudnn.is_available() is False and cudnn.version() is None
        assert lib.backends.mps.is_available() is False and lib.backends.mps.is_built() is False
        assert lib.backends.cuda.matmul.allow_tf32 is False
        assert lib.backends.cuda.is_built() is False
    cudnn = mytorch.backends.cudnn
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        mytorch.backends.cuda.matmul.allow_tf32 = True
        assert mytorch.backends.cudnn.benchmark and mytorch.backends.cudnn.deterministic
        assert mytorch.backends.cuda.matmul.allow_tf32
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False
        mytorch.backends.cuda.matmul.allow_tf32 = False


def test_deterministic_algorithms():
    for lib in (mytorch, torch):
        assert lib.are_deterministic_algorithms_enabled() is False
        try:
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled() is True
            assert lib.is_deterministic_algorithms_warn_only_enabled() is True
        finally:
            lib.use_deterministic_algorithms(False)
        assert lib.is_deterministic_algorithms_warn_only_enabled() is False
    raises_like(lambda lib: lib.use_deterministic_algorithms(1), ["mode"])
    assert mytorch.get_float32_matmul_precision() == torch.get_float32_matmul_precision()


@pytest.mark.skipif(mytorch.cuda.is_available(), reason="checks a machine without a GPU")
def test_cuda_on_a_cpu_machine():
    for lib in (mytorch, torch):
        assert lib.cuda.is_available() is False and lib.cuda.device_count() == 0
        assert lib.cuda.is_bf16_supported() is False and lib.cuda.is_initialized() is False
        lib.cuda.manual_seed(0)
        lib.cuda.manual_seed_all(0)
        lib.cuda.empty_cache()
    for name in ("current_device", "synchronize", "get_device_name"):
        raises_like(lambda lib, name=name: getattr(lib.cuda, name)(), exc=AssertionError)


# --- checkpoint ----------------------------------------------------------------------------
def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(
        lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Dropout(0.3), lib.nn.Linear(8, 3)
    )


def _grads(model, x):
    return [to_numpy(x.grad)] + [to_numpy(p.grad) for p in model.parameters()]


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_equal_plain(use_reentrant):
    from mytorch.utils.checkpoint import checkpoint

    x0 = seeded_rng("ckpt").standard_normal((5, 4))
    model = _model(mytorch)
    x = mytorch.tensor(x0, dtype=mytorch.float32, requires_grad=True)
    mytorch.manual_seed(7)
    out = checkpoint(model, x, use_reentrant=use_reentrant)
    (out * out).sum().backward()
    got = _grads(model, x)
    model.zero_grad()
    x2 = mytorch.tensor(x0, dtype=mytorch.float32, requires_grad=True)
    mytorch.manual_seed(7)  # the same dropout mask
    out2 = model(x2)
    (out2 * out2).sum().backward()
    np.testing.assert_array_equal(to_numpy(out), to_numpy(out2))
    for a, b in zip(got, _grads(model, x2)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert out.grad_fn is not None and out.requires_grad


def test_checkpoint_matches_torch_and_autograd_grad():
    """Against torch's non-reentrant checkpoint (dropout off: the generators differ)."""
    x0 = seeded_rng("ckpt-torch").standard_normal((3, 4))
    outs = {}
    for lib in (mytorch, torch):
        model = _model(lib).eval()
        if lib is mytorch:
            model.load_state_dict(
                {k: mytorch.tensor(v.numpy()) for k, v in _model(torch).state_dict().items()}
            )
        x = lib.tensor(x0, dtype=lib.float32, requires_grad=True)
        y = lib.utils.checkpoint.checkpoint(model, x, use_reentrant=False)
        gx, gw = lib.autograd.grad(y.pow(2).sum(), [x, model[0].weight])
        outs[lib.__name__] = (to_numpy(y), to_numpy(gx), to_numpy(gw))
    for a, b in zip(outs["mytorch"], outs["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_checkpoint_kwargs_closures_and_warning():
    from mytorch.utils.checkpoint import checkpoint

    w = mytorch.ones(3, requires_grad=True)

    def f(x, *, scale):
        return (x * w * scale).sum()

    x = mytorch.arange(3.0, requires_grad=True)
    checkpoint(f, x, scale=2.0, use_reentrant=False).backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and w.grad.tolist() == [0.0, 2.0, 4.0]
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(f, x, scale=1.0)
    with mytorch.no_grad():
        assert checkpoint(f, x, scale=1.0, use_reentrant=False).item() == 3.0


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential(segments):
    from mytorch.utils.checkpoint import checkpoint_sequential

    x0 = seeded_rng("seq").standard_normal((2, 4))
    model = _model(mytorch).eval()
    x = mytorch.tensor(x0, dtype=mytorch.float32, requires_grad=True)
    out = checkpoint_sequential(model, segments, x, use_reentrant=False)
    out.sum().backward()
    got = _grads(model, x)
    model.zero_grad()
    x2 = mytorch.tensor(x0, dtype=mytorch.float32, requires_grad=True)
    model(x2).sum().backward()
    np.testing.assert_allclose(to_numpy(out), to_numpy(model(x2)), rtol=1e-6)
    for a, b in zip(got, _grads(model, x2)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# --- autocast ------------------------------------------------------------------------------
def _autocast_cases(lib, arrays):
    a, b, bias, img, k, v3 = (lib.tensor(x, dtype=lib.float32) for x in arrays)
    F = lib.nn.functional
    return {
        "matmul": lambda: lib.matmul(a, b),
        "operator": lambda: a @ b,
        "mm": lambda: lib.mm(a, b),
        "bmm": lambda: lib.bmm(a[None], b[None]),
        "addmm": lambda: lib.addmm(bias, a, b),
        "baddbmm": lambda: lib.baddbmm(bias[None], a[None], b[None]),
        "linear": lambda: F.linear(a, b.t(), bias),
        "conv2d": lambda: F.conv2d(img, k, padding=1),
        "conv1d": lambda: F.conv1d(img[:, :, 0], k[:, :, 0]),
        "conv_transpose2d": lambda: F.conv_transpose2d(img, k.transpose(0, 1)),
        "add": lambda: a + 1,  # not on the list: stays float32
        "float64": lambda: lib.matmul(a.double(), b.double()),  # float64 is left alone
        "sum": lambda: v3.sum(),
    }


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_autocast_cpu_against_torch(dtype):
    r = seeded_rng("autocast")
    arrays = [
        r.standard_normal((3, 4)),
        r.standard_normal((4, 5)),
        r.standard_normal(5),
        r.standard_normal((1, 2, 5, 5)),
        r.standard_normal((3, 2, 3, 3)),
        r.standard_normal(4),
    ]
    cm = _autocast_cases(mytorch, arrays)
    ct = _autocast_cases(torch, arrays)
    for name in cm:
        with mytorch.autocast("cpu", dtype=getattr(mytorch, dtype)):
            m = cm[name]()
        with torch.autocast("cpu", dtype=getattr(torch, dtype)):
            t = ct[name]()
        assert repr(m.dtype) == str(t.dtype), name
        assert tuple(m.shape) == tuple(t.shape), name
        np.testing.assert_allclose(
            to_numpy(m.float()), to_numpy(t.float()), rtol=2e-2, atol=5e-2, err_msg=name
        )
    assert cm["matmul"]().dtype == mytorch.float32  # off again outside the block


def test_autocast_module_grad_and_forms():
    lin = mytorch.nn.Linear(4, 2)
    x = mytorch.ones(3, 4)

    @mytorch.amp.autocast("cpu")
    def run(x):
        return lin(x)

    y = run(x)
    assert y.dtype == mytorch.bfloat16 and lin.weight.dtype == mytorch.float32
    y.float().sum().backward()
    assert lin.weight.grad.dtype == mytorch.float32  # the cast is differentiable
    with mytorch.amp.autocast(device_type="cpu"):
        assert mytorch.is_autocast_enabled("cpu") and not mytorch.is_autocast_enabled()
        assert mytorch.get_autocast_dtype("cpu") == mytorch.bfloat16
        with mytorch.autocast("cpu", enabled=False):
            assert lin(x).dtype == mytorch.float32
        assert lin(x).dtype == mytorch.bfloat16
    assert not mytorch.is_autocast_enabled("cpu")
    for lib in (mytorch, torch):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            with lib.autocast("cuda"):
                assert lib.matmul(lib.ones(2, 2), lib.ones(2, 2)).dtype == lib.float32
    raises_like(lambda lib: lib.autocast(3), exc=ValueError)


def test_checkpoint_recomputes_under_the_same_autocast():
    from mytorch.utils.checkpoint import checkpoint

    lin = mytorch.nn.Linear(4, 2)
    x = mytorch.ones(3, 4, requires_grad=True)
    with mytorch.autocast("cpu"):
        y = checkpoint(lin, x, use_reentrant=False)
    assert y.dtype == mytorch.bfloat16
    y.float().sum().backward()  # recomputed in bfloat16 again, outside the block
    assert x.grad.dtype == mytorch.float32 and lin.weight.grad is not None


# --- GradScaler ----------------------------------------------------------------------------
class _Opt:
    """A duck-typed optimizer (the real ones are written elsewhere)."""

    def __init__(self, params, lr=0.1):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.steps = 0

    def step(self):
        self.steps += 1
        with mytorch.no_grad():
            for p in self.param_groups[0]["params"]:
                p -= self.param_groups[0]["lr"] * p.grad


def test_grad_scaler_disabled_without_cuda():
    with pytest.warns(UserWarning, match="CUDA is not available"):
        s = mytorch.cuda.amp.GradScaler()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = torch.cuda.amp.GradScaler()
    assert s.is_enabled() is ts.is_enabled() is False
    assert s.get_scale() == ts.get_scale() and s.state_dict() == ts.state_dict() == {}
    w = mytorch.ones(2, requires_grad=True)
    opt = _Opt([w])
    loss = (w * 3).sum()
    assert s.scale(loss) is loss
    loss.backward()
    s.unscale_(opt)
    s.step(opt)
    s.update()
    assert opt.steps == 1
    np.testing.assert_allclose(to_numpy(w), [0.7, 0.7], rtol=1e-6)


def test_grad_scaler_enabled_on_cpu_against_torch():
    res = {}
    for lib in (mytorch, torch):
        s = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        trace = []
        for bad in (False, False, True, False):
            loss = (w * 3).sum() * (float("inf") if bad else 1.0)
            scaled = s.scale(loss)
            trace.append(float(scaled.item()))
            if w.grad is not None:
                w.grad = None
            scaled.backward()
            s.step(opt)
            s.update()
            trace.append(s.get_scale())
        res[lib.__name__] = (trace, to_numpy(w).tolist(), s.state_dict())
    assert res["mytorch"][0] == res["torch"][0]
    np.testing.assert_allclose(res["mytorch"][1], res["torch"][1], rtol=1e-6)
    sd_m, sd_t = res["mytorch"][2], res["torch"][2]
    assert sd_m == {k: (v.item() if hasattr(v, "item") else v) for k, v in sd_t.items()}


# --- compile -------------------------------------------------------------------------------
def test_compile_returns_the_model():
    model = mytorch.nn.Linear(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mytorch.compile(model) is model
        assert mytorch.compile(model, mode="reduce-overhead", fullgraph=True) is model

        @mytorch.compile
        def f(x):
            return x + 1

        @mytorch.compile(dynamic=True, options={"a": 1})
        def g(x):
            return x * 2

    assert f(mytorch.ones(1)).item() == 2.0 and g(mytorch.ones(1)).item() == 2.0
    raises_like(lambda lib: lib.compile(model, mode="default", options={}))


def test_bfloat16_results_keep_their_history():
    """A cast to bfloat16, a broadcasting bfloat16 op and a Function's bfloat16 output stay
    differentiable, as in torch (autocast relies on it)."""
    for lib in (mytorch, torch):
        w = lib.ones(2, 3, requires_grad=True)
        h = w.to(lib.bfloat16)
        y = h + lib.ones(3, dtype=lib.bfloat16)  # broadcast: a result of another shape
        assert h.requires_grad and h.grad_fn is not None and y.requires_grad
        y.float().sum().backward()
        assert w.grad.dtype == lib.float32 and w.grad.tolist() == [[1.0] * 3] * 2
