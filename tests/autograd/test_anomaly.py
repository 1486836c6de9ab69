"""Anomaly detection (autograd.detect_anomaly, set_detect_anomaly, mytorch.set_anomaly_enabled):
the switches, the NaN check and its messages against torch; the forward call that made the
failing node (this file, the line and its text) on its own, since torch shows its whole stack."""

import inspect
import warnings

import pytest

import mytorch
from helpers import raises, torch
from mytorch import autograd
from mytorch._engine import ANOMALY
from mytorch._registry import CORE

HERE = __file__
LIBS = [
    pytest.param(mytorch, id="mytorch"),
    pytest.param(torch, id="torch", marks=pytest.mark.torch),
]
HEADER = "Traceback of forward call that caused the error:\n"


@pytest.fixture(autouse=True)
def mode_off_after():
    yield
    assert not mytorch.is_anomaly_enabled() and mytorch.is_anomaly_check_nan_enabled()
    assert CORE.saved_pack is None and ANOMALY[0] is None  # off: no hook left behind


def _line():
    """The number of the caller's previous line (the op that a test then looks for)."""
    return inspect.currentframe().f_back.f_lineno - 1


def _run(fn):
    """fn() with every warning recorded: (its exception or None, the warnings' texts)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            fn()
            exc = None
        except Exception as e:
            exc = e
    return exc, [str(w.message) for w in record if issubclass(w.category, UserWarning)]


def _errors(texts):
    return [t for t in texts if t.startswith("Error detected in")]


def _frame(line, func):
    """How the anomaly warning names a line of this file (traceback.format_list's form)."""
    src = open(HERE).read().splitlines()[line - 1].strip()
    return f'  File "{HERE}", line {line}, in {func}\n    {src}\n'


# --- the switches ------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", LIBS)
def test_names_at_torchs_paths(lib):
    assert lib.autograd.anomaly_mode.detect_anomaly is lib.autograd.detect_anomaly
    assert lib.autograd.anomaly_mode.set_detect_anomaly is lib.autograd.set_detect_anomaly
    assert callable(lib.is_anomaly_enabled) and callable(lib.is_anomaly_check_nan_enabled)
    assert callable(lib.set_anomaly_enabled)


@pytest.mark.parametrize("lib", LIBS)
def test_states_nest_and_restore(lib):
    seen = [(lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
            with lib.autograd.set_detect_anomaly(False):
                seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
                with lib.autograd.detect_anomaly(check_nan=False):
                    seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
                seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
            seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        lib.autograd.set_detect_anomaly(True, check_nan=False)  # as a function: at once
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        lib.set_anomaly_enabled(False)
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
    on, off, no_nan = (True, True), (False, True), (True, False)
    assert seen == [off, on, off, no_nan, off, on, off, no_nan, off]


@pytest.mark.parametrize("lib", LIBS)
def test_state_restored_after_an_exception(lib):
    with pytest.raises(KeyError):
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            raise KeyError("x")
    assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                (x.sqrt() * 0).sum().backward()
    assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()


@pytest.mark.parametrize("lib", LIBS)
def test_detect_anomaly_warns_when_made(lib):
    exc, texts = _run(lambda: lib.autograd.detect_anomaly())
    assert exc is None
    assert texts == [
        "Anomaly Detection has been enabled. This mode will increase the runtime and should "
        "only be enabled for debugging."
    ]


def test_detect_anomaly_as_a_decorator():  # mytorch only: torch's is a context manager
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @autograd.detect_anomaly(check_nan=False)
        def f():
            return mytorch.is_anomaly_enabled(), mytorch.is_anomaly_check_nan_enabled()

    assert not mytorch.is_anomaly_enabled()
    assert f() == (True, False)
    assert not mytorch.is_anomaly_enabled() and mytorch.is_anomaly_check_nan_enabled()


# --- the NaN check -------------------------------------------------------------------------------
def _sqrt_at_zero(lib, check_nan=True):
    x = lib.tensor([0.0, 4.0], requires_grad=True)
    with lib.autograd.set_detect_anomaly(True, check_nan=check_nan):
        y = x.sqrt()
        (y * 0).sum().backward()  # 0 / (2 sqrt(0)): NaN
    return x


@pytest.mark.torch
def test_nan_raises_torchs_error():
    exc_m, texts_m = _run(lambda: _sqrt_at_zero(mytorch))
    exc_t, texts_t = _run(lambda: _sqrt_at_zero(torch))
    assert type(exc_m) is type(exc_t) is RuntimeError
    assert (
        str(exc_m)
        == str(exc_t)
        == "Function 'SqrtBackward0' returned nan values in its 0th output."
    )
    for texts in (texts_m, _errors(texts_t)):
        assert len(_errors(texts)) == 1
        assert _errors(texts)[0].startswith("Error detected in SqrtBackward0. " + HEADER)
        assert "    y = x.sqrt()\n" in _errors(texts)[0]


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_nan_in_the_second_input_of_a_mul(lib):
    a = lib.tensor([1.0], requires_grad=True)
    b = lib.tensor([float("nan")], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            y = a * b
            with raises(
                RuntimeError,
                match=r"^Function 'MulBackward0' returned nan values in its 0th output\.",
            ):
                y.sum().backward()


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_check_nan_false_lets_nan_through(lib):
    x = _sqrt_at_zero(lib, check_nan=False)
    assert x.grad.isnan().tolist() == [True, False]


@pytest.mark.parametrize("lib", LIBS)
def test_no_check_while_off(lib):
    x = lib.tensor([0.0, 4.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    assert x.grad.isnan().tolist() == [True, False]


def test_inf_raises():
    # mytorch only: torch checks NaN, and lets an infinite gradient through (issue 18 asks both).
    x = mytorch.tensor([0.0, 4.0], requires_grad=True)
    exc, texts = _run(lambda: _inf_backward(x))
    assert type(exc) is RuntimeError
    assert str(exc) == "Function 'SqrtBackward0' returned inf values in its 0th output."
    assert len(_errors(texts)) == 1


def _inf_backward(x):
    with autograd.detect_anomaly():
        x.sqrt().sum().backward()  # 1 / (2 sqrt(0))


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_gradients_unchanged_when_on(lib):
    def grads(on):
        x = lib.tensor([0.5, 1.5, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([[1.0, -2.0, 0.5]], dtype=lib.float64, requires_grad=True)
        with lib.autograd.set_detect_anomaly(on):
            y = (w * x.sin()).tanh().sum(1).max(0).values
            gx, gw = lib.autograd.grad(y, [x, w], create_graph=True)
            (ggx,) = lib.autograd.grad(gx.sum(), [x], retain_graph=True)  # targets: x only
            (gw * gx).sum().backward()  # every leaf
        return [t.tolist() for t in (y, gx, gw, ggx, x.grad, w.grad)]

    assert grads(True) == grads(False)


# --- the forward call that made the failing node -----------------------------------------------
def test_error_names_this_file_line_and_text():
    x = mytorch.tensor([0.0, 1.0], requires_grad=True)

    def f():
        with autograd.set_detect_anomaly(True):
            y = x.sqrt()
            (y * 0).sum().backward()

    exc, texts = _run(f)
    line = inspect.getsourcelines(f)[1] + 2  # y = x.sqrt()
    (text,) = _errors(texts)
    assert text == "Error detected in SqrtBackward0. " + HEADER + _frame(line, "f")
    assert exc.__notes__ == [text.rstrip("\n")]  # shown under the exception's traceback


def test_trace_skips_frames_inside_mytorch():
    lin = mytorch.nn.Linear(2, 1)
    with autograd.set_detect_anomaly(True):
        out = lin(mytorch.ones(1, 2))  # Module.__call__, Linear.forward, F.linear: all mytorch
        line = _line()
        vals, idx = mytorch.ones(2, 3, requires_grad=True).max(0)  # one node, two outputs
        line2 = _line()
    assert autograd.anomaly_mode.forward_trace(out.grad_fn) == _frame(
        line, "test_trace_skips_frames_inside_mytorch"
    )
    assert autograd.anomaly_mode.forward_trace(vals.grad_fn) == _frame(
        line2, "test_trace_skips_frames_inside_mytorch"
    )
    assert autograd.anomaly_mode.forward_trace((out * 2).grad_fn) is None  # recorded while off


class _Boom(autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a.clone()

    @staticmethod
    def backward(ctx, g):
        raise ValueError("boom")


class _TorchBoom(torch.autograd.Function if torch is not None else object):
    forward = _Boom.forward
    backward = _Boom.backward


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_error_inside_a_backward_gets_the_forward_call(lib):
    fn = _Boom if lib is mytorch else _TorchBoom
    x = lib.ones(2, requires_grad=True)

    def run():
        with lib.autograd.set_detect_anomaly(True):
            out = fn.apply(x)
            out.sum().backward()

    exc, texts = _run(run)
    assert type(exc) is ValueError and str(exc) == "boom"
    (text,) = _errors(texts)
    name = "_BoomBackward" if lib is mytorch else "_TorchBoomBackward"
    assert text.startswith(f"Error detected in {name}. " + HEADER)
    assert "    out = fn.apply(x)\n" in text
    if lib is mytorch:
        assert text.endswith(_frame(inspect.getsourcelines(run)[1] + 2, "run"))


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_node_made_while_off(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    z = (x.sqrt() * 0).sum()
    exc, texts = _run(lambda: _backward_on(lib, z))
    assert type(exc) is RuntimeError
    (text,) = _errors(texts)
    assert text.startswith(
        "Error detected in SqrtBackward0. No forward pass information available. Enable detect "
        "anomaly during forward pass for more information."
    )


def _backward_on(lib, z):
    with lib.autograd.set_detect_anomaly(True):
        z.backward()


@pytest.mark.torch
@pytest.mark.parametrize("lib", LIBS)
def test_node_made_by_a_backward_names_its_parent(lib):
    def run():
        with lib.autograd.set_detect_anomaly(True):
            x = lib.tensor([0.0, 1.0], requires_grad=True)
            y = x**3
            (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
            lib.autograd.grad(g, x, grad_outputs=lib.tensor([float("nan"), 1.0]))

    exc, texts = _run(run)
    assert type(exc) is RuntimeError and "returned nan values in its" in str(exc)
    errors = _errors(texts)
    assert len(errors) == 1 and errors[0].startswith("Error detected in MulBackward0. " + HEADER)
    assert "(g,) = lib.autograd.grad(y.sum(), x, create_graph=True)\n" in errors[0]
    parent = [t for t in texts if "Previous calculation" in t]
    assert len(parent) == 1
    assert parent[0].startswith(
        "\n\nPrevious calculation was induced by PowBackward0. Traceback of forward call that "
        "induced the previous calculation:\n"
    )
    assert "    y = x**3\n" in parent[0]


def test_saved_tensors_hooks_still_pack_while_on():
    packed = []

    def pack(t):
        packed.append(t.shape)
        return t

    x = mytorch.ones(3, requires_grad=True)
    with autograd.set_detect_anomaly(True):
        with autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = x.sin()
            line = _line()
        assert CORE.saved_pack is not None  # the anomaly recorder, still on
        y.sum().backward()
    assert packed == [(3,)]
    assert autograd.anomaly_mode.forward_trace(y.grad_fn) == _frame(
        line, "test_saved_tensors_hooks_still_pack_while_on"
    )
    assert x.grad.tolist() == x.detach().cos().tolist()


@pytest.mark.parametrize("device", ["cpu", "standin"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("shape", [(), (1,), (5,)])
def test_all_finite(device, dtype, shape):
    from mytorch import _backends

    if device == "standin" and dtype == "bfloat16":
        pytest.skip("CuPy (which the stand-in device mimics) has no bfloat16")
    n = 1
    for s in shape:
        n *= s
    for bad, expected in ((None, True), (float("nan"), False), (float("inf"), False)):
        vals = [1.0] * n
        if bad is not None:
            vals[-1] = bad
        t = mytorch.tensor(vals, dtype=getattr(mytorch, dtype), device=device).reshape(shape)
        d = t._data
        assert _backends.for_array(d).all_finite(d) is expected


@pytest.mark.parametrize("device", ["cpu", "standin"])
def test_nan_found_among_many_entries(device):
    x = mytorch.ones(6, 7, requires_grad=True, device=device)
    mask = mytorch.ones(6, 7, device=device)
    mask[3, 4] = float("nan")
    with autograd.set_detect_anomaly(True):
        y = x * mask
        with raises(RuntimeError, match=r"^Function 'MulBackward0' returned nan values in its 0th"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y.sum().backward()
