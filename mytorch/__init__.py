"""mytorch: PyTorch's autograd API on NumPy, with a Cython-compiled hot path.

Write ``import mytorch as torch`` at the top of a PyTorch script.
"""

from mytorch import _blas_env  # noqa: F401  (NOTE: first: it loads NumPy's and SciPy's BLAS)
from mytorch._dtype import (
    bfloat16,
    bool_ as bool,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from mytorch._device import device, get_default_device, set_default_device
from mytorch._grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from mytorch._core import Size, Tensor
from mytorch import _ops, _registry
from mytorch._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from mytorch._build import build_info, compiled
from mytorch._threads import get_num_threads, set_num_threads
from mytorch._repr import set_printoptions
from mytorch import autograd, cuda, fft, linalg, nn, optim, special
from mytorch.autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from mytorch.autograd.anomaly_mode import set_anomaly_enabled
from mytorch import func
from mytorch import serialization
from mytorch.serialization import load, save
from mytorch import amp, backends, utils
from mytorch import distributed
from mytorch.cuda import amp as _cuda_amp  # noqa: F401 (makes mytorch.cuda.amp)
from mytorch.amp import autocast
from mytorch.amp.autocast_mode import get_autocast_dtype, is_autocast_enabled
from mytorch._compile import compile
from mytorch._settings import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from mytorch import viz  # graph pictures (mytorch only)

# Every function declared (or written by hand) in the torch namespace, now and later.
_registry.open_namespace("torch", globals())

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128

# torch's constants: torch.e, torch.pi, torch.inf, torch.nan, and torch.newaxis (None)
from math import e, inf, nan, pi  # noqa: E402

newaxis = None

from mytorch._version import __version__  # noqa: E402 (the one place the version is written)
