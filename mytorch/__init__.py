"""mytorch: PyTorch's autograd API on NumPy, with a Cython-compiled hot path.

Write ``import mytorch as torch`` at the top of a PyTorch script.
"""

from mytorch import _dtype
from mytorch._dtype import (
    bool_ as bool,
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from mytorch._core import Size, is_grad_enabled
from mytorch._tensor import Tensor
from mytorch._device import device
from mytorch._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from mytorch._random import initial_seed, manual_seed, seed
from mytorch._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from mytorch._ops import (
    abs,
    absolute,
    add,
    amax,
    amin,
    bmm,
    broadcast_to,
    cat,
    clone,
    concat,
    cos,
    div,
    dot,
    eq,
    exp,
    flatten,
    ge,
    gt,
    le,
    log,
    lt,
    matmul,
    maximum,
    mean,
    minimum,
    mm,
    mul,
    narrow,
    ne,
    neg,
    negative,
    permute,
    pow,
    relu,
    reshape,
    rsub,
    select,
    sigmoid,
    sign,
    sin,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    swapaxes,
    t,
    tan,
    tanh,
    transpose,
    unsqueeze,
    where,
)
from mytorch._functions import (
    allclose,
    clamp,
    equal,
    is_tensor,
    log_softmax,
    logsumexp,
    max,
    min,
    numel,
    outer,
    softmax,
    square,
    std,
    var,
)
from mytorch._build import build_info, compiled
from mytorch._threads import get_num_threads, set_num_threads
from mytorch import _fused  # noqa: F401  (points the VJPs of sigmoid, tanh, relu at fused kernels)
from mytorch import autograd, cuda

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = complex64
cdouble = complex128

divide = div
multiply = mul
subtract = sub
clip = clamp
true_divide = div

__version__ = "0.1.0"


def is_floating_point(input):
    return input.is_floating_point()
