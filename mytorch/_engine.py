"""The autograd engine: walks the recorded Nodes in reverse topological order, calls each op's
VJP and accumulates gradients into ``.grad`` or returns them (compiled with the hot path).

VJPs run under ``set_grad_enabled(create_graph)``: that one switch decides whether the backward
pass records a graph, which is how derivatives of any order come about.

Each pass keeps its bookkeeping in one ``_Slot`` per reachable node (how many consumers are
still to run, the gradients summed so far), found through one dict lookup per edge. The state
lives in the pass, not on the nodes, so a hook or a custom Function may start another backward
pass over the same graph while this one runs.
"""

try:
    import cython

    _COMPILED = cython.compiled
except ImportError:  # the pure build runs without Cython installed
    _COMPILED = False

from mytorch import _backends
from mytorch._core import TensorBase, _edge, _wrap, apply2, ndarray
from mytorch._grad_mode import _set_grad_enabled
from mytorch._ops.pointwise import ADD, to_dtype
from mytorch._ops.shape import sum_to


# [runner]: anomaly mode's VJP runner while it is on (mytorch.autograd.anomaly_mode), read once
# per backward pass: runner(node, grads, multi, needed) runs the node's VJP and checks it.
ANOMALY = [None]


class _Slot:
    """One node's state in one backward pass."""

    __slots__ = ("node", "count", "grad", "more", "visited", "pos", "target", "needed", "feeds")


def _new_slot(node):
    """A slot for ``node`` (made here rather than in an __init__: one call in the pure build)."""
    s = _Slot.__new__(_Slot)
    s.node = node
    if not _COMPILED:  # a cdef class starts with these fields at 0/None/False already
        s.count = 0  # consumers of the node whose VJPs have not run yet
        s.grad = None  # the gradient of output 0 summed so far
        s.more = None  # a list with the gradient of each output, for a multi-output node
        s.visited = False  # reached by the walk that looks for paths to targets
        s.pos = 0  # that walk's next edge of the node
        s.target = False  # an input of autograd.grad/backward(inputs=...)
        s.needed = False  # on some path to a target (autograd.grad with inputs)
        s.feeds = False  # one of its inputs is (so its VJP must run)
    return s


def _add_grad(s, k, g):
    """Sum gradient ``g`` of output ``k`` into slot ``s`` (differentiably when grad mode is on).

    NOTE: when the slot alone holds the sum so far, no graph is recorded and the array is
    large, ``g`` is added into its memory (as torch's engine does), saving a new array per extra
    gradient. Small arrays take the out-of-place kernel: an in-place ufunc call costs about 1 µs
    more than the array it saves.
    """
    if k == 0:
        prev = s.grad
        if prev is None:
            s.grad = g
        elif _COMPILED and not g._requires_grad and _large(prev._data) and _sole(prev, 2):
            pd = prev._data
            prev._data = _backends.for_array(pd).accumulate(pd, g._data)
        else:
            s.grad = apply2(ADD, prev, g)
        return
    more = s.more
    if more is None:
        more = [None] * s.node.n_outputs
        s.more = more
    prev = more[k]
    more[k] = g if prev is None else apply2(ADD, prev, g)


def _large(d):
    """Whether ``d`` is a host array of at least IN_PLACE_MIN elements."""
    return type(d) is ndarray and d.size >= IN_PLACE_MIN


# Elements from which a gradient sum is done in place (256 KiB of float32, past L2 caches).
IN_PLACE_MIN = 1 << 16


def _take(s):
    """The gradient(s) a node received, removed from its slot: one tensor (or None), or for a
    multi-output node a list with one entry per output (None when no output received one)."""
    g = s.grad
    s.grad = None
    if s.node.n_outputs <= 1:  # NOTE: 0 in a compiled Node made without __init__
        return g
    slots = s.more if s.more is not None else [None] * s.node.n_outputs
    s.more = None
    slots[0] = g
    for x in slots:
        if x is not None:
            return slots
    return None


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
            slots[nr] = r if slots[nr] is None else _hook_grad(fn, slots[nr], r)


def _hook_grad(hook, g, r):
    """The gradient a tensor hook returned in place of ``g``, checked as torch checks it."""
    if not isinstance(r, TensorBase):
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    name = getattr(hook, "__name__", type(hook).__name__)
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if r._data.dtype != g._data.dtype or r.device != g.device:
        raise RuntimeError(
            f"hook '{name}' has changed the type of value (was {g.type()} got {r.type()})"
        )
    return r


def _checked_grads(hook, r, grads):
    """The gradients a node hook returned in place of ``grads``, checked as torch checks them."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != len(grads):
        raise RuntimeError(
            f"hook '{name}' has returned an incorrect number of values (got {len(r)}, but "
            f"expected {len(grads)})"
        )
    for i in range(len(r)):
        if r[i] is not None and grads[i] is not None:
            _hook_grad(hook, grads[i], r[i])
    return r


def _pre_hooks(nh, g, multi):
    """A node's gradient(s) after its pre-hooks (Node.register_prehook): one tensor, or for a
    multi-output node a list with one entry per output."""
    grads = tuple(g) if multi else (g,)
    for entry in nh.lists[0]:
        r = entry[0](grads)
        if r is not None:
            grads = _checked_grads(entry[0], r, grads)
    return list(grads) if multi else grads[0]


def _post_hooks(nh, node, in_grads, g, multi):
    """A node's input gradients after its post-hooks (Node.register_hook), which see them as
    torch's grad_inputs (reduced to each input's shape and dtype, None for an input that needs
    none) with the gradients the node received."""
    grad_outputs = tuple(g) if multi else (g,)
    nxt = node.next
    gi = []
    for i in range(len(nxt)):
        x = in_grads[i] if nxt[i] is not None and i < len(in_grads) else None
        if x is not None and node.shapes is not None:
            x = _fit(x, node.shapes[i], node.dtypes[i])
        gi.append(x)
    gi = tuple(gi)
    for entry in nh.lists[1]:
        r = entry[0](gi, grad_outputs)
        if r is not None:
            gi = _checked_grads(entry[0], r, gi)
    return gi


def _leaf_post_hooks(nh, var, g):
    """An AccumulateGrad node's hooks after it accumulated ``g``: the leaf's
    post-accumulate-grad hooks, then the node's post-hooks (torch passes them no grad_inputs)."""
    for entry in nh.lists[2]:
        entry[0](var)
    for entry in nh.lists[1]:
        entry[0]((), (g,))


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


def _graph_order(slots, roots, targets):
    """Fill ``slots`` (node -> _Slot, the roots' already there) with every node reachable from
    ``roots``, each counting its consumers; with ``targets``, also flag the nodes on some path
    to a target (whose VJPs must run) and return them as a set (None without targets).

    Iterative, so any depth works. With targets the walk is a post-order DFS: on a DAG every
    child of a node is finished before the node itself, so "reaches a target" is known for all
    children when a node is popped.
    """
    if targets is None:
        stack = list(roots)
        while stack:
            node = stack.pop()
            for nxt in node.next:
                if nxt is None:
                    continue
                s = slots.get(nxt)
                if s is None:
                    s = _new_slot(nxt)
                    slots[nxt] = s
                    stack.append(nxt)
                s.count += 1
        return None
    needed = set()
    stack = []  # slots of the nodes on the DFS path; each slot's pos is its next edge to walk
    for root in roots:
        s = slots[root]
        if s.visited:
            continue
        s.visited = True
        stack.append(s)
        while stack:
            s = stack[-1]
            node = s.node
            nexts = node.next
            i = s.pos
            if i < len(nexts):
                s.pos = i + 1
                nxt = nexts[i]
                if nxt is None:
                    continue
                ns = slots.get(nxt)
                if ns is None:
                    ns = _new_slot(nxt)
                    slots[nxt] = ns
                ns.count += 1
                if not ns.visited:
                    ns.visited = True
                    stack.append(ns)
                elif ns.needed:  # finished already (a DAG has no edge back to the path)
                    s.feeds = True
                continue
            stack.pop()
            if s.feeds or s.target:
                s.needed = True
                needed.add(node)
                if stack:
                    ps = stack[-1]
                    ps.feeds = True
    return needed


def _seed(outputs, grad_outputs, create_graph):
    """The slots of the outputs' nodes, seeded with their gradients, and the roots in order."""
    slots = {}
    roots = []
    for i in range(len(outputs)):
        t = outputs[i]
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        node = _edge(t)
        s = slots.get(node)
        if s is None:
            s = _new_slot(node)
            slots[node] = s
            roots.append(node)
        g = grad_outputs[i]
        if g is not None and (s.grad is None if t._output_nr == 0 else s.more is None):
            _add_grad(s, t._output_nr, g)
        elif g is not None:
            # Seeds for one node add up (differentiably under create_graph).
            prev = _set_grad_enabled(create_graph)
            try:
                _add_grad(s, t._output_nr, g)
            finally:
                _set_grad_enabled(prev)
    return slots, roots


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate):
    """Backpropagate from ``outputs`` seeded with ``grad_outputs``.

    With ``accumulate`` the leaves (all of them, or just ``inputs``) add into ``.grad``;
    without it the gradients of ``inputs`` are returned in order (None where unreached).
    """
    create_graph = True if create_graph else False  # grad mode holds a bool
    slots, roots = _seed(outputs, grad_outputs, create_graph)
    targets = None
    if inputs is not None:
        targets = {}
        for t in inputs:
            node = _edge(t) if t._requires_grad else None
            if node is not None and node not in targets:
                targets[node] = None
                s = slots.get(node)
                if s is None:
                    s = _new_slot(node)
                    slots[node] = s
                s.target = True
    needed = _graph_order(slots, roots, targets)

    ready = []
    for r in roots:
        s = slots[r]
        if s.count == 0:
            ready.append(s)
    anomaly = ANOMALY[0]
    prev_mode = _set_grad_enabled(create_graph)
    try:
        while ready:
            s = ready.pop()
            node = s.node
            g = _take(s)
            multi = node.n_outputs > 1
            if g is not None and node.hooks is not None:
                if multi:
                    _multi_hooks(node.hooks, g)
                else:
                    for hook in node.hooks:
                        r = hook(g)
                        if r is not None:
                            g = _hook_grad(hook, g, r)
            if s.target:
                targets[node] = g
                if not accumulate and node.variable is not None:
                    continue
            var = node.variable
            nh = node.node_hooks
            if var is not None:
                if accumulate and g is not None and (targets is None or s.target):
                    if nh is not None:
                        g = _pre_hooks(nh, g, False)
                    if _COMPILED and var._grad is None and node.hooks is None and _sole(g, 1):
                        # Nothing else holds g or its array: .grad takes it whole (a view's
                        # array as a tensor of its own, no view of the engine's tensors).
                        var._grad = g if g._base is None else _wrap(g._data)
                    else:
                        _accumulate_leaf(var, g, create_graph)
                    if nh is not None:
                        _leaf_post_hooks(nh, var, g)
                continue
            if node.retained is not None and g is not None:
                if multi:
                    _retain_multi(node.retained, g, create_graph)
                else:
                    _accumulate_leaf(node.retained, g, create_graph)
            run_vjp = g is not None and (needed is None or s.feeds)
            if run_vjp and nh is not None:
                g = _pre_hooks(nh, g, multi)
            if run_vjp:
                if anomaly is not None:
                    in_grads = anomaly(node, g, multi, needed)
                elif needed is None:
                    in_grads = node.op.vjp(node, *g) if multi else node.op.vjp(node, g)
                else:
                    node.wanted = needed
                    try:
                        in_grads = node.op.vjp(node, *g) if multi else node.op.vjp(node, g)
                    finally:
                        node.wanted = None
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
                if nh is not None and nh.lists[1]:
                    in_grads = _post_hooks(nh, node, in_grads, g, multi)
            g = None
            nxt_nodes = node.next
            nrs = node.next_nr
            for i in range(len(nxt_nodes)):
                nxt = nxt_nodes[i]
                if nxt is None:
                    continue
                ns = slots[nxt]
                if run_vjp and (needed is None or ns.needed):
                    gi = in_grads[i]
                    if gi is not None:
                        if node.shapes is not None:
                            gi = _fit(gi, node.shapes[i], node.dtypes[i])
                        _add_grad(ns, 0 if nrs is None else nrs[i], gi)
                c = ns.count - 1
                ns.count = c
                if c == 0:
                    ready.append(ns)
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


def _sole(g, refs):
    """(Compiled build only) Whether the engine holds the only ``refs`` references to gradient
    ``g`` and ``g`` is the only holder of its array (or its data an immutable NumPy scalar), so
    that a leaf's ``.grad`` may take ``g`` itself instead of a copy (PyTorch's AccumulateGrad
    steals such gradients too), or another gradient be added into it.
    """
    if g._requires_grad or _mt_refcnt(g) != refs:  # noqa: F821  (declared in _engine.pxd)
        return False
    gd = g._data
    if type(gd) is not ndarray:
        return _backends.is_host_scalar(gd)
    base = gd.base
    if base is not None:
        # A C-contiguous view of the whole of an array that nothing else holds (a transpose's
        # VJP of a transposed GEMM result: the weight gradient of x @ w.t()) is as good as that
        # array. References to the base: gd's and the local base, and the base tensor's where
        # ``g`` is a view tensor whose base tensor (held by ``g`` alone) holds that array.
        base_refs = 2
        bt = g._base
        if bt is not None:
            # References to the base tensor: g's field and the local bt.
            if bt._data is not base or _mt_refcnt(bt) != 2:  # noqa: F821
                return False
            base_refs = 3
        if (
            type(base) is not ndarray
            or base.base is not None
            or _mt_refcnt(base) != base_refs  # noqa: F821
            or not gd.flags.c_contiguous
            or gd.nbytes != base.nbytes
            or not base.flags.writeable
        ):
            return False
    if not gd.flags.writeable:
        return False
    # References to the array: g's field and the local gd.
    return _mt_refcnt(gd) == 2  # noqa: F821


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
            if type(gd) is not ndarray and _backends.is_host_scalar(gd):
                var._grad = _wrap(gd)  # an immutable NumPy scalar needs no copy
            else:
                # NOTE: a VJP may return a view shared with other gradients, so .grad gets a
                # copy.
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
