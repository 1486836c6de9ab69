"""Pictures of the backward graph: make_dot (a Graphviz graph, as torchviz's make_dot draws it)
and print_graph (an indented tree for terminals). mytorch's own addition; torch has no viz module.

``make_dot`` returns a ``graphviz.Digraph`` when the optional ``graphviz`` package is installed
(``pip install mytorch-autograd[viz]``, plus Graphviz's ``dot`` program to render), else a
:class:`DotGraph` holding the same DOT text; either way ``make_dot(...).source`` is the DOT text.
"""

from mytorch._core import TensorBase

# How torchviz draws: boxes filled by role (leaves, saved tensors, outputs; ops are grey).
GRAPH_ATTR = {"size": "12,12"}
NODE_ATTR = {
    "style": "filled",
    "shape": "box",
    "align": "left",
    "fontsize": "10",
    "ranksep": "0.1",
    "height": "0.2",
    "fontname": "monospace",
}
LEAF_COLOR = "lightblue"
SAVED_COLOR = "orange"
OUTPUT_COLOR = "darkolivegreen1"
SAVED_NAMES = ("self", "other")  # the saved inputs of a one- or two-input op, as torch names them


def size_str(shape):
    """A shape as torchviz writes it: (3, 4), (3) or () for a 0-d tensor."""
    return "(" + ", ".join(str(int(n)) for n in shape) + ")"


def _outputs(output):
    if isinstance(output, TensorBase):
        return [output]
    if isinstance(output, dict):
        return [t for t in output.values() if isinstance(t, TensorBase)]
    return [t for t in output if isinstance(t, TensorBase)]


def _names(params):
    """{id(tensor): name} of the named tensors (e.g. dict(model.named_parameters()))."""
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    names = {}
    for name, t in items:
        if not isinstance(t, TensorBase):
            raise TypeError(f"make_dot: params[{name!r}] is not a Tensor: {type(t).__name__}")
        names[id(t)] = str(name)
    return names


def _leaf_label(node, names):
    var = node.variable
    name = names.get(id(var), "")
    return (name + "\n" if name else "") + size_str(var._data.shape)


def _graph_records(outputs, names, show_attrs, show_saved, max_attr_chars):
    """The nodes ``(id, label, fillcolor or None, style or None)`` and edges ``(tail, head,
    style or None)`` of the picture, each once, in the order the walk meets them."""
    nodes, edges, seen = [], [], set()

    def add_node(key, label, color=None, style=None):
        if key not in seen:
            seen.add(key)
            nodes.append((key, label, color, style))

    def visit(fn):
        key = f"n{id(fn)}"
        if key in seen:
            return
        if fn.variable is not None:
            add_node(key, _leaf_label(fn, names), LEAF_COLOR)
            return
        label = fn.name()
        if show_attrs:
            for i, p in enumerate(fn.params or ()):
                if not isinstance(p, TensorBase):
                    text = repr(p)
                    if len(text) > max_attr_chars:
                        text = text[: max_attr_chars - 3] + "..."
                    label += f"\n{'param' if len(fn.params) == 1 else f'param{i}'}: {text}"
        add_node(key, label)
        if show_saved and not fn.freed:
            _saved_records(fn, key, names, add_node, edges)
        for nxt in fn.next:
            if nxt is not None:
                visit(nxt)
                edges.append((f"n{id(nxt)}", key, None))

    for t in outputs:
        key = f"t{id(t)}"
        name = names.get(id(t), "")
        add_node(key, (name + "\n" if name else "") + size_str(t._data.shape), OUTPUT_COLOR)
        fn = t._grad_fn
        if fn is None and t._requires_grad:
            fn = t._accumulate_node()
        if fn is not None:
            visit(fn)
            edges.append((f"n{id(fn)}", key, None))
    return nodes, edges


def _saved_records(fn, key, names, add_node, edges):
    """The saved tensors of ``fn`` as orange boxes joined to it by dotted lines."""
    saved = fn.saved or ()
    for i, s in enumerate(saved):
        if isinstance(s, TensorBase):
            attr = SAVED_NAMES[i] if len(saved) <= 2 else f"saved{i}"
            sk = f"s{id(s)}"
            name = names.get(id(s))
            label = (name or attr) + "\n" + size_str(s._data.shape)
            add_node(sk, label, SAVED_COLOR)
            edges.append((sk, key, "dotted"))
    if fn.out_data is not None:
        sk = f"r{id(fn.out_data)}"
        add_node(sk, "result\n" + size_str(fn.out_data.shape), SAVED_COLOR)
        edges.append((sk, key, "dotted"))


def _quote(text):
    """A DOT string: quoted, with quotes and backslashes escaped and line breaks as \\n."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _attrs(pairs):
    return " ".join(f"{k}={_quote(v)}" for k, v in pairs if v is not None)


class DotGraph:
    """The DOT text of a graph picture, returned by make_dot when the ``graphviz`` package is
    not installed. ``source`` is the text; ``save`` writes it; ``render`` and ``pipe`` need
    graphviz and raise ImportError."""

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<mytorch.viz.DotGraph: {self.source.count(chr(10))} lines of DOT>"

    def save(self, filename):
        """Write the DOT text to ``filename`` (render it with ``dot -Tsvg filename``)."""
        with open(filename, "w", encoding="utf-8") as f:
            f.write(self.source)
        return filename

    def _missing(self, what):
        raise ImportError(
            f"DotGraph.{what}() needs the graphviz package (pip install graphviz, or "
            "pip install 'mytorch-autograd[viz]') and Graphviz's dot program; without them "
            "use .source (the DOT text) or .save(filename)"
        )

    def render(self, *args, **kwargs):
        self._missing("render")

    def pipe(self, *args, **kwargs):
        self._missing("pipe")

    def view(self, *args, **kwargs):
        self._missing("view")


def _dot_source(nodes, edges):
    lines = ["digraph {", f"\tgraph [{_attrs(GRAPH_ATTR.items())}]"]
    lines.append(f"\tnode [{_attrs(NODE_ATTR.items())}]")
    for key, label, color, style in nodes:
        lines.append(f"\t{key} [{_attrs([('label', label), ('fillcolor', color)])}]")
    for tail, head, style in edges:
        extra = f" [{_attrs([('style', style), ('dir', 'none')])}]" if style else ""
        lines.append(f"\t{tail} -> {head}{extra}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def make_dot(output, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The backward graph that produced ``output`` (a tensor or a sequence of tensors), as
    torchviz's make_dot draws it: an arrow from each input to the op that used it, ops by their
    grad_fn names (``MulBackward0``), leaves (AccumulateGrad) as blue boxes with their name in
    ``params`` (e.g. ``dict(model.named_parameters())``) and shape, outputs in green, and with
    ``show_saved`` the tensors each op saved for backward in orange (not after a backward pass
    freed them); ``show_attrs`` adds each op's non-tensor arguments.

    Returns a ``graphviz.Digraph`` when the graphviz package is installed, else a DotGraph;
    ``.source`` is the DOT text in both cases.
    """
    nodes, edges = _graph_records(
        _outputs(output), _names(params), show_attrs, show_saved, max_attr_chars
    )
    try:
        import graphviz
    except ImportError:
        return DotGraph(_dot_source(nodes, edges))
    dot = graphviz.Digraph(graph_attr=GRAPH_ATTR, node_attr=NODE_ATTR)
    for key, label, color, _ in nodes:
        # NOTE: escape_label keeps a backslash-escaped "\n" a DOT line break, as in DotGraph.
        dot.node(key, label.replace("\n", "\\n"), **({"fillcolor": color} if color else {}))
    for tail, head, style in edges:
        dot.edge(tail, head, **({"style": style, "dir": "none"} if style else {}))
    return dot


def _input_shape(fn, i, nxt, shape):
    """The shape of the gradient ``fn`` sends along its edge ``i`` to ``nxt``: its input's shape
    (``fn.shapes``; None when the op's inputs have its output's ``shape``)."""
    if nxt.variable is not None:
        return nxt.variable._data.shape
    shapes = fn.shapes
    if shapes is None:
        return shape
    if i < len(shapes) and shapes[i] is not None:
        return shapes[i]
    return None


def format_graph(output, params=None):
    """The text print_graph prints (see there)."""
    names = _names(params)
    lines = []
    shown = set()

    def label(fn, shape):
        text = "?" if shape is None else size_str(shape)
        if fn.variable is not None:
            name = names.get(id(fn.variable))
            return f"AccumulateGrad {name} {text}" if name else f"AccumulateGrad {text}"
        return f"{fn.name()} {text}"

    def walk(fn, shape, prefix, last, root):
        branch = "" if root else ("└── " if last else "├── ")
        again = fn.variable is None and id(fn) in shown and any(n is not None for n in fn.next)
        lines.append(prefix + branch + label(fn, shape) + (" (see above)" if again else ""))
        if again:
            return
        shown.add(id(fn))
        kids = [(i, n) for i, n in enumerate(fn.next) if n is not None]
        inner = prefix + ("" if root else ("    " if last else "│   "))
        for k, (i, n) in enumerate(kids):
            walk(n, _input_shape(fn, i, n, shape), inner, k == len(kids) - 1, False)

    for t in _outputs(output):
        fn = t._grad_fn
        if fn is None and t._requires_grad:
            fn = t._accumulate_node()
        if fn is None:
            lines.append(f"{size_str(t._data.shape)}: no graph (does not require grad)")
        else:
            walk(fn, t._data.shape, "", True, True)
    return "\n".join(lines)


def print_graph(output, params=None, file=None):
    """Print the backward graph of ``output`` (a tensor or a sequence of tensors) as an indented
    tree: each op's grad_fn name and output shape, under it the nodes its gradient flows into;
    leaves as ``AccumulateGrad <name> <shape>`` with their names in ``params``. An op reached
    again is printed once more with ``(see above)`` instead of its subtree."""
    print(format_graph(output, params), file=file)


__all__ = ["make_dot", "print_graph", "format_graph", "DotGraph"]
