"""vmap's batched tensors, its levels and its op hook.

A batched tensor at vmap level ``L`` is a Tensor (BatchedTensor) whose data is a ``Batched``: a
physical tensor ``phys`` that holds the batch in its dim 0, and the logical shape without it
(what ``shape``, ``ndim`` and every op see). ``phys`` may itself be batched at a lower level
(nested vmap): the wrappers nest with the highest level outside, so the innermost plain tensor
holds one dim per level, in ascending level order, then the logical dims.

While a level is active, vmap's hook is the first op hook of the hot path (mytorch._core's
``_FW``; forward AD's goes under it, in ``_registry.VMAP[0]``). An op whose inputs are batched
at some level runs by the batching rule of its op or family (mytorch.func._rules) on the
physical tensors of the highest level present, with its parameters translated (dims shifted
past the batch dim, shapes given the batch size); the rule's ops go through the hook again for
the lower levels. An op without a rule runs once per example and the results are stacked (the
slow path, as torch's fallback). When no vmap is active the hot path pays nothing: its hook
check is the one forward AD already has.

Autograd stays physical: the nodes are recorded on the plain tensors under the wrappers, so
``func.grad`` and ``func.vjp`` differentiate the physical computation (mytorch.func._transforms).
"""

from mytorch import _backends
from mytorch._applyn import apply_multi
from mytorch._core import _FW, Tensor, TensorBase, apply1, apply2
from mytorch._registry import OPS
from mytorch._registry import F as _F
from mytorch._registry import VMAP as _VMAP
from mytorch.autograd.function import Function, FunctionCtx

# The active vmap levels, outermost first: [level, batch size, randomness].
LEVELS = []
_NEXT = [0]
RULES = {}  # op name -> batching rule (mytorch.func._rules fills it)


class Batched:
    """The data of a batched tensor: ``phys`` (batch in dim 0) at ``level``; ``shape``,
    ``ndim``, ``dtype`` and ``size`` are the logical ones. Other attributes (a bounds check's
    min and max) are read from the physical array."""

    __slots__ = ("phys", "level", "shape", "ndim", "dtype", "size")

    def __init__(self, phys, level):
        s = tuple(phys.shape)
        self.phys = phys
        self.level = level
        self.shape = s[1:]
        self.ndim = len(s) - 1
        self.dtype = phys._data.dtype
        n = 1
        for k in s[1:]:
            n *= k
        self.size = n

    def __getattr__(self, name):
        if name in _PHYSICAL_ATTRS:
            return getattr(self.phys._data, name)
        raise AttributeError(f"vmap: a batched tensor's data has no {name!r}")

    def reshape(self, *shape, order="C"):
        """The physical array reshaped as the logical one would be (a backend's can_view)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return self.phys._data.reshape((self.phys.shape[0],) + tuple(shape), order=order)

    def __getitem__(self, index):
        """The logical first example's ``[index]`` (what a shape check of setitem reads)."""
        index = index if type(index) is tuple else (index,)
        index = tuple(i[()] if type(i) is Batched else i for i in index)  # its first example
        return self.phys._data[(0,) + index]

    def astype(self, dtype, copy=True):
        """The same batch in ``dtype`` (an in-place write's cast of its result)."""
        return Batched(apply1(OPS["to_dtype"], self.phys, (dtype,)), self.level)


# What a Batched reads from its physical array: a bounds check's reductions over every example
# (and an error check's codes, flattened),
# and the layout a backend's can_view compares.
_PHYSICAL_ATTRS = frozenset(
    ("min", "max", "any", "all", "ravel", "flags", "strides", "itemsize", "nbytes", "base",
     "__array_interface__")
)  # fmt: skip


class _ByPhysical:
    """The backend of a Batched: that of its physical data (creation functions such as
    zeros_like make plain tensors of the logical shape on that device)."""

    def for_array(self, x):
        return _backends.for_array(x.phys._data)


class BatchedTensor(Tensor):
    """A tensor batched at a vmap level (see the module's docstring). ``_home`` is the data it
    was made with: an in-place write (which rebinds ``_data``) is copied into that physical
    memory, so that views of it see the write."""

    __slots__ = ("_home",)
    _vmap_checks_storage = True  # as_strided's bounds: torch's vmap check (func._rules_more)

    def detach(self):
        return wrap(self._data.phys.detach(), self._data.level)

    @property
    def requires_grad(self):
        return self._data.phys.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._data.phys.requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._data.phys.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._data.phys.grad_fn

    # the logical layout: each example's (the first's storage offset)
    def stride(self, dim=None):
        st = tuple(self._data.phys.stride())[1:]
        return st if dim is None else st[dim]

    def storage_offset(self):
        return self._data.phys.storage_offset()

    def is_contiguous(self, memory_format=None):
        want = 1
        for n, st in zip(reversed(self.shape), reversed(self.stride())):
            if n == 0:
                return True
            if n != 1 and st != want:
                return False
            want *= n
        return True

    def _physical_dim(self, d):
        """torch's vmap error for dim ``d`` (wrapped) of a 0-d example, which flip and roll
        look up on the physical tensor (a dim past its last)."""
        n = self.ndim + 1
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d + 1})"
        )

    def item(self):
        raise RuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
            "calling .item() on a Tensor, please try to rewrite what you're doing with other "
            "operations."
        )

    def __bool__(self):
        raise RuntimeError(
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please shout over at "
            "https://github.com/pytorch/functorch/issues/257 ."
        )

    def __repr__(self):
        d = self._data
        return f"BatchedTensor(lvl={d.level}, bdim=0, value=\n{d.phys!r}\n)"


def wrap(phys, level):
    """``phys`` (batch in dim 0) as a tensor batched at ``level``."""
    t = BatchedTensor.__new__(BatchedTensor)
    t._data = t._home = Batched(phys, level)
    t._requires_grad = phys._requires_grad
    t._grad = None
    t._grad_fn = phys._grad_fn  # a leaf exactly when its physical tensor is one
    t._acc = None
    t._retains_grad = False
    t._vc = None
    t._base = None
    t._view = None
    t._output_nr = 0
    return t


def level_of(x):
    """The level ``x`` is batched at (its outermost), -1 if none."""
    if isinstance(x, TensorBase):
        d = x._data
        if type(d) is Batched:
            return d.level
    return -1


def size_of(level):
    for lv in LEVELS:
        if lv[0] == level:
            return lv[1]
    raise RuntimeError("vmap: a batched tensor escaped the vmap that made it")


def unwrap(x, level):
    """(the physical tensor, True) for ``x`` batched at ``level``, else (``x``, False)."""
    if isinstance(x, TensorBase):
        d = x._data
        if type(d) is Batched and d.level == level:
            return d.phys, True
    return x, False


# --- entering and leaving a level ---------------------------------------------------------------
def push(size, randomness):
    level = _NEXT[0]
    _NEXT[0] += 1
    if not LEVELS:
        _backends._multi[Batched] = _BY_PHYSICAL
        _VMAP[0] = _FW[0]
        _VMAP[1] = _random_draw
        _VMAP[2] = _grad_in_vmap
        _FW[0] = _HOOK
    LEVELS.append([level, size, randomness])
    return level


def pop(level):
    while LEVELS and LEVELS[-1][0] >= level:
        LEVELS.pop()
    if not LEVELS:
        _FW[0] = _VMAP[0]
        _VMAP[0] = None
        _VMAP[1] = None
        _VMAP[2] = None


_BY_PHYSICAL = _ByPhysical()


# --- running an op ------------------------------------------------------------------------------
def call(fn, op, inputs, params, kernel=None, save=()):
    """Apply ``op`` as ``fn`` (apply1, apply2, applyn, apply_multi, applyn_multi) would."""
    if fn is apply1:
        return apply1(op, inputs[0], params)
    if fn is apply2:
        return apply2(op, inputs[0], inputs[1], params)
    if fn is apply_multi:
        return apply_multi(op, inputs[0], params, kernel, save)
    return fn(op, tuple(inputs), params)


def _plain(fn, op, inputs, params, kernel, save):
    """An op with no batched input: the hook under vmap's, else the op itself."""
    down = _VMAP[0]
    if down is not None:
        return down(fn, op, inputs, params, kernel, save)
    prev = _FW[0]
    _FW[0] = None
    try:
        return call(fn, op, inputs, params, kernel, save)
    finally:
        _FW[0] = prev


def _top_level(inputs, params):
    lvl = -1
    for x in inputs:
        if isinstance(x, TensorBase):
            d = x._data
            if type(d) is Batched and d.level > lvl:
                lvl = d.level
    for p in params:
        if type(p) is tuple:
            for q in p:
                if type(q) is Batched and q.level > lvl:
                    lvl = q.level
        elif type(p) is Batched and p.level > lvl:
            lvl = p.level
    return lvl


def wrap_out(out, level):
    if isinstance(out, (tuple, list)):
        return type(out)(wrap_out(o, level) for o in out)
    if isinstance(out, TensorBase):
        return wrap(out, level)
    return out


class _Hook:
    """vmap's op hook (see the module's docstring)."""

    def __call__(self, fn, op, inputs, params, kernel=None, save=()):
        lvl = _top_level(inputs, params)
        if lvl < 0:
            return _plain(fn, op, inputs, params, kernel, save)
        size = size_of(lvl)
        rule = RULES.get(op.name)
        if rule is not None:
            out = rule(fn, op, inputs, params, lvl, size, kernel, save)
            if out is not NotImplemented:
                return wrap_out(out, lvl)
        return wrap_out(loop(fn, op, inputs, params, lvl, size, kernel, save), lvl)

    def function(self, cls, args):
        """A custom autograd.Function applied to batched tensors: its ``vmap`` staticmethod,
        or with ``generate_vmap_rule = True`` its forward once per example."""
        lvl = _top_level(args, ())
        if lvl < 0:
            down = _VMAP[0]
            if down is not None:
                return down.function(cls, args)
            return cls.apply(*args, _ctx=FunctionCtx())
        if cls.setup_context is Function.setup_context:
            raise RuntimeError(
                "In order to use an autograd.Function with functorch transforms (vmap, grad, "
                "jvp, jacrev, ...), it must override the setup_context staticmethod. For more "
                "details, please see https://pytorch.org/docs/main/notes/extending.func.html"
            )
        size = size_of(lvl)
        if cls.generate_vmap_rule:
            outs = []
            for b in range(size):
                outs.append(cls.apply(*[_slice(a, lvl, b) for a in args]))
            return wrap_out(_stack_results(outs), lvl)
        if cls.vmap is Function.vmap:
            raise RuntimeError(
                f"You tried to vmap over {cls.__name__}, but it does not have vmap support. "
                "Please override and implement the vmap staticmethod or set "
                "generate_vmap_rule=True. For more details, please see "
                "https://pytorch.org/docs/main/notes/extending.func.html"
            )
        unwrapped = [unwrap(a, lvl) for a in args]
        in_dims = tuple(0 if b else None for _, b in unwrapped)
        info = VmapInfo(size, _randomness(lvl))
        out, out_dims = cls.vmap(info, in_dims, *[u for u, _ in unwrapped])
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        dims = (out_dims,) * len(outs) if not isinstance(out_dims, tuple) else out_dims
        res = []
        for o, d in zip(outs, dims):
            if d is None or not isinstance(o, TensorBase):
                res.append(o)
            else:
                res.append(wrap(_F.movedim(o, d, 0), lvl))
        return res[0] if single else tuple(res)

    def inplace(self, t, r):
        """``t`` was written in place with ``r``'s values (its data rebound to r's): the values
        go into t's physical memory (an in-place copy there, for the lower levels and autograd),
        and t reads that memory again."""
        if type(t) is BatchedTensor and t._data is not t._home:
            home = t._home
            new = t._data
            p = new.phys if type(new) is Batched and new.level == home.level else None
            if p is None:
                raise RuntimeError(
                    "vmap: an in-place write into a batched tensor with a value batched "
                    "elsewhere is not supported"
                )
            home.phys.copy_(p)
            t._data = home
            return
        down = _VMAP[0]
        if down is not None:
            down.inplace(t, r)

    def inplace_view(self, t, v):
        down = _VMAP[0]
        if down is not None:
            down.inplace_view(t, v)


_HOOK = _Hook()


class VmapInfo:
    """What an autograd.Function's vmap staticmethod receives (torch's VmapInfo)."""

    __slots__ = ("batch_size", "randomness")

    def __init__(self, batch_size, randomness):
        self.batch_size = batch_size
        self.randomness = randomness


def _randomness(level):
    for lv in LEVELS:
        if lv[0] == level:
            return lv[2]
    return "error"


# --- the fallback: once per example -----------------------------------------------------------
def _slice(x, level, b):
    if isinstance(x, TensorBase):
        d = x._data
        if type(d) is Batched and d.level == level:
            return d.phys[b]
        return x
    if type(x) is Batched and x.level == level:
        return x.phys[b]._data
    if type(x) is tuple:
        return tuple(_slice(y, level, b) for y in x)
    if type(x) is list:
        return [_slice(y, level, b) for y in x]
    return x


def _stack_results(outs):
    first = outs[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_stack_results([o[i] for o in outs]) for i in range(len(first)))
    if isinstance(first, TensorBase):
        return _F.stack(list(outs), 0)
    return first


def loop(fn, op, inputs, params, level, size, kernel=None, save=()):
    """The op once per example, the results stacked (ops without a batching rule)."""
    outs = []
    for b in range(size):
        ins = [_slice(x, level, b) for x in inputs]
        ps = tuple(_slice(p, level, b) for p in params)
        outs.append(call(fn, op, ins, ps, kernel, save))
    return _stack_results(outs)


# --- random draws -------------------------------------------------------------------------------
def _random_draw(draw, fname, kind, shape, npdt, device, requires_grad, generator, *args):
    """A random function inside vmap: an error (randomness='error'), one draw for the whole
    batch ('same'), or one per example ('different')."""
    different = []
    for lv in LEVELS:
        if lv[2] == "error":
            raise RuntimeError(
                "vmap: called random operation while in randomness error mode. Please either "
                "use the 'same' or 'different' randomness flags on vmap or perform the "
                "randomness operation out of vmap"
            )
        if lv[2] == "different":
            different.append(lv)
    if not different:
        return draw(fname, kind, shape, npdt, device, requires_grad, generator, *args)
    lead = tuple(lv[1] for lv in different)
    out = draw(fname, kind, lead + tuple(shape), npdt, device, requires_grad, generator, *args)
    for lv in different:
        out = wrap(out, lv[0])
    return out


# --- between wrappers and plain tensors -----------------------------------------------------------
def peel(x):
    """(the plain tensor under ``x``'s wrappers, the levels of its leading dims, ascending)."""
    levels = []
    while isinstance(x, TensorBase) and type(x._data) is Batched:
        levels.append(x._data.level)
        x = x._data.phys
    return x, levels[::-1]


def to_full(x, active):
    """The plain tensor of ``x`` with a leading dim for each level of ``active`` ((level, size)
    pairs, ascending), expanded along the levels ``x`` is not batched at."""
    p, levels = peel(x)
    for i, (lv, size) in enumerate(active):
        if lv not in levels:
            s = tuple(p.shape)
            p = _F.expand(_F.unsqueeze(p, i), s[:i] + (size,) + s[i:])
    return p


def rewrap(p, active):
    """Plain ``p`` with a leading dim per level of ``active`` as a tensor batched at them."""
    for lv, _ in active:
        p = wrap(p, lv)
    return p


def _grad_in_vmap(grad, outputs, inputs, grad_outputs, kw):
    """autograd.grad of batched outputs with respect to batched inputs, inside vmap: the
    physical graph differentiated (each example's outputs depend on its own inputs)."""
    if not any(isinstance(t, TensorBase) and type(t._data) is Batched for t in outputs + inputs):
        return NotImplemented
    active = [(lv[0], lv[1]) for lv in LEVELS]
    ins = []
    in_levels = []
    for x in inputs:
        p, lv = peel(x) if isinstance(x, TensorBase) else (x, [])
        ins.append(p)
        in_levels.append(lv)
    out_levels = set()
    for o in outputs:
        out_levels |= set(peel(o)[1])
    if any(not out_levels <= set(lv) for lv in in_levels):
        return _grad_per_example(grad, outputs, ins, in_levels, grad_outputs, kw, active)
    outs = []
    for o in outputs:
        outs.append(to_full(o, [a for a in active if a[0] in peel(o)[1]]))
    if grad_outputs is None:
        gos = [_F.ones_like(p) if o.numel() == 1 else None for o, p in zip(outputs, outs)]
    else:
        gos = grad_outputs if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        gos = [
            None if g is None else to_full(g, [a for a in active if a[0] in peel(o)[1]])
            for g, o in zip(gos, outputs)
        ]  # fmt: skip
    res = grad(tuple(outs), tuple(ins), tuple(gos), **kw)
    return tuple(
        None if r is None else rewrap(r, [a for a in active if a[0] in lv])
        for r, lv in zip(res, in_levels)
    )


def _grad_per_example(grad, outputs, ins, in_levels, grad_outputs, kw, active):
    """autograd.grad of batched outputs with respect to inputs some of which are not batched at
    their levels (shared by the examples): one backward pass per example, each input's gradient
    taken at that example's coordinates, stacked (the slow path)."""
    outs = [to_full(o, active) for o in outputs]
    lead = tuple(size for _, size in active)
    n = 1
    for s in lead:
        n *= s
    if grad_outputs is None:
        gos = [_F.ones_like(p) if o.numel() == 1 else None for o, p in zip(outputs, outs)]
    else:
        gos = grad_outputs if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        gos = [None if g is None else to_full(g, active) for g in gos]
    flat = [_F.reshape(o, (n,) + tuple(o.shape)[len(lead) :]) for o in outs]
    gflat = [None if g is None else _F.reshape(g, (n,) + tuple(g.shape)[len(lead) :]) for g in gos]
    kw = dict(kw)
    kw["retain_graph"] = True
    rows = []
    for k in range(n):
        got = grad(tuple(o[k] for o in flat), tuple(ins),
                   tuple(None if g is None else g[k] for g in gflat), **kw)  # fmt: skip
        coords = []
        rest = k
        for size in reversed(lead):
            rest, c = divmod(rest, size)
            coords.insert(0, c)
        at = {lv: c for (lv, _), c in zip(active, coords)}
        rows.append([None if g is None else (g[tuple(at[lv] for lv in levels)] if levels else g)
                     for g, levels in zip(got, in_levels)])  # fmt: skip
    res = []
    for j, x in enumerate(ins):
        got = [r[j] for r in rows]
        if all(g is None for g in got):
            res.append(None)
            continue
        shape = tuple(x.shape)[len(in_levels[j]) :]
        got = [_F.zeros(shape, dtype=x.dtype, device=x.device) if g is None else g for g in got]
        res.append(rewrap(_F.reshape(_F.stack(got, 0), lead + shape), active))
    return tuple(res)
