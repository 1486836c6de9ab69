"""mytorch.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian,
vhp and hvp, their output structures (tuple inputs and outputs), create_graph, strict,
vectorize and the Jacobian strategies, values and exception classes."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like, seeded_rng

import mytorch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _fn(L, name):
    """The test functions, written once against the torch API (L is mytorch or torch)."""
    return {
        "scalar": lambda x: (x.exp() * x.sin()).sum(),
        "pair": lambda x, y: (x * y.sum()).exp().sum() * y[0] + (x * x).sum() * (y * y).sum(),
        "multi": lambda x, y: (x.sin() * y, (x * x).sum().tanh()),
        "vec": lambda x: x.tanh() * x,
        "linear": lambda x: 2 * x,
        "linear_sum": lambda x: (2 * x).sum(),
        "indep": lambda x, y: (x.exp(), x.sum()),
        "indep_scalar": lambda x, y: x.exp().sum(),
        "const": lambda x: L.ones(3, dtype=L.float64),
        "tuple_scalar": lambda x: (x.sum(),),
        "nonscalar": lambda x: x.exp(),
    }[name]


# name -> shapes of its inputs (one shape: a single Tensor input, else a tuple of them)
SHAPES = {
    "scalar": (3,),
    "pair": [(3,), (2,)],
    "multi": [(2, 3), (3,)],
    "vec": (2, 2),
    "linear": (3,),
    "linear_sum": (3,),
    "indep": [(3,), (2,)],
    "indep_scalar": [(3,), (2,)],
    "const": (3,),
    "tuple_scalar": (3,),
    "nonscalar": (3,),
}


def _inputs(L, name, requires_grad=False, key="in"):
    shapes = SHAPES[name]
    rng = seeded_rng(name, key)
    if isinstance(shapes, tuple):
        return L.tensor(rng.uniform(-1, 1, shapes), requires_grad=requires_grad)
    return tuple(L.tensor(rng.uniform(-1, 1, s), requires_grad=requires_grad) for s in shapes)


def _like(L, ref, key):
    """A random tensor (or tuple) of ref's structure and shapes."""
    rng = seeded_rng("v", key)
    if isinstance(ref, tuple):
        return tuple(_like(L, r, f"{key}{i}") for i, r in enumerate(ref))
    return L.tensor(rng.standard_normal(tuple(ref.shape)))


def assert_tree(m, t, grad=True):
    """Same nesting (tuples where torch has tuples), values, shapes, dtypes, requires_grad."""
    if isinstance(t, (tuple, list)):
        assert type(m) is type(t) and len(m) == len(t), f"{type(m)} vs torch's {type(t)}"
        for a, b in zip(m, t):
            assert_tree(a, b, grad)
        return
    assert isinstance(m, mytorch.Tensor), f"{type(m).__name__} where torch has a Tensor"
    assert_matches(m, t, rtol=1e-9, atol=1e-11)
    if grad:
        assert m.requires_grad == t.requires_grad


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [a for el in x for a in _flat(el)]
    return [x]


def _second(L, res, xs):
    """A second derivative: the gradient of a weighted sum of a result w.r.t. the inputs."""
    pieces = [r for r in _flat(res) if r.requires_grad]
    if not pieces:
        return ()
    total = sum(((r * r).sum() for r in pieces), L.zeros((), dtype=L.float64))
    xs = xs if isinstance(xs, tuple) else (xs,)
    return L.autograd.grad(total, xs, allow_unused=True, materialize_grads=True)


def _both(call, name, create_graph):
    """``call(L, fn, inputs)`` in both libraries; with create_graph the inputs require grad and
    a second derivative through the results is compared too."""
    outs = {}
    for L in (mytorch, torch):
        xs = _inputs(L, name, requires_grad=create_graph)
        res = call(L, _fn(L, name), xs)
        outs[L] = (res, _second(L, res, xs) if create_graph else None)
    assert_tree(outs[mytorch][0], outs[torch][0])
    if create_graph:
        assert_tree(outs[mytorch][1], outs[torch][1], grad=False)


# --- jacobian ---------------------------------------------------------------------------------
JAC_FUNCS = ["scalar", "pair", "multi", "vec", "linear", "indep", "const"]


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", JAC_FUNCS)
def test_jacobian_reverse_mode(name, create_graph, vectorize):
    _both(
        lambda L, f, xs: L.autograd.functional.jacobian(
            f, xs, create_graph=create_graph, vectorize=vectorize
        ),
        name,
        create_graph,
    )


@pytest.mark.parametrize("name", JAC_FUNCS)
def test_jacobian_forward_mode(name):
    _both(
        lambda L, f, xs: L.autograd.functional.jacobian(
            f, xs, vectorize=True, strategy="forward-mode"
        ),
        name,
        False,
    )


def test_jacobian_of_a_list_input_is_refused():
    raises_like(
        lambda L: L.autograd.functional.jacobian(lambda x: x, [L.ones(2)]),
        ["must be either a Tensor or a tuple of Tensors"],
        TypeError,
    )
    raises_like(
        lambda L: L.autograd.functional.jacobian(lambda x, y: x, (L.ones(2), 1.0)),
        ["value at index 1"],
        TypeError,
    )
    raises_like(
        lambda L: L.autograd.functional.jacobian(lambda x: 1.0, L.ones(2)),
        ["outputs of the user-provided function given to jacobian"],
        TypeError,
    )


@pytest.mark.parametrize(
    "kwargs, exc, phrase",
    [
        (dict(strategy="sideways"), AssertionError, "Expected strategy"),
        (dict(strategy="forward-mode"), NotImplementedError, "only implemented for"),
        (dict(strategy="forward-mode", vectorize=True, create_graph=True),
         NotImplementedError, "create_graph=True"),
        (dict(strategy="forward-mode", vectorize=True, strict=True), RuntimeError,
         "strict=True"),
        (dict(vectorize=True, strict=True), RuntimeError, "`vectorized=True`"),
    ],
)  # fmt: skip
def test_jacobian_option_errors(kwargs, exc, phrase):
    raises_like(
        lambda L: L.autograd.functional.jacobian(
            _fn(L, "vec"), _inputs(L, "vec", key="err"), **kwargs
        ),
        [phrase],
        exc,
    )


@pytest.mark.parametrize(
    "name, create_graph, phrase",
    [
        ("indep", False, "Output 0 of the user-provided function is independent of input 1"),
        ("const", False, "does not require gradients"),
        ("linear", True, "independent of input 0. This is not allowed in strict mode when"),
    ],
)
def test_jacobian_strict(name, create_graph, phrase):
    raises_like(
        lambda L: L.autograd.functional.jacobian(
            _fn(L, name), _inputs(L, name), create_graph=create_graph, strict=True
        ),
        [phrase],
        RuntimeError,
    )


def test_jacobian_strict_passes_where_every_output_depends_on_every_input():
    _both(lambda L, f, xs: L.autograd.functional.jacobian(f, xs, strict=True), "pair", False)


# --- hessian ----------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", ["scalar", "pair", "linear_sum", "indep_scalar"])
def test_hessian(name, create_graph, strategy):
    vectorize = strategy == "forward-mode"
    if strategy == "forward-mode" and create_graph:  # not supported together, as torch
        raises_like(
            lambda L: L.autograd.functional.hessian(
                _fn(L, name), _inputs(L, name), create_graph=True, vectorize=True,
                outer_jacobian_strategy=strategy,
            ),
            ["create_graph=True"],
            NotImplementedError,
        )  # fmt: skip
        return
    _both(
        lambda L, f, xs: L.autograd.functional.hessian(
            f, xs, create_graph=create_graph, vectorize=vectorize,
            outer_jacobian_strategy=strategy,
        ),
        name,
        create_graph,
    )  # fmt: skip


@pytest.mark.parametrize(
    "name, phrase",
    [
        ("multi", "should return a single Tensor"),
        ("tuple_scalar", "should return a single Tensor"),
        ("nonscalar", "should contain a single element"),
    ],
)
def test_hessian_needs_one_scalar_output(name, phrase):
    raises_like(
        lambda L: L.autograd.functional.hessian(_fn(L, name), _inputs(L, name)),
        [phrase],
        RuntimeError,
    )


@pytest.mark.parametrize(
    "name, phrase",
    [
        ("linear_sum", "jacobian of the user-provided function with respect to input 0 is"),
        ("indep_scalar", "with respect to input 1 is independent of the input"),
    ],
)
def test_hessian_strict(name, phrase):
    raises_like(
        lambda L: L.autograd.functional.hessian(_fn(L, name), _inputs(L, name), strict=True),
        [phrase],
        RuntimeError,
    )


def test_hessian_bad_strategy():
    raises_like(
        lambda L: L.autograd.functional.hessian(
            _fn(L, "scalar"), _inputs(L, "scalar"), outer_jacobian_strategy="x"
        ),
        ["Expected strategy"],
        AssertionError,
    )


# --- vjp, jvp, vhp, hvp -------------------------------------------------------------------------
def _v_call(fn_name, name, create_graph, strict=False, v="random"):
    def call(L, f, xs):
        api = getattr(L.autograd.functional, fn_name)
        if v is None:
            vv = None
        elif fn_name == "vjp":
            with L.no_grad():
                vv = _like(L, f(*(xs if isinstance(xs, tuple) else (xs,))), "out")
        else:
            vv = _like(L, xs, "in")
        return api(f, xs, vv, create_graph=create_graph, strict=strict)

    return call


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", ["scalar", "pair", "multi", "vec", "linear", "indep", "const"])
@pytest.mark.parametrize("fn_name", ["vjp", "jvp"])
def test_vjp_jvp(fn_name, name, create_graph):
    _both(_v_call(fn_name, name, create_graph), name, create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", ["scalar", "pair", "linear_sum", "indep_scalar"])
@pytest.mark.parametrize("fn_name", ["vhp", "hvp"])
def test_vhp_hvp(fn_name, name, create_graph):
    _both(_v_call(fn_name, name, create_graph), name, create_graph)


@pytest.mark.parametrize("fn_name", ["vjp", "jvp", "vhp", "hvp"])
def test_v_may_be_omitted_for_one_element(fn_name):
    def call(L, f, xs):
        return getattr(L.autograd.functional, fn_name)(f, xs)

    x_m = mytorch.tensor([0.3], dtype=mytorch.float64)
    x_t = torch.tensor([0.3], dtype=torch.float64)
    assert_tree(
        call(mytorch, lambda x: (x.exp() * x).sum(), x_m),
        call(torch, lambda x: (x.exp() * x).sum(), x_t),
    )


@pytest.mark.parametrize("fn_name", ["vjp", "jvp", "vhp", "hvp"])
def test_v_errors(fn_name):
    name = "pair"
    api = lambda L: getattr(L.autograd.functional, fn_name)  # noqa: E731
    if fn_name == "vjp":  # v may be omitted for one output of one element
        name = "multi"
    raises_like(
        lambda L: api(L)(_fn(L, name), _inputs(L, name)), ["can only be None"], RuntimeError
    )
    if fn_name == "vjp":
        return
    raises_like(
        lambda L: api(L)(_fn(L, name), _inputs(L, name), (L.ones(3, dtype=L.float64),)),
        ["v is a tuple of invalid length: should be 2 but got 1"],
        RuntimeError,
    )
    raises_like(
        lambda L: api(L)(_fn(L, name), _inputs(L, name), (L.ones(3, dtype=L.float64), L.ones(4))),
        ["Entry 1 in v has invalid size"],
        RuntimeError,
    )
    raises_like(
        lambda L: api(L)(_fn(L, "scalar"), _inputs(L, "scalar"), L.ones(4)),
        ["v has invalid size"],
        RuntimeError,
    )


def test_vjp_v_errors():
    raises_like(
        lambda L: L.autograd.functional.vjp(
            _fn(L, "multi"), _inputs(L, "multi"), (L.ones(2, 3, dtype=L.float64),)
        ),
        ["v is a tuple of invalid length"],
        RuntimeError,
    )
    raises_like(
        lambda L: L.autograd.functional.vjp(_fn(L, "vec"), _inputs(L, "vec"), L.ones(3)),
        ["v has invalid size"],
        RuntimeError,
    )


@pytest.mark.parametrize(
    "fn_name, name, create_graph, phrase",
    [
        ("vjp", "indep", False, "The output of the user-provided function is independent of "
         "input 1"),
        ("vjp", "const", False, "does not require gradients"),
        ("vjp", "linear", True, "jacobian of the user-provided function is independent of "
         "input 0. This is not allowed in strict mode when create_graph=True"),
        ("jvp", "indep", False, "The output of the user-provided function is independent of "
         "input 1"),
        ("jvp", "const", False, "does not require gradients"),
        ("vhp", "linear_sum", False, "jacobian of the user-provided function with respect to "
         "input 0 is independent"),
        ("vhp", "indep_scalar", False, "independent of input 1"),
        ("hvp", "linear_sum", False, "jacobian of the user-provided function with respect to "
         "input 0 is independent"),
        ("hvp", "indep_scalar", False, "independent of input 1"),
    ],
)  # fmt: skip
def test_strict_errors(fn_name, name, create_graph, phrase):
    def call(L):
        return _v_call(fn_name, name, create_graph, strict=True)(
            L, _fn(L, name), _inputs(L, name, requires_grad=create_graph)
        )

    raises_like(call, [phrase], RuntimeError)


@pytest.mark.parametrize("fn_name", ["vjp", "jvp", "vhp", "hvp"])
def test_strict_passes_for_a_smooth_function(fn_name):
    name = "pair"
    _both(_v_call(fn_name, name, False, strict=True), name, False)


def test_results_do_not_require_grad_without_create_graph_under_no_grad():
    for L in (mytorch, torch):
        with L.no_grad():
            out, g = L.autograd.functional.vjp(
                _fn(L, "scalar"), _inputs(L, "scalar"), L.tensor(1.0, dtype=L.float64)
            )
        assert not out.requires_grad and not g.requires_grad
    x = np.array([0.1, 0.2])
    out_m = mytorch.autograd.functional.jacobian(mytorch.exp, mytorch.tensor(x))
    assert not out_m.requires_grad
