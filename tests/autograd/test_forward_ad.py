"""mytorch.autograd.forward_ad against torch.autograd.forward_ad: the level rules, make_dual and
unpack_dual (values, errors), tangents through ops, views and in-place writes, grad modes, and
tangents that are themselves differentiated (reverse over forward).

Every op of the op database is checked against reverse mode in tests/ops/test_op_db_forward_ad.py.
"""

import numpy as np
import pytest
from helpers import assert_matches, raises_like, seeded_rng

import mytorch
import mytorch.autograd.forward_ad as fwAD

torch = pytest.importorskip("torch")
import torch.autograd.forward_ad as tfwAD  # noqa: E402

pytestmark = pytest.mark.torch


def _ad(L):
    return fwAD if L is mytorch else tfwAD


def _data(*shape, key="x"):
    return seeded_rng(key, *shape).uniform(-1, 1, shape)


def test_public_names():
    assert set(fwAD.__all__) == set(tfwAD.__all__)
    assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")


def test_levels():
    assert fwAD.enter_dual_level() == tfwAD.enter_dual_level() == 0
    raises_like(lambda L: _ad(L).enter_dual_level(), ["Nested forward mode AD"], RuntimeError)
    raises_like(lambda L: _ad(L).exit_dual_level(level=3), ["not the last one"], RuntimeError)
    fwAD.exit_dual_level()
    tfwAD.exit_dual_level()
    raises_like(lambda L: _ad(L).exit_dual_level(), ["positive number"], RuntimeError)
    for L in (mytorch, torch):
        with _ad(L).dual_level() as level:
            assert level == 0
        with _ad(L).dual_level():  # a level can be opened again
            pass


def _nested(L):
    with _ad(L).dual_level():
        with _ad(L).dual_level():
            pass


def test_nested_levels_are_refused():
    raises_like(_nested, ["Nested forward mode AD is not supported"], RuntimeError)
    # the failed entry left the outer level closed again
    assert fwAD._state["level"] == -1


@pytest.mark.parametrize(
    "case, exc, phrase",
    [
        ("outside", RuntimeError, "no level exists"),
        ("int_primal", ValueError, "Expected primal to be floating point or complex"),
        ("int_tangent", ValueError, "Expected tangent to be floating point or complex"),
        ("size", RuntimeError, "different size"),
        ("twice", RuntimeError, "already has a forward gradient at the same level 0"),
    ],
)
def test_make_dual_errors(case, exc, phrase):
    def run(L):
        x = L.tensor(_data(3))
        t = L.ones(3, dtype=L.float64)
        if case == "outside":
            return _ad(L).make_dual(x, t)
        with _ad(L).dual_level():
            if case == "int_primal":
                _ad(L).make_dual(L.arange(3), t)
            elif case == "int_tangent":
                _ad(L).make_dual(x, L.arange(3))
            elif case == "size":
                _ad(L).make_dual(x, L.ones(4, dtype=L.float64))
            else:
                _ad(L).make_dual(_ad(L).make_dual(x, t), t)

    raises_like(run, [phrase], exc)


def test_make_dual_and_unpack_dual():
    x = mytorch.tensor(_data(3))
    t = mytorch.tensor(_data(3, key="t"))
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        assert d is not x and d._base is x  # a view, as torch's
        primal, tangent = fwAD.unpack_dual(d)
        assert tangent is t
        assert primal._base is x and fwAD.unpack_dual(primal).tangent is None
        assert fwAD.unpack_dual(x).tangent is None
        assert fwAD.unpack_dual(d.detach()).tangent is None  # detach drops the tangent
        raises_like(
            lambda L: _ad(L).unpack_dual(1.0) if L is mytorch else _torch_unpack_float(),
            ["must be Tensor"],
            TypeError,
        )
        y = d * 2
    # after the level: no tangents
    assert fwAD.unpack_dual(y).tangent is None
    assert fwAD.unpack_dual(y).primal is y


def _torch_unpack_float():
    with tfwAD.dual_level():
        tfwAD.unpack_dual(1.0)


def _tangent_of(L, fn, *arrays, requires_grad=False):
    """fn's output tangent (and primal) with every input dual, its tangent a fixed draw."""
    with _ad(L).dual_level():
        xs = []
        for i, a in enumerate(arrays):
            x = L.tensor(a, requires_grad=requires_grad)
            t = L.tensor(seeded_rng("tangent", i, a.shape).standard_normal(a.shape))
            xs.append(_ad(L).make_dual(x, t))
        out = fn(L, *xs)
        p, t = _ad(L).unpack_dual(out)
        return p, t


def _nn(L):
    return L.nn.functional


# A handful of everyday computations, compared with torch's forward AD tangent for tangent.
CASES = {
    "arith": (lambda L, x, y: (x * y - x / (y + 2)) ** 2, [(2, 3), (3,)]),
    "pointwise": (lambda L, x: x.exp().sin() + x.tanh() * x.sigmoid() + x.relu(), [(4,)]),
    "matmul": (lambda L, a, b: a @ b, [(2, 3), (3, 4)]),
    "reductions": (lambda L, x: x.sum(0) * x.mean() + x.amax(1).sum(), [(3, 4)]),
    "views": (lambda L, x: x.t().reshape(6)[1:4].unsqueeze(0).expand(2, 3), [(2, 3)]),
    "softmax": (lambda L, x: L.softmax(x, -1) + L.log_softmax(x, 0), [(2, 3)]),
    "layer_norm": (lambda L, x: _nn(L).layer_norm(x, (3,)), [(2, 3)]),
    "conv2d": (lambda L, x, w: _nn(L).conv2d(x, w, padding=1), [(1, 2, 4, 4), (3, 2, 3, 3)]),
    "cross_entropy": (lambda L, x: _nn(L).cross_entropy(x, L.tensor([0, 2])), [(2, 3)]),
    "inv_det": (lambda L, a: L.linalg.inv(a) * L.linalg.det(a), [(3, 3)]),
    "sort_cat": (lambda L, x: L.cat([L.sort(x, 1).values, x.cumsum(1)], 0), [(2, 3)]),
    "where_max": (lambda L, x: L.where(x > 0, x, -x).max(1).values, [(3, 3)]),
    "pow": (lambda L, x, y: (x.abs() + 1) ** y, [(3,), (3,)]),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_tangents_match_torch(name, requires_grad):
    fn, shapes = CASES[name]
    arrays = [_data(*s, key=f"{name}{i}") for i, s in enumerate(shapes)]
    pm, tm = _tangent_of(mytorch, fn, *arrays, requires_grad=requires_grad)
    pt, tt = _tangent_of(torch, fn, *arrays, requires_grad=requires_grad)
    assert_matches(pm, pt, rtol=1e-9, atol=1e-12)
    assert_matches(tm, tt, rtol=1e-9, atol=1e-12)
    assert tm.requires_grad == tt.requires_grad


def test_tangents_propagate_under_no_grad():
    for L in (mytorch, torch):
        with _ad(L).dual_level():
            d = _ad(L).make_dual(L.tensor([1.0, 2.0]), L.tensor([1.0, 1.0]))
            with L.no_grad():
                t = _ad(L).unpack_dual(d * d).tangent
            assert t.tolist() == [2.0, 4.0]


def _inplace(L):
    with _ad(L).dual_level():
        base = _ad(L).make_dual(L.tensor(_data(2, 3)), L.tensor(_data(2, 3, key="t")))
        y = base.clone()
        y.mul_(base)  # a whole tensor in place
        v = y[0]
        v.add_(L.tensor(_data(3, key="c")) * v)  # through a view: the base's tangent too
        y[1] = y[1].exp()  # setitem
        z = y.clone()
        z.unsqueeze_(0)  # an in-place view op
        z.t_() if z.ndim == 2 else z.squeeze_(0)
        return (
            _ad(L).unpack_dual(y).tangent,
            _ad(L).unpack_dual(v).tangent,
            (_ad(L).unpack_dual(z).tangent),
        )


def test_inplace_writes_update_tangents():
    for m, t in zip(_inplace(mytorch), _inplace(torch)):
        assert_matches(m, t, rtol=1e-12, atol=1e-12)


def _reverse_over_forward(L):
    x = L.tensor(_data(3), requires_grad=True)
    v = L.tensor(_data(3, key="v"), requires_grad=True)
    with _ad(L).dual_level():
        d = _ad(L).make_dual(x, v)
        out = (d.sin() * d.exp()).sum() + (d @ d) * d[0]
        t = _ad(L).unpack_dual(out).tangent
    return L.autograd.grad(t, (x, v))


def test_tangents_differentiate_back_to_primal_and_tangent():
    for m, t in zip(_reverse_over_forward(mytorch), _reverse_over_forward(torch)):
        assert_matches(m, t, rtol=1e-10, atol=1e-12)


def test_tangent_of_an_op_without_tangent_inputs_is_none():
    with fwAD.dual_level():
        d = fwAD.make_dual(mytorch.tensor([1.0]), mytorch.tensor([1.0]))
        y = mytorch.tensor([2.0]) * 3
        assert fwAD.unpack_dual(y).tangent is None
        assert fwAD.unpack_dual(d > 0).tangent is None  # bool results carry none
        assert fwAD.unpack_dual(d.floor()).tangent.tolist() == [0.0]  # as torch: zeros


def test_no_level_costs_one_check():
    """Without a level the hook is unset, so ops run their plain path."""
    from mytorch._core import _FW

    assert _FW == [None]
    with fwAD.dual_level():
        assert _FW[0] is not None
    assert _FW == [None]
    x = mytorch.tensor(np.ones(2), requires_grad=True)
    assert (x * 2).grad_fn.name() == "MulBackward0"


def _custom_function(L, with_jvp):
    class Scale(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.k = k
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    if with_jvp:
        Scale.jvp = staticmethod(lambda ctx, tx, ty, tk: (tx * 2 + ty) * ctx.k)
    with _ad(L).dual_level():
        d = _ad(L).make_dual(L.ones(2), L.tensor([3.0, 4.0]))
        plain = _ad(L).unpack_dual(Scale.apply(L.ones(2), L.ones(2), 5.0)).tangent
        assert plain is None  # no dual input: jvp is not called
        return _ad(L).unpack_dual(Scale.apply(d, L.ones(2), 5.0))


def test_custom_function_jvp():
    m = _custom_function(mytorch, True)
    t = _custom_function(torch, True)
    assert_matches(m.primal, t.primal)
    assert_matches(m.tangent, t.tangent)
    raises_like(
        lambda L: _custom_function(L, False), ["You must implement the jvp function"],
        NotImplementedError,
    )  # fmt: skip
