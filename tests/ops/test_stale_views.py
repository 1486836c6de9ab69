"""A view read after its base was written in place: every reader sees the view's new history.

A view ``v`` of a non-leaf ``b`` is taken, then ``b`` is written in place (an in-place op,
setitem, ``copy_``, or an in-place op through a sibling view) with values that depend on a
second leaf ``c``. Then ``v`` itself is what backward and ``autograd.grad`` start from, or what
a function returns; its ``grad_fn``, ``requires_grad``, ``is_leaf``, repr and values are read.
Values, first and second derivatives are compared with torch, on the CPU and the stand-in
device. (Using ``v`` as an operand of a later op is covered by test_inplace.py.)
"""

import numpy as np
import pytest
from helpers import LIBS, TOL2, assert_matches, lib, raises_like, seeded_rng, to_numpy

import mytorch

pytestmark = pytest.mark.torch

SHAPE = (3, 4)

# name -> the view of a (3, 4) tensor. Each is a view in both libraries.
VIEWS = {
    "slice_rows": lambda b: b[0:2],
    "slice_step": lambda b: b[:, ::2],
    "select": lambda b: b.select(0, 1),
    "index_int": lambda b: b[1],
    "element_0d": lambda b: b[1, 2],
    "transpose": lambda b: b.transpose(0, 1),
    "t": lambda b: b.t(),
    "permute": lambda b: b.permute(1, 0),
    "unsqueeze": lambda b: b.unsqueeze(1),
    "squeeze": lambda b: b.unsqueeze(0).squeeze(0),
    "expand": lambda b: b[:, :1].expand(3, 5),
    "diagonal": lambda b: b.diagonal(),
    "view": lambda b: b.view(2, 6),
    "reshape": lambda b: b.reshape(12),
    "flatten": lambda b: b.flatten(),
    "narrow": lambda b: b.narrow(1, 1, 2),
    "split_piece": lambda b: b.split(2, dim=1)[1],
    "chunk_piece": lambda b: b.chunk(2)[0],
    "unbind_piece": lambda b: b.unbind(1)[2],
    "view_of_view": lambda b: b[1:].t()[1:3],
    "view_of_view_0d": lambda b: b.t()[2][1],
}

# name -> a write into b (a non-leaf view's base), with values from leaf c of b's shape.
WRITES = {
    "inplace_op": lambda b, c: b.mul_(c),
    "setitem": lambda b, c: b.__setitem__((slice(0, 2), slice(1, 3)), c[1:, :2] * 2),
    "copy_": lambda b, c: b.copy_(c.exp()),
    "sibling_view": lambda b, c: b[1:].add_(c[:2] ** 2),
}


def _program(T, device, view, write, dtype_name):
    """Leaves a, c; b = a * 1.5; v = view(b); write(b, c). Returns (a, c, v)."""
    rng = seeded_rng("stale", view, write)
    dev = device if T is mytorch else "cpu"
    a = T.tensor(rng.normal(size=SHAPE).astype(dtype_name), requires_grad=True, device=dev)
    c = T.tensor(rng.normal(size=SHAPE).astype(dtype_name), requires_grad=True, device=dev)
    b = a * 1.5
    v = VIEWS[view](b)
    WRITES[write](b, c)
    return a, c, v


def _weights(v, dtype_name, view, write):
    return seeded_rng("w", view, write).normal(size=tuple(v.shape)).astype(dtype_name)


def _run(T, device, view, write, dtype_name, reader):
    a, c, v = _program(T, device, view, write, dtype_name)
    dev = device if T is mytorch else "cpu"
    w = T.tensor(_weights(v, dtype_name, view, write), device=dev)
    if reader == "backward":
        v.backward(w, create_graph=True)
        ga, gc = a.grad, c.grad
    elif reader == "returned":

        def f():  # the view leaves the function that made it and wrote its base
            return v

        out = f()
        ga, gc = T.autograd.grad(out, [a, c], w, create_graph=True, allow_unused=True)
    else:
        ga, gc = T.autograd.grad(v, [a, c], w, create_graph=True, allow_unused=True)
    firsts = [g if g is not None else T.zeros(SHAPE, device=dev) for g in (ga, gc)]
    # Second order: differentiate a smooth function of the first derivatives again.
    s = sum(((g * g).sum() for g in firsts if g.requires_grad), T.zeros((), device=dev))
    if s.requires_grad:
        seconds = T.autograd.grad(s, [a, c], allow_unused=True)
    else:
        seconds = (None, None)
    seconds = [g if g is not None else T.zeros(SHAPE, device=dev) for g in seconds]
    return v, firsts, seconds


def _outcome(T, device, view, write, dtype_name, reader):
    try:
        return _run(T, device, view, write, dtype_name, reader), None
    except Exception as e:  # compared with torch's below
        return None, e


@pytest.mark.parametrize("reader", ["backward", "grad", "returned"])
@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_stale_view_as_output(view, write, reader, device, dtype_name):
    import torch

    got, err = _outcome(mytorch, device, view, write, dtype_name, reader)
    want, terr = _outcome(torch, device, view, write, dtype_name, reader)
    if terr is not None or err is not None:
        assert terr is not None, f"mytorch raised {err!r}, torch did not"
        assert err is not None, f"torch raised {terr!r}, mytorch did not"
        assert type(err) is type(terr), f"mytorch raised {err!r}, torch {terr!r}"
        return
    (v, f1, f2), (tv, t1, t2) = got, want
    assert_matches(v, tv)
    for m, t in zip(f1, t1):
        assert_matches(m, t)
    for m, t in zip(f2, t2):
        assert_matches(m, t, **TOL2[dtype_name])


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("view", ["slice_rows", "element_0d", "transpose", "view_of_view"])
def test_stale_view_readers(view, write, device):
    """grad_fn, requires_grad, is_leaf, the repr's grad_fn and the values, read straight off the
    view, describe its new history."""
    import torch

    m = _program(mytorch, device, view, write, "float64")[2]
    t = _program(torch, device, view, write, "float64")[2]
    assert m.requires_grad is t.requires_grad is True
    assert m.is_leaf is t.is_leaf is False
    assert (m.grad_fn is None) is (t.grad_fn is None)
    assert ("grad_fn=" in repr(m)) is ("grad_fn=" in repr(t))
    np.testing.assert_allclose(m.detach().cpu().numpy(), t.detach().numpy())
    np.testing.assert_allclose(to_numpy(m), to_numpy(t))


def test_stale_view_of_base_that_gained_grad(device):
    """A view of a tensor that needed no gradient needs one after its base is written with
    values that do (the engine's seed reads it through the accessor)."""
    import torch

    def run(T):
        dev = device if T is mytorch else "cpu"
        c = T.tensor([1.0, 2.0, 3.0], requires_grad=True, device=dev)
        b = T.zeros(3, device=dev)
        v = b[1:]
        b.add_(c * c)
        v.backward(T.ones(2, device=dev))
        return c.grad

    assert_matches(run(mytorch), run(torch))


def test_issue_example():
    """The report's program: torch gives a.grad == [3, 3, 0]."""
    a = mytorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    v = b[0:2]
    b.mul_(3)
    v.backward(mytorch.ones(2))
    assert a.grad.tolist() == [3.0, 3.0, 0.0]


# --- 0-d tensors alias like all others -------------------------------------------------------

ALIASES_0D = {
    "detach": lambda z: z.detach(),
    "data": lambda z: z.data,
    "view_empty": lambda z: z.view(()),
    "reshape": lambda z: z.reshape(()),
    "index_1d": None,  # x[i] of a 1-d tensor
    "select_1d": None,
}


def _alias_pair(T, kind, device):
    """(z, alias): a 0-d tensor and an alias of it."""
    dev = device if T is mytorch else "cpu"
    if kind in ("index_1d", "select_1d"):
        x = T.tensor([1.0, 2.0, 3.0], device=dev)
        return x, (x[1] if kind == "index_1d" else x.select(0, 1))
    z = T.tensor(2.0, device=dev) * 1  # a computed 0-d result
    return z, ALIASES_0D[kind](z)


@pytest.mark.parametrize("through", ["alias", "original"])
@pytest.mark.parametrize("kind", sorted(ALIASES_0D))
def test_0d_aliases_share_memory_and_version(kind, through, device):
    import torch

    def run(T):
        z, al = _alias_pair(T, kind, device)
        target = al if through == "alias" else z
        v0 = (z._version, al._version)
        target.add_(5)
        target.mul_(2)
        return z, al, v0, (z._version, al._version)

    mz, ma, mv0, mv1 = run(mytorch)
    tz, ta, tv0, tv1 = run(torch)
    assert_matches(mz, tz)
    assert_matches(ma, ta)
    # detach() and views share the version counter; .data does not, in either library.
    assert (mv1[0] - mv0[0], mv1[1] - mv0[1]) == (tv1[0] - tv0[0], tv1[1] - tv0[1])


def test_0d_detached_write_fails_saved_output():
    """exp saves its result: a write through a detached alias of it is caught by backward."""
    raises_like(lambda T: _exp_then_write(T).backward(), ["modified by an inplace operation"])


def _exp_then_write(T):
    a = T.tensor(0.5, requires_grad=True)
    y = a.exp()
    y.detach().add_(1)
    return y


@pytest.mark.parametrize("name", LIBS)
def test_0d_alias_issue_example(name):
    T = lib(name)
    z = T.tensor(1.5)
    z.detach().add_(1)
    assert z.item() == 2.5
