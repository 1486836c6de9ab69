"""The autograd engine: walks the recorded Nodes in reverse topological order, calls each op's
VJP and accumulates gradients into ``.grad`` or returns them (compiled with the hot path).

VJPs run under ``set_grad_enabled(create_graph)``: that one switch decides whether the backward
pass records a graph, which is how derivatives of any order come about.
"""

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False

from mytorch import _backends
from mytorch._core import _edge, _wrap, apply2, ndarray
from mytorch._grad_mode import _set_grad_enabled
from mytorch._ops.pointwise import ADD, to_dtype
from mytorch._ops.shape import sum_to


def _accumulate(grads, key, g):
    """Sum gradient ``g`` into ``grads[key]`` (differentiably when grad mode is on); the key is
    a node, or (node, k) for output k > 0 of a node with several outputs."""
    prev = grads.get(key)
    if prev is None:
        grads[key] = g
    else:
        grads[key] = apply2(ADD, prev, g)


def _gather(grads, node, g0):
    """The gradients of a multi-output node, one per output (None where none arrived): output 0's
    is kept under the node itself, output k's under (node, k); None when all are None."""
    slots = [g0]
    found = g0 is not None
    for k in range(1, node.n_outputs):
        g = grads.pop((node, k), None)
        if g is not None:
            found = True
        slots.append(g)
    return slots if found else None


def _multi_hooks(hooks, slots):
    """Run the tensor hooks of a multi-output node, each on its output's gradient (None when
    that output received none, as torch calls them). An entry is ``(output_nr, hook)``; a bare
    hook belongs to output 0."""
    for h in hooks:
        if isinstance(h, tuple):
            nr, fn = h
        else:
            nr, fn = 0, h
        r = fn(slots[nr])
        if r is not None:
            slots[nr] = r


def _retain_multi(retained, slots, create_graph):
    """``.grad`` of the outputs of a multi-output node that retain their gradient (one tensor,
    or a tuple or list of them)."""
    for t in retained if isinstance(retained, (tuple, list)) else (retained,):
        g = slots[t._output_nr]
        if g is not None:
            _accumulate_leaf(t, g, create_graph)


def _retains(fn, t):
    """Whether ``t`` is (one of) the tensor(s) that node ``fn`` retains the gradient of."""
    r = fn.retained
    if isinstance(r, (tuple, list)):
        for x in r:
            if x is t:
                return True
        return False
    return r is t


def _target_grad(targets, t):
    """The gradient that reached tensor ``t`` (an input of autograd.grad/backward)."""
    g = targets.get(_edge(t))
    if isinstance(g, list):
        return g[t._output_nr]
    return g


def _fit(g, shape, npdt):
    """Reduce a VJP's gradient to its input's shape (the one unbroadcast) and dtype."""
    gd = g._data
    if gd.shape != shape:
        g = sum_to(g, shape)
        gd = g._data
    if gd.dtype is not npdt and gd.dtype != npdt:
        g = to_dtype(g, npdt)
    return g


def _graph_order(roots, targets):
    """Dependency counts of the nodes reachable from ``roots`` and, when ``targets`` is given,
    the set of nodes on some path to a target (whose VJPs must run).

    Iterative, so any depth works. With targets the walk is a post-order DFS: on a DAG every
    child of a node is finished before the node itself, so "reaches a target" is known for all
    children when a node is popped.
    """
    deps = {}
    if targets is None:
        stack = list(roots)
        seen = set(roots)
        while stack:
            node = stack.pop()
            for nxt in node.next:
                if nxt is None:
                    continue
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
                else:
                    deps[nxt] = c + 1
        return deps, None
    needed = set()
    visited = set()
    stack = []
    positions = []
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack.append(root)
        positions.append(0)
        while stack:
            node = stack[-1]
            i = positions[-1]
            nexts = node.next
            if i < len(nexts):
                positions[-1] = i + 1
                nxt = nexts[i]
                if nxt is None:
                    continue
                c = deps.get(nxt)
                deps[nxt] = 1 if c is None else c + 1
                if nxt not in visited:
                    visited.add(nxt)
                    stack.append(nxt)
                    positions.append(0)
                continue
            stack.pop()
            positions.pop()
            if node in targets or _feeds(node, needed):
                needed.add(node)
    return deps, needed


def _feeds(node, needed):
    for nxt in node.next:
        if nxt is not None and nxt in needed:
            return True
    return False


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate):
    """Backpropagate from ``outputs`` seeded with ``grad_outputs``.

    With ``accumulate`` the leaves (all of them, or just ``inputs``) add into ``.grad``;
    without it the gradients of ``inputs`` are returned in order (None where unreached).
    """
    grads = {}
    roots = []
    for i in range(len(outputs)):
        t = outputs[i]
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        node = _edge(t)
        g = grad_outputs[i]
        if g is not None:
            # Output k > 0 of a multi-output node: its gradient is kept under (node, k).
            key = node if t._output_nr == 0 else (node, t._output_nr)
            if key in grads:
                prev = _set_grad_enabled(create_graph)
                try:
                    _accumulate(grads, key, g)
                finally:
                    _set_grad_enabled(prev)
            else:
                grads[key] = g
        if node not in roots:
            roots.append(node)

    targets = None
    if inputs is not None:
        targets = {}
        for t in inputs:
            node = _edge(t) if t._requires_grad else None
            if node is not None and node not in targets:
                targets[node] = None
    deps, needed = _graph_order(roots, targets)

    ready = [r for r in roots if r not in deps]
    prev_mode = _set_grad_enabled(create_graph)
    try:
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            # A node with several outputs gets a list of gradients, one per output.
            multi = node.n_outputs > 1
            if multi:
                g = _gather(grads, node, g)
            if g is not None and node.hooks is not None:
                if multi:
                    _multi_hooks(node.hooks, g)
                else:
                    for hook in node.hooks:
                        r = hook(g)
                        if r is not None:
                            g = r
            if targets is not None and node in targets:
                targets[node] = g
                if not accumulate and node.variable is not None:
                    continue
            var = node.variable
            if var is not None:
                if accumulate and g is not None and (targets is None or node in targets):
                    if _COMPILED and var._grad is None and node.hooks is None and _sole(g):
                        var._grad = g  # nothing else holds g or its array: .grad takes it whole
                    else:
                        _accumulate_leaf(var, g, create_graph)
                continue
            if node.retained is not None and g is not None:
                if multi:
                    _retain_multi(node.retained, g, create_graph)
                else:
                    _accumulate_leaf(node.retained, g, create_graph)
            run_vjp = g is not None and (needed is None or _feeds(node, needed))
            if run_vjp:
                if needed is None:
                    in_grads = node.op.vjp(node, *g) if multi else node.op.vjp(node, g)
                else:
                    node.wanted = needed
                    try:
                        in_grads = node.op.vjp(node, *g) if multi else node.op.vjp(node, g)
                    finally:
                        node.wanted = None
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
            nxt_nodes = node.next
            nrs = node.next_nr
            for i in range(len(nxt_nodes)):
                nxt = nxt_nodes[i]
                if nxt is None:
                    continue
                if run_vjp and (needed is None or nxt in needed):
                    gi = in_grads[i]
                    if gi is not None:
                        if node.shapes is not None:
                            gi = _fit(gi, node.shapes[i], node.dtypes[i])
                        if nrs is None or nrs[i] == 0:
                            _accumulate(grads, nxt, gi)
                        else:
                            _accumulate(grads, (nxt, nrs[i]), gi)
                c = deps[nxt] - 1
                deps[nxt] = c
                if c == 0:
                    ready.append(nxt)
            # Hold no gradient past its node: _sole counts the references to the ones in flight.
            in_grads = None
            gi = None
            if not retain_graph and run_vjp:
                node.saved = None
                node.out_data = None
                node.freed = True
    finally:
        _set_grad_enabled(prev_mode)
    if targets is None:
        return None
    if accumulate:
        # Leaves got theirs on the way; a non-leaf named in inputs gets its .grad here.
        for t in inputs:
            fn = t._grad_fn
            if fn is not None and not _retains(fn, t):
                g = _target_grad(targets, t)
                if g is not None:
                    _accumulate_leaf(t, g, create_graph)
        return None
    return [_target_grad(targets, t) if t._requires_grad else None for t in inputs]


def _sole(g):
    """(Compiled build only) Whether the engine's reference is the only one to gradient ``g``
    and ``g`` the only holder of its array, so that a leaf's ``.grad`` may take ``g`` itself
    instead of a copy (PyTorch's AccumulateGrad steals such gradients too).
    """
    if g._requires_grad:
        return False
    gd = g._data
    if type(gd) is not ndarray or gd.base is not None or not gd.flags.writeable:
        return False
    # References: the caller's local and, for the array, g's field and the local gd.
    return _mt_refcnt(g) == 1 and _mt_refcnt(gd) == 2  # noqa: F821  (declared in _engine.pxd)


def _accumulate_leaf(var, g, create_graph):
    """Add ``g`` into ``var.grad``: in place when possible, with a graph when create_graph.

    Copies and in-place adds go through the gradient's own backend (its array module).
    """
    old = var._grad
    if old is None:
        if create_graph and g._requires_grad:
            var._grad = g
        else:
            gd = g._data
            # NOTE: a VJP may return a view shared with other gradients, so .grad gets a copy.
            var._grad = _wrap(_backends.for_array(gd).copy_array(gd))
    elif create_graph or old._requires_grad or g._requires_grad:
        prev = _set_grad_enabled(create_graph)
        try:
            var._grad = apply2(ADD, old, g)
        finally:
            _set_grad_enabled(prev)
    else:
        od = old._data
        old._data = _backends.for_array(od).accumulate(od, g._data)
