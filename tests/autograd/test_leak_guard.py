"""mytorch.autograd.graph: the live graph-node count and the graph-growth guard (its rule is in
the module's docstring: the count after each backward pass grew over ``passes`` passes in a row,
and still after a garbage collection)."""

import gc
import sys
import warnings

import pytest

import mytorch
from mytorch import autograd
from mytorch.autograd.graph import GraphGrowthWarning, live_nodes, warn_on_graph_growth


@pytest.fixture(autouse=True)
def guard_off_after():
    yield
    assert not autograd.graph.is_graph_growth_warning_enabled()


def _no_growth_warning(record):
    return [w for w in record if issubclass(w.category, GraphGrowthWarning)] == []


def test_live_nodes_counts_grad_fns_and_accumulate_nodes():
    x = mytorch.randn(3, requires_grad=True)
    (x * 1).sum()  # makes x's AccumulateGrad node, which lives as long as x
    gc.collect()  # other tests' graphs held in reference cycles
    base = live_nodes()
    y = (x * 2).sin().sum()  # MulBackward0, SinBackward0, SumBackward0
    assert live_nodes() == base + 3
    y.backward()  # freeing the saved tensors keeps the Nodes
    assert live_nodes() == base + 3
    del y
    assert live_nodes() == base
    z = x.detach() * 2
    assert live_nodes() == base and z.grad_fn is None
    del x, z
    gc.collect()  # a leaf and its AccumulateGrad node refer to each other
    assert live_nodes() == base - 1


def test_steady_loop_does_not_warn():
    w = mytorch.randn(4, requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with warn_on_graph_growth(True, passes=3):
            total = 0.0
            for i in range(12):
                loss = ((w * i).tanh() ** 2).sum()
                loss.backward()
                total += loss.item()
                w.grad = None
    assert _no_growth_warning(record)


def test_accumulated_loss_warns_at_the_users_line_after_passes_growing_passes():
    w = mytorch.randn(4, requires_grad=True)
    lines = []
    with warn_on_graph_growth(True, passes=3):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            total_loss = 0
            for i in range(4):
                loss = (w * i).sin().sum()
                lines.append(sys._getframe().f_lineno + 1)
                loss.backward()
                total_loss += loss  # the classic mistake: keeps every iteration's graph
                if i < 3:  # 3 counts so far: 2 growing passes
                    assert _no_growth_warning(record)
    found = [w for w in record if issubclass(w.category, GraphGrowthWarning)]
    assert len(found) == 1
    warning = found[0]
    assert warning.filename == __file__ and warning.lineno == lines[-1]
    text = str(warning.message)
    assert "`total_loss` holds a graph of" in text
    assert f"{__file__}:{lines[-1]}" in text and "loss.detach()" in text


def test_gradients_kept_with_their_graph_warn():
    w = mytorch.randn(3, requires_grad=True)
    with autograd.create_graph_default(True), warn_on_graph_growth(passes=4):
        with pytest.warns(GraphGrowthWarning, match="`history` holds"):
            history = []
            for i in range(8):
                loss = (w * (i + 1)).exp().sum()
                history.append(autograd.grad(loss, [w]))  # each gradient keeps its graph


def test_gradients_kept_without_their_graph_do_not_warn():
    w = mytorch.randn(3, requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with autograd.create_graph_default(False), warn_on_graph_growth(passes=3):
            history = []
            for i in range(8):
                loss = (w * (i + 1)).exp().sum()
                history.append(autograd.grad(loss, [w]))
    assert _no_growth_warning(record)
    assert all(g.grad_fn is None for (g,) in history)


def test_guard_off_does_not_warn():
    w = mytorch.randn(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        total = 0
        for i in range(15):
            loss = (w * i).sum()
            loss.backward()
            total = total + loss
    assert _no_growth_warning(record)


def test_switch_forms():
    assert not autograd.graph.is_graph_growth_warning_enabled()
    warn_on_graph_growth(True)  # takes effect at once
    assert autograd.graph.is_graph_growth_warning_enabled()
    with warn_on_graph_growth(False):
        assert not autograd.graph.is_graph_growth_warning_enabled()
    assert autograd.graph.is_graph_growth_warning_enabled()
    warn_on_graph_growth(False)
    assert not autograd.graph.is_graph_growth_warning_enabled()
    with pytest.raises(ValueError):
        warn_on_graph_growth(True, passes=0)
    assert not autograd.graph.is_graph_growth_warning_enabled()
