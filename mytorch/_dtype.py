"""dtype objects, the default dtype, and PyTorch's type-promotion rules."""

import builtins

import numpy as np

try:
    import ml_dtypes
except ImportError:  # NOTE: a dependency of the package; without it there is no bfloat16
    ml_dtypes = None

# NOTE: categories order the promotion lattice: a higher category always wins over a lower one,
# whatever the item sizes (an int64 tensor plus a float16 tensor gives float16, as in PyTorch).
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type. Matches torch.dtype (printed as ``torch.float32``)."""

    __slots__ = (
        "name",
        "title",
        "np",
        "category",
        "itemsize",
        "is_floating_point",
        "is_complex",
        "is_signed",
    )

    def __init__(self, name, title, np_dtype, category):
        self.name = name
        self.title = title  # torch's ScalarType name, as its messages and type() spell it
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_floating_point = category == FLOAT
        self.is_complex = category == COMPLEX
        self.is_signed = category >= FLOAT or self.np.kind == "i"

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return self

    def to_complex(self):
        return complex64 if self is float32 or self.name == "bfloat16" else complex128


class _Unavailable(dtype):
    """A dtype whose NumPy type comes from a package that is not installed: it exists (so that
    ``torch.bfloat16`` in a script resolves) and raises ImportError where it is used."""

    __slots__ = ("package",)

    def __init__(self, name, title, itemsize, category, package):
        self.name = name
        self.title = title
        self.category = category
        self.itemsize = itemsize
        self.is_floating_point = category == FLOAT
        self.is_complex = category == COMPLEX
        self.is_signed = True
        self.package = package

    @property
    def np(self):
        raise ImportError(
            f"torch.{self.name} needs the {self.package} package, which is not installed: "
            f"pip install {self.package}"
        )


float16 = dtype("float16", "Half", np.float16, FLOAT)
float32 = dtype("float32", "Float", np.float32, FLOAT)
float64 = dtype("float64", "Double", np.float64, FLOAT)
complex64 = dtype("complex64", "ComplexFloat", np.complex64, COMPLEX)
complex128 = dtype("complex128", "ComplexDouble", np.complex128, COMPLEX)
int8 = dtype("int8", "Char", np.int8, INT)
int16 = dtype("int16", "Short", np.int16, INT)
int32 = dtype("int32", "Int", np.int32, INT)
int64 = dtype("int64", "Long", np.int64, INT)
uint8 = dtype("uint8", "Byte", np.uint8, INT)
bool_ = dtype("bool", "Bool", np.bool_, BOOL)

# bfloat16 through ml-dtypes (the NumPy extension JAX uses): arithmetic in float32, rounded back
if ml_dtypes is not None:
    bfloat16 = dtype("bfloat16", "BFloat16", ml_dtypes.bfloat16, FLOAT)
else:
    bfloat16 = _Unavailable("bfloat16", "BFloat16", 2, FLOAT, "ml-dtypes")

ALL = (float16, float32, float64, complex64, complex128, int8, int16, int32, int64, uint8, bool_)
if ml_dtypes is not None:
    ALL += (bfloat16,)
ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "cfloat": complex64,
    "cdouble": complex128,
    "short": int16,
    "int": int32,
    "long": int64,
    "bool": bool_,
}

# Python's number types, which torch takes as dtypes (dtype=float is float64, as in NumPy).
PY_TYPES = {float: float64, int: int64, bool: bool_, complex: complex128}

# NumPy dtype -> mytorch dtype. Keys are np.dtype instances, which hash like their type.
FROM_NP = {d.np: d for d in ALL}


def _by_name(name):
    return {d.name: d for d in ALL + (bfloat16,)}[name]


def from_numpy_dtype(np_dtype):
    """The mytorch dtype for a NumPy dtype; TypeError for dtypes PyTorch does not have."""
    try:
        return FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


_default = [float32]


def get_default_dtype():
    """Matches torch.get_default_dtype."""
    return _default[0]


def set_default_dtype(d):
    """Matches torch.set_default_dtype (float32 or float64)."""
    if d not in (float32, float64, float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def promote_types(a, b):
    """Matches torch.promote_types: the category decides first, NumPy's lattice within one."""
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == COMPLEX and lo is float64:
            return complex128
        return hi
    if a.itemsize == b.itemsize == 2 and a.category == FLOAT:
        return float32  # float16 with bfloat16: neither holds the other
    return FROM_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(value):
    """The dtype a Python scalar would take alone (PyTorch's wrapped-number rule)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, complex):
        return complex64 if _default[0] is float32 else complex128
    return _default[0]


def _combine(higher, lower):
    """Two priority classes' dtypes, ``higher`` of the higher priority: a lower one only matters
    when its category is higher (PyTorch's combine_categories)."""
    if higher is None:
        return lower
    if lower is None or higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        # NOTE: a float keeps its precision: float32 with a complex128 0-d tensor is complex64
        return higher.to_complex() if higher.category == FLOAT else lower
    if higher.category == FLOAT:
        return higher
    if higher is bool_ or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def _promote_all(dtypes):
    res = None
    for d in dtypes:
        res = d if res is None else promote_types(res, d)
    return res


def result_type(dims, zero_dims, scalars):
    """PyTorch's result_type from the dtypes of dimensioned tensors, 0-d tensors and Python scalars.

    NOTE: priority goes dimensioned > 0-d > scalar; a lower-priority operand only matters when its
    category is higher, and then it is promoted within its own class (scalars to the default dtype).
    """
    wrapped = _promote_all([scalar_dtype(s) for s in scalars])
    return _combine(_promote_all(dims), _combine(_promote_all(zero_dims), wrapped))


def _info_dtype(fname, type):
    if type is None:
        return _default[0]
    if not isinstance(type, dtype):
        raise TypeError(
            f"{fname}(): argument 'type' (position 1) must be torch.dtype, not "
            f"{builtins.type(type).__name__}"
        )
    return type


class finfo:
    """Matches torch.finfo: the limits of a floating-point dtype (the default dtype when none is
    given; a complex dtype gives its real part's)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        d = _info_dtype("finfo", type)
        if d.category < FLOAT:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                "'torch.finfo'"
            )
        real = {complex64: float32, complex128: float64}.get(d, d)
        f = ml_dtypes.finfo(real.np) if real is bfloat16 else np.finfo(real.np)
        self.bits = real.itemsize * 8
        self.eps = float(f.eps)
        self.max = float(f.max)
        self.min = float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = 10.0**-f.precision  # NOTE: torch: 10 ** -digits10, exactly
        self.dtype = real.name

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Matches torch.iinfo: the limits of an integer dtype."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        d = _info_dtype("iinfo", type)
        if d is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != INT:
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'"
            )
        i = np.iinfo(d.np)
        self.bits = d.itemsize * 8
        self.max = int(i.max)
        self.min = int(i.min)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
