"""The recurrent layers against torch: nn.RNN (tanh, relu), nn.LSTM (with proj_size), nn.GRU and
the cells RNNCell, LSTMCell, GRUCell, built in both libraries with the same weights (through
state_dict), on the CPU and the stand-in device, float32 and float64, train and eval: outputs,
final states, first derivatives of the input, the initial states and every parameter, and
second derivatives; packed sequences with unsorted lengths (nn.utils.rnn), and the errors torch
raises."""

import warnings

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, to_numpy, torch
from nn_check import assert_same_state_dict, compare_derivatives, copy_state

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:LSTM with projections")]


def _flat(T, outs):
    """Every output tensor (PackedSequence: its data; tuples: each member) as one 1-d tensor."""
    pieces = []
    for o in outs:
        if isinstance(o, tuple) and hasattr(o, "batch_sizes"):
            pieces.append(o.data.reshape(-1))
        elif isinstance(o, tuple):
            pieces.extend(t.reshape(-1) for t in o)
        else:
            pieces.append(o.reshape(-1))
    return T.cat(pieces)


def _assert_outputs(om, ot):
    if isinstance(ot, tuple) and hasattr(ot, "batch_sizes"):
        assert type(om).__name__ == "PackedSequence" and isinstance(om, tuple)
        assert_matches(om.data, ot.data)
        assert_matches(om.batch_sizes, ot.batch_sizes)
        for a, b in ((om.sorted_indices, ot.sorted_indices), (om.unsorted_indices,
                                                               ot.unsorted_indices)):  # fmt: skip
            assert (a is None) == (b is None)
            if b is not None:
                assert_matches(a, b)
    elif isinstance(ot, tuple):
        assert isinstance(om, tuple) and len(om) == len(ot)
        for a, b in zip(om, ot):
            _assert_outputs(a, b)
    else:
        assert_matches(om, ot)


def check_rnn(make, inputs, dtype_name, device, train=True, second=True, call=None):
    """``make(T)`` builds the layer; ``inputs`` are NumPy arrays (the input, then states as
    ``call`` passes them: ``call(T, module, *tensors)``, default ``module(*tensors)``)."""
    call = call or (lambda T, m, *xs: m(*xs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, mm = make(torch), make(mytorch)
    assert repr(mm) == repr(tm)
    assert_same_state_dict(mm, tm)
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name)).train(train)
    mm.to(device, getattr(mytorch, dtype_name)).train(train)
    xt = [torch.tensor(a.astype(dtype_name), requires_grad=True) for a in inputs]
    xm = [mytorch.tensor(a.astype(dtype_name), device=device, requires_grad=True) for a in inputs]
    ot, om = call(torch, tm, *xt), call(mytorch, mm, *xm)
    _assert_outputs(om, ot)
    ft, fm = _flat(torch, ot), _flat(mytorch, om)
    assert fm.device.type == device
    compare_derivatives(ft, fm, xt + list(tm.parameters()), xm + list(mm.parameters()),
                        dtype_name, device, second)  # fmt: skip


R = seeded_rng("rnn")


def _r(*shape):
    return R.standard_normal(shape)


# (class, constructor kwargs, arrays: input then states (LSTM: h0, c0 as a tuple))
LAYERS = [
    ("RNN", dict(input_size=3, hidden_size=4), [_r(4, 2, 3)]),
    (
        "RNN",
        dict(
            input_size=3,
            hidden_size=4,
            nonlinearity="relu",
            num_layers=2,
            bias=False,
            batch_first=True,
        ),
        [_r(2, 4, 3), _r(2, 2, 4)],
    ),  # fmt: skip
    ("RNN", dict(input_size=3, hidden_size=2, bidirectional=True), [_r(3, 3), _r(2, 2)]),
    ("GRU", dict(input_size=3, hidden_size=4), [_r(4, 2, 3), _r(1, 2, 4)]),
    (
        "GRU",
        dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True, batch_first=True),
        [_r(2, 3, 2)],
    ),  # fmt: skip
    ("GRU", dict(input_size=2, hidden_size=3, bias=False), [_r(3, 2), _r(1, 3)]),
    ("LSTM", dict(input_size=3, hidden_size=4), [_r(4, 2, 3)]),
    (
        "LSTM",
        dict(input_size=3, hidden_size=4, batch_first=True),
        [_r(2, 3, 3), _r(1, 2, 4), _r(1, 2, 4)],
    ),  # fmt: skip
    (
        "LSTM",
        dict(input_size=2, hidden_size=4, proj_size=2, num_layers=2, bidirectional=True),
        [_r(3, 2, 2), _r(4, 2, 2), _r(4, 2, 4)],
    ),  # fmt: skip
    ("LSTM", dict(input_size=2, hidden_size=3, bias=False), [_r(3, 2), _r(1, 3), _r(1, 3)]),
    ("LSTM", dict(input_size=2, hidden_size=3, num_layers=3, dropout=1.0), [_r(3, 2, 2)]),
    ("GRU", dict(input_size=2, hidden_size=3, num_layers=2, dropout=1.0), [_r(3, 2, 2)]),
]


def _call_lstm(T, m, x, *states):
    return m(x, tuple(states)) if states else m(x)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("cls, kwargs, arrays", LAYERS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])  # fmt: skip
def test_layer(cls, kwargs, arrays, dtype_name, device, train):
    call = _call_lstm if cls == "LSTM" else None
    check_rnn(lambda T: getattr(T.nn, cls)(**kwargs), arrays, dtype_name, device, train,
              call=call)  # fmt: skip


# (class, constructor args, arrays: input, then states)
CELLS = [
    ("RNNCell", (3, 4), [_r(2, 3), _r(2, 4)]),
    ("RNNCell", (3, 4, False, "relu"), [_r(2, 3)]),
    ("RNNCell", (3, 4), [_r(3), _r(4)]),
    ("LSTMCell", (3, 4), [_r(2, 3), _r(2, 4), _r(2, 4)]),
    ("LSTMCell", (3, 4, False), [_r(2, 3)]),
    ("LSTMCell", (3, 2), [_r(3), _r(2), _r(2)]),
    ("GRUCell", (3, 4), [_r(2, 3), _r(2, 4)]),
    ("GRUCell", (3, 4, False), [_r(3)]),
]


@pytest.mark.parametrize("cls, args, arrays", CELLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CELLS)])  # fmt: skip
def test_cell(cls, args, arrays, dtype_name, device):
    call = _call_lstm if cls == "LSTMCell" else None
    check_rnn(lambda T: getattr(T.nn, cls)(*args), arrays, dtype_name, device, call=call)


# --- packed sequences ------------------------------------------------------------------------
def _packed_call(lengths, batch_first=False, enforce_sorted=False):
    def call(T, m, x, *states):
        p = T.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        if isinstance(m, T.nn.LSTM):
            out, (h, c) = m(p, tuple(states)) if states else m(p)
        else:
            out, h = m(p, *states)
            c = None
        padded, lens = T.nn.utils.rnn.pad_packed_sequence(out, batch_first, 0.5, 6)
        assert lens.dtype == T.int64 and lens.device.type == "cpu"
        return (out, padded, h) + ((c,) if c is not None else ())

    return call


PACKED = [
    (
        "RNN",
        dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True),
        [3, 5, 1, 4],
        [_r(5, 4, 2)],
    ),  # fmt: skip
    (
        "GRU",
        dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True),
        [2, 4, 4],
        [_r(4, 3, 2), _r(4, 3, 3)],
    ),  # fmt: skip
    (
        "LSTM",
        dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True, proj_size=2),
        [1, 3, 2],
        [_r(3, 3, 2), _r(4, 3, 2), _r(4, 3, 3)],
    ),  # fmt: skip
    ("LSTM", dict(input_size=2, hidden_size=3, batch_first=True), [4, 2, 1], [_r(3, 4, 2)]),
]


@pytest.mark.parametrize("cls, kwargs, lengths, arrays", PACKED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PACKED)])  # fmt: skip
def test_packed(cls, kwargs, lengths, arrays, dtype_name, device):
    bf = kwargs.get("batch_first", False)
    sorted_ = lengths == sorted(lengths, reverse=True)
    check_rnn(lambda T: getattr(T.nn, cls)(**kwargs), arrays, dtype_name, device,
              call=_packed_call(lengths, bf, sorted_), second=dtype_name == "float64")  # fmt: skip


def test_packed_lengths_as_tensor():
    def call(T, m, x):
        return _packed_call(T.tensor([2, 4, 3]))(T, m, x)

    check_rnn(lambda T: T.nn.LSTM(2, 3, bidirectional=True), [_r(4, 3, 2)], "float64", "cpu",
              call=call)  # fmt: skip


# --- nn.utils.rnn -----------------------------------------------------------------------------
def _seqs(T, dtype="float64"):
    return [T.tensor(_SEQ[i].astype(dtype), requires_grad=True) for i in range(3)]


_SEQ = [_r(3, 2), _r(5, 2), _r(1, 2)]


UTILS = [
    lambda T, s: T.nn.utils.rnn.pad_sequence(s),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, batch_first=True, padding_value=-1.5),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, True, 2.0, padding_side="left"),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, padding_side="left"),
    lambda T, s: T.nn.utils.rnn.pack_sequence(s, enforce_sorted=False).data,
    lambda T, s: T.nn.utils.rnn.pack_sequence(sorted(s, key=lambda t: -t.shape[0])).data,
    lambda T, s: T.cat(T.nn.utils.rnn.unpack_sequence(T.nn.utils.rnn.pack_sequence(s, False))),
    lambda T, s: T.cat(
        T.nn.utils.rnn.unpad_sequence(T.nn.utils.rnn.pad_sequence(s), T.tensor([3, 5, 1]))),
    lambda T, s: T.cat(T.nn.utils.rnn.unpad_sequence(
        T.nn.utils.rnn.pad_sequence(s, True), T.tensor([3, 5, 1]), batch_first=True)),
    lambda T, s: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_sequence(s, False), True, -1.0, 7)[0],
    lambda T, s: T.nn.utils.rnn.pad_packed_sequence(T.nn.utils.rnn.pack_sequence(s, False))[1],
    lambda T, s: T.nn.utils.rnn.pack_padded_sequence(
        T.nn.utils.rnn.pad_sequence(s, True), [3, 5, 1], True, False).batch_sizes,
    lambda T, s: T.nn.utils.rnn.pack_sequence(s, False).unsorted_indices,
    lambda T, s: T.nn.utils.rnn.pack_sequence(s, False).to(T.float32).data,
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(UTILS)))
def test_utils(i):
    fn = UTILS[i]
    st, sm = _seqs(torch), _seqs(mytorch)
    ot, om = fn(torch, st), fn(mytorch, sm)
    assert_matches(om, ot)
    if ot.requires_grad:
        w = np.random.default_rng(i).standard_normal(tuple(ot.shape))
        gt = torch.autograd.grad((ot * torch.tensor(w, dtype=ot.dtype)).sum(), st,
                                 allow_unused=True)  # fmt: skip
        gm = mytorch.autograd.grad((om * mytorch.tensor(w, dtype=om.dtype)).sum(), sm,
                                   allow_unused=True)  # fmt: skip
        for a, b, x in zip(gm, gt, st):
            a = np.zeros(tuple(x.shape)) if a is None else to_numpy(a)
            b = np.zeros(tuple(x.shape)) if b is None else to_numpy(b)
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_packed_sequence_type(device):
    p = mytorch.nn.utils.rnn.pack_sequence(
        [mytorch.tensor(s, device=device) for s in _SEQ], enforce_sorted=False
    )
    PS = mytorch.nn.utils.rnn.PackedSequence
    assert PS is mytorch.nn.utils.rnn.PackedSequence and isinstance(p, tuple)
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert p.batch_sizes.device.type == "cpu" and p.batch_sizes.dtype == mytorch.int64
    assert p.sorted_indices.device.type == device
    q = p.to(mytorch.float32)
    assert isinstance(q, PS) and q.data.dtype == mytorch.float32
    assert q.double().data.dtype == mytorch.float64
    c = p.cpu()
    assert c.data.device.type == "cpu" and c.sorted_indices.device.type == "cpu"
    assert p.to(p.data.dtype) is p and not p.is_cuda
    data, sizes, srt, uns = p
    assert to_numpy(uns).tolist() == [1, 0, 2]
    r = PS(data, sizes, srt)
    assert to_numpy(r.unsorted_indices).tolist() == [1, 0, 2]


# --- the module's surface ---------------------------------------------------------------------
def test_paths_names_and_init():
    for name in ("RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell",
                 "GRUCell"):  # fmt: skip
        cls = getattr(mytorch.nn, name)
        assert cls is getattr(mytorch.nn.modules.rnn, name)
        assert cls.__module__ == "mytorch.nn.modules.rnn"
    for T in (torch, mytorch):
        assert T.nn.utils.rnn.PackedSequence.__name__ == "PackedSequence"
    mytorch.manual_seed(0)
    m = mytorch.nn.LSTM(3, 16, num_layers=2, bidirectional=True, proj_size=4)
    t = torch.nn.LSTM(3, 16, num_layers=2, bidirectional=True, proj_size=4)
    assert m._flat_weights_names == t._flat_weights_names
    assert [[tuple(w.shape) for w in ws] for ws in m.all_weights] == [
        [tuple(w.shape) for w in ws] for ws in t.all_weights
    ]
    assert all(isinstance(w, mytorch.nn.Parameter) for ws in m.all_weights for w in ws)
    bound = 1 / np.sqrt(16)
    for p in m.parameters():
        a = np.abs(to_numpy(p))
        assert a.max() <= bound and a.max() > 0.7 * bound
    assert m.flatten_parameters() is None
    m.double()
    assert m.all_weights[0][0].dtype == mytorch.float64  # all_weights follows .to()
    c = mytorch.nn.GRUCell(3, 5, bias=False)
    assert c.bias_ih is None and [n for n, _ in c.named_parameters()] == ["weight_ih", "weight_hh"]
    assert repr(mytorch.nn.RNNCell(3, 4, nonlinearity="relu")) == repr(
        torch.nn.RNNCell(3, 4, nonlinearity="relu")
    )
    assert repr(mytorch.nn.RNN(3, 4, 2, "relu", False, True, 0.5, True)) == repr(
        torch.nn.RNN(3, 4, 2, "relu", False, True, 0.5, True)
    )


def test_dropout_in_training_only():
    mytorch.manual_seed(0)
    m = mytorch.nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = mytorch.tensor(_r(4, 2, 3), dtype=mytorch.float32)
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(to_numpy(a), to_numpy(b))  # two dropout masks
    m.eval()
    np.testing.assert_array_equal(to_numpy(m(x)[0]), to_numpy(m(x)[0]))


def test_dropout_warning():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        mytorch.nn.LSTM(2, 3, dropout=0.2)


# --- errors -----------------------------------------------------------------------------------
def _t(T, *shape, dtype="float32"):
    return T.tensor(np.zeros(shape, dtype=dtype))


ERRORS = [
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 2, 6)),
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 2, 4), (_t(T, 1, 3, 5), _t(T, 1, 2, 5))),
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 2, 4), (_t(T, 1, 2, 5), _t(T, 1, 2, 4))),
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 2, 4), (_t(T, 1, 2, 5), _t(T, 2, 5))),
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 4), (_t(T, 1, 2, 5), _t(T, 1, 2, 5))),
    lambda T: T.nn.LSTM(4, 5)(_t(T, 3, 2, 4, 1)),
    lambda T: T.nn.LSTM(4, 5, proj_size=2)(_t(T, 3, 2, 4), (_t(T, 1, 2, 5), _t(T, 1, 2, 5))),
    lambda T: T.nn.GRU(4, 5)(_t(T, 3, 2, 4), _t(T, 2, 2, 5)),
    lambda T: T.nn.GRU(4, 5)(_t(T, 3, 2, 4, dtype="float64")),
    lambda T: T.nn.GRU(4, 5)(_t(T, 3, 4), _t(T, 1, 1, 5)),
    lambda T: T.nn.GRU(4, 5)(_t(T, 3, 2, 4), _t(T, 1, 5)),
    lambda T: T.nn.RNN(4, 5)(_t(T, 3, 2, 4, 1)),
    lambda T: T.nn.RNN(4, 5, bidirectional=True)(_t(T, 3, 2, 4), _t(T, 1, 2, 5)),
    lambda T: T.nn.RNN(4, 5, nonlinearity="foo"),
    lambda T: T.nn.GRU(4, 5, proj_size=2),
    lambda T: T.nn.LSTM(4, 5, proj_size=5),
    lambda T: T.nn.LSTM(4, 5, proj_size=-1),
    lambda T: T.nn.LSTM(4, 5, dropout=1.5),
    lambda T: T.nn.LSTM(4, 5, dropout=True),
    lambda T: T.nn.LSTM(4, 0),
    lambda T: T.nn.LSTM(0, 4),
    lambda T: T.nn.LSTM(4, 4, num_layers=0),
    lambda T: T.nn.LSTM(4, 4.0),
    lambda T: T.nn.LSTM(4, 4, bias=1),
    lambda T: T.nn.LSTM(4, 4, batch_first=None),
    lambda T: T.nn.LSTMCell(4, 5)(_t(T, 3, 6)),
    lambda T: T.nn.LSTMCell(4, 5)(_t(T, 3, 4), (_t(T, 2, 5), _t(T, 3, 5))),
    lambda T: T.nn.LSTMCell(4, 5)(_t(T, 3, 4), (_t(T, 3, 5), _t(T, 3, 6))),
    lambda T: T.nn.LSTMCell(4, 5)(_t(T, 3, 4), (_t(T, 3, 5), _t(T, 1, 3, 5))),
    lambda T: T.nn.LSTMCell(4, 5)(_t(T, 1, 3, 4)),
    lambda T: T.nn.GRUCell(4, 5)(_t(T, 3, 4), _t(T, 3, 5, 1)),
    lambda T: T.nn.GRUCell(4, 5)(_t(T, 4), _t(T, 3, 5)),
    lambda T: T.nn.RNNCell(4, 5)(_t(T, 3, 4), _t(T, 3, 4)),
    lambda T: T.nn.RNNCell(4, 5)(_t(T, 2, 3, 4)),
    lambda T: T.gru_cell(_t(T, 4), _t(T, 5), _t(T, 15, 4), _t(T, 15, 5)),
    lambda T: T.nn.utils.rnn.pad_sequence([_t(T, 2, 1)], padding_side="up"),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(_t(T, 3, 2), [2, 3]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(_t(T, 3, 2), [3, 0]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(_t(T, 3, 2), [3, 2, 1]),
    lambda T: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_padded_sequence(_t(T, 3, 2), [3, 2]), total_length=2),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, t = raises_like(ERRORS[i])
    assert m == t


# --- the kernels ------------------------------------------------------------------------------
@pytest.mark.kernels_vs_reference
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_cpu_kernels_match_reference(dt):
    from mytorch._backends.reference import NUMPY

    cpu = mytorch._backends.CPU
    rng = np.random.default_rng(5)
    for shape, scale in [((3, 5), 3), ((1, 1), 1), ((7, 300), 3), ((2, 3, 4), 60), ((0, 2), 1)]:
        b, k = shape[:-1], shape[-1]
        gates = (rng.standard_normal(b + (4 * k,)) * scale).astype(dt)
        c = rng.standard_normal(shape).astype(dt)
        for got, want in zip(cpu.lstm_cell_gates(gates, c), NUMPY.lstm_cell_gates(gates, c)):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-5 if dt == "float32" else 1e-13,
                                       atol=1e-6 if dt == "float32" else 1e-14)  # fmt: skip
        dh, dc = (rng.standard_normal(shape).astype(dt) for _ in range(2))
        got = cpu.lstm_cell_gates_backward(dh, dc, gates, c)
        want = NUMPY.lstm_cell_gates_backward(dh, dc, gates, c)
        for got, want in zip(got, want):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-5 if dt == "float32" else 1e-13,
                                       atol=1e-6 if dt == "float32" else 1e-14)  # fmt: skip
        gi, gh = ((rng.standard_normal(b + (3 * k,)) * scale).astype(dt) for _ in range(2))
        got, want = cpu.gru_cell_gates(gi, gh, c), NUMPY.gru_cell_gates(gi, gh, c)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5 if dt == "float32" else 1e-13,
                                   atol=1e-6 if dt == "float32" else 1e-14)  # fmt: skip
    # a non-contiguous operand takes the reference path
    gates = rng.standard_normal((8, 4)).astype(dt)[::2]
    c = rng.standard_normal((4, 1)).astype(dt)
    np.testing.assert_allclose(cpu.lstm_cell_gates(gates, c)[1], NUMPY.lstm_cell_gates(gates, c)[1])
    dh = rng.standard_normal((8, 1)).astype(dt)[::2]
    np.testing.assert_allclose(
        cpu.lstm_cell_gates_backward(dh, dh, gates, c)[0],
        NUMPY.lstm_cell_gates_backward(dh, dh, gates, c)[0],
    )


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_lstm_backward_kernel_matches_its_formula(dt):
    """The fused backward (create_graph=False) gives what the differentiable formula gives."""
    rng = np.random.default_rng(6)
    gates = mytorch.tensor((rng.standard_normal((5, 12)) * 3).astype(dt), requires_grad=True)
    c = mytorch.tensor(rng.standard_normal((5, 3)).astype(dt), requires_grad=True)
    from mytorch._ops.rnn import lstm_cell_gates

    h, c2 = lstm_cell_gates(gates, c)
    loss = (h * mytorch.tensor(rng.standard_normal((5, 3)).astype(dt))).sum() + (c2 * c2).sum()
    fast = mytorch.autograd.grad(loss, (gates, c), retain_graph=True, create_graph=False)
    slow = mytorch.autograd.grad(loss, (gates, c), create_graph=True)
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and not a.requires_grad and b.requires_grad
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def _output_only(T, m, x):
    return m(x)[0]  # the final states get no gradient: the cell VJPs see None for c


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_output_only(cls, device):
    check_rnn(lambda T: getattr(T.nn, cls)(2, 3, num_layers=2), [_r(3, 2, 2)], "float64", device,
              call=_output_only)  # fmt: skip


def test_gradcheck_through_packed_layers():
    mytorch.manual_seed(3)
    m = mytorch.nn.LSTM(2, 3, bidirectional=True, proj_size=2).double()
    g = mytorch.nn.GRU(2, 2).double()
    x = mytorch.tensor(_r(3, 2, 2), requires_grad=True)
    h0 = mytorch.tensor(_r(2, 2, 2), requires_grad=True)

    def f(x, h0):
        p = mytorch.nn.utils.rnn.pack_padded_sequence(x, [2, 3], enforce_sorted=False)
        out, (h, c) = m(p, (h0, h0.sum(-1, keepdim=True).expand(2, 2, 3)))
        out2, h2 = g(mytorch.nn.utils.rnn.pad_packed_sequence(out)[0][..., :2])
        return out2.sum(0) * h2[0] + c.sum(0)[:, :2]

    assert mytorch.autograd.gradcheck(f, (x, h0))
    assert mytorch.autograd.gradgradcheck(f, (x, h0))
