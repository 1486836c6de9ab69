"""mytorch.nn.modules.rnn: RNNBase, RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell,
as torch.nn (parameter names, shapes, order and initialisation, inputs, outputs and errors).

A layer runs each direction of each layer as: one GEMM for the input part of every step's gates
(x W_ih^T + b_ih + b_hh over the whole sequence; GRU keeps b_hh in the hidden part), split into
the steps' parts by one split, then per step the hidden part (h W_hh^T) and one cell primitive
(mytorch._ops.rnn: lstm_cell_gates, gru_cell_gates; tanh or relu for RNN).
Padded (T, B, *) input runs as a packed one whose every step holds the whole batch, so packed and
padded input share one loop: at step t only the first batch_sizes[t] sequences (the batch sorted
by decreasing length) advance, and a sequence's final state is taken at its own last step.
"""

import math
import numbers
import warnings

import mytorch
from mytorch._autocast import STATE as _AUTOCAST
from mytorch.nn import functional as F
from mytorch.nn import init
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter
from mytorch._ops.rnn import gru_cell_gates, lstm_cell_gates, lstm_input, lstm_layer

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_type(value, kind, name):
    if not isinstance(value, kind):
        raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")


def _packed_sequence():
    # NOTE: read when called: mytorch.nn.utils (parametrizations) imports mytorch.nn.modules
    return mytorch.nn.utils.rnn.PackedSequence


class RNNBase(Module):
    """The recurrent layers' base. Matches torch.nn.RNNBase (mode 'LSTM', 'GRU', 'RNN_TANH' or
    'RNN_RELU')."""

    __constants__ = [
        "mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
        "bidirectional", "proj_size",
    ]  # fmt: skip

    def __init__(
        self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
        dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None,
    ):  # fmt: skip
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        _check_type(bias, bool, "bias")
        _check_type(batch_first, bool, "batch_first")
        _check_type(input_size, int, "input_size")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        _check_type(hidden_size, int, "hidden_size")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = dict(device=device, dtype=dtype)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(dirs):
                layer_input = input_size if layer == 0 else real_hidden * dirs
                shapes = [(gate_size, layer_input), (gate_size, real_hidden)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(mytorch.empty(shape, **kw)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do: the weights are never kept in one flat buffer (torch's is for cuDNN)."""

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # --- torch's checks --------------------------------------------------------------------
    def check_input(self, input, batch_sizes):
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.size(-1)}"
            )

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # --- the forward pass ------------------------------------------------------------------
    def _prepare(self, input, hx, two_states):
        """(input as (T, B, I) or packed data, batch sizes or None, sorted and unsorted indices,
        states (tuple of 3-d tensors or None), whether the input was unbatched)."""
        name = type(self).__name__ if self.mode == "LSTM" else "RNN"
        if isinstance(input, _packed_sequence()):
            data, batch_sizes, sorted_i, unsorted_i = input
            sizes = [int(b) for b in batch_sizes.tolist()]
            if hx is not None:
                hx = tuple(self.permute_hidden(h, sorted_i) for h in hx)
            return data, sizes, batch_sizes, sorted_i, unsorted_i, hx, False
        if input.dim() not in (2, 3):
            tail = "D instead" if self.mode == "LSTM" else "D tensor instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}{tail}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if hx is not None:
            want = 3 if batched else 2
            if any(h.dim() != want for h in hx):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                if two_states:
                    raise RuntimeError(
                        f"For {kind} input, hx and cx should also be {want}-D but got "
                        f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                    )
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want}-D but got {hx[0].dim()}-D tensor"
                )
            if not batched:
                hx = tuple(h.unsqueeze(1) for h in hx)
        if self.batch_first:
            input = input.transpose(0, 1)
        return input, None, None, None, None, hx, not batched

    def _forward(self, input, hx, two_states):
        data, sizes, batch_sizes, sorted_i, unsorted_i, hx, unbatched = self._prepare(
            input, hx, two_states
        )
        packed = sizes is not None
        if not packed:
            steps, batch = data.shape[0], data.shape[1]
            self.check_input(data, None)
            sizes = [batch] * steps
            data = data.reshape(steps * batch, data.shape[2])
        else:
            self.check_input(data, batch_sizes)
        mini_batch = sizes[0] if sizes else 0
        dirs = 2 if self.bidirectional else 1
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * dirs, mini_batch, out_size)
        c_shape = (self.num_layers * dirs, mini_batch, self.hidden_size)
        if hx is None:
            kw = dict(dtype=data.dtype, device=data.device)
            hx = (mytorch.zeros(h_shape, **kw),) + (
                (mytorch.zeros(c_shape, **kw),) if two_states else ()
            )
        elif two_states:
            self.check_hidden_size(hx[0], h_shape, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hx[1], c_shape, "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx[0], h_shape)
        out, finals = self._run(data, sizes, hx)
        if packed:
            out = _packed_sequence()(out, batch_sizes, sorted_i, unsorted_i)
            finals = tuple(self.permute_hidden(f, unsorted_i) for f in finals)
        else:
            out = out.reshape(len(sizes), mini_batch, out.shape[-1])
            if self.batch_first:
                out = out.transpose(0, 1)
            if unbatched:
                out = out.squeeze(0 if self.batch_first else 1)
                finals = tuple(f.squeeze(1) for f in finals)
        return out, finals

    def _run(self, data, sizes, hx):
        """The layers over packed ``data`` (N, I) with batch ``sizes`` per step, from the states
        ``hx``: (output data (N, D * H_out), final states (L * D, B, *) per kind of state)."""
        dirs = 2 if self.bidirectional else 1
        weights = self.all_weights
        finals = [[] for _ in hx]
        x = data
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                out, last = self._direction(x, sizes, [h[k] for h in hx], weights[k], d == 1)
                outs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            x = outs[0] if dirs == 1 else mytorch.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, tuple(mytorch.stack(f, 0) for f in finals)

    def _direction(self, x, sizes, states, w, reverse):
        """One direction of one layer: (outputs (N, H_out), final states)."""
        w_ih, w_hh = w[0], w[1]
        b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
        w_hr = w[-1] if self.proj_size > 0 else None
        mode = self.mode
        if b_hh is not None and mode != "GRU":
            # NOTE: both biases go into the one product of the input part (GRU's hidden part
            # keeps b_hh: its reset gate scales it), one Node (under autocast: F.linear's casts)
            bias = b_ih + b_hh
            gi_all = F.linear(x, w_ih, bias) if _AUTOCAST.on else lstm_input(x, w_ih, bias)
            b_hh = None
        else:
            gi_all = F.linear(x, w_ih, b_ih)
        steps = len(sizes)
        if mode == "LSTM" and w_hr is None and steps and all(b == sizes[0] for b in sizes):
            # every step holds the whole batch: the steps as one Node (mytorch._ops.rnn)
            b = sizes[0]
            h0, c0 = (s[:b] for s in states)
            gi = gi_all.reshape(steps, b, gi_all.shape[-1])
            out, h, c = lstm_layer(gi, w_hh, h0, c0, reverse)
            return out.reshape(steps * b, out.shape[-1]), [h, c]
        w_hh_t = w_hh.t()
        # NOTE: one split Node for every step's part (a slice per step would give each step's
        # gradient as zeros of the whole sequence's shape).
        gis = mytorch.split(gi_all, sizes, 0) if steps > 1 else (gi_all,)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        first = sizes[-1] if reverse else sizes[0] if sizes else 0
        init_states = states
        cur = first
        states = [s[:cur] for s in states]
        ended = []  # the forward direction's states of sequences that ended, latest first
        outs = [None] * steps
        for t in order:
            b = sizes[t]
            if b < cur:
                ended.append([s[b:cur] for s in states])
                states = [s[:b] for s in states]
            elif b > cur:
                states = [mytorch.cat([s, s0[cur:b]], 0) for s, s0 in zip(states, init_states)]
            cur = b
            gi = gis[t]
            h = states[0]
            hh = mytorch.matmul(h, w_hh_t)
            if b_hh is not None:
                hh = hh + b_hh
            if mode == "LSTM":
                h, c = lstm_cell_gates(gi + hh, states[1])
                if w_hr is not None:
                    h = F.linear(h, w_hr)
                states = [h, c]
            elif mode == "GRU":
                states = [gru_cell_gates(gi, hh, h)]
            else:
                pre = gi + hh
                states = [mytorch.tanh(pre) if mode == "RNN_TANH" else mytorch.relu(pre)]
            outs[t] = states[0]
        out = mytorch.cat(outs, 0) if steps > 1 else outs[0]
        if ended:
            ended.append(states)
            states = [mytorch.cat(list(p)[::-1], 0) for p in zip(*ended)]
        return out, states


class RNN(RNNBase):
    """An Elman RNN (tanh or relu). Matches torch.nn.RNN."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, None if hx is None else (hx,), False)
        return out, h


class GRU(RNNBase):
    """A multi-layer gated recurrent unit. Matches torch.nn.GRU."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        out, (h,) = self._forward(input, None if hx is None else (hx,), False)
        return out, h


class LSTM(RNNBase):
    """A multi-layer long short-term memory (optionally with projections). Matches
    torch.nn.LSTM."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        size = self.get_expected_hidden_size(input, batch_sizes)
        return (size[0], size[1], self.hidden_size)

    def forward(self, input, hx=None):
        out, (h, c) = self._forward(input, None if hx is None else tuple(hx), True)
        return out, (h, c)


# --- the cells ---------------------------------------------------------------------------------
class RNNCellBase(Module):
    """The cells' base. Matches torch.nn.RNNCellBase."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(mytorch.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(mytorch.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(mytorch.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(mytorch.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batch(self, input, hiddens, what):
        """(input, states) with a batch dim, zeros for missing states, and whether it was
        added; torch's ValueErrors for wrong numbers of dims."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hiddens is not None:
            for i, h in enumerate(hiddens):
                if h.dim() not in (1, 2):
                    label = f"hx[{i}]" if what == 2 else "hidden"
                    raise ValueError(
                        f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D instead"
                    )
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hiddens is None:
            z = mytorch.zeros(
                input.size(0), self.hidden_size, dtype=input.dtype, device=input.device
            )
            hiddens = (z,) * what
        elif not batched:
            hiddens = tuple(h.unsqueeze(0) for h in hiddens)
        return input, tuple(hiddens), not batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """An Elman RNN cell (tanh or relu). Matches torch.nn.RNNCell."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), unbatched = self._batch(input, None if hx is None else (hx,), 1)
        if self.nonlinearity == "tanh":
            out = mytorch.rnn_tanh_cell(x, h, *self._weights())
        elif self.nonlinearity == "relu":
            out = mytorch.rnn_relu_cell(x, h, *self._weights())
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """A long short-term memory cell. Matches torch.nn.LSTMCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, hc, unbatched = self._batch(input, None if hx is None else tuple(hx), 2)
        h, c = mytorch.lstm_cell(x, hc, *self._weights())
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell. Matches torch.nn.GRUCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), unbatched = self._batch(input, None if hx is None else (hx,), 1)
        out = mytorch.gru_cell(x, h, *self._weights())
        return out.squeeze(0) if unbatched else out
