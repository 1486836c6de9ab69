"""op_db rows of softmax and log_softmax (mytorch/_ops/nn_softmax.py): the primitives along each
dim, with dtype=, on empty and 0-d tensors, at large values (max-subtracted: nothing
overflows), with -inf entries, and their VJPs' own primitives (softmax_backward,
log_softmax_backward) with first and second derivatives; and nll_loss of rows with no class
weights (mytorch/_ops/loss.py's nll_rows and its VJP's primitive nll_rows_backward) through
nll_loss and cross_entropy, each reduction, a target ignored and ignore_index a class."""

from op_db import R3, OpInfo, _mask, _unary, _vjp

INF = float("inf")
R23 = [((2, 3),)]
EMPTY = [((0, 3),), ((2, 0),)]
SCALAR = [((),)]


def _masked(T, x):
    """x with -inf where op_db's 2 x 3 mask is True (every row keeps a finite entry)."""
    return T.where(_mask(T, x), -INF, x)


def _all_masked(T, x):
    """x whose first row is all -inf (softmax: a row of NaN, as torch's)."""
    keep = T.tensor([[False], [True]], device=x.device)
    return T.where(keep, x, -INF)


# class indices of 3 rows and 2 rows, one row per 3 ignored (-100), one row per 3 of class 1
_TARGET = {3: [2, -100, 1], 2: [1, 0]}


def _nll(reduction, ignore_index=-100, ce=False):
    def fn(T, x):
        t = [v if v >= 0 or ignore_index == -100 else 0 for v in _TARGET[x.shape[0]]]
        t = T.tensor(t, device=x.device)
        loss = T.nn.functional.cross_entropy if ce else T.nn.functional.nll_loss
        out = loss(x, t, reduction=reduction, ignore_index=ignore_index)
        return out * out if reduction != "none" else out * x[:, 0]

    return fn


def _nll_vjp(reduction):
    """nll_rows_backward: the VJP of nll_loss at x, for the incoming gradient 1 + x's first
    entry (so the row's derivatives reach the VJP's own primitive)."""

    def fn(T, x):
        t = T.tensor(_TARGET[x.shape[0]], device=x.device)

        def f(x):
            out = T.nn.functional.nll_loss(x, t, reduction=reduction)
            return out * (1 + x.reshape(-1)[0])

        return _vjp(T, f, x)[0]

    return fn


NLL = [((3, 4),), ((2, 3),)]
NLL_ROW = dict(shapes=NLL, op="nll_rows", reads_scalars=True)
NLL_VJP_ROW = dict(shapes=NLL, op="nll_rows_backward", reads_scalars=True)


def _w(T, x):
    """Constant weights 1, 2, ... of x's shape: the gradient of a weighted sum of a softmax is
    then its VJP alone."""
    return T.ones_like(x).flatten().cumsum(0).reshape(x.shape)


ROWS = [
    _unary("softmax_last", lambda T, x: T.softmax(x, -1), shapes=R3, op="softmax",
           grad_fn="SoftmaxBackward0"),
    _unary("softmax_first", lambda T, x: T.softmax(x, 0), shapes=R3 + R23, op="softmax"),
    _unary("softmax_middle", lambda T, x: x.softmax(dim=1), shapes=R3, op="softmax"),
    _unary("softmax_special", lambda T, x: T.special.softmax(x, 1), shapes=R23, op="softmax"),
    _unary("softmax_dtype", lambda T, x: T.softmax(x, 1, dtype=T.float64), shapes=R23,
           op="softmax"),
    _unary("softmax_scalar", lambda T, x: T.softmax(x, 0) * x, shapes=SCALAR, op="softmax"),
    _unary("softmax_empty", lambda T, x: T.softmax(x, 0), shapes=EMPTY, op="softmax"),
    _unary("softmax_empty_dim", lambda T, x: T.softmax(x, 1), shapes=EMPTY, op="softmax"),
    _unary("softmax_large", lambda T, x: T.softmax(x * 40 + 1e4, 1), shapes=R3, op="softmax"),
    _unary("softmax_neg_inf", lambda T, x: T.softmax(_masked(T, x), 1) * x, shapes=R23,
           op="softmax"),
    OpInfo("softmax_all_neg_inf", lambda T, x: T.softmax(_all_masked(T, x), 1), R23,
           grad=False, gradgrad=False, op="softmax"),
    _unary("F_softmax_dim", lambda T, x: T.nn.functional.softmax(x, dim=-1), shapes=R3,
           op="softmax"),
    _unary("log_softmax_lastdim", lambda T, x: T.log_softmax(x, -1), shapes=R3, op="log_softmax",
           grad_fn="LogSoftmaxBackward0"),
    _unary("log_softmax_first", lambda T, x: x.log_softmax(0), shapes=R3 + R23,
           op="log_softmax"),
    _unary("log_softmax_special", lambda T, x: T.special.log_softmax(x, 1), shapes=R23,
           op="log_softmax"),
    _unary("log_softmax_dtype", lambda T, x: T.log_softmax(x, 0, dtype=T.float64), shapes=R23,
           op="log_softmax"),
    _unary("log_softmax_scalar", lambda T, x: T.log_softmax(x, -1) + x, shapes=SCALAR,
           op="log_softmax"),
    _unary("log_softmax_empty", lambda T, x: T.log_softmax(x, 0), shapes=EMPTY,
           op="log_softmax"),
    _unary("log_softmax_large", lambda T, x: T.log_softmax(x * 40 - 1e4, -1), shapes=R3,
           op="log_softmax"),
    _unary("log_softmax_neg_inf", lambda T, x: T.log_softmax(_masked(T, x), 1).clamp_min(-50),
           shapes=R23, op="log_softmax"),
    OpInfo("log_softmax_all_neg_inf", lambda T, x: T.log_softmax(_all_masked(T, x), 1), R23,
           grad=False, gradgrad=False, op="log_softmax"),
    # --- the VJPs' primitives (torch's _softmax_backward_data, _log_softmax_backward_data) ---
    _unary("softmax_backward", lambda T, x: _vjp(T, lambda x: T.softmax(x, 1) * _w(T, x), x)[0],
           shapes=R3 + R23, grad_fn="SoftmaxBackwardDataBackward0"),
    _unary("softmax_backward_dim0", lambda T, x: _vjp(T, lambda x: T.softmax(x, 0) ** 2, x)[0],
           shapes=R3, op="softmax_backward"),
    _unary("log_softmax_backward",
           lambda T, x: _vjp(T, lambda x: T.log_softmax(x, -1) * _w(T, x), x)[0], shapes=R3 + R23,
           grad_fn="LogSoftmaxBackwardDataBackward0"),
    _unary("log_softmax_backward_dim0",
           lambda T, x: _vjp(T, lambda x: T.log_softmax(x, 0) * x.sin(), x)[0], shapes=R3,
           op="log_softmax_backward"),
    # --- nll_loss of rows (the loss's value is linear in x: its derivatives are those of the
    # products around it); the stand-in device reads the class-index range check back ---
    _unary("nll_rows_mean", _nll("mean"), **NLL_ROW),
    _unary("nll_rows_sum", _nll("sum"), **NLL_ROW),
    _unary("nll_rows_none", _nll("none"), **NLL_ROW),
    _unary("nll_rows_ignore_a_class", _nll("mean", ignore_index=1), **NLL_ROW),
    _unary("cross_entropy_rows", _nll("mean", ce=True), **NLL_ROW),
    _unary("cross_entropy_rows_sum", _nll("sum", ce=True), **NLL_ROW),
    _unary("nll_rows_backward", _nll_vjp("mean"), **NLL_VJP_ROW),
    _unary("nll_rows_backward_none", _nll_vjp("none"), **NLL_VJP_ROW),
]  # fmt: skip
