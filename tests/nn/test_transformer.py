"""The Transformer modules against torch, with the same weights: encoder and decoder layers and
stacks and the whole Transformer (outputs, input and parameter gradients, second derivatives
where torch has them, masks of each kind, repr, state_dict keys, deep copies, subclasses,
errors)."""

import copy
import warnings

import numpy as np
import pytest

import mytorch
from helpers import TOL, raises_like, seeded_rng, to_numpy, torch
from nn_check import assert_same_state_dict, compare_derivatives, copy_state

pytestmark = pytest.mark.torch


def _run(make, forward, inputs, dtype_name, device, train=False, second=False):
    """``make(T)`` builds the module; ``forward(T, module, *tensors)`` calls it. Float inputs
    listed first get gradients; the rest (masks) do not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, mm = make(torch), make(mytorch)
    assert repr(mm) == repr(tm)
    assert_same_state_dict(mm, tm)
    copy_state(mm, tm)
    tm.to(getattr(torch, dtype_name)).train(train)
    mm.to(device, getattr(mytorch, dtype_name)).train(train)
    xt, xm = [], []
    for a, grad in inputs:
        a = a.astype(dtype_name) if a.dtype.kind == "f" else a
        xt.append(torch.tensor(a, requires_grad=grad))
        xm.append(mytorch.tensor(a, device=device, requires_grad=grad))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, om = forward(torch, tm, *xt), forward(mytorch, mm, *xm)
    np.testing.assert_allclose(to_numpy(om), to_numpy(ot.detach()), **TOL[dtype_name])
    assert om.device.type == device
    tp = [x for x in xt if x.requires_grad] + list(tm.parameters())
    mp = [x for x in xm if x.requires_grad] + list(mm.parameters())
    compare_derivatives(ot, om, tp, mp, dtype_name, device, second)


ENC = {
    "post_relu": {},
    "pre_gelu": {"norm_first": True, "activation": "gelu"},
    "batch_first": {"batch_first": True},
    "no_bias": {"bias": False},
    "callable": {"activation": "module_gelu"},
}


def _layer_kw(T, kw):
    kw = dict(kw)
    if kw.get("activation") == "module_gelu":
        kw["activation"] = T.nn.GELU(approximate="tanh")
    return kw


def _mask_inputs(rng, kind, L, N):
    kpm = np.zeros((N, L), bool)
    kpm[-1, L - 2 :] = True
    causal = np.triu(np.ones((L, L), bool), 1)
    if kind == "bool":
        return kpm, causal
    return np.where(kpm, -np.inf, 0.0), np.where(causal, -np.inf, 0.0)


@pytest.mark.parametrize("masks", ["none", "bool", "float"])
@pytest.mark.parametrize("case", sorted(ENC))
def test_encoder_layer(case, masks, dtype_name, device):
    rng = seeded_rng("enc", case, masks)
    kw = ENC[case]
    L, N, E = 5, 3, 8
    shape = (N, L, E) if kw.get("batch_first") else (L, N, E)
    inputs = [(rng.standard_normal(shape), True)]
    if masks != "none":
        inputs += [(m, False) for m in _mask_inputs(rng, masks, L, N)]

    def make(T):
        return T.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, **_layer_kw(T, kw))

    def forward(T, m, x, *ms):
        if not ms:
            return m(x)
        return m(x, src_mask=ms[1], src_key_padding_mask=ms[0])

    for train in (False, True):
        _run(make, forward, inputs, dtype_name, device, train=train)


@pytest.mark.parametrize("masks", ["none", "bool", "float"])
@pytest.mark.parametrize("case", sorted(ENC))
def test_decoder_layer(case, masks, dtype_name, device):
    rng = seeded_rng("dec", case, masks)
    kw = ENC[case]
    L, S, N, E = 4, 5, 3, 8
    bf = kw.get("batch_first")
    tshape, mshape = ((N, L, E), (N, S, E)) if bf else ((L, N, E), (S, N, E))
    inputs = [(rng.standard_normal(tshape), True), (rng.standard_normal(mshape), True)]
    if masks != "none":
        tkpm, causal = _mask_inputs(rng, masks, L, N)
        mkpm, _ = _mask_inputs(rng, masks, S, N)
        mem_mask = rng.random((L, S)) < 0.3
        mem_mask[:, 0] = False
        if masks == "float":
            mem_mask = np.where(mem_mask, -np.inf, 0.0)
        inputs += [(m, False) for m in (tkpm, causal, mkpm, mem_mask)]

    def make(T):
        return T.nn.TransformerDecoderLayer(E, 2, 16, dropout=0.0, **_layer_kw(T, kw))

    def forward(T, m, x, mem, *ms):
        if not ms:
            return m(x, mem)
        return m(
            x, mem, tgt_mask=ms[1], memory_mask=ms[3], tgt_key_padding_mask=ms[0],
            memory_key_padding_mask=ms[2],
        )  # fmt: skip

    _run(make, forward, inputs, dtype_name, device, train=True)


def test_layers_second_derivatives(device):
    """Second derivatives of a layer: torch's flash kernel (the path without attention
    weights) has none, so a subclass of the layer (as users write them) asks for the weights,
    which takes torch's path that has them."""
    rng = seeded_rng("enc-2nd")
    L, N, E = 4, 2, 6

    def make(T):
        class Layer(T.nn.TransformerEncoderLayer):
            def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
                x = self.self_attn(x, x, x, attn_mask=attn_mask, need_weights=True)[0]
                return self.dropout1(x)

        return Layer(E, 2, 8, dropout=0.0, activation="gelu")

    def forward(T, m, x, mask):
        return m(x, src_mask=mask)

    mask = np.triu(np.full((L, L), -np.inf), 1)
    inputs = [(rng.standard_normal((L, N, E)), True), (mask, False)]
    _run(make, forward, inputs, "float64", device, train=True, second=True)


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_stack(norm, dtype_name, device):
    rng = seeded_rng("encoder", norm)
    L, N, E = 5, 2, 8

    def make(T):
        T.manual_seed(0)
        layer = T.nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0)
        n = T.nn.LayerNorm(E) if norm else None
        return T.nn.TransformerEncoder(layer, 2, norm=n, enable_nested_tensor=False)

    kpm, causal = _mask_inputs(rng, "float", L, N)

    def forward(T, m, x, kpm, causal):
        return m(x, mask=causal, src_key_padding_mask=kpm)

    inputs = [(rng.standard_normal((L, N, E)), True), (kpm, False), (causal, False)]
    _run(make, forward, inputs, dtype_name, device, train=True)

    def forward_causal(T, m, x, kpm, causal):
        return m(x, mask=causal, is_causal=True)

    _run(make, forward_causal, inputs, dtype_name, device)


def test_decoder_stack(dtype_name, device):
    rng = seeded_rng("decoder")
    L, S, N, E = 4, 5, 2, 8

    def make(T):
        layer = T.nn.TransformerDecoderLayer(E, 2, 16, dropout=0.0, batch_first=True)
        return T.nn.TransformerDecoder(layer, 2, norm=T.nn.LayerNorm(E))

    def forward(T, m, x, mem):
        mask = T.nn.Transformer.generate_square_subsequent_mask(L, x.device, x.dtype)
        return m(x, mem, tgt_mask=mask)

    inputs = [(rng.standard_normal((N, L, E)), True), (rng.standard_normal((N, S, E)), True)]
    _run(make, forward, inputs, dtype_name, device, train=True)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(batch_first, batched, dtype_name, device):
    rng = seeded_rng("transformer", batch_first, batched)
    S, L, N, E = 5, 4, 2, 8

    def make(T):
        return T.nn.Transformer(
            E, 2, 2, 1, 16, dropout=0.0, batch_first=batch_first, activation="gelu"
        )

    def shape(n):
        if not batched:
            return (n, E)
        return (N, n, E) if batch_first else (n, N, E)

    def forward(T, m, src, tgt):
        mask = m.generate_square_subsequent_mask(L, dtype=src.dtype, device=src.device)
        return m(src, tgt, tgt_mask=mask)

    inputs = [(rng.standard_normal(shape(S)), True), (rng.standard_normal(shape(L)), True)]
    _run(make, forward, inputs, dtype_name, device, train=True)


def test_transformer_key_padding(device):
    rng = seeded_rng("transformer-kpm")
    S, L, N, E = 5, 4, 3, 8

    def make(T):
        return T.nn.Transformer(E, 2, 1, 1, 16, dropout=0.0)

    skpm, _ = _mask_inputs(rng, "bool", S, N)
    tkpm, _ = _mask_inputs(rng, "bool", L, N)

    def forward(T, m, src, tgt, skpm, tkpm):
        mask = m.generate_square_subsequent_mask(L, dtype=src.dtype, device=src.device)
        return m(
            src, tgt, tgt_mask=mask, src_key_padding_mask=skpm, tgt_key_padding_mask=tkpm,
            memory_key_padding_mask=skpm, tgt_is_causal=True,
        )  # fmt: skip

    inputs = [(rng.standard_normal((S, N, E)), True), (rng.standard_normal((L, N, E)), True)]
    inputs += [(skpm, False), (tkpm, False)]
    _run(make, forward, inputs, "float64", device, train=False)


def test_generate_square_subsequent_mask():
    for args in ((4,), (3,)):
        a = mytorch.nn.Transformer.generate_square_subsequent_mask(*args)
        b = torch.nn.Transformer.generate_square_subsequent_mask(*args)
        assert a.dtype == mytorch.float32
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    a = mytorch.nn.Transformer.generate_square_subsequent_mask(3, dtype=mytorch.float64)
    assert a.dtype == mytorch.float64


def test_deepcopy_and_clones():
    layer = mytorch.nn.TransformerEncoderLayer(8, 2, 16)
    enc = mytorch.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    ps = [dict(m.named_parameters()) for m in enc.layers]
    for a, b in zip(ps, ps[1:]):
        for k in a:
            assert a[k] is not b[k]
            np.testing.assert_array_equal(to_numpy(a[k]), to_numpy(b[k]))
    assert enc.layers[0].self_attn.in_proj_weight is not layer.self_attn.in_proj_weight
    c = copy.deepcopy(enc)
    assert repr(c) == repr(enc)
    for (k, a), (_, b) in zip(enc.state_dict().items(), c.state_dict().items()):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_nested_tensor_warning():
    for T in (torch, mytorch):
        with pytest.warns(UserWarning, match="batch_first was not True"):
            T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(8, 2, 16), 1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            layer = T.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
            enc = T.nn.TransformerEncoder(layer, 1)
            assert enc.use_nested_tensor is True


def test_activation_flags():
    for act, flag in (("relu", 1), ("gelu", 2)):
        for T in (torch, mytorch):
            assert (
                T.nn.TransformerEncoderLayer(8, 2, 16, activation=act).activation_relu_or_gelu
                == flag
            )
    m = mytorch.nn.TransformerEncoderLayer(8, 2, 16, activation=mytorch.nn.ReLU())
    t = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.ReLU())
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict())
    assert m.activation_relu_or_gelu == 1


@pytest.mark.parametrize("case", ["activation", "batch", "features", "nomask_causal", "mask_dtype"])
def test_errors(case):
    def call(T):
        if case == "activation":
            T.nn.TransformerEncoderLayer(8, 2, activation="tanh")
        m = T.nn.Transformer(8, 2, 1, 1, 16)
        src, tgt = T.zeros(5, 2, 8), T.zeros(4, 3, 8)
        if case == "batch":
            m(src, tgt)
        elif case == "features":
            m(src, T.zeros(4, 2, 6))
        elif case == "nomask_causal":
            m.decoder.layers[0](T.zeros(4, 2, 8), src, tgt_is_causal=True)
        elif case == "mask_dtype":
            m.encoder(src, mask=T.zeros(5, 5, dtype=T.int64))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(call)
