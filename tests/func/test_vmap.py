"""mytorch.func.vmap against torch.func.vmap: each op family through its batching rule (values,
dtypes, shapes), in_dims/out_dims as ints, tuples and None, nesting, chunk_size, randomness,
autograd.Function's vmap staticmethod and generate_vmap_rule, and torch's exception classes."""

import numpy as np
import pytest
from helpers import assert_matches, raises_like, seeded_rng

import mytorch
from mytorch.func import _batched

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _arr(*shape, key="x", dtype=np.float32):
    return seeded_rng(key, *shape).standard_normal(shape).astype(dtype)


def _both(*arrays):
    return [mytorch.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _check(fn, arrays, **vkw):
    """vmap(fn(L))(*tensors) in both libraries; results compared leaf by leaf."""
    ms, ts = _both(*arrays)
    got = mytorch.func.vmap(fn(mytorch), **vkw)(*ms)
    want = torch.func.vmap(fn(torch), **vkw)(*ts)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_matches(g, w)
    else:
        assert_matches(got, want)


def _no_fallback(monkeypatch):
    """Makes the per-example fallback fail: a family that must have a rule is checked to use it."""

    def boom(*a, **k):
        raise AssertionError("fell back to the per-example loop")

    monkeypatch.setattr(_batched, "loop", boom)


# --- families that run by rules ------------------------------------------------------------------
RULED = {
    "sin": (lambda L: lambda x: L.sin(x), [(4, 3)]),
    "exp_neg": (lambda L: lambda x: (-x).exp() * 2 + 1, [(4, 3)]),
    "add_bcast": (lambda L: lambda x, y: x + y, [(4, 3), (4, 2, 1)]),
    "mul_scalar": (lambda L: lambda x: 3.0 * x - x / 2, [(4, 3)]),
    "where": (lambda L: lambda x, y: L.where(x > 0, x, y), [(4, 3), (4, 3)]),
    "compare": (lambda L: lambda x, y: x < y, [(4, 3), (4, 1)]),
    "pow": (lambda L: lambda x: x.abs() ** 1.5, [(4, 3)]),
    "sum_all": (lambda L: lambda x: x.sum(), [(4, 3, 2)]),
    "sum_dim": (lambda L: lambda x: x.sum(1, keepdim=True), [(4, 3, 2)]),
    "mean_neg": (lambda L: lambda x: x.mean(-1), [(4, 3, 2)]),
    "amax": (lambda L: lambda x: x.amax(0), [(4, 3, 2)]),
    "var": (lambda L: lambda x: x.var(0), [(4, 3, 2)]),
    "max_dim": (lambda L: lambda x: tuple(x.max(1)), [(4, 3, 2)]),
    "argmax_all": (lambda L: lambda x: x.argmax(), [(4, 3, 2)]),
    "argmax_dim": (lambda L: lambda x: x.argmax(1), [(4, 3, 2)]),
    "norm": (lambda L: lambda x: L.linalg.vector_norm(x, dim=-1), [(4, 3, 2)]),
    "cumsum": (lambda L: lambda x: x.cumsum(0), [(4, 3, 2)]),
    "sort": (lambda L: lambda x: tuple(x.sort(-1)), [(4, 3, 5)]),
    "reshape": (lambda L: lambda x: x.reshape(2, -1), [(4, 3, 2)]),
    "view_flat": (lambda L: lambda x: x.view(-1), [(4, 3, 2)]),
    "permute": (lambda L: lambda x: x.permute(2, 0, 1), [(4, 3, 2, 5)]),
    "transpose": (lambda L: lambda x: x.transpose(0, 1), [(4, 3, 2)]),
    "t": (lambda L: lambda x: x.t(), [(4, 3, 2)]),
    "unsqueeze": (lambda L: lambda x: x.unsqueeze(-1).unsqueeze(0), [(4, 3)]),
    "squeeze": (lambda L: lambda x: x.squeeze(1), [(4, 3, 1)]),
    "expand": (lambda L: lambda x: x.expand(2, 3, 2), [(4, 3, 1)]),
    "slice": (lambda L: lambda x: x[1:, ::2], [(4, 3, 5)]),
    "select": (lambda L: lambda x: x[:, 1], [(4, 3, 5)]),
    "index_list": (lambda L: lambda x: x[:, [0, 2, 2]], [(4, 3, 5)]),
    "cat": (lambda L: lambda x, y: L.cat([x, y, x], 1), [(4, 3, 2), (4, 3, 1)]),
    "stack": (lambda L: lambda x, y: L.stack([x, y], -1), [(4, 3, 2), (4, 3, 2)]),
    "split": (lambda L: lambda x: tuple(x.split([1, 2], 0)), [(4, 3, 2)]),
    "unbind": (lambda L: lambda x: tuple(x.unbind(1)), [(4, 3, 2)]),
    "diagonal": (lambda L: lambda x: x.diagonal(), [(4, 3, 3)]),
    "matmul_mv": (lambda L: lambda a, v: a @ v, [(4, 3, 2), (4, 2)]),
    "matmul_vm": (lambda L: lambda v, a: v @ a, [(4, 3), (4, 3, 2)]),
    "matmul_vv": (lambda L: lambda v, w: v @ w, [(4, 3), (4, 3)]),
    "matmul_bmm": (lambda L: lambda a, b: a @ b, [(4, 2, 3, 2), (4, 2, 5)]),
    "mm": (lambda L: lambda a, b: L.mm(a, b), [(4, 3, 2), (4, 2, 5)]),
    "bmm": (lambda L: lambda a, b: L.bmm(a, b), [(4, 2, 3, 2), (4, 2, 2, 5)]),
    "softmax": (lambda L: lambda x: L.softmax(x, -1), [(4, 3, 5)]),
    "log_softmax": (lambda L: lambda x: L.log_softmax(x, 0), [(4, 3, 5)]),
    "relu": (lambda L: lambda x: L.nn.functional.relu(x), [(4, 3)]),
    "gelu": (lambda L: lambda x: L.nn.functional.gelu(x), [(4, 3)]),
    "gelu_tanh": (lambda L: lambda x: L.nn.functional.gelu(x, approximate="tanh"), [(4, 3)]),
    "tanh": (lambda L: lambda x: L.tanh(x), [(4, 3)]),
    "mse": (lambda L: lambda x, y: L.nn.functional.mse_loss(x, y), [(4, 3), (4, 3)]),
    "to_double": (lambda L: lambda x: x.double() + 1, [(4, 3)]),
    "clamp": (lambda L: lambda x: x.clamp(-0.5, 0.5), [(4, 3)]),
    "flip": (lambda L: lambda x: x.flip(0), [(4, 3, 2)]),
    "tril": (lambda L: lambda x: x.tril(), [(4, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(RULED))
def test_rule_families_match_torch(name, monkeypatch):
    fn, shapes = RULED[name]
    arrays = [_arr(*s, key=f"{name}{i}") for i, s in enumerate(shapes)]
    _no_fallback(monkeypatch)
    _check(fn, arrays)


def test_linear_uses_rules(monkeypatch):
    x, w, b = _arr(6, 4), _arr(3, 4, key="w"), _arr(3, key="b")
    _no_fallback(monkeypatch)
    _check(lambda L: lambda x, w, b: L.nn.functional.linear(x, w, b), [x, w, b],
           in_dims=(0, None, None))  # fmt: skip
    _check(lambda L: lambda x, w: L.nn.functional.linear(x, w), [x, _arr(6, 3, 4, key="w6")])


def test_cross_entropy_and_nll():
    logits = _arr(6, 5)
    tgt = np.array([0, 1, 2, 3, 4, 0])
    (ml, mt), (tl, tt) = _both(logits, tgt)
    for fn in (
        lambda L: lambda lg, t: L.nn.functional.cross_entropy(lg, t),
        lambda L: lambda lg, t: L.nn.functional.cross_entropy(lg[None], t[None]),
        lambda L: lambda lg, t: L.nn.functional.nll_loss(lg.log_softmax(-1)[None], t[None]),
    ):
        got = mytorch.func.vmap(fn(mytorch))(ml, mt)
        want = torch.func.vmap(fn(torch))(tl, tt)
        assert_matches(got, want)


def test_batched_index_tensor():
    x = _arr(4, 5, 3)
    idx = np.array([[0, 4], [1, 1], [3, 2], [0, 0]])
    (mx, mi), (tx, ti) = _both(x, idx)
    got = mytorch.func.vmap(lambda a, i: a[i])(mx, mi)
    want = torch.func.vmap(lambda a, i: a[i])(tx, ti)
    assert_matches(got, want)
    # the index batched, the tensor not
    got = mytorch.func.vmap(lambda i: mx[0][i])(mi)
    want = torch.func.vmap(lambda i: tx[0][i])(ti)
    assert_matches(got, want)


# --- in_dims, out_dims, nesting, chunks ----------------------------------------------------------
def test_in_dims_and_out_dims():
    x, y = _arr(3, 4), _arr(3, key="y")
    _check(lambda L: lambda a, b: a * b, [x, y], in_dims=(1, None))
    _check(lambda L: lambda a, b: a * b, [x, y], in_dims=(1, None), out_dims=1)
    _check(lambda L: lambda a: (a.sum(), a * 2), [x], out_dims=(0, 1))
    _check(lambda L: lambda a: a.sum(0), [x], in_dims=-1)
    _check(lambda L: lambda a, b: (a, b), [x, y], in_dims=(0, None), out_dims=(0, None))


def test_nested_in_dims_and_dict_inputs():
    x, y = _arr(3, 4), _arr(4, 3, key="y")
    ms, ts = _both(x, y)
    got = mytorch.func.vmap(lambda p: p["a"] + p["b"][0], in_dims=({"a": 0, "b": (1,)},))(
        {"a": ms[0], "b": (ms[1],)}
    )
    want = torch.func.vmap(lambda p: p["a"] + p["b"][0], in_dims=({"a": 0, "b": (1,)},))(
        {"a": ts[0], "b": (ts[1],)}
    )
    assert_matches(got, want)


def test_unbatched_output_is_expanded():
    x, y = _arr(3, 4), _arr(4, key="y")
    _check(lambda L: lambda a, b: b * 2, [x, y], in_dims=(0, None))


def test_nested_vmap():
    x, y = _arr(2, 3, 4), _arr(3, 4, key="y")
    _check(lambda L: L.func.vmap(lambda a, b: a * b + a.sum()), [x, y], in_dims=(0, None))
    _check(lambda L: L.func.vmap(lambda a, b: a @ b, in_dims=(1, None)), [x, _arr(2, 3, 5)],
           in_dims=(0, 0))  # fmt: skip
    _check(lambda L: L.func.vmap(L.func.vmap(lambda a: a.softmax(0))), [_arr(2, 3, 4, 5)])


def test_chunk_size_gives_the_same_result():
    x = _arr(7, 3)
    for chunk in (1, 3, 7, 10):
        _check(lambda L: lambda a: (a.sin().sum(), a * 2), [x], chunk_size=chunk, out_dims=(0, 1))


# The primitives that may run by the per-example loop, with why: those without a rule, and the
# cases of ruled ops that their rules hand back (tests/func/test_vmap_op_db.py fails when any
# other primitive loops on an op_db row).
NO_RULE = {}
MAY_LOOP = dict(NO_RULE)
MAY_LOOP.update({
    "nanmedian": "median/nanmedian over all entries of examples whose median is infinite",
    "getitem": "a batched index beside an unbatched mask or a bool; one batched at a lower level",
    "index_put": "a batched index beside an unbatched mask or a bool; one batched at a lower level",
})  # fmt: skip


def test_every_primitive_but_the_listed_has_a_rule():
    from mytorch._registry import OPS

    assert sorted(set(OPS) - set(_batched.RULES)) == sorted(NO_RULE)


def test_fallback_ops_still_match():
    x = _arr(4, 5)
    _check(lambda L: lambda a: L.median(a), [x])  # no rule: once per example
    _check(lambda L: lambda a: a.roll(1), [x])


def test_dtypes_kept():
    x = _arr(3, 4, dtype=np.float64)
    _check(lambda L: lambda a: (a * 2).sum(-1), [x])
    xi = np.arange(12).reshape(3, 4)
    _check(lambda L: lambda a: a * 2 + 1, [xi])


# --- randomness -------------------------------------------------------------------------------
def test_randomness():
    x = mytorch.ones(5, 8)
    raises_like(
        lambda L: L.func.vmap(lambda a: a * L.rand(8))(L.ones(5, 8)), ("randomness error mode",)
    )
    same = mytorch.func.vmap(lambda a: a * mytorch.rand(8), randomness="same")(x)
    assert (same == same[0]).all()
    diff = mytorch.func.vmap(lambda a: a * mytorch.rand(8), randomness="different")(x)
    assert not (diff == diff[0]).all()
    drop = mytorch.func.vmap(
        lambda a: mytorch.nn.functional.dropout(a, 0.5), randomness="different"
    )(mytorch.ones(16, 32))
    assert not (drop == drop[0]).all()
    assert set(np.unique(drop.numpy())) <= {0.0, 2.0}
    raises_like(lambda L: L.func.vmap(L.sin, randomness="bad")(L.ones(2)), ("randomness",))


# --- exceptions ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        lambda L: L.func.vmap(L.sin, in_dims=[0])(L.ones(2, 3)),
        lambda L: L.func.vmap(L.add)(L.ones(2, 3), L.ones(3, 3)),
        lambda L: L.func.vmap(L.sin, in_dims=2)(L.ones(2, 3)),
        lambda L: L.func.vmap(lambda a: 3)(L.ones(2, 3)),
        lambda L: L.func.vmap(L.sin, out_dims=None)(L.ones(2, 3)),
        lambda L: L.func.vmap(L.sin, in_dims=(0, 0))(L.ones(2, 3)),
        lambda L: L.func.vmap(lambda a, n: a, in_dims=(0, 0))(L.ones(2), 5),
        lambda L: L.func.vmap(L.sin, chunk_size=0)(L.ones(2, 3)),
        lambda L: L.func.vmap(lambda a: a.item())(L.ones(2)),
        lambda L: L.func.vmap(lambda a: 1 if a > 0 else 0)(L.ones(2)),
    ],
)
def test_exception_classes(case):
    raises_like(case)


# --- autograd.Function ------------------------------------------------------------------------
def _functions(L):
    class Cube(L.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    class Double(L.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vmap(info, in_dims, x):
            return Double.apply(x), in_dims[0]

    class NoRule(L.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Cube, Double, NoRule


def test_autograd_function_vmap():
    x = _arr(3, 4)
    for k in (0, 1):
        _check(lambda L: _functions(L)[k].apply, [x])
        _check(lambda L: L.func.grad(lambda a: _functions(L)[k].apply(a).sum()), [x])
    raises_like(lambda L: L.func.vmap(_functions(L)[2].apply)(L.ones(2, 3)), ("vmap",))


def test_in_place_on_batched_tensors():
    x = _arr(3, 4)
    _check(lambda L: lambda a: a.clone().mul_(2).add_(a), [x])
    _check(lambda L: lambda a, b: a.clone().add_(b), [x, _arr(4, key="b")], in_dims=(0, None))


def _spd(n, *batch):
    a = _arr(*batch, n, n, key=f"spd{n}", dtype=np.float64)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


LINALG = {
    "inv": (lambda L: L.linalg.inv, [_spd(3, 4)]),
    "det": (lambda L: L.linalg.det, [_spd(3, 4)]),
    "slogdet": (lambda L: lambda a: tuple(L.linalg.slogdet(a)), [_spd(3, 4)]),
    "cholesky": (lambda L: L.linalg.cholesky, [_spd(3, 4, 2)]),
    "eigvalsh": (lambda L: L.linalg.eigvalsh, [_spd(3, 4)]),
    "matrix_exp": (lambda L: L.linalg.matrix_exp, [_spd(3, 4) / 10]),
    "svdvals": (lambda L: L.linalg.svdvals, [_arr(4, 3, 2, dtype=np.float64)]),
    "solve": (lambda L: L.linalg.solve, [_spd(3, 4), _arr(4, 3, dtype=np.float64)]),
    "solve_mat": (lambda L: L.linalg.solve, [_spd(3, 4), _arr(4, 3, 2, dtype=np.float64)]),
    "einsum": (lambda L: lambda a, b: L.einsum("ij,jk->ik", a, b), [_arr(4, 2, 3), _arr(4, 3, 5)]),
    "einsum_trace": (lambda L: lambda a: L.einsum("ii", a), [_arr(4, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_and_einsum_rules(name, monkeypatch):
    fn, arrays = LINALG[name]
    _no_fallback(monkeypatch)
    _check(fn, arrays)


def test_solve_with_unbatched_matrix_and_einsum_unbatched_operand(monkeypatch):
    _no_fallback(monkeypatch)
    a, b = _spd(3), _arr(4, 3, dtype=np.float64)
    _check(lambda L: L.linalg.solve, [a, b], in_dims=(None, 0))
    _check(lambda L: lambda x, y: L.einsum("ij,j->i", x, y), [a, b], in_dims=(None, 0))


def test_copy_rule():
    x, y = _arr(3, 4), _arr(4, key="y")
    _check(lambda L: lambda a, b: a.clone().copy_(b[1:3]), [_arr(3, 2), y], in_dims=(0, None))
    _check(lambda L: lambda a, b: a.clone().copy_(b), [x, y], in_dims=(0, None))


def test_conv_folds_the_batch(monkeypatch):
    x, w = _arr(3, 2, 4, 6, 6), _arr(5, 4, 3, 3, key="w")
    _no_fallback(monkeypatch)
    _check(lambda L: lambda a, k: L.nn.functional.conv2d(a, k, padding=1), [x, w],
           in_dims=(0, None))  # fmt: skip
    x1 = _arr(3, 2, 4, 9)
    _check(lambda L: lambda a, k: L.nn.functional.conv1d(a, k[:, :, 0], stride=2), [x1, w],
           in_dims=(0, None))  # fmt: skip


def test_conv_per_sample_weight_gradients():
    x, w = _arr(3, 1, 2, 5, 5), _arr(4, 2, 3, 3, key="w")
    _check(lambda L: L.func.grad(lambda k, a: L.nn.functional.conv2d(a, k).square().sum()),
           [w, x], in_dims=(None, 0))  # fmt: skip


def test_stack_of_scalars_uses_its_rule(monkeypatch):
    _no_fallback(monkeypatch)
    _check(lambda L: lambda a: L.stack([a.sum(), a.amax(), a[0]]), [_arr(4, 3)])
