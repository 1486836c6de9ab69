"""The kernels of mytorch._ops.special_more: SciPy's Bessel, Airy, incomplete gamma and zeta
functions, and the orthogonal polynomials of torch.special (a mixin of the reference backend).

All run on the CPU only (NumPy arrays); on another device they raise NotImplementedError.

The polynomials take ``(x, n)``: n is truncated to an integer, n < 0 gives 0. They follow
torch's evaluation: the three-term recurrence, except at the points and ranges where torch
uses a closed form (|x| == 1, and the trigonometric forms for large n inside (-1, 1)), so
large n and |x| > 1 give torch's values (overflow included).
"""

import numpy as np
import scipy.special as _sp


def _cpu_only(backend, name):
    if backend.xp is not np:
        raise NotImplementedError(
            f"mytorch: {name} is computed on the CPU only (not on {backend.name})"
        )


def _scipy1(name, fn):
    """A one-input kernel: ``fn(x)`` (a SciPy function) in x's dtype, CPU only."""

    def kernel(self, x):
        _cpu_only(self, name)
        return np.asarray(fn(x)).astype(x.dtype, copy=False)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"{name}(x) by SciPy, in x's dtype (CPU only)."
    return kernel


def _scipy2(name, fn):
    """A two-input kernel: ``fn(x, y)`` broadcast, in the operands' (promoted) dtype."""

    def kernel(self, x, y):
        _cpu_only(self, name)
        x, y = _operands(x, y)
        if x.dtype.kind in "biu":  # torch computes in the promoted (integer) type: no kernel
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_title(x.dtype)}'")
        return np.asarray(fn(x, y)).astype(x.dtype, copy=False)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"{name}(x, y) by SciPy, broadcast, in the operands' dtype (CPU only)."
    return kernel


def _operands(x, y):
    """Two arrays of one dtype: a Python scalar takes the other operand's dtype."""
    if not hasattr(x, "dtype"):
        x = np.asarray(x, dtype=y.dtype)
    elif not hasattr(y, "dtype"):
        y = np.asarray(y, dtype=x.dtype)
    return np.asarray(x), np.asarray(y)


def _title(dtype):
    """torch's name of an integer or bool dtype in its messages."""
    if dtype.kind == "b":
        return "Bool"
    if dtype.kind == "u":
        return "Byte"
    return {1: "Char", 2: "Short", 4: "Int", 8: "Long"}[dtype.itemsize]


def _airy_ai(x):
    return _sp.airy(x)[0]


def _spherical_j0(x):
    return _sp.spherical_jn(0, x)


# --- the polynomials -----------------------------------------------------------------------------
def _recurrence(x, n, p0, p1, step):
    """p_n(x) by the recurrence p_{k+1} = (a * p_k + c) / d, (a, c, d) = step(k, x, p_{k-1}),
    from p0(x) and p1(x), elementwise over x and n (integer arrays, n >= 0).

    ``a * p_k + c`` is rounded once, as torch's compiled loop does (a fused multiply-add): it is
    computed in a wider type, so its product does not overflow on its own."""
    out = np.where(n == 0, p0(x), p1(x)).astype(x.dtype)
    todo = n >= 2
    if not todo.any():
        return out
    dt = x.dtype.type
    wide = np.float64 if x.dtype == np.float32 else np.longdouble
    xs, ns = x[todo], n[todo]
    p, q = p0(xs).astype(x.dtype), p1(xs).astype(x.dtype)
    with np.errstate(all="ignore"):
        for k in range(1, int(ns.max())):
            a, c, d = step(dt(k), xs, p)
            r = (a.astype(wide) * q.astype(wide) + np.asarray(c).astype(wide)).astype(x.dtype)
            if d is not None:
                r = r / d
            live = ns > k
            p, q = np.where(live, q, p), np.where(live, r, q)
    out[todo] = q
    return out


def _ones(x):
    return np.ones_like(x)


def _parity(n, even, odd):
    """``even`` where n is even, ``odd`` where n is odd."""
    return np.where(n % 2 == 0, even, odd)


def _chebyshev(kind, x, n, shifted):
    """Chebyshev polynomials of the four kinds (T, U, V, W), shifted: of 2x - 1."""
    u = x + x - 1 if shifted else x  # the argument of the unshifted polynomial
    nf = n.astype(x.dtype)
    p1 = {"t": lambda v: v, "u": lambda v: v + v, "v": lambda v: v + v - 1,
          "w": lambda v: v + v + 1}[kind]  # fmt: skip

    def arg(v):
        return v + v - 1 if shifted else v

    def step(k, v, p):
        w = arg(v)
        return w + w, -p, None

    out = _recurrence(x, n, _ones, lambda v: p1(arg(v)), step)
    at_one, at_minus = (x == 1, x == 0) if shifted else (x == 1, x == -1)
    ones = np.ones_like(out)
    if kind == "t":
        ends = (ones, _parity(n, ones, -ones))
        big = (n > 6) & (np.abs(u) < 1)
    elif kind == "u":
        ends = (nf + 1, _parity(n, nf + 1, -(nf + 1)))
        big = (n > (6 if shifted else 8)) & (np.abs(u) < 1)
    elif kind == "v":
        ends = (ones, _parity(n, nf + nf + 1, -(nf + nf + 1)))
        big = (n > (6 if shifted else 8)) & (np.abs(u) < 1)
    else:
        ends = (nf + nf + 1, _parity(n, ones, -ones))
        big = (n > (6 if shifted else 8)) & (np.abs(u) < 1)
    with np.errstate(all="ignore"):
        theta = np.arccos(np.where(big, u, 0)).astype(x.dtype)
        if kind == "t":
            trig = np.cos(nf * theta)
        elif kind == "u":
            s = np.sin(theta)
            trig = np.where(
                s != 0, np.sin((nf + 1) * theta) / s, (nf + 1) * np.cos((nf + 1) * theta) * u
            )
        elif kind == "v":
            c = np.cos(theta / 2)
            trig = np.where(c != 1, np.cos((nf + 0.5) * theta) / c, ends[1])
        else:
            s = np.sin(theta / 2)
            trig = np.where(s != 1, np.sin((nf + 0.5) * theta) / s, ends[0])
    out = np.where(big, trig, out)
    out = np.where(at_one, ends[0], np.where(at_minus, ends[1], out))
    return out


def _hermite_h(x, n):
    return _recurrence(x, n, _ones, lambda v: v + v, lambda k, v, p: (v + v, -((k + k) * p), None))


def _hermite_he(x, n):
    return _recurrence(x, n, _ones, lambda v: v, lambda k, v, p: (v, -(k * p), None))


def _laguerre(x, n):
    out = _recurrence(
        x, n, _ones, lambda v: 1 - v, lambda k, v, p: (k + k + (1 - v), -(k * p), k + 1)
    )
    return np.where(x == 0, np.ones_like(out), out)


def _legendre(x, n):
    out = _recurrence(x, n, _ones, lambda v: v, lambda k, v, p: ((k + k + 1) * v, -(k * p), k + 1))
    ones = np.ones_like(out)
    minus = np.where((n == 0) | (n % 2 == 0), ones, -ones)
    return np.where(x == 1, ones, np.where(x == -1, minus, out))


def _polynomial(name, fn):
    """A kernel ``fn(x, n)`` on broadcast arrays of x's dtype and integer n (n truncated);
    0 where n < 0."""

    def kernel(self, x, n):
        _cpu_only(self, name)
        x, n = _operands(x, n)
        x, n = np.broadcast_arrays(x, n)
        x = np.array(x, dtype=x.dtype)  # a writable copy
        with np.errstate(invalid="ignore"):
            ni = np.where(np.isfinite(n), n, 0).astype(np.int64)
        out = fn(x, np.maximum(ni, 0))
        return np.where(ni < 0, np.zeros_like(out), out).astype(x.dtype, copy=False)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"{name}(x, n) elementwise, in x's dtype (CPU only)."
    return kernel


class SpecialKernels:
    """Kernels of mytorch._ops.special_more (see base.KERNELS)."""

    airy_ai = _scipy1("airy_ai", _airy_ai)
    bessel_j0 = _scipy1("bessel_j0", _sp.j0)
    bessel_j1 = _scipy1("bessel_j1", _sp.j1)
    bessel_y0 = _scipy1("bessel_y0", _sp.y0)
    bessel_y1 = _scipy1("bessel_y1", _sp.y1)
    modified_bessel_k0 = _scipy1("modified_bessel_k0", _sp.k0)
    modified_bessel_k1 = _scipy1("modified_bessel_k1", _sp.k1)
    scaled_modified_bessel_k0 = _scipy1("scaled_modified_bessel_k0", _sp.k0e)
    scaled_modified_bessel_k1 = _scipy1("scaled_modified_bessel_k1", _sp.k1e)
    spherical_bessel_j0 = _scipy1("spherical_bessel_j0", _spherical_j0)
    erfcx = _scipy1("erfcx", _sp.erfcx)
    igamma = _scipy2("igamma", _sp.gammainc)
    igammac = _scipy2("igammac", _sp.gammaincc)
    zeta = _scipy2("zeta", _sp.zeta)
    chebyshev_polynomial_t = _polynomial(
        "chebyshev_polynomial_t", lambda x, n: _chebyshev("t", x, n, False)
    )
    chebyshev_polynomial_u = _polynomial(
        "chebyshev_polynomial_u", lambda x, n: _chebyshev("u", x, n, False)
    )
    chebyshev_polynomial_v = _polynomial(
        "chebyshev_polynomial_v", lambda x, n: _chebyshev("v", x, n, False)
    )
    chebyshev_polynomial_w = _polynomial(
        "chebyshev_polynomial_w", lambda x, n: _chebyshev("w", x, n, False)
    )
    shifted_chebyshev_polynomial_t = _polynomial(
        "shifted_chebyshev_polynomial_t", lambda x, n: _chebyshev("t", x, n, True)
    )
    shifted_chebyshev_polynomial_u = _polynomial(
        "shifted_chebyshev_polynomial_u", lambda x, n: _chebyshev("u", x, n, True)
    )
    shifted_chebyshev_polynomial_v = _polynomial(
        "shifted_chebyshev_polynomial_v", lambda x, n: _chebyshev("v", x, n, True)
    )
    shifted_chebyshev_polynomial_w = _polynomial(
        "shifted_chebyshev_polynomial_w", lambda x, n: _chebyshev("w", x, n, True)
    )
    hermite_polynomial_h = _polynomial("hermite_polynomial_h", _hermite_h)
    hermite_polynomial_he = _polynomial("hermite_polynomial_he", _hermite_he)
    laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", _laguerre)
    legendre_polynomial_p = _polynomial("legendre_polynomial_p", _legendre)
