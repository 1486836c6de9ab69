"""Nodes with several outputs, as torch's: split, chunk and unbind (views), max/min along a dim,
sort and topk ((values, indices)), and autograd.Function returning a tuple.

An edge is (node, output number): the engine sums gradients per output, and a node's VJP gets
one gradient per output. Each case is compared with torch (values, first and second
derivatives) and checked by central differences (gradcheck, gradgradcheck), using one, some or
all outputs.
"""

import numpy as np
import pytest
from helpers import assert_matches, raises, seeded_rng, to_numpy, TOL2

import mytorch
from mytorch import autograd
from mytorch.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None


def _float(T, t):
    return t.to(T.float64) if t.dtype == T.int64 else t


# (id, input shape, fn(T, x) -> one tensor built from some outputs of a multi-output op)
CASES = [
    ("split_one", (5, 3), lambda T, x: T.split(x, 2)[1]),
    ("split_last_short", (5, 3), lambda T, x: x.split(2)[2] ** 2),
    ("split_two", (5, 3), lambda T, x: (lambda a, b, c: a * b.sin())(*x.split(2))),
    ("split_all", (5, 3), lambda T, x: T.cat([p * (i + 1.0) for i, p in enumerate(x.split(2))])),
    ("split_dim1", (2, 5), lambda T, x: T.split(x, 3, dim=1)[0].exp()),
    ("split_sizes_two", (2, 5), lambda T, x: (lambda a, b, c: a * c)(*x.split([2, 1, 2], 1))),
    ("split_reordered", (4, 2), lambda T, x: T.cat(list(reversed(x.split([1, 3])))) * x),
    ("split_piece_twice", (4, 2), lambda T, x: (lambda a, b: a * a + a.exp())(*x.split(2))),
    ("chunk_one", (4, 3), lambda T, x: T.chunk(x, 2)[1] ** 3),
    ("chunk_all", (3, 4), lambda T, x: (lambda a, b: a * b)(*x.chunk(2, -1))),
    ("unbind_one", (3, 4), lambda T, x: T.unbind(x)[2] ** 2),
    ("unbind_two", (2, 3), lambda T, x: (lambda a, b, c: a * c)(*x.unbind(1))),
    ("unbind_all", (3, 2), lambda T, x: T.stack([p * p for p in x.unbind(1)], 0)),
    ("unbind_0d_pieces", (3,), lambda T, x: (lambda a, b, c: a * b * c)(*x.unbind())),
    ("max_values", (3, 4), lambda T, x: T.max(x, 1)[0] ** 2),
    ("max_keepdim", (3, 4), lambda T, x: x.max(0, keepdim=True).values * x),
    ("max_both", (3, 4), lambda T, x: (lambda v, i: v * _float(T, i))(*T.max(x, -1))),
    ("min_values", (2, 3, 2), lambda T, x: T.min(x, 1).values.exp()),
    ("min_both_keepdim", (3, 4), lambda T, x: (lambda v, i: v * x + i)(*x.min(1, True))),
    (
        "sort_values",
        (3, 4),
        lambda T, x: T.sort(x)[0] * T.arange(4.0, dtype=x.dtype, device=x.device),
    ),
    ("sort_descending", (4, 3), lambda T, x: x.sort(0, descending=True).values ** 2),
    ("sort_both", (3, 4), lambda T, x: (lambda v, i: v * _float(T, i))(*T.sort(x, 1))),
    ("sort_stable", (5,), lambda T, x: T.sort(x, stable=True, dim=0)[0] * x),
    ("topk_values", (3, 5), lambda T, x: T.topk(x, 2)[0] ** 2),
    ("topk_smallest_dim0", (4, 3), lambda T, x: x.topk(3, 0, largest=False).values.exp()),
    ("topk_both", (3, 5), lambda T, x: (lambda v, i: v * _float(T, i))(*x.topk(3, 1))),
    ("split_of_a_piece", (4, 4), lambda T, x: x.split(2)[1].unbind(1)[3] * x[0, :2]),
    ("split_of_sorted", (3, 4), lambda T, x: (lambda a, b: a * b)(*x.sort(1)[0].split(2, 1))),
]
CASE_IDS = [c[0] for c in CASES]


def _inputs(case, lib, dtype_name, device="cpu"):
    rng = seeded_rng("multi_output", case[0])
    a = rng.uniform(-1.5, 1.5, case[1]).astype(dtype_name)
    kw = {"device": device} if lib is mytorch else {}
    return lib.tensor(a, requires_grad=True, **kw)


def _second(lib, g, x, w):
    if not g.requires_grad:  # a linear function: its gradient is constant
        return np.zeros(tuple(x.shape))
    (h,) = lib.autograd.grad((g * w).sum(), x, allow_unused=True)
    return np.zeros(tuple(x.shape)) if h is None else h


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_values_and_derivatives_match_torch(case, dtype_name, device):
    fn = case[2]
    x_m = _inputs(case, mytorch, dtype_name, device)
    x_t = _inputs(case, torch, dtype_name)
    out_m = fn(mytorch, x_m)
    out_t = fn(torch, x_t)
    assert_matches(out_m, out_t)
    rng = seeded_rng("multi_output", case[0], "cotangent")
    v = rng.standard_normal(tuple(out_t.shape)).astype(dtype_name)
    (g_m,) = mytorch.autograd.grad(out_m, x_m, mytorch.tensor(v, device=device), create_graph=True)
    (g_t,) = torch.autograd.grad(out_t, x_t, torch.tensor(v), create_graph=True)
    assert_matches(g_m, g_t)
    w = rng.standard_normal(tuple(x_t.shape)).astype(dtype_name)
    h_m = _second(mytorch, g_m, x_m, mytorch.tensor(w, device=device))
    h_t = _second(torch, g_t, x_t, torch.tensor(w))
    np.testing.assert_allclose(to_numpy(h_m), to_numpy(h_t), **TOL2[dtype_name])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradcheck_and_gradgradcheck(case):
    x = _inputs(case, mytorch, "float64")
    assert gradcheck(lambda x: case[2](mytorch, x), (x,))
    assert gradgradcheck(lambda x: case[2](mytorch, x), (x,))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.split(2),
        lambda x: x.split([1, 3], 1),
        lambda x: x.chunk(3, 1),
        lambda x: x.unbind(1),
        lambda x: mytorch.sort(x, 0),
        lambda x: x.max(1),
        lambda x: x.topk(2, 1, largest=False),
    ],
    ids=["split", "split_sizes", "chunk", "unbind", "sort", "max", "topk"],
)
def test_gradcheck_of_every_output_at_once(fn):
    x = mytorch.tensor(seeded_rng("every_output").uniform(-1, 1, (4, 4)), requires_grad=True)
    assert gradcheck(fn, (x,))
    if all(o.is_floating_point() for o in fn(x)):
        assert gradgradcheck(fn, (x,))


# --- the graph: one node, edges that name the output ----------------------------------------
def _graph(fn, depth=3):
    """(name, [(child graph, output number), ...]) of a grad_fn, to ``depth``."""
    if fn is None:
        return None
    name = fn.name().removeprefix("torch::autograd::")
    if depth == 0:
        return name
    return (name, [(_graph(n, depth - 1), nr) for n, nr in fn.next_functions])


GRAPH_CASES = [
    ("split", lambda T, x: (lambda a, b, c: b * 2 + c)(*(x * 1).split(2))),
    ("split_sizes", lambda T, x: (lambda a, b: T.cat([b, a]))(*x.split([1, 4]))),
    ("chunk", lambda T, x: (lambda a, b: b.exp() - a)(*x.chunk(2, 1))),
    ("unbind", lambda T, x: T.stack(x.unbind(1)[::-1])),
    ("max", lambda T, x: T.max(x * 2, 1)[0] * 2),
    ("min", lambda T, x: x.min(0, keepdim=True).values + 1),
    ("sort", lambda T, x: T.sort(x, 1, descending=True)[0].sum()),
    ("topk", lambda T, x: x.topk(2, 0)[0] * 3),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", [c[1] for c in GRAPH_CASES], ids=[c[0] for c in GRAPH_CASES])
def test_next_functions_and_names_match_torch(fn):
    a = seeded_rng("graph").uniform(-1, 1, (5, 2))
    out_m = fn(mytorch, mytorch.tensor(a, requires_grad=True))
    out_t = fn(torch, torch.tensor(a, requires_grad=True))
    assert _graph(out_m.grad_fn) == _graph(out_t.grad_fn)


@pytest.mark.torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: T.split(x, 2),
        lambda T, x: x.split([1, 1, 2]),
        lambda T, x: T.chunk(x, 2, 1),
        lambda T, x: x.unbind(1),
        lambda T, x: T.max(x, 1),
        lambda T, x: T.min(x, 0),
        lambda T, x: x.sort(),
        lambda T, x: T.sort(x, stable=True),
        lambda T, x: x.topk(1),
    ],
    ids=["split", "split_sizes", "chunk", "unbind", "max", "min", "sort", "sort_stable", "topk"],
)
def test_every_output_is_recorded_as_torch_records_it(fn):
    a = seeded_rng("outputs").uniform(-1, 1, (4, 3))
    outs_m = fn(mytorch, mytorch.tensor(a, requires_grad=True) * 1)
    outs_t = fn(torch, torch.tensor(a, requires_grad=True) * 1)
    assert type(outs_m).__name__ == type(outs_t).__name__
    assert len(outs_m) == len(outs_t)
    for om, ot in zip(outs_m, outs_t):
        assert_matches(om, ot)
        assert om.requires_grad == ot.requires_grad
        assert om.is_leaf == ot.is_leaf
        assert (om.grad_fn is None) == (ot.grad_fn is None)
        if ot.grad_fn is not None:
            assert om.grad_fn.name() == ot.grad_fn.name()
            assert om._output_nr == ot.output_nr
            assert om.grad_fn is outs_m[0].grad_fn  # one node for all the outputs
    if hasattr(outs_t, "values"):
        assert repr(outs_m).startswith(f"torch.return_types.{type(outs_t).__name__}(\nvalues=")


def test_no_graph_without_grad():
    x = mytorch.randn(4, 3)
    for outs in (x.split(2), x.unbind(), x.max(1), x.sort(), x.topk(2)):
        assert all(o.grad_fn is None and not o.requires_grad for o in outs)
    y = mytorch.randn(4, 3, requires_grad=True)
    with mytorch.no_grad():
        for outs in (y.split(2), y.unbind(), y.max(1), y.sort(), y.topk(2)):
            assert all(o.grad_fn is None for o in outs)


# --- views: split, chunk and unbind share memory and refuse in-place writes --------------------
VIEW_CASES = [
    ("split", lambda x: x.split(2)),
    ("split_sizes", lambda x: x.split([len(x) - 1, 1])),
    ("chunk", lambda x: x.chunk(2, 1)),
    ("unbind", lambda x: x.unbind(1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES])
def test_pieces_are_views_of_the_root_base(fn):
    x = mytorch.randn(4, 4)
    base = x[1:]  # a view itself: the pieces' base is x
    pieces = fn(base)
    for p in pieces:
        assert p._base is x and p._is_view()
        assert p._version == x._version
    with mytorch.no_grad():
        pieces[-1].mul_(0)  # no gradient involved: allowed, and written through
    # float32 sums in two orders: a few ulps of the sum of magnitudes apart.
    tol = 1e-5 * float(base.abs().sum())
    assert float(base.sum()) == pytest.approx(float(sum(p.sum() for p in pieces[:-1])), abs=tol)
    assert x._version == 1


@pytest.mark.torch
@pytest.mark.parametrize("which", [0, -1])
@pytest.mark.parametrize("name, fn", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_in_place_on_a_piece_raises_torchs_error(name, fn, which):
    a = seeded_rng("inplace").uniform(-1, 1, (4, 4))
    msgs = []
    for lib in (mytorch, torch):
        pieces = fn(lib.tensor(a, requires_grad=True) * 1)
        with raises(RuntimeError) as info:
            pieces[which].mul_(2)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
    assert "is a view and is being modified inplace" in msgs[0]


@pytest.mark.torch
def test_in_place_on_a_piece_of_a_leaf_raises_the_multi_output_error():
    x = mytorch.randn(4, 3, requires_grad=True)
    with raises(RuntimeError, match="Output 0 of Split is a view"):
        x.split(2)[0].mul_(2)


def test_piece_after_its_base_was_written_raises():
    y = mytorch.randn(4, 3, requires_grad=True) * 1
    a, _ = y.split(2)
    y.mul_(2)
    with raises(RuntimeError, match="its base or another view of its base has been modif"):
        a.grad_fn  # noqa: B018


@pytest.mark.torch
def test_errors_match_torch():
    a = seeded_rng("errors").uniform(-1, 1, (5, 3))
    calls = [
        lambda T, x: x.split(-1),
        lambda T, x: x.split(0),
        lambda T, x: x.split([2, 2]),
        lambda T, x: x.split([6, -1]),
        lambda T, x: x.split(2, dim=2),
        lambda T, x: x.chunk(0),
        lambda T, x: x.unbind(2),
        lambda T, x: x.sum().unbind(),
        lambda T, x: x.sum().split(1),
        lambda T, x: x.sum().chunk(1),
        lambda T, x: x.topk(4, 1),
        lambda T, x: x.topk(-1),
        lambda T, x: x[:0].max(0),
        lambda T, x: T.min(x[:, :0], 1),
        lambda T, x: x.sort(3),
    ]
    for call in calls:
        errors = []
        for T in (mytorch, torch):
            with pytest.raises((RuntimeError, IndexError)) as info:  # the classes compared below
                call(T, T.tensor(a))
            errors.append((info.type, str(info.value)))
        assert errors[0] == errors[1]


@pytest.mark.torch
def test_edge_cases_match_torch():
    a = seeded_rng("edges").uniform(-1, 1, (4, 3))
    calls = [
        lambda T, x: x.split(7),
        lambda T, x: x[:0].split(0),
        lambda T, x: x[:0].split(2),
        lambda T, x: x[:0].chunk(2),
        lambda T, x: x.chunk(3),
        lambda T, x: x.chunk(5, 1),
        lambda T, x: x.sum().max(0),
        lambda T, x: x.sum().sort(),
        lambda T, x: x.sum().topk(1),
        lambda T, x: x.topk(0, 1),
        lambda T, x: x[:, :0].max(0),
        lambda T, x: x[:0].sort(0),
        lambda T, x: x[:0].unbind(),
    ]
    for call in calls:
        outs_m = call(mytorch, mytorch.tensor(a, requires_grad=True))
        outs_t = call(torch, torch.tensor(a, requires_grad=True))
        assert len(outs_m) == len(outs_t)
        for om, ot in zip(outs_m, outs_t):
            assert_matches(om, ot)
            assert (om.grad_fn is None) == (ot.grad_fn is None)
            if ot.grad_fn is not None:
                assert om.grad_fn.name() == ot.grad_fn.name()


@pytest.mark.torch
def test_nan_ties_and_integers_match_torch():
    data = [
        ([1.0, float("nan"), 2.0, 2.0], "float32"),
        ([2.0, 1.0, 2.0, 1.0], "float64"),
        ([3, 1, 2, 3], "int64"),
        ([True, False, True, False], "bool"),
    ]
    for values, dtype in data:
        x_m = mytorch.tensor(np.array(values, dtype=dtype))
        x_t = torch.tensor(np.array(values, dtype=dtype))
        for call in (
            lambda x: x.max(0),
            lambda x: x.min(0),
            lambda x: x.sort(stable=True),
            lambda x: x.sort(descending=True, stable=True),
        ):
            for om, ot in zip(call(x_m), call(x_t)):
                assert_matches(om, ot)
    x = np.array([1.0, float("nan"), 2.0])
    assert_matches(mytorch.tensor(x).topk(2)[0], torch.tensor(x).topk(2)[0])


# --- the engine -------------------------------------------------------------------------------
@pytest.mark.torch
def test_gradients_with_respect_to_pieces():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        a, b, c = (x * 1).unbind()
        loss = (a * 3).sum() + (c * b).sum()
        return T.autograd.grad(loss, [c, a, b, x], allow_unused=True)

    for gm, gt in zip(run(mytorch), run(torch)):
        assert_matches(gm, gt)


@pytest.mark.torch
def test_unused_piece_gets_none_or_zeros():
    def run(T):
        x = T.ones(4, 2, requires_grad=True)
        a, b = (x * 1).split(2)
        out = T.autograd.grad(a.sum(), [a, b], allow_unused=True)
        zeros = T.autograd.grad(a.sum(), [b], allow_unused=True, materialize_grads=True)
        return out, zeros

    (out_m, z_m), (out_t, z_t) = run(mytorch), run(torch)
    assert out_m[1] is None and out_t[1] is None
    assert_matches(out_m[0], out_t[0])
    assert_matches(z_m[0], z_t[0])


@pytest.mark.torch
def test_backward_seeded_at_pieces():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], requires_grad=True)
        a, b = x.split(2)
        b.backward(T.ones(2, 2) * 3, retain_graph=True)
        T.autograd.backward([a, b, a], [T.ones(2, 2), T.ones(2, 2) * 2, T.ones(2, 2)])
        v, _ = x.max(1)
        v.backward(T.tensor([1.0, 2.0, 3.0, 4.0]))
        return x.grad

    assert_matches(run(mytorch), run(torch))


@pytest.mark.torch
def test_retain_grad_and_hooks_of_output_zero():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a, b = (x * 2).unbind()
        a.retain_grad()
        seen = []
        a.register_hook(lambda g: seen.append(to_numpy(g)) or g * 10)
        ((a * b).sum() + a.sum()).backward()
        return x.grad, a.grad, seen

    (xm, am, seen_m), (xt, at, seen_t) = run(mytorch), run(torch)
    assert_matches(xm, xt)
    assert_matches(am, at)
    np.testing.assert_allclose(seen_m[0], seen_t[0])


def test_engine_runs_output_numbered_hooks_and_retains_several_outputs():
    """The engine's contract for a node with several outputs: a hook entry ``(output_nr, fn)``
    sees that output's gradient (None when it received none, as torch calls it); ``retained``
    may hold several outputs."""
    x = mytorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    a, b, c = (x * 1).unbind()
    node = a.grad_fn
    seen = {}
    node.hooks = [(1, lambda g: seen.setdefault(1, g) * 5), (2, lambda g: seen.setdefault(2, g))]
    node.retained = (a, b)
    ((a + b) * 2).sum().backward()
    assert seen[1].tolist() == [2.0, 2.0] and seen[2] is None
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [10.0, 10.0]
    assert x.grad.tolist() == [[2.0, 2.0], [10.0, 10.0], [0.0, 0.0]]


@pytest.mark.torch
def test_hooks_and_retain_grad_on_later_outputs():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a, b = (x * 2).unbind()
        a.retain_grad()
        b.retain_grad()
        b.register_hook(lambda g: g * 10)
        ((a * b).sum() + b.sum()).backward()
        return x.grad, a.grad, b.grad

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)


@pytest.mark.torch
def test_second_backward_through_freed_nodes_matches_torch():
    for lib in (mytorch, torch):
        x = lib.ones(4, 3, requires_grad=True)
        a, _ = x.split(2)
        a.sum().backward()
        a.sum().backward()  # split saves no tensor: a second pass works
        v, _ = x.sort(1)
        v.sum().backward()
        with raises(RuntimeError, match="backward through the graph a second time"):
            v.sum().backward()


@pytest.mark.torch
def test_indices_written_in_place_fail_the_backward_as_in_torch():
    msgs = []
    for lib in (mytorch, torch):
        x = lib.tensor(seeded_rng("version").uniform(-1, 1, (4, 3)), requires_grad=True)
        v, i = x.sort(1)
        i.add_(0)
        with raises(RuntimeError) as info:
            v.sum().backward()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


# --- autograd.Function with several outputs --------------------------------------------------
def make_two(T, materialize=True, non_differentiable=False):
    """(x * k, exp(x), argmax index, a string): backward written in ops, so it differentiates
    again; it copes with the None gradients of set_materialize_grads(False)."""

    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            ctx.k = k
            idx = x.argmax().reshape(1)
            if non_differentiable:
                ctx.mark_non_differentiable(idx)
            return x * k, x.exp(), idx, "label"

        @staticmethod
        def backward(ctx, ga, gb, gi, gs):
            (x,) = ctx.saved_tensors
            out = None
            if ga is not None:
                out = ga * ctx.k
            if gb is not None:
                out = gb * x.exp() if out is None else out + gb * x.exp()
            return out, None

    return Two


@pytest.mark.torch
@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("non_differentiable", [True, False])
@pytest.mark.parametrize("use", ["a", "b", "ab"])
def test_function_with_several_outputs_matches_torch(materialize, non_differentiable, use):
    def run(T):
        x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
        a, b, idx, label = make_two(T, materialize, non_differentiable).apply(x, 3.0)
        loss = {"a": lambda: (a * a).sum(), "b": lambda: b.sum(), "ab": lambda: (a * b).sum()}
        (g,) = T.autograd.grad(loss[use](), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        nr = b._output_nr if T is mytorch else b.output_nr
        info = (label, idx.requires_grad, idx.grad_fn is None, a.grad_fn is b.grad_fn, nr)
        name = a.grad_fn.name().rpartition(".")[2]  # torch: torch.autograd.function.TwoBackward
        return (a, b, idx, g, h), info, name

    ms, info_m, name_m = run(mytorch)
    ts, info_t, name_t = run(torch)
    for m, t in zip(ms, ts):
        assert_matches(m, t)
    assert info_m == info_t
    assert name_m == name_t == "TwoBackward"


@pytest.mark.torch
@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("non_differentiable", [True, False])
def test_function_backward_gets_what_torchs_gets(materialize, non_differentiable):
    def run(T):
        seen = []

        class Two(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                idx = x.argmax().reshape(1)
                if non_differentiable:
                    ctx.mark_non_differentiable(idx)
                return x * 2, x * 3, idx, 7

            @staticmethod
            def backward(ctx, ga, gb, gi, gs):
                seen.extend(
                    None if g is None else (tuple(g.shape), str(g.dtype), to_numpy(g).tolist())
                    for g in (ga, gb, gi, gs)
                )
                return ga * 2 if ga is not None else gb * 3

        x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
        a, b, idx, seven = Two.apply(x)
        b.sum().backward()
        return seen, x.grad, idx.requires_grad, seven, (b * 1).grad_fn.next_functions[0][1]

    (seen_m, gm, *rest_m), (seen_t, gt, *rest_t) = run(mytorch), run(torch)
    assert seen_m == seen_t
    assert_matches(gm, gt)
    assert rest_m == rest_t


@pytest.mark.torch
def test_function_saved_output_is_differentiable_again():
    def make(T):
        class ExpTwice(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y, x * 2

            @staticmethod
            def backward(ctx, gy, gz):
                (y,) = ctx.saved_tensors
                return gy * y + gz * 2

        return ExpTwice

    def run(T):
        x = T.tensor([0.3, -0.2], dtype=T.float64, requires_grad=True)
        y, z = make(T).apply(x)
        (g,) = T.autograd.grad((y * z).sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return y, z, g, h

    for m, t in zip(run(mytorch), run(torch)):
        assert_matches(m, t)
    fn = make(mytorch).apply
    x = mytorch.tensor([0.3, -0.2, 0.7], dtype=mytorch.float64, requires_grad=True)
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@pytest.mark.torch
def test_function_takes_a_piece_of_a_multi_output_node():
    def run(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a, b = x.unbind()
        out = make_two(T).apply(b, 2.0)[0]
        (g,) = T.autograd.grad(out.sum(), x)
        return g

    assert_matches(run(mytorch), run(torch))


@pytest.mark.torch
def test_function_returning_a_tuple_of_one():
    def run(T):
        class One(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return (x * 2,)

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = T.ones(2, requires_grad=True)
        out = One.apply(x)
        out[0].sum().backward()
        return type(out), len(out), x.grad

    (tm, nm, gm), (tt, nt, gt) = run(mytorch), run(torch)
    assert tm is tuple and tt is tuple and nm == nt
    assert_matches(gm, gt)


@pytest.mark.torch
def test_function_gradient_count_and_shape_errors_match_torch():
    def make(T, backward):
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, *args):
                return args[0] * 2, args[0] * 3

        Bad.backward = staticmethod(backward)
        return Bad

    cases = [
        (lambda ctx, ga, gb: (ga, ga), lambda T, x: (x,)),
        (lambda ctx, ga, gb: ga, lambda T, x: (x, x)),
        (lambda ctx, ga, gb: (ga, gb), lambda T, x: (x, 2.0)),
        (lambda ctx, ga, gb: ga[:2], lambda T, x: (x,)),
        (lambda ctx, ga, gb: (ga, None, None), lambda T, x: (x,)),  # trailing Nones: fine
    ]
    for backward, args in cases:
        results = []
        for T in (mytorch, torch):
            x = T.ones(3, requires_grad=True)
            a, b = make(T, backward).apply(*args(T, x))
            try:
                (a + b).sum().backward()
                results.append(("ok", to_numpy(x.grad).tolist()))
            except RuntimeError as e:
                results.append(("error", type(e), str(e)))
        assert results[0] == results[1]


def test_function_saved_tensors_are_freed_and_version_checked():
    class Keep(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            (x,) = ctx.saved_tensors
            return ga * 2 + gb * 3 + x * 0

    x = mytorch.ones(3, requires_grad=True)
    a, b = Keep.apply(x)
    (a + b).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0, 5.0]
    with raises(RuntimeError, match="backward through the graph a second time"):
        (a + b).sum().backward()
    y = mytorch.ones(3, requires_grad=True) * 1
    a, b = Keep.apply(y)
    y.add_(1)
    with raises(RuntimeError, match="modified by an inplace operation"):
        a.sum().backward()
