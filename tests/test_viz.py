"""mytorch.viz: make_dot (DOT structure: node labels, edges, parameter names, saved tensors,
outputs; a graphviz.Digraph or, without graphviz, a DotGraph) and print_graph (the text tree).
Op names and the graph's shape are compared with torch's grad_fn graph of the same program."""

import re
import subprocess
import sys

import pytest
import torch

import mytorch
from mytorch import viz

SEED_TREE = """\
AddBackward0 ()
└── DivBackward0 ()
    ├── AddBackward0 ()
    │   ├── AccumulateGrad a ()
    │   └── PowBackward0 ()
    │       └── AccumulateGrad b ()
    └── AddBackward0 ()
        ├── AddBackward0 ()
        │   ├── AccumulateGrad a ()
        │   └── AccumulateGrad b ()
        └── MulBackward0 ()
            ├── AccumulateGrad a ()
            └── AccumulateGrad b ()"""


def seed(T):
    a = T.tensor(3.0, requires_grad=True)
    b = T.tensor(10.0, requires_grad=True)
    c = 2 + (a + b**2) / (a + b + a * b)
    return c, {"a": a, "b": b}


def mlp(T):
    w = T.tensor([[0.5, -1.0, 2.0, 0.1]] * 3, requires_grad=True)  # (3, 4)
    b = T.tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    x = T.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])  # (2, 3), no grad
    y = T.tanh(x @ w + b).sum(dim=0)
    return y, {"w": w, "b": b}


def torch_skeleton(fn, names, depth=0):
    """torch's backward graph as names only, children in next_functions order, None skipped."""
    if fn is None:
        return []
    if fn.name() == "torch::autograd::AccumulateGrad" or hasattr(fn, "variable"):
        return ["  " * depth + "AccumulateGrad " + names[id(fn.variable)]]
    lines = ["  " * depth + fn.name()]
    for nxt, _ in fn.next_functions:
        lines += torch_skeleton(nxt, names, depth + 1)
    return lines


def mytorch_skeleton(text):
    """print_graph's text as names only (shapes and tree drawing stripped)."""
    out = []
    for line in text.splitlines():
        body = line.lstrip("│├└─ ")
        depth = (len(line) - len(body)) // 4
        name = body.rsplit(" (", 1)[0]
        out.append("  " * depth + name)
    return out


def names_by_id(params):
    return {id(t): n for n, t in params.items()}


# --- print_graph ------------------------------------------------------------------------------
def test_print_graph_of_the_seed_program(capsys):
    c, params = seed(mytorch)
    viz.print_graph(c, params)
    assert capsys.readouterr().out == SEED_TREE + "\n"
    ct, pt = seed(torch)
    assert mytorch_skeleton(SEED_TREE) == torch_skeleton(ct.grad_fn, names_by_id(pt))


def test_print_graph_shapes_and_names_match_torch():
    y, params = mlp(mytorch)
    text = viz.format_graph(y, params)
    assert text.splitlines() == [
        "SumBackward1 (4)",
        "└── TanhBackward0 (2, 4)",
        "    └── AddBackward0 (2, 4)",
        "        ├── MmBackward0 (2, 4)",
        "        │   └── AccumulateGrad w (3, 4)",
        "        └── AccumulateGrad b (4)",
    ]
    yt, pt = mlp(torch)
    assert mytorch_skeleton(text) == torch_skeleton(yt.grad_fn, names_by_id(pt))


def test_print_graph_marks_an_op_reached_twice():
    x = mytorch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h + h.sin()
    lines = viz.format_graph(y, {"x": x}).splitlines()
    assert lines == [
        "AddBackward0 (2)",
        "├── MulBackward0 (2)",
        "│   └── AccumulateGrad x (2)",
        "└── SinBackward0 (2)",
        "    └── MulBackward0 (2) (see above)",
    ]


def test_print_graph_of_leaves_outputs_without_grad_and_several_outputs(capsys):
    x = mytorch.ones(2, 3, requires_grad=True)
    viz.print_graph([x, mytorch.zeros(4), x.sum()])
    assert capsys.readouterr().out.splitlines() == [
        "AccumulateGrad (2, 3)",
        "(4): no graph (does not require grad)",
        "SumBackward0 ()",
        "└── AccumulateGrad (2, 3)",
    ]


# --- make_dot ---------------------------------------------------------------------------------
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def parse_dot(source):
    """{id: attrs} of the nodes and [(tail, head, attrs)] of the edges of a DOT text as written
    by make_dot (with or without the graphviz package: values quoted or not)."""
    nodes, edges = {}, []
    for line in source.splitlines()[1:-1]:
        line = line.strip()
        head, _, rest = line.partition(" [")
        attrs = {k: v[1:-1] if v.startswith('"') else v for k, v in ATTR.findall(rest)}
        if head in ("graph", "node"):
            continue
        if " -> " in head:
            a, b = head.split(" -> ")
            edges.append((a, b, attrs))
        else:
            nodes[head] = attrs
    return nodes, edges


def without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError


def test_make_dot_structure_matches_torch(monkeypatch):
    without_graphviz(monkeypatch)
    y, params = mlp(mytorch)
    dot = viz.make_dot(y, params=params)
    assert isinstance(dot, viz.DotGraph) and dot.source.startswith("digraph {")
    nodes, edges = parse_dot(dot.source)
    label = {k: a["label"] for k, a in nodes.items()}
    leaves = {a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue"}
    assert leaves == {"w\\n(3, 4)", "b\\n(4)"}
    outputs = [k for k, a in nodes.items() if a.get("fillcolor") == "darkolivegreen1"]
    assert [label[k] for k in outputs] == ["(4)"]
    # Arrows go from an input to the op that used it, and from the last op to the output.
    named = sorted((label[a], label[b]) for a, b, _ in edges)
    assert named == sorted(
        [
            ("w\\n(3, 4)", "MmBackward0"),
            ("MmBackward0", "AddBackward0"),
            ("b\\n(4)", "AddBackward0"),
            ("AddBackward0", "TanhBackward0"),
            ("TanhBackward0", "SumBackward1"),
            ("SumBackward1", "(4)"),
        ]
    )
    # The same ops and edges as torch's graph of the same program.
    yt, pt = mlp(torch)
    ops = sorted(v for v in label.values() if "Backward" in v)
    assert ops == sorted(
        s.strip() for s in torch_skeleton(yt.grad_fn, names_by_id(pt)) if "Backward" in s
    )


def test_make_dot_of_the_seed_program_shares_leaves():
    c, params = seed(mytorch)
    nodes, edges = parse_dot(viz.make_dot(c, params).source)
    a = [k for k, v in nodes.items() if v["label"] == "a\\n()"]
    b = [k for k, v in nodes.items() if v["label"] == "b\\n()"]
    assert len(a) == len(b) == 1  # one box per leaf, however often it is used
    assert sum(1 for t, _, _ in edges if t == a[0]) == 3
    assert sum(1 for t, _, _ in edges if t == b[0]) == 3
    ops = sorted(v["label"] for v in nodes.values() if "Backward" in v["label"])
    assert ops == sorted(["AddBackward0"] * 4 + ["DivBackward0", "PowBackward0", "MulBackward0"])
    assert len(edges) == 13  # 12 between ops and leaves, 1 to the output


def test_make_dot_show_saved_then_freed():
    x = mytorch.ones(2, 3, requires_grad=True)
    w = mytorch.ones(3, requires_grad=True)
    y = (x * w).exp().sum()
    nodes, edges = parse_dot(viz.make_dot(y, {"x": x, "w": w}, show_saved=True).source)
    saved = {k: v["label"] for k, v in nodes.items() if v.get("fillcolor") == "orange"}
    # MulBackward0 saved x and w (named); ExpBackward0 saved its result.
    assert sorted(saved.values()) == ["result\\n(2, 3)", "w\\n(3)", "x\\n(2, 3)"]
    dotted = [(t, h) for t, h, a in edges if a.get("style") == "dotted"]
    assert len(dotted) == 3 and all(t in saved for t, _ in dotted)
    assert {nodes[h]["label"] for _, h in dotted} == {"MulBackward0", "ExpBackward0"}
    y.backward()  # frees the saved tensors: they are not drawn any more
    nodes, _ = parse_dot(viz.make_dot(y, show_saved=True).source)
    assert not [v for v in nodes.values() if v.get("fillcolor") == "orange"]
    # Unnamed saved inputs take torch's attribute names.
    u = mytorch.ones(2, requires_grad=True) * mytorch.full((2,), 3.0, requires_grad=True)
    nodes, _ = parse_dot(viz.make_dot(u, show_saved=True).source)
    assert sorted(v["label"] for v in nodes.values() if v.get("fillcolor") == "orange") == [
        "other\\n(2)",
        "self\\n(2)",
    ]


def test_make_dot_show_attrs():
    x = mytorch.ones(2, 3, requires_grad=True)
    y = x.sum(dim=1, keepdim=True)
    plain, _ = parse_dot(viz.make_dot(y).source)
    assert "SumBackward1" in {v["label"] for v in plain.values()}
    nodes, _ = parse_dot(viz.make_dot(y, show_attrs=True).source)
    (op,) = [v["label"] for v in nodes.values() if v["label"].startswith("SumBackward1")]
    assert op != "SumBackward1" and "\\nparam" in op


def test_make_dot_several_outputs_and_leaf_output():
    x = mytorch.ones(2, requires_grad=True)
    nodes, edges = parse_dot(viz.make_dot((x * 2, x), {"x": x}).source)
    outputs = [k for k, v in nodes.items() if v.get("fillcolor") == "darkolivegreen1"]
    assert len(outputs) == 2
    (leaf,) = [k for k, v in nodes.items() if v.get("fillcolor") == "lightblue"]
    assert sum(1 for _, h, _ in edges if h in outputs) == 2
    assert (leaf, outputs[1]) in [(t, h) for t, h, _ in edges]


def test_make_dot_without_graphviz_is_dot_text(monkeypatch, tmp_path):
    without_graphviz(monkeypatch)
    c, params = seed(mytorch)
    dot = viz.make_dot(c, params)
    assert str(dot) == dot.source and dot.source.endswith("}\n")
    for method in (dot.render, dot.pipe, dot.view):
        with pytest.raises(ImportError, match="graphviz"):
            method()
    path = dot.save(str(tmp_path / "seed.dot"))
    with open(path, encoding="utf-8") as f:
        assert f.read() == dot.source


def test_make_dot_with_graphviz_is_a_digraph(monkeypatch):
    graphviz = pytest.importorskip("graphviz")
    c, params = seed(mytorch)
    dot = viz.make_dot(c, params, show_saved=True)
    assert isinstance(dot, graphviz.Digraph)
    nodes, edges = parse_dot(dot.source)
    without_graphviz(monkeypatch)
    nodes2, edges2 = parse_dot(viz.make_dot(c, params, show_saved=True).source)
    assert nodes == nodes2 and edges == edges2


def test_make_dot_params_must_be_tensors():
    c, _ = seed(mytorch)
    with pytest.raises(TypeError, match="params"):
        viz.make_dot(c, {"a": 3.0})


def test_import_mytorch_does_not_import_graphviz():
    code = "import sys, mytorch; mytorch.viz.make_dot; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
