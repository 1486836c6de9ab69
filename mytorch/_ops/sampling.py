"""Random samples of the common distributions: normal (every overload), bernoulli, multinomial,
poisson, randint_like, and the in-place Tensor methods random_, bernoulli_, exponential_,
geometric_, log_normal_ and cauchy_.

Each draws from the device's default generator or ``generator=`` (mytorch._random) through
its backend's ``random`` (uniform, normal, integers, poisson and multinomial kinds); the other
distributions are transforms of uniform or normal draws. The numbers are mytorch's own stream,
not torch's. NOTE: the results carry no gradient (torch's are zeros for normal's mean and
std, and none elsewhere).
"""

import math

from mytorch import _backends
from mytorch import _dtype as D
from mytorch import _random
from mytorch import _registry
from mytorch._core import TensorBase, _wrap
from mytorch._grad_mode import no_grad
from mytorch._ops._declare import declare
from mytorch._ops.creation import _draw, _int_arg, _randint_bounds, rand_like, randint, randn
from mytorch._ops.creation import randn_like
from mytorch._ops.pointwise import ceil, clamp, exp, log, tan, to_dtype
from mytorch._out import C_NAMES
from mytorch._views import _commit_inplace


def _not_implemented(kernel, dt):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{dt.title}'")


def _float_only(kernel, dt):
    if dt.category not in (D.FLOAT, D.COMPLEX):
        raise _not_implemented(kernel, dt)


def _tname(v):
    return "Tensor" if isinstance(v, TensorBase) else type(v).__name__


def _uniform64(t, generator):
    """Uniform [0, 1) draws of t's shape on t's device, in float64."""
    return rand_like(t, dtype=D.float64, generator=generator)


def _host_any(mask):
    return bool(mask.any().item())


# --- normal ----------------------------------------------------------------------------------
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):  # fmt: skip
    """Matches torch.normal's four overloads: (Tensor mean, Tensor std), (Tensor mean, float
    std), (float mean, Tensor std), each of their broadcast shape and dtype, and (float mean,
    float std, size) with ``dtype``/``device``."""
    mt, st = isinstance(mean, TensorBase), isinstance(std, TensorBase)
    if not (mt or st):
        if size is None:
            raise TypeError(
                f"normal() received an invalid combination of arguments - got ({_tname(mean)}, "
                f"{_tname(std)}), but expected one of:\n * (Tensor mean, Tensor std, *, "
                "torch.Generator generator = None, Tensor out = None)\n * (Tensor mean, float "
                "std = 1, *, torch.Generator generator = None, Tensor out = None)\n * (float "
                "mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n * "
                "(float mean, float std, tuple of ints size, *, torch.Generator generator = "
                "None, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                "torch.device device = None, bool pin_memory = False, bool requires_grad = "
                "False)\n"
            )
        _check_std(std)
        with no_grad():
            r = randn(*size, generator=generator, dtype=dtype, device=device) * std + mean
    else:
        if st:
            if _host_any(std < 0):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        else:
            _check_std(std)
        if mt and st:
            dt = D.promote_types(mean.dtype, std.dtype)
        else:
            dt = (mean if mt else std).dtype
        _float_only("normal_kernel_cpu", dt)
        with no_grad():
            zero = mean * 0 + std * 0  # the broadcast shape, with torch's error where none is
            z = randn_like(zero, dtype=dt, generator=generator)
            r = to_dtype(z * std + mean, dt)
    if requires_grad:
        r.requires_grad_()
    return r if out is None else out.copy_(r)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


# --- bernoulli, poisson, multinomial ---------------------------------------------------------
def bernoulli(input, p=None, *, generator=None, out=None):
    """Matches torch.bernoulli: 1 with probability ``input`` (or ``p``) and 0 otherwise, in
    input's dtype."""
    if p is None:
        _float_only("bernoulli_tensor_cpu_p_", input.dtype)
        with no_grad():
            if _host_any((input < 0) | (input > 1)):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
            p = to_dtype(input, D.float64)
    else:
        _check_p("bernoulli_", p)
    with no_grad():
        r = to_dtype(_uniform64(input, generator) < p, input.dtype)
    return r if out is None else out.copy_(r)


def _check_p(name, p):
    if isinstance(p, TensorBase):
        return
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={p:g}")


def poisson(input, generator=None):
    """Matches torch.poisson: counts drawn with rates ``input`` (a float tensor, its dtype)."""
    _float_only("poisson_cpu", input.dtype)
    with no_grad():
        if _host_any(input < 0):
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        rates = to_dtype(input, D.float64).contiguous()
        _registry.sync(rates)
        be = _backends.for_array(rates._data)
        gen = _random.draw_from(be, generator, "poisson")
        a = be.random(gen, "poisson", tuple(input.shape), input.dtype.np, rates._data)
    return _wrap(be.scalar(a))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Matches torch.multinomial: ``num_samples`` category indices per row of the weights
    ``input`` (1-D or 2-D), with or without replacement (int64)."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.category != D.FLOAT:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype.title}"
        )
    n = _int_arg("multinomial", "num_samples", 2, num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and n > k:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    with no_grad():
        probs = to_dtype(input, D.float64).reshape(-1, k).contiguous()
        if _host_any((probs < 0) | (probs != probs) | (probs == math.inf)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if _host_any(probs.sum(1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        _registry.sync(probs)
        be = _backends.for_array(probs._data)
        gen = _random.draw_from(be, generator, "multinomial")
        rows = probs.shape[0]
        a = be.random(gen, "multinomial", (rows, n), D.int64.np, probs._data, n, replacement)
    r = _wrap(be.scalar(a))
    r = r.reshape(n) if input.dim() == 1 else r
    return r if out is None else out.copy_(r)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None,
                 requires_grad=False, memory_format=None, layout=None):  # fmt: skip
    """Matches torch.randint_like: randint(low, high) of input's shape (``randint_like(input,
    high)`` draws from [0, high)), in input's dtype and device unless given."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)  # fmt: skip


# --- in-place methods ------------------------------------------------------------------------
def _integer_limit(dt):
    """The largest value random_() draws for dtype ``dt`` (inclusive)."""
    if dt.category == D.FLOAT:
        return 1 << {D.float16: 11, D.float32: 24, D.float64: 53}[dt]
    if dt is D.bool_:
        return 1
    return D.iinfo(dt).max


_UNSET = object()


def random_(self, from_=_UNSET, to=None, *, generator=None, **kwargs):
    """Matches torch.Tensor.random_: integers in [from, to) (``random_(to)``: [0, to);
    ``random_(from=f)``: f up to the largest integer the dtype holds exactly; ``random_()``:
    from 0 to that integer, both included)."""
    named_from = "from" in kwargs
    if named_from:
        from_ = kwargs.pop("from")
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    dt = self.dtype
    for v in (from_, to):
        if v is not _UNSET and v is not None:
            if isinstance(v, (bool, float)) or not hasattr(v, "__index__"):
                raise TypeError(f"random_(): argument 'from' must be int, not {_tname(v)}")
    if dt.category == D.COMPLEX:
        raise _not_implemented("random_from_to", dt)
    top = _integer_limit(dt) + 1
    if from_ is _UNSET:
        low, high = (0, top) if to is None else _randint_bounds(0, to, dt)
    elif to is None and not named_from:
        low, high = _randint_bounds(0, from_, dt)  # random_(to)
    elif to is None:
        low, high = _randint_bounds(from_, top - 1, dt)[0], top
    else:
        low, high = _randint_bounds(from_, to, dt)
    with no_grad():
        r = _draw("random_", "integers", tuple(self.shape), D.int64.np, self.device, False,
                  generator, low, high)  # fmt: skip
        r = to_dtype(r, dt)
    return _commit_inplace(self, r)


def bernoulli_(self, p=0.5, *, generator=None):
    """Matches torch.Tensor.bernoulli_: 1 with probability ``p`` (a number or a tensor that
    broadcasts to self), else 0, in self's dtype."""
    _check_p("bernoulli_", p)
    with no_grad():
        r = to_dtype(_uniform64(self, generator) < p, self.dtype)
    return _commit_inplace(self, r)


def _continuous(name, dt):
    if dt.category != D.FLOAT:
        raise RuntimeError(
            f"{name} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {(dt.title if name == 'Exponential' else C_NAMES[dt])}"
        )


def exponential_(self, lambd=1.0, *, generator=None):
    """Matches torch.Tensor.exponential_: -log(1 - U) / lambd."""
    _continuous("Exponential", self.dtype)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    with no_grad():
        r = to_dtype(-log(1 - _uniform64(self, generator)) / lambd, self.dtype)
    return _commit_inplace(self, r)


def geometric_(self, p, *, generator=None):
    """Matches torch.Tensor.geometric_: the number of Bernoulli(p) trials up to the first
    success, ceil(log(1 - U) / log(1 - p)), at least 1."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    with no_grad():
        g = ceil(log(1 - _uniform64(self, generator)) / math.log1p(-p))
        r = to_dtype(clamp(g, min=1), self.dtype)
    return _commit_inplace(self, r)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Matches torch.Tensor.log_normal_: exp(mean + std * Z)."""
    _float_only("log_normal_cpu", self.dtype)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    with no_grad():
        z = randn_like(self, dtype=D.float64, generator=generator)
        r = to_dtype(exp(z * std + mean), self.dtype)
    return _commit_inplace(self, r)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Matches torch.Tensor.cauchy_: median + sigma * tan(pi * (U - 1/2))."""
    _continuous("Cauchy", self.dtype)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    with no_grad():
        c = tan((_uniform64(self, generator) - 0.5) * math.pi) * sigma + median
        r = to_dtype(c, self.dtype)
    return _commit_inplace(self, r)


declare(normal)
declare(bernoulli, method=True)
declare(poisson)
declare(multinomial, method=True)
declare(randint_like)
for _fn in (random_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_):
    declare(_fn, namespace=(), method=True)

__all__ = []
INTERNAL = []
