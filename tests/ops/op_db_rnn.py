"""op_db rows of the recurrent cells (mytorch/_ops/rnn.py): lstm_cell_gates through
torch.lstm_cell and gru_cell_gates through torch.gru_cell (weights made in the row, so the
derivatives with respect to the input and both states go through the primitives), and the
composites rnn_tanh_cell and rnn_relu_cell; and nn.functional.linear on rows (its primitive,
with and without a bias, and its composite path for a 3-d input and a 1-d weight)."""

import numpy as np

from op_db import NONZERO, OpInfo

from mytorch._ops.rnn import lstm_input

_R = np.random.default_rng(11)
_W = {k: _R.standard_normal(s) * 0.7 for k, s in
      [("wi4", (12, 2)), ("wh4", (12, 3)), ("b4", (12,)), ("wi3", (9, 2)), ("wh3", (9, 3)),
       ("b3", (9,)), ("wi1", (3, 2)), ("wh1", (3, 3)), ("b1", (3,))]}  # fmt: skip


def _w(T, x, *names):
    return [T.tensor(_W[k], dtype=x.dtype, device=x.device) for k in names]


def _lstm(T, x, h, c):
    h2, c2 = T.lstm_cell(x, (h, c), *_w(T, x, "wi4", "wh4", "b4", "b4"))
    return T.cat([h2, c2 * c2], -1)


def _lstm_nobias(T, x, h, c):
    h2, c2 = T.lstm_cell(x, (h, c), *_w(T, x, "wi4", "wh4"))
    return h2 * c2


def _lstm_layer(reverse):
    def fn(T, x, h, c):
        # one direction of an nn.LSTM layer (a reverse one: the backward half of a
        # bidirectional layer), its weights the rows' own
        m = T.nn.LSTM(2, 3, bidirectional=reverse, dtype=x.dtype, device=x.device)
        for sfx in ("_l0", "_l0_reverse") if reverse else ("_l0",):
            for name, k in (("weight_ih", "wi4"), ("weight_hh", "wh4"), ("bias_ih", "b4")):
                setattr(m, name + sfx, T.nn.Parameter(_w(T, x, k)[0], requires_grad=False))
            setattr(m, "bias_hh" + sfx, T.nn.Parameter(_w(T, x, "b4")[0] * 0.5, False))
        hs = (h, c) if not reverse else (T.cat([h, h * 0.5]), T.cat([c, c * 2]))
        out, (hn, cn) = m(x, hs)
        return T.cat([out.reshape(-1), hn.reshape(-1), (cn * cn).reshape(-1)])

    return fn


def _lstm_input(T, x, w, b):
    """The input part of nn.LSTM's gates (its primitive in mytorch; the same sum in torch)."""
    return lstm_input(x, w, b) if T.__name__ == "mytorch" else x @ w.T + b


def _linear(T, x, w, b=None):
    return T.nn.functional.linear(x, w, b)


def _gru(T, x, h):
    wi, wh, b = _w(T, x, "wi3", "wh3", "b3")
    return T.gru_cell(x, h, wi, wh, b, b * 0.5)


def _rnn(name):
    def fn(T, x, h):
        return getattr(T, name)(x, h, *_w(T, x, "wi1", "wh1", "b1", "b1"))

    return fn


ROWS = [
    OpInfo(
        "lstm_cell",
        _lstm,
        [((2, 2), (2, 3), (2, 3)), ((3, 2), (3, 3), (3, 3))],
        op="lstm_cell_gates",
    ),  # fmt: skip
    OpInfo("lstm_cell_nobias", _lstm_nobias, [((1, 2), (1, 3), (1, 3))], op="lstm_cell_gates"),
    OpInfo("lstm_layer", _lstm_layer(False), [((3, 2, 2), (1, 2, 3), (1, 2, 3))], op="lstm_layer"),
    OpInfo(
        "lstm_layer_reverse",
        _lstm_layer(True),
        [((2, 1, 2), (1, 1, 3), (1, 1, 3))],
        op="lstm_layer",
    ),  # fmt: skip
    OpInfo(
        "lstm_input", _lstm_input, [((3, 2), (8, 2), (8,)), ((1, 3), (4, 3), (4,))], op="lstm_input"
    ),
    OpInfo(
        "linear",
        _linear,
        [((3, 2), (4, 2), (4,)), ((1, 3), (2, 3), (2,))],
        grad_fn="AddmmBackward0",
    ),
    OpInfo(
        "linear_nobias",
        _linear,
        [((3, 2), (4, 2)), ((2, 5), (1, 5))],
        op="linear",
        grad_fn="MmBackward0",
    ),
    OpInfo("linear_batched_rows", _linear, [((2, 3, 2), (4, 2), (4,))], op="linear"),
    OpInfo("gru_cell", _gru, [((2, 2), (2, 3)), ((1, 2), (1, 3))], op="gru_cell_gates"),
    OpInfo("rnn_tanh_cell", _rnn("rnn_tanh_cell"), [((2, 2), (2, 3))], op="tanh"),
    OpInfo("rnn_relu_cell", _rnn("rnn_relu_cell"), [((2, 2), (2, 3))], NONZERO, op="relu"),
]
