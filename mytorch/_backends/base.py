"""The backend contract: every member a backend provides, one line each, in one class.

A backend is one array module on one kind of device. It supplies the kernels the op families
call (by name), the array utilities the rest of mytorch needs, allocation, random numbers and
host transfers, so that nothing outside mytorch._backends touches an array module. Arrays are
the backend's own (``array_type``); on the CPU 0-d results may be NumPy scalars.

``BackendContract`` declares the members as placeholders that raise NotImplementedError;
``missing(backend)`` lists those a backend leaves unimplemented (``register`` refuses such a
backend). mytorch._backends.reference.Backend implements every member once against ``xp``.
"""


class _LinAlgError(RuntimeError):
    """A linear algebra kernel failed on its input (a singular matrix, a matrix that is not
    positive-definite): torch's torch._C._LinAlgError, which is torch.linalg.LinAlgError."""


# Plain attributes: name -> what it holds.
ATTRIBUTES = {
    "name": "A short name for messages and build reports ('numpy', 'cython', 'cupy').",
    "xp": "The array module the kernels are written against (numpy, cupy, a stand-in).",
    "device_type": "The mytorch device type of the arrays ('cpu', 'cuda', ...).",
    "array_type": "The array class of this backend (numpy.ndarray, cupy.ndarray).",
    "multi_device": "Whether the arrays live on numbered devices (then at() binds one).",
    "index": "The device number this backend object is bound to (None: unbound or the CPU).",
}

# The members, by section: (name, arguments, one-line contract).
# fmt: off
# NOTE: an elementwise op whose reference kernel is one function of the array module (exp, log,
# expm1, ...) names that function in its declaration (mytorch._ops._declare: ``xp="expm1"``);
# it is a member here only where a backend writes it as a method.
KERNELS = (
    # pointwise
    ("add", "x, y", "x + y, broadcast (NumPy's promotion of operands already cast)."),
    ("sub", "x, y", "x - y, broadcast."),
    ("mul", "x, y", "x * y, broadcast."),
    ("div", "x, y", "x / y, true division, broadcast."),
    ("div_mode", "x, y, rounding_mode", "x / y rounded 'trunc' or 'floor'; integers stay so."),
    ("neg", "x", "-x."),
    ("pow", "x, y", "x ** y; integers to negative integer powers raise RuntimeError."),
    ("sigmoid", "x", "1 / (1 + exp(-x)) without overflow."),
    ("relu", "x", "max(x, 0), NaN kept."),
    ("lt", "x, y", "x < y as bool."),
    ("le", "x, y", "x <= y as bool."),
    ("gt", "x, y", "x > y as bool."),
    ("ge", "x, y", "x >= y as bool."),
    ("eq", "x, y", "x == y as bool."),
    ("ne", "x, y", "x != y as bool."),
    ("where", "cond, x, y", "x where cond else y, broadcast."),
    ("clamp", "x, lo, hi", "x limited to [lo, hi] (either may be None), NaN kept."),
    ("clone", "x", "A new array with x's values."),
    ("fill", "x, value", "A new array of x's shape and dtype holding value everywhere."),
    ("copy", "x, src", "A new array of x's shape and dtype holding src broadcast to it."),
    ("to_dtype", "x, np_dtype", "x cast to a NumPy dtype (a new array)."),
    ("to_device", "x, dst, src", "A copy of x in the memory of backend dst (another device)."),
    ("nonzero", "x", "The indices of x's nonzero entries: an (n, ndim) int64 array."),
    # reduction
    ("sum", "x, dim, keepdim", "Sum over dim (None: all); integers and bool sum in int64."),
    ("mean", "x, dim, keepdim", "Mean over dim in x's dtype."),
    ("var", "x, dim, correction, keepdim", "Variance over dim, divided by N - correction."),
    ("amax", "x, dim, keepdim", "Largest entry over dim, NaN propagating."),
    ("amin", "x, dim, keepdim", "Smallest entry over dim, NaN propagating."),
    ("argmax", "x, dim, keepdim", "int64 index of the first largest entry over dim."),
    ("argmin", "x, dim, keepdim", "int64 index of the first smallest entry over dim."),
    ("all", "x, dim, keepdim", "Whether every entry over dim is nonzero."),
    ("any", "x, dim, keepdim", "Whether some entry over dim is nonzero."),
    ("max_dim", "x, dim, keepdim", "(largest entry, its int64 index) along dim."),
    ("min_dim", "x, dim, keepdim", "(smallest entry, its int64 index) along dim."),
    ("sort", "x, dim, descending", "(x stably sorted along dim, the int64 indices that sort it)."),
    ("topk", "x, k, dim, largest, sorted", "(the k largest or smallest along dim, their indices)."),
    # cumulative and order statistics (mytorch._backends._scan_kernels)
    ("cumsum", "x, dim, reverse", "Running sums along dim (from the end if reverse); ints: int64."),
    ("cumprod", "x, dim, reverse", "Running products along dim (from the end if reverse)."),
    ("cummax", "x, dim", "(running max along dim, int64 index where last reached), NaN wins."),
    ("cummin", "x, dim", "(running min along dim, int64 index where last reached), NaN wins."),
    ("prod", "x, dim, keepdim", "Product over dim (None: all); integers and bool in int64."),
    ("median", "x, ignore_nan", "Lower median of all entries (NaN if any, unless ignore_nan)."),
    ("median_dim", "x, dim, keepdim, ignore_nan", "(lower median along dim, its int64 index)."),
    ("mode", "x, dim, keepdim", "(most frequent value along dim, index of its last occurrence)."),
    ("vector_norm", "x, ord, dim, keepdim", "The ord-norm over dim (0: nonzeros, inf: max |x|)."),
    ("unique", "x, dim", "(sorted distinct entries or slices, int64 inverse, int64 counts)."),
    ("unique_consecutive", "x, dim", "(x without consecutive repeats, inverse, counts)."),
    # shape
    ("sum_to", "x, shape", "x summed down to shape (the inverse of broadcasting)."),
    ("expand", "x, shape", "A broadcast view of x with shape."),
    ("reshape", "x, shape", "x with shape (a view where the strides allow)."),
    ("transpose", "x, dim0, dim1", "A view of x with two dims swapped."),
    ("permute", "x, dims", "A view of x with its dims reordered."),
    ("diagonal", "x, offset, dim1, dim2", "A view of a diagonal of dims (dim1, dim2), last."),
    ("as_strided", "x, size, stride, offset, x_stride", "A view of x's memory, offset from x."),
    ("unfold", "x, dim, size, step", "A view of x's windows of size every step along dim, last."),
    ("flip", "x, dims", "A copy of x with the order of entries along dims reversed."),
    # indexing
    ("getitem", "x, index, basic", "x[index]; a 0-d view (not a scalar) for a basic index."),
    ("index_backward", "g, shape, index, basic", "g scattered into zeros of shape, repeats added."),
    ("index_put", "x, v, index, accumulate", "A copy of x with v written (or added) at index."),
    ("cat", "*arrays_and_dim", "The arrays joined along an existing dim (the last argument)."),
    ("stack", "*arrays_and_dim", "The arrays joined along a new dim (the last argument)."),
    # math (mytorch._backends.math_kernels; the SciPy ones run on the CPU only)
    ("rsqrt", "x", "1 / sqrt(x)."),
    ("frac", "x", "x - trunc(x); integers and bool raise NotImplementedError."),
    ("xlogy", "x, y", "x * log(y), 0 where x == 0 and y is not NaN, broadcast."),
    ("xlog1py", "x, y", "x * log1p(y), 0 where x == 0 and y is not NaN, broadcast."),
    ("logit", "x, eps", "log(x / (1 - x)), x clamped to [eps, 1 - eps] unless eps is None."),
    ("entr", "x", "-x * log(x) for x > 0, 0 at 0, -inf below."),
    ("erf", "x", "The error function (SciPy)."),
    ("erfc", "x", "1 - erf(x) (SciPy)."),
    ("erfinv", "x", "The inverse of erf (SciPy)."),
    ("gammaln", "x", "log |Gamma(x)| (SciPy)."),
    ("digamma", "x", "The logarithmic derivative of Gamma (SciPy)."),
    ("polygamma", "x, n", "The n-th derivative of digamma (SciPy)."),
    ("i0", "x", "The modified Bessel function of the first kind, order 0 (SciPy)."),
    ("i0e", "x", "exp(-|x|) * i0(x) (SciPy)."),
    ("i1", "x", "The modified Bessel function of the first kind, order 1 (SciPy)."),
    ("i1e", "x", "exp(-|x|) * i1(x) (SciPy)."),
    ("ndtr", "x", "The standard normal CDF (SciPy)."),
    ("ndtri", "x", "The inverse of ndtr (SciPy)."),
    ("log_ndtr", "x", "log(ndtr(x)) (SciPy)."),
    # special_more (mytorch._backends._special_kernels; CPU only)
    ("airy_ai", "x", "torch.special.airy_ai (SciPy)."),
    ("bessel_j0", "x", "torch.special.bessel_j0 (SciPy)."),
    ("bessel_j1", "x", "torch.special.bessel_j1 (SciPy)."),
    ("bessel_y0", "x", "torch.special.bessel_y0 (SciPy)."),
    ("bessel_y1", "x", "torch.special.bessel_y1 (SciPy)."),
    ("modified_bessel_k0", "x", "torch.special.modified_bessel_k0 (SciPy)."),
    ("modified_bessel_k1", "x", "torch.special.modified_bessel_k1 (SciPy)."),
    ("scaled_modified_bessel_k0", "x", "torch.special.scaled_modified_bessel_k0 (SciPy)."),
    ("scaled_modified_bessel_k1", "x", "torch.special.scaled_modified_bessel_k1 (SciPy)."),
    ("spherical_bessel_j0", "x", "torch.special.spherical_bessel_j0 (SciPy)."),
    ("erfcx", "x", "torch.special.erfcx (SciPy)."),
    ("igamma", "a, x", "The regularized lower incomplete gamma function (SciPy)."),
    ("igammac", "a, x", "The regularized upper incomplete gamma function (SciPy)."),
    ("zeta", "x, q", "The Hurwitz zeta function (SciPy)."),
    ("chebyshev_polynomial_t", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("chebyshev_polynomial_u", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("chebyshev_polynomial_v", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("chebyshev_polynomial_w", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("shifted_chebyshev_polynomial_t", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("shifted_chebyshev_polynomial_u", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("shifted_chebyshev_polynomial_v", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("shifted_chebyshev_polynomial_w", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("hermite_polynomial_h", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("hermite_polynomial_he", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("laguerre_polynomial_l", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("legendre_polynomial_p", "x, n", "Degree n (truncated; 0 for n < 0)."),
    ("matmul_bf16", "x, y", "x @ y of bfloat16 arrays, computed in float32 and rounded back."),
    # linalg
    ("linear", "x, w, b=None", "x (N, I) @ w.T (I, O) + b (O,) where b is given (a new array)."),
    ("einsum", "*arrays_and_equation", "einsum of the arrays by the equation (the last argument)."),
    ("linalg_inv", "a", "The inverses of a's matrices; _LinAlgError where one is singular."),
    ("linalg_det", "a", "The determinants of a's matrices."),
    ("linalg_slogdet", "a", "(sign, log |det|) of a's matrices."),
    ("linalg_solve", "a, b", "X with a X = b (b: matrices; batch dims broadcast); _LinAlgError."),
    ("linalg_cholesky", "a, upper", "Cholesky factors (L, or U = L^H); _LinAlgError if not PD."),
    ("linalg_qr", "a, mode", "(Q, R) of a ('reduced', 'complete'; 'r': Q is empty)."),
    ("linalg_eigh", "a, uplo", "(eigenvalues ascending, eigenvectors) of symmetric a."),
    ("linalg_svd", "a, full_matrices", "(U, S, Vh) of a, S descending."),
    ("linalg_solve_triangular", "a, b, upper, unit", "X with triangular a X = b."),
    ("linalg_matrix_exp", "a", "The matrix exponentials of a's matrices (CPU: SciPy)."),
    ("linalg_lu_factor", "a", "(LU packed, int32 1-based LAPACK pivots) of a (CPU: SciPy)."),
    ("lu_pivots_to_perm", "pivots, m", "The int64 row order that 1-based LAPACK pivots make."),
    ("linalg_eig", "a", "(complex eigenvalues, complex eigenvectors) of a (CPU: NumPy)."),
    ("linalg_eig_backward", "w, v, gw, gv, has_w, has_v, real",
     "The VJP of eig, complex (its real part for a real input) (CPU: NumPy)."),
    ("linalg_pinv", "a, atol, rtol, hermitian", "Pseudo-inverses, s <= max(atol, rtol s_max) cut."),
    ("linalg_lstsq_gelsy", "a, b, rcond", "(x, rank) of gelsy for a x = b (CPU: SciPy)."),
    ("linalg_ldl_factor", "a, hermitian", "(LD, int32 pivots, int32 info): sytrf (CPU: SciPy)."),
    ("linalg_ldl_solve", "ld, b, pivots, hermitian", "X with A X = b from sytrf's LD (CPU)."),
    # activation
    ("elu", "x, alpha, scale, input_scale",
     "scale * x (x > 0) or alpha * scale * expm1(x * input_scale)."),
    ("softplus", "x, beta, threshold", "log1p(exp(beta * x)) / beta; x if beta * x > threshold."),
    ("gelu", "x, approximate", "x * Phi(x), Phi the normal CDF ('tanh': its tanh approximation)."),
    ("gelu_backward", "grad, x, approximate", "grad * d gelu(x) / dx."),
    # convolution (mytorch._backends._conv)
    ("im2col", "x, kernel, dilation, stride, lo, out, batch_inner",
     "Windows of x padded by lo: (N, C, *kernel, *out) or (C, *kernel, N, *out), contiguous."),
    ("col2im", "cols, dilation, stride, lo, spatial, batch_inner",
     "The adjoint of im2col: window entries added into (N, C, *spatial)."),
    ("conv_forward", "x, w, stride, dilation, lo, out, groups",
     "x convolved with w (x padded by lo before): (N, Cout, *out)."),
    ("conv_input_grad", "g, w, stride, dilation, lo, spatial, groups",
     "conv_forward's gradient in x for output gradient g: (N, C, *spatial)."),
    ("conv_weight_grad", "x, g, kernel, stride, dilation, lo, groups",
     "conv_forward's gradient in w for output gradient g: (Cout, C / groups, *kernel)."),
    # max pooling (mytorch._backends._nnfused)
    ("max_pool", "x, kernel, stride, dilation, lo, out",
     "(values, int64 flat argmax in the plane) of each window of x's last len(kernel) dims."),
    ("max_pool_backward", "g, indices, spatial",
     "g added into zeros (..., *spatial) at each plane's flat indices: max_pool's VJP."),
    # recurrent cells (mytorch._backends._rnn)
    ("lstm_cell_gates", "gates, c", "(o * tanh(c'), c' = f * c + i * g) from gates i, f, g, o."),
    ("gru_cell_gates", "gi, gh, h", "(1 - z) * n + z * h, n = tanh(gi_n + r * gh_n); r, z, n."),
    ("lstm_cell_gates_backward", "gh, gc, gates, c", "(d gates, d c) of lstm_cell_gates."),
    ("lstm_input", "x, w, b", "x @ w.T + b (N, 4H): a recurrent layer's input part of the gates."),
    ("lstm_layer", "gi, w_hh, h0, c0, reverse, saved",
     "(out, h_T, c_T): the LSTM steps over gi (T, B, 4H); saved gets what the backward reads."),
    ("lstm_layer_backward", "gout, gh, gc, w_hh, h0, c0, reverse, saved",
     "(d gi, d w_hh, d h0, d c0) of lstm_layer (a None gradient: zeros)."),
    # optimizer steps, in place on param and state (mytorch._backends._optim)
    ("sgd_step", "p, g, buf, lr, wd, momentum, dampening, nesterov, maximize, first", "SGD."),
    ("adam_step", "p, g, m, v, vmax, lr, b1, b2, eps, wd, decoupled, maximize, step, bc2s",
     "Adam, or AdamW (decoupled); vmax None without amsgrad."),
    ("adam_steps", "ps, gs, ms, vs, vmaxs, steps, bc2ss, lr, b1, b2, eps, wd, decoupled, maximize",
     "adam_step over lists of arrays; vmaxs None without amsgrad."),
    ("rmsprop_step", "p, g, sq, gavg, buf, lr, alpha, eps, wd, momentum, maximize", "RMSprop."),
    ("adagrad_step", "p, g, sum, clr, wd, eps, maximize", "Adagrad at learning rate clr."),
    ("adadelta_step", "p, g, sq, acc, lr, rho, eps, wd, maximize", "Adadelta."),
    ("adamax_step", "p, g, m, inf, clr, b1, b2, eps, wd, maximize", "Adamax."),
    ("nadam_step", "p, g, m, v, b1, b2, eps, wd, decay, bc2, cg, cm, maximize", "NAdam."),
    ("radam_step", "p, g, m, v, lr, b1, b2, eps, wd, decay, bc1, bc2, rect, maximize", "RAdam."),
    ("asgd_step", "p, g, ax, eta, lambd, mu, wd, maximize", "ASGD."),
    ("rprop_step", "p, g, prev, size, eta-, eta+, min, max, maximize", "Rprop."),
    # layer norm (mytorch._backends._norm)
    ("layer_norm", "x, w, b, k, eps, saved",
     "(x - mean) * rstd * w + b over the last k dims; saved gets the mean and rstd."),
    ("layer_norm_backward", "g, x, w, k, eps, stats, mask", "(d x, d w, d b) of layer_norm."),
    # softmax (mytorch._backends._activation)
    ("softmax", "x, dim", "exp(x - max) / sum(exp(x - max)) along dim (-inf rows: NaN)."),
    ("log_softmax", "x, dim", "x - max - log(sum(exp(x - max))) along dim."),
    ("softmax_backward", "y, g, dim", "y * (g - sum(g * y, dim)): softmax's VJP from y."),
    ("log_softmax_backward", "y, g, dim", "g - exp(y) * sum(g, dim): log_softmax's VJP from y."),
    ("nll_rows", "logp, target, ignore_index, reduction",
     "-logp[i, target[i]] per row of logp (N, C) (0 where ignored): 'none', their sum or mean."),
    ("nll_rows_backward", "g, target, c, ignore_index, reduction",
     "nll_rows' VJP: zeros (N, c) with g's share, negated, at each kept row's target."),
    # fused
    ("sigmoid_backward", "grad, y", "grad * y * (1 - y): sigmoid's VJP from its result."),
    ("tanh_backward", "grad, y", "grad * (1 - y * y): tanh's VJP from its result."),
    ("relu_backward", "grad, y", "grad * (y > 0): relu's VJP from its result."),
)
UTILITIES = (
    ("device", "x", "The mytorch device array x lives on."),
    ("at", "index", "The backend of device number index (None: the current one)."),
    ("for_array", "x", "The backend of the device array x lives on (itself on the CPU)."),
    ("device_count", "", "How many devices of this type there are."),
    ("scalar", "x", "A 0-d result as this backend keeps it (a NumPy scalar on the CPU)."),
    ("writable", "x", "Whether x may be written in place (an array, not read-only or broadcast)."),
    ("binary_into", "name, x, y",
     "x op= y by the array module's ufunc name (add, subtract, multiply, divide); returns x."),
    ("accumulate", "acc, g", "acc + g, written into acc when it is writable and of g's shape."),
    ("setitem", "x, index, value", "x[index] = value; returns the array now holding the result."),
    ("assign", "x, value", "x[...] = value cast to x's dtype; returns the array holding it."),
    ("scatter_add", "out, index, values", "out[index] += values in place, repeats summed."),
    ("along_index", "ind, dim", "The advanced index that picks ind's entries along dim."),
    ("strided", "x, shape, strides", "A view with byte strides from x's first element."),
    ("data_ptr", "x", "The address of x's first element."),
    ("shares_memory", "a, b", "Whether two arrays may overlap in memory."),
    ("can_view", "x, shape", "Whether x can be reshaped to shape without a copy."),
    ("allclose", "a, b, rtol, atol, equal_nan", "Whether |a - b| <= atol + rtol * |b| (a bool)."),
    ("array_equal", "a, b", "Whether a and b hold equal values (a bool)."),
    ("all_finite", "x", "Whether no entry of x is NaN or infinite (a bool)."),
    ("xp_kernel", "name", "The array module's function name as a kernel on this backend's device."),
)
ALLOCATION = (
    ("array", "data, np_dtype=None", "A new array from Python data or host data (a copy)."),
    ("full", "shape, value, np_dtype", "A new array of shape holding value."),
    ("copy_array", "x", "A copy of x in this backend's memory."),
    ("arange", "start, end, step, np_dtype", "start, start + step, ... below end, made here."),
    ("linspace", "start, end, steps, np_dtype", "steps evenly spaced values, made here."),
    ("eye", "n, m, np_dtype", "The n x m identity matrix, made here."),
)
RANDOM = (
    ("generator", "seed", "A new random generator of this device seeded with an int."),
    ("random", "gen, kind, shape, np_dtype, *args",
     "Samples made here from gen: uniform, normal, integers [lo, hi), poisson, multinomial or "
     "permutation."),
    ("rng_state", "gen", "The state of gen as a host uint8 NumPy array."),
    ("set_rng_state", "gen, state", "Put gen back in a state that rng_state returned."),
    ("entropy", "", "A fresh seed from the operating system."),
)
TRANSFERS = (
    ("from_numpy", "a", "A copy of host array a in this backend's memory (host to device)."),
    ("to_numpy", "x", "x's values as a host NumPy array (device to host)."),
    ("from_dlpack", "obj", "An array of this backend sharing obj's memory (DLPack, no copy)."),
    ("pinned_copy", "a", "A copy of host array a in page-locked host memory (a GPU's pool)."),
    ("is_pinned", "a", "Whether host array a lies in page-locked memory of this backend."),
)
# fmt: on

SECTIONS = {
    "kernels": KERNELS,
    "utilities": UTILITIES,
    "allocation": ALLOCATION,
    "random": RANDOM,
    "transfers": TRANSFERS,
}


def _placeholder(name, args, doc):
    def member(self, *a, **k):
        raise NotImplementedError(f"backend {self.name!r} does not implement {name}")

    member.__name__ = name
    member.__qualname__ = f"BackendContract.{name}"
    member.__doc__ = f"{name}({args}): {doc}"
    return member


class BackendContract:
    """Every member a backend provides (see SECTIONS and ATTRIBUTES); each method here is a
    placeholder that a backend overrides."""

    KERNELS = tuple(name for name, _, _ in KERNELS)
    MEMBERS = tuple(name for section in SECTIONS.values() for name, _, _ in section)


for _section in SECTIONS.values():
    for _name, _args, _doc in _section:
        setattr(BackendContract, _name, _placeholder(_name, _args, _doc))
del _section, _name, _args, _doc


def missing(backend):
    """The members of the contract that ``backend`` does not provide, in contract order."""
    out = [a for a in ATTRIBUTES if not hasattr(backend, a)]
    for name in BackendContract.MEMBERS:
        member = getattr(backend, name, None)
        if member is None or getattr(member, "__func__", member) is vars(BackendContract)[name]:
            out.append(name)
        elif not callable(member):
            out.append(name)
    return out
