"""The math kernels that are not one function of the array module: a mixin of the reference
backend (mytorch._backends.reference.Backend), written once against ``xp``.

Two kinds:

- kernels composed of ``xp`` functions (rsqrt, frac, xlogy, xlog1py, logit, entr), which run on
  every device;
- SciPy's special functions (erf, gammaln, the Bessel functions, ...). SciPy computes on NumPy
  arrays only, so these run on the CPU; on another device they raise NotImplementedError.
"""

import cmath

import numpy as np
import scipy.special as _sp


def _scipy_kernel(name, sp_name):
    """A kernel calling scipy.special.<sp_name> on a NumPy array, in the array's dtype."""
    fn = getattr(_sp, sp_name)

    def kernel(self, x, *params):
        if self.xp is not np:
            raise NotImplementedError(
                f"mytorch: {name} is computed by SciPy, on the CPU only (not on {self.name})"
            )
        out = fn(*params, x) if params else fn(x)
        return out.astype(x.dtype, copy=False)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = f"scipy.special.{sp_name}(x) in x's dtype (CPU only)."
    return kernel


class MathKernels:
    """Kernels of mytorch._ops.math and mytorch._ops.special_fns (see base.KERNELS), and
    all_finite (a utility: anomaly mode's check of each gradient)."""

    def all_finite(self, x):
        if x.size == 1:
            return cmath.isfinite(x.item())  # one entry (a 0-d gradient): no array kernel
        return bool(self.xp.isfinite(x).all())

    def _pair(self, x, y):
        """The two operands as arrays of one dtype: a Python scalar takes the array's dtype."""
        xp = self.xp
        if not hasattr(x, "dtype"):
            x = xp.asarray(x, dtype=y.dtype)
        elif not hasattr(y, "dtype"):
            y = xp.asarray(y, dtype=x.dtype)
        return x, y

    def rsqrt(self, x):
        """1 / sqrt(x)."""
        return (1 / self.xp.sqrt(x)).astype(x.dtype, copy=False)

    def frac(self, x):
        """x - trunc(x): the fractional part, with x's sign."""
        if x.dtype.kind in "biu":
            title = {"b": "Bool", "i": "Long", "u": "Byte"}[x.dtype.kind]
            raise NotImplementedError(f"\"frac_cpu\" not implemented for '{title}'")
        return x - self.xp.trunc(x)

    def xlogy(self, x, y):
        """x * log(y), 0 where x == 0 (unless y is NaN)."""
        xp = self.xp
        x, y = self._pair(x, y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(x), x * xp.log(y))

    def xlog1py(self, x, y):
        """x * log1p(y), 0 where x == 0 (unless y is NaN)."""
        xp = self.xp
        x, y = self._pair(x, y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(x), x * xp.log1p(y))

    def logit(self, x, eps):
        """log(x / (1 - x)), x first clamped to [eps, 1 - eps] unless eps is None."""
        xp = self.xp
        if eps is not None:
            x = xp.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        return xp.log(x / (1 - x))

    def entr(self, x):
        """-x * log(x) for x > 0, 0 at 0, -inf below (NaN kept)."""
        xp = self.xp
        inner = xp.where(x == 0, xp.zeros_like(x), -x * xp.log(xp.where(x > 0, x, 1)))
        return xp.where(x < 0, xp.full_like(x, -np.inf), inner)

    erf = _scipy_kernel("erf", "erf")
    erfc = _scipy_kernel("erfc", "erfc")
    erfinv = _scipy_kernel("erfinv", "erfinv")
    gammaln = _scipy_kernel("gammaln", "gammaln")
    digamma = _scipy_kernel("digamma", "psi")
    polygamma = _scipy_kernel("polygamma", "polygamma")
    i0 = _scipy_kernel("i0", "i0")
    i0e = _scipy_kernel("i0e", "i0e")
    i1 = _scipy_kernel("i1", "i1")
    i1e = _scipy_kernel("i1e", "i1e")
    ndtr = _scipy_kernel("ndtr", "ndtr")
    ndtri = _scipy_kernel("ndtri", "ndtri")
    log_ndtr = _scipy_kernel("log_ndtr", "log_ndtr")
