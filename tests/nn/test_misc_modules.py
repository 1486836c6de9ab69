"""Dropout, Embedding, EmbeddingBag (and F.embedding_bag), the distances, pixel and channel
shuffles and the padding modules against torch: repr, state_dict, values, gradients of two
orders, float32/float64, the CPU and the stand-in device, train and eval."""

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch
DROPOUTS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
SHAPES = {"Dropout1d": (4, 50, 6), "Dropout3d": (4, 50, 2, 2, 2)}


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_eval_is_identity(name, dtype_name, device):
    x = seeded_rng("drop", name).standard_normal(SHAPES.get(name, (2, 3, 4, 2)))
    check_layer(lambda T: getattr(T.nn, name)(0.3), [x], dtype_name, device, train=False)


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_train(name, device):
    assert repr(getattr(mytorch.nn, name)(0.2, True)) == repr(getattr(torch.nn, name)(0.2, True))
    shape = SHAPES.get(name, (4, 50, 6, 6))
    x = mytorch.ones(*shape, device=device)
    m = getattr(mytorch.nn, name)(0.4)
    mytorch.manual_seed(3)
    y = m(x).cpu().numpy()
    mytorch.manual_seed(3)
    again = m(x).cpu().numpy()
    np.testing.assert_array_equal(y, again)
    values = np.unique(np.round(y, 5))
    dropped = 0.0 if "Alpha" not in name else values[0]
    assert len(values) == 2 and 0.3 < (np.round(y, 5) == np.round(dropped, 5)).mean() < 0.5
    if name in ("Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"):
        per_channel = y.reshape(shape[0], shape[1], -1)
        assert (per_channel == per_channel[..., :1]).all()  # whole channels dropped together
    m.eval()
    assert_matches(m(x), torch.ones(*shape))


def test_dropout_p_out_of_range():
    m, t = raises_like(lambda T: T.nn.Dropout(1.5), (), ValueError)
    assert m == t


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 1}, {"padding_idx": -1, "scale_grad_by_freq": True}, {"max_norm": 1.0}],
)
def test_embedding(kwargs, dtype_name, device):
    idx = np.array([[0, 2, 1], [4, 2, 2]])
    check_layer(lambda T: T.nn.Embedding(5, 3, **kwargs), [idx], dtype_name, device)


def test_embedding_init_and_pretrained():
    mytorch.manual_seed(0)
    m = mytorch.nn.Embedding(200, 50, padding_idx=3)
    w = m.weight.detach().numpy()
    assert abs(w.std() - 1) < 0.05 and (w[3] == 0).all()
    pre = mytorch.tensor(np.arange(6.0).reshape(3, 2))
    for T, p in ((mytorch, pre), (torch, torch.tensor(np.arange(6.0).reshape(3, 2)))):
        e = T.nn.Embedding.from_pretrained(p)
        assert not e.weight.requires_grad and e.num_embeddings == 3
        assert T.nn.Embedding.from_pretrained(p, freeze=False).weight.requires_grad
    assert repr(mytorch.nn.Embedding.from_pretrained(pre, padding_idx=0, max_norm=2.0)) == repr(
        torch.nn.Embedding.from_pretrained(torch.ones(3, 2), padding_idx=0, max_norm=2.0)
    )
    kw = dict(padding_idx=1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)
    assert repr(mytorch.nn.Embedding(4, 3, **kw)) == repr(torch.nn.Embedding(4, 3, **kw))
    raises_like(lambda T: T.nn.Embedding(4, 3, padding_idx=4), (), AssertionError)


BAGS = [
    ({"mode": "sum"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], None),
    ({"mode": "mean"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 2, 5], None),
    ({"mode": "max"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 3, 3, 6], None),
    ({"mode": "sum"}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 4], "psw"),
    ({"mode": "mean", "padding_idx": 2}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5], None),
    ({"mode": "sum", "include_last_offset": True}, [1, 2, 4, 5, 4, 3, 2, 9], [0, 2, 5, 8], None),
    ({"mode": "mean"}, [[1, 2, 3], [4, 4, 0]], None, None),
    ({"mode": "max", "padding_idx": 0}, [[1, 2, 3], [4, 4, 0]], None, None),
    ({"mode": "mean", "max_norm": 1.5}, [[1, 2, 3], [4, 4, 0]], None, None),
]


@pytest.mark.parametrize("k", range(len(BAGS)))
def test_embedding_bag(k, dtype_name, device):
    kwargs, idx, offsets, psw = BAGS[k]
    idx = np.array(idx)
    w = seeded_rng("psw", k).uniform(0.5, 2, idx.shape) if psw else None

    def make(T):
        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.bag = T.nn.EmbeddingBag(10, 3, **kwargs)

            def forward(self, x, *rest):
                off = None if offsets is None else T.tensor(offsets, device=x.device)
                return self.bag(x, off, *rest)

        return Wrap()

    check_layer(make, [idx] + ([w] if psw else []), dtype_name, device, second=False)
    assert repr(mytorch.nn.EmbeddingBag(10, 3, **kwargs)) == repr(
        torch.nn.EmbeddingBag(10, 3, **kwargs)
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(4, 3), T.tensor([1])),
        lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(4, 3), T.tensor([0, 3])),
        lambda T: T.nn.functional.embedding_bag(T.tensor([1, 7]), T.ones(4, 3), T.tensor([0])),
        lambda T: T.nn.functional.embedding_bag(T.tensor([1.0]), T.ones(4, 3), T.tensor([0])),
        lambda T: T.nn.functional.embedding_bag(
            T.tensor([1]), T.ones(4, 3), T.tensor([0]), mode="x"
        ),
        lambda T: T.nn.functional.embedding_bag(
            T.tensor([1, 2]), T.ones(4, 3), T.tensor([0]), per_sample_weights=T.ones(2)
        ),
        lambda T: T.nn.functional.embedding_bag(T.tensor([[1, 2]]), T.ones(4, 3), T.tensor([0])),
        lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(4, 3)),
        lambda T: T.nn.functional.embedding_bag(
            T.tensor([1, 2]), T.ones(4, 3), T.tensor([0]), mode="sum", per_sample_weights=T.ones(3)
        ),
        lambda T: T.nn.functional.embedding_bag(T.ones(1, 1, 1).long(), T.ones(4, 3)),
    ],
)
def test_embedding_bag_errors(call):
    raises_like(call)


OTHERS = [
    (lambda T: T.nn.CosineSimilarity(), [(4, 5), (4, 5)]),
    (lambda T: T.nn.CosineSimilarity(dim=-1, eps=1e-6), [(2, 3, 5), (1, 3, 5)]),
    (lambda T: T.nn.PairwiseDistance(), [(4, 5), (4, 5)]),
    (lambda T: T.nn.PairwiseDistance(p=1.0, keepdim=True), [(4, 5), (4, 5)]),
    (lambda T: T.nn.PixelShuffle(2), [(2, 8, 3, 2)]),
    (lambda T: T.nn.PixelShuffle(3), [(9, 2, 2)]),
    (lambda T: T.nn.PixelUnshuffle(2), [(2, 2, 4, 6)]),
    (lambda T: T.nn.ChannelShuffle(2), [(2, 6, 3)]),
    (lambda T: T.nn.ChannelShuffle(3), [(1, 6, 2, 2)]),
    (lambda T: T.nn.ZeroPad2d(1), [(2, 3, 4, 4)]),
    (lambda T: T.nn.ZeroPad2d((1, 2, 0, 3)), [(3, 4, 4)]),
    (lambda T: T.nn.ConstantPad1d(2, 3.5), [(2, 3, 4)]),
    (lambda T: T.nn.ConstantPad2d((1, 0, 2, 1), -1.0), [(2, 3, 4, 4)]),
    (lambda T: T.nn.ConstantPad3d(1, 0.5), [(1, 2, 3, 3, 3)]),
    (lambda T: T.nn.ReflectionPad1d(2), [(2, 3, 5)]),
    (lambda T: T.nn.ReflectionPad2d((1, 2, 2, 0)), [(2, 3, 4, 4)]),
    (lambda T: T.nn.ReplicationPad1d((1, 3)), [(2, 3, 5)]),
    (lambda T: T.nn.ReplicationPad2d(2), [(2, 3, 4, 4)]),
    (lambda T: T.nn.CircularPad2d(1), [(2, 3, 4, 4)]),
    (lambda T: T.nn.CircularPad2d((1, 2, 0, 1)), [(3, 4, 4)]),
]


@pytest.mark.parametrize("k", range(len(OTHERS)), ids=lambda k: repr(OTHERS[k][0](torch)))
def test_other_modules(k, dtype_name, device):
    make, shapes = OTHERS[k]
    rng = seeded_rng("others", k)
    second = "Pad" not in repr(make(torch)) and "Shuffle" not in repr(make(torch))  # linear
    check_layer(make, [rng.standard_normal(s) for s in shapes], dtype_name, device, second=second)


def test_shuffle_functions_and_errors():
    x = np.arange(2 * 8 * 2 * 2, dtype="float32").reshape(2, 8, 2, 2)
    for name, arg in (("pixel_shuffle", 2), ("pixel_unshuffle", 2), ("channel_shuffle", 4)):
        for ns in ("", "nn.functional."):
            fm = eval(f"mytorch.{ns}{name}")  # noqa: S307
            ft = eval(f"torch.{ns}{name}")  # noqa: S307
            assert_matches(fm(mytorch.tensor(x), arg), ft(torch.tensor(x), arg))
    bad = [
        lambda T: T.pixel_shuffle(T.ones(2, 3), 2),
        lambda T: T.pixel_shuffle(T.ones(1, 3, 4, 4), 2),
        lambda T: T.pixel_shuffle(T.ones(1, 4, 4, 4), 0),
        lambda T: T.pixel_unshuffle(T.ones(1, 3, 3, 4), 2),
        lambda T: T.pixel_unshuffle(T.ones(1, 3, 4, 3), 2),
        lambda T: T.channel_shuffle(T.ones(2, 3, 4), 2),
        lambda T: T.channel_shuffle(T.ones(2, 3, 4), 0),
        lambda T: T.channel_shuffle(T.ones(2, 4), 2),
        lambda T: T.nn.CircularPad2d(1)(T.ones(2)),
    ]
    for call in bad:
        m, t = raises_like(call)
        assert m == t


def test_torch_paths():
    for mod in ("loss", "activation", "dropout", "sparse", "distance", "padding", "pixelshuffle",
                "channelshuffle"):  # fmt: skip
        ours = getattr(mytorch.nn.modules, mod)
        for name in ours.__all__:
            assert getattr(mytorch.nn, name) is getattr(ours, name)
            assert hasattr(getattr(torch.nn.modules, mod), name), (mod, name)
