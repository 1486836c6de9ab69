"""mytorch._ops.special_more beyond its op_db rows: the polynomials over a grid of points and
degrees (large n, |x| > 1, overflow), the derivatives torch does not implement, dtypes, scalar
operands, out= and the functions' exception classes."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like

import mytorch

torch = pytest.importorskip("torch")

POLYNOMIALS = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
    "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
]  # fmt: skip
NOGRAD = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
    "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0",
]  # fmt: skip


def _grid(dtype, max_n):
    rng = np.random.default_rng(7)
    xs = np.concatenate(
        [rng.uniform(-1, 1, 20), rng.uniform(-3, 3, 20), [1, -1, 0, 0.5, 2, -2, 1e-3, 0.999]]
    )
    ns = np.array([-2, 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 20, 50, 100, 300, 1000])
    ns = ns[ns <= max_n]
    x, n = np.meshgrid(xs, ns)
    return x.ravel().astype(dtype), n.ravel().astype(dtype)


@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("dtype, max_n", [("float64", 1000), ("float32", 100)])
def test_polynomials_match_torch_over_a_grid(name, dtype, max_n):
    """Large degrees and |x| > 1, overflow to inf and NaN included (float32 stops at n = 100:
    past it float32 trigonometric forms drift by over 1e-4 between evaluations)."""
    x, n = _grid(dtype, max_n)
    got = getattr(mytorch.special, name)(mytorch.tensor(x), mytorch.tensor(n))
    want = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n))
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == "float64" else dict(rtol=1e-4, atol=1e-4)
    assert_matches(got, want, **tol)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_take_integer_and_scalar_operands(name):
    x = np.array([1, 2, -3, 0])
    n = np.array([3, 0, 2, 5])
    for args in [
        (lambda T: T.tensor(x), lambda T: T.tensor(n)),  # int, int: float32
        (lambda T: T.tensor(x * 0.3), lambda T: 4),
        (lambda T: 0.3, lambda T: T.tensor(n)),
        (lambda T: T.tensor(x * 0.3, dtype=T.float64), lambda T: T.tensor(n + 0.7)),  # truncated
        (lambda T: T.tensor([True, False]), lambda T: T.tensor([2, 3])),
    ]:
        got = getattr(mytorch.special, name)(*(a(mytorch) for a in args))
        want = getattr(torch.special, name)(*(a(torch) for a in args))
        assert_matches(got, want)
    raises_like(lambda T: getattr(T.special, name)(0.5, 3), exc=TypeError)


@pytest.mark.parametrize("name", NOGRAD + POLYNOMIALS)
def test_no_graph_and_out_with_grad_inputs(name):
    """torch records no graph for them, and takes out= even when the input requires grad;
    integer inputs compute in float32."""
    extra = (3,) if name in POLYNOMIALS else ()
    res = {}
    for T in (mytorch, torch):
        x = T.tensor([0.3, 1.2], requires_grad=True)
        y = getattr(T.special, name)(x, *extra)
        assert not y.requires_grad and y.grad_fn is None
        out = T.empty(2)
        assert getattr(T.special, name)(x, *extra, out=out) is out
        res[T] = (y, out, getattr(T.special, name)(T.tensor([1, 2]), *extra))
    for m, t in zip(res[mytorch], res[torch]):
        assert_matches(m, t, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NOGRAD + ["erfcx"])
def test_one_input_functions_refuse_numbers(name):
    raises_like(lambda T: getattr(T.special, name)(0.5), exc=TypeError)


@pytest.mark.parametrize(
    "fn, phrase",
    [
        (lambda T, a, x: T.igamma(a, x), "igamma: input"),
        (lambda T, a, x: T.special.gammainc(a, x), "igamma: input"),
        (lambda T, a, x: T.igammac(a, x), "igammac: input"),
        (lambda T, a, x: T.special.gammaincc(a, x), "igammac: input"),
        (lambda T, a, x: T.special.zeta(a + 1, x), "zeta"),
    ],
)
def test_first_argument_derivative_is_not_implemented(fn, phrase):
    def backward(T):
        a = T.tensor([1.5, 2.5], requires_grad=True)
        fn(T, a, T.tensor([0.5, 2.0])).sum().backward()

    raises_like(backward, [phrase, "not implemented"], exc=NotImplementedError)


def test_zeta_second_derivative_reaches_its_first_argument():
    """zeta's derivative in q is -x * zeta(x + 1, q): differentiating it in x again raises."""

    def twice(T):
        x = T.tensor([2.5], requires_grad=True)
        q = T.tensor([1.5], requires_grad=True)
        (g,) = T.autograd.grad(T.special.zeta(x, q).sum(), q, create_graph=True)
        T.autograd.grad(g.sum(), x)

    raises_like(twice, ["zeta"], exc=NotImplementedError)


def test_igamma_second_derivative_in_a():
    """The derivative in x is a formula in a as well, so its derivative in a exists."""
    out = []
    for T in (mytorch, torch):
        a = T.tensor([1.5, 2.5], dtype=T.float64, requires_grad=True)
        x = T.tensor([0.5, 2.0], dtype=T.float64, requires_grad=True)
        (g,) = T.autograd.grad(T.igammac(a, x).sum(), x, create_graph=True)
        out.append(T.autograd.grad(g.sum(), a))
    assert_matches(out[0][0], out[1][0])


def test_igamma_forms_and_errors():
    a = np.array([0.5, 1.0, 3.0])
    x = np.array([0.2, 1.0, 4.0])
    for f in [
        lambda T: T.tensor(a).igamma(T.tensor(x)),
        lambda T: T.tensor(a).igammac(T.tensor(x, dtype=T.float32)),
        lambda T: T.tensor(a).igamma_(T.tensor(x)),
        lambda T: T.igammac(T.tensor(a), T.tensor(x), out=T.empty(3, dtype=T.float64)),
        lambda T: T.special.gammainc(T.tensor([0.0, -1.0, 1.0]), T.tensor([1.0, 1.0, 0.0])),
        lambda T: T.special.zeta(T.tensor([1.0, 0.5, 2.0, 2.0]), T.tensor([1.0, 1.0, 0.0, -1.5])),
        lambda T: T.special.zeta(2, T.tensor([1, 2])),
        lambda T: T.special.erfcx(T.tensor([-30.0, 30.0, float("inf"), -float("inf")])),
    ]:
        assert_matches(f(mytorch), f(torch))
    raises_like(lambda T: T.igamma(T.tensor([1, 2]), T.tensor([1, 2])), ["not implemented"])
    raises_like(lambda T: T.special.gammainc(T.tensor([1.0]), 2.0), exc=TypeError)
    raises_like(lambda T: T.special.gammainc(2.0, T.tensor([1.0])), exc=TypeError)
    raises_like(lambda T: T.special.zeta(2.0, 3.0), exc=TypeError)
    raises_like(
        lambda T: T.special.erfcx(T.ones(2, requires_grad=True), out=T.empty(2)),
        exc=RuntimeError,
    )
