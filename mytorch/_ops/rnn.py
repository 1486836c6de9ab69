"""The recurrent cells: torch.lstm_cell, gru_cell, rnn_tanh_cell and rnn_relu_cell, and the two
primitives that make one time step of an LSTM and of a GRU (the nn.LSTM/GRU layers run them once
per step, mytorch.nn.modules.rnn).

``lstm_cell_gates(gates, c)`` takes the pre-activation gates (input and hidden parts summed,
torch's order i, f, g, o along the last dim) and the previous cell state and gives (h, c');
``gru_cell_gates(gi, gh, h)`` takes the input and hidden parts of the gates (r, z, n: they stay
apart because r scales the hidden part of n) and the previous state and gives h'. Each kernel is
one pass over the memory (a backend method: mytorch._backends._rnn, csrc/_rnn.pyx); each VJP
recomputes the gate activations from the saved inputs in mytorch ops, so derivatives of any
order work.
"""

from mytorch._applyn import applyn, applyn_multi, materialize
from mytorch import _backends
from mytorch._core import SAVE_XY, _wrap
from mytorch._grad_mode import _grad_on
from mytorch._promotion import common_backend
from mytorch._ops._declare import composite, defop
from mytorch._ops.fused import sigmoid_backward, tanh_backward
from mytorch._ops.nn_linear import linear
from mytorch._ops.pointwise import relu, sigmoid, tanh
from mytorch._ops.indexing import cat, stack
from mytorch._ops.linalg import matmul


def _chunks(x, n):
    """x split into n equal parts along its last dim."""
    k = x.shape[-1] // n
    return [x[..., i * k : (i + 1) * k] for i in range(n)]


def _meta(t):
    return (tuple(t._data.shape), t._data.dtype, _backends.for_array(t._data))


def _lstm_vjp(n, gh, gc):
    gates, c = n.inputs
    if gh is None or gc is None:
        gh, gc = materialize((gh, gc), (_meta(c), _meta(c)))
    if not _grad_on():
        # NOTE: no graph of this backward is wanted (create_graph=False): the fused kernel, one
        # pass; otherwise the same formula in mytorch ops below, differentiable.
        be, (a_gh, a_gc, a_gates, a_c) = common_backend((gh, gc, gates, c))
        dgates, dc = be.lstm_cell_gates_backward(a_gh, a_gc, a_gates, a_c)
        return _wrap(dgates), _wrap(dc)
    return _lstm_grads(gates, c, gh, gc)


def _lstm_grads(gates, c, gh, gc):
    """(d gates, d c) of lstm_cell_gates in mytorch ops (differentiable)."""
    gi_, gf_, gg_, go_ = _chunks(gates, 4)
    i, f, g, o = sigmoid(gi_), sigmoid(gf_), tanh(gg_), sigmoid(go_)
    tc = tanh(f * c + i * g)
    dc = gc + tanh_backward(gh * o, tc)
    dgates = cat(
        [
            sigmoid_backward(dc * g, i),
            sigmoid_backward(dc * c, f),
            tanh_backward(dc * i, g),
            sigmoid_backward(gh * tc, o),
        ],
        -1,
    )
    return dgates, dc * f


def _gru_vjp(n, grad):
    gi, gh, h = n.inputs
    ir, iz, in_ = _chunks(gi, 3)
    hr, hz, hn = _chunks(gh, 3)
    r, z = sigmoid(ir + hr), sigmoid(iz + hz)
    new = tanh(in_ + r * hn)
    dn = tanh_backward(grad * (1 - z), new)
    dr = sigmoid_backward(dn * hn, r)
    dz = sigmoid_backward(grad * (h - new), z)
    return cat([dr, dz, dn], -1), cat([dr, dz, dn * r], -1), grad * z


def _lstm_layer_vjp(n, gout, gh, gc):
    gi, w_hh, h0, c0 = n.inputs
    reverse, saved = n.params
    if not _grad_on():
        # NOTE: no graph of this backward is wanted: the backend's loop over the steps, with the
        # forward's gates and cell states
        be = _backends.for_array(w_hh._data)
        arrays = [None if g is None else g._data for g in (gout, gh, gc)]
        r = be.lstm_layer_backward(*arrays, w_hh._data, h0._data, c0._data, reverse, saved)
        return tuple(_wrap(a) for a in r)
    # create_graph: the same in mytorch ops (so the gradients have a graph of their own): the
    # steps' gates and cell states again, then the steps backwards
    wt = w_hh.t()
    h, c = h0, c0
    steps = gi.shape[0]
    fwd = range(steps - 1, -1, -1) if reverse else range(steps)
    prev_h, prev_c, gates = [None] * steps, [None] * steps, [None] * steps
    for t in fwd:
        prev_h[t], prev_c[t] = h, c
        gates[t] = gi[t] + matmul(h, wt)
        h, c = lstm_cell_gates(gates[t], c)
    if gh is None or gc is None:
        gh, gc = materialize((gh, gc), (_meta(h0), _meta(c0)))
    dh, dc = gh, gc
    dgates = [None] * steps
    for t in reversed(fwd):
        dg, dc = _lstm_grads(gates[t], prev_c[t], dh if gout is None else dh + gout[t], dc)
        dgates[t] = dg
        dh = matmul(dg, w_hh)
    dgi = stack(dgates, 0)
    k = h0.shape[-1]
    dw = matmul(dgi.reshape(-1, 4 * k).t(), stack(prev_h, 0).reshape(-1, k))
    return dgi, dw, dh, dc


def _lstm_input_vjp(n, g):
    x, w, _ = n.inputs
    gb = g.sum(0) if n._wants(2) else None
    gx = matmul(g, w) if n._wants(0) else None
    return gx, matmul(g.t(), x) if n._wants(1) else None, gb


# fmt: off
LSTM_INPUT = defop("lstm_input", _lstm_input_vjp, SAVE_XY, node_name="LstmInputBackward0")
LSTM_LAYER = defop("lstm_layer", _lstm_layer_vjp, SAVE_XY, node_name="LstmBackward0")
LSTM_GATES = defop("lstm_cell_gates", _lstm_vjp, SAVE_XY, node_name="LstmCellGatesBackward0")
GRU_GATES = defop("gru_cell_gates", _gru_vjp, SAVE_XY, node_name="GruCellGatesBackward0")
# fmt: on


def _same(what, tensors):
    d = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != d:
            raise RuntimeError(f"{what}: expected all tensors of dtype {d}, got {t.dtype}")


def lstm_cell_gates(gates, c):
    """(h, c') of one LSTM step from the summed pre-activation gates (..., 4H) and c (..., H)."""
    if tuple(gates.shape) != tuple(c.shape[:-1]) + (4 * c.shape[-1],):
        raise RuntimeError(
            f"lstm_cell_gates: gates of shape {list(gates.shape)} do not fit c of shape "
            f"{list(c.shape)}"
        )
    _same("lstm_cell_gates", (gates, c))
    return applyn_multi(LSTM_GATES, (gates, c))


def lstm_input(x, w, b):
    """x (N, I) @ w.T + b: the input part of a recurrent layer's gates (N, 4H) for all its steps
    at once, both biases in b, as one Node (a compiled kernel writes it in one pass)."""
    fits = x.ndim == 2 and w.ndim == 2 and b.ndim == 1
    if not fits or x.shape[1] != w.shape[1] or b.shape[0] != w.shape[0]:
        raise RuntimeError(
            f"lstm_input: input {list(x.shape)}, weight {list(w.shape)} and bias "
            f"{list(b.shape)} do not fit"
        )
    _same("lstm_input", (x, w, b))
    return applyn(LSTM_INPUT, (x, w, b))


def lstm_layer(gi, w_hh, h0, c0, reverse=False):
    """(out (T, B, H), h_T, c_T) of one direction of an LSTM layer: the steps over gi (T, B, 4H),
    the input parts of the gates (both biases in), from h0, c0 (B, H), recorded as one Node
    (its backward: one loop over the steps and one GEMM for w_hh's gradient)."""
    _same("lstm_layer", (gi, w_hh, h0, c0))
    return applyn_multi(LSTM_LAYER, (gi, w_hh, h0, c0), (reverse, {}))


def gru_cell_gates(gi, gh, h):
    """h' of one GRU step from the input and hidden parts of the gates (..., 3H) and h (..., H)."""
    want = tuple(h.shape[:-1]) + (3 * h.shape[-1],)
    if tuple(gi.shape) != want or tuple(gh.shape) != want:
        raise RuntimeError(
            f"gru_cell_gates: gates of shapes {list(gi.shape)} and {list(gh.shape)} do not fit "
            f"h of shape {list(h.shape)}"
        )
    _same("gru_cell_gates", (gi, gh, h))
    return applyn(GRU_GATES, (gi, gh, h))


# --- torch's cell functions ------------------------------------------------------------------
def _check_cell(input, hiddens, w_ih, w_hh):
    """torch's checks of a cell's sizes (RuntimeError naming them; 2-d tensors only: a 1-d one
    raises IndexError, as in torch, whose modules add the batch dim)."""
    for t in (input, *hiddens):
        if t.ndim < 2:
            raise IndexError(
                "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
            )
    if input.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.shape[-1]} expected {w_ih.shape[1]}"
        )
    for k, h in enumerate(hiddens):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(
                f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size {h.shape[0]}"
            )
        if h.shape[1] != w_hh.shape[1]:
            raise RuntimeError(
                f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, expected "
                f"{w_hh.shape[1]}"
            )


@composite()
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Matches torch.lstm_cell: (h', c') of one LSTM step (gates i, f, g, o)."""
    h, c = hx
    _check_cell(input, (h, c), w_ih, w_hh)
    return lstm_cell_gates(linear(input, w_ih, b_ih) + linear(h, w_hh, b_hh), c)


@composite()
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Matches torch.gru_cell: h' of one GRU step (gates r, z, n)."""
    _check_cell(input, (hx,), w_ih, w_hh)
    return gru_cell_gates(linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh), hx)


def _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, act):
    _check_cell(input, (hx,), w_ih, w_hh)
    return act(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


@composite()
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Matches torch.rnn_tanh_cell: tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, tanh)


@composite()
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """Matches torch.rnn_relu_cell: relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell(input, hx, w_ih, w_hh, b_ih, b_hh, relu)


__all__ = []
# the primitives' functions
INTERNAL = ["lstm_cell_gates", "gru_cell_gates", "lstm_input", "lstm_layer"]
