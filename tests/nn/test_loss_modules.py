"""The loss modules of torch.nn against torch: constructor arguments (the legacy size_average /
reduce included), buffers in state_dict, repr, values, gradients of two orders, float32/float64,
the CPU and the stand-in device."""

import warnings

import numpy as np
import pytest

import mytorch
from helpers import raises_like, seeded_rng, torch
from nn_check import check_layer

pytestmark = pytest.mark.torch

R = seeded_rng("loss modules")
X = R.standard_normal((4, 5))
Y = R.standard_normal((4, 5))
P = R.uniform(0.05, 0.95, (4, 5))
Q = R.uniform(0.05, 0.95, (4, 5))
CLS = np.array([1, 0, 4, 2])
SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
W5 = R.uniform(0.5, 2.0, 5)
BITS = (R.uniform(size=(4, 5)) > 0.5).astype("float64")
ML = np.array([[3, 0, -1, 1, 1], [1, 2, 4, -1, 0], [0, -1, 2, 2, 2], [4, 3, 2, 1, 0]])


def _t(T, a):
    return T.tensor(np.asarray(a, dtype="float32"))


# (name, constructor from the library, inputs (float ones differentiated), second derivatives
# compared (torch has none for the margin losses; NLL is linear), [constant float inputs last])
CASES = [
    ("L1Loss", lambda T: T.nn.L1Loss(), [X, Y], True),
    ("MSELoss", lambda T: T.nn.MSELoss(reduction="sum"), [X, Y], True),
    ("MSELoss", lambda T: T.nn.MSELoss(reduction="none"), [X, Y], True),
    ("CrossEntropyLoss", lambda T: T.nn.CrossEntropyLoss(), [X, CLS], True),
    (
        "CrossEntropyLoss",
        lambda T: T.nn.CrossEntropyLoss(weight=_t(T, W5), ignore_index=2, label_smoothing=0.1),
        [X, CLS],
        True,
    ),
    ("CrossEntropyLoss", lambda T: T.nn.CrossEntropyLoss(reduction="sum"), [X, P], True),
    ("NLLLoss", lambda T: T.nn.NLLLoss(weight=_t(T, W5)), [X, CLS], False),
    ("NLLLoss", lambda T: T.nn.NLLLoss(reduction="none"), [X, CLS], False),
    ("BCELoss", lambda T: T.nn.BCELoss(), [P, Q], True),
    ("BCELoss", lambda T: T.nn.BCELoss(weight=_t(T, W5), reduction="sum"), [P, Q], True),
    ("BCEWithLogitsLoss", lambda T: T.nn.BCEWithLogitsLoss(), [X, Q], True),
    (
        "BCEWithLogitsLoss",
        lambda T: T.nn.BCEWithLogitsLoss(weight=_t(T, W5), pos_weight=_t(T, W5[::-1])),
        [X, Q],
        True,
    ),
    ("KLDivLoss", lambda T: T.nn.KLDivLoss(reduction="batchmean"), [X, Q], True),
    ("KLDivLoss", lambda T: T.nn.KLDivLoss(reduction="sum", log_target=True), [X, Y], True),
    ("HuberLoss", lambda T: T.nn.HuberLoss(delta=0.7), [X, Y], True),
    ("SmoothL1Loss", lambda T: T.nn.SmoothL1Loss(beta=0.5, reduction="none"), [X, Y], True),
    ("PoissonNLLLoss", lambda T: T.nn.PoissonNLLLoss(), [X, Q], True),
    ("PoissonNLLLoss", lambda T: T.nn.PoissonNLLLoss(log_input=False, full=True), [P, Q * 3], True),
    ("GaussianNLLLoss", lambda T: T.nn.GaussianNLLLoss(full=True), [X, Y, P], True),
    ("CosineEmbeddingLoss", lambda T: T.nn.CosineEmbeddingLoss(margin=0.2), [X, Y], True, [SIGNS]),
    ("MarginRankingLoss", lambda T: T.nn.MarginRankingLoss(0.3), [X[:, 0], Y[:, 0]], True, [SIGNS]),
    ("TripletMarginLoss", lambda T: T.nn.TripletMarginLoss(swap=True), [X, Y, P], True),
    ("TripletMarginLoss", lambda T: T.nn.TripletMarginLoss(p=1.0, margin=2.0), [X, Y, P], True),
    (
        "TripletMarginWithDistanceLoss",
        lambda T: T.nn.TripletMarginWithDistanceLoss(),
        [X, Y, P],
        True,
    ),
    (
        "TripletMarginWithDistanceLoss",
        lambda T: T.nn.TripletMarginWithDistanceLoss(
            distance_function=T.nn.CosineSimilarity(), margin=0.5, reduction="sum"
        ),
        [X, Y, P],
        True,
    ),
    (
        "HingeEmbeddingLoss",
        lambda T: T.nn.HingeEmbeddingLoss(margin=0.5),
        [X],
        True,
        [SIGNS[:, None] * np.ones((4, 5))],
    ),
    (
        "SoftMarginLoss",
        lambda T: T.nn.SoftMarginLoss(),
        [X],
        True,
        [SIGNS[:, None] * np.ones((4, 5))],
    ),
    (
        "MultiLabelSoftMarginLoss",
        lambda T: T.nn.MultiLabelSoftMarginLoss(weight=_t(T, W5)),
        [X, BITS],
        True,
    ),
    ("MultiLabelMarginLoss", lambda T: T.nn.MultiLabelMarginLoss(), [X, ML], False),
    ("MultiMarginLoss", lambda T: T.nn.MultiMarginLoss(), [X, CLS], False),
    (
        "MultiMarginLoss",
        lambda T: T.nn.MultiMarginLoss(p=2, margin=0.5, weight=_t(T, W5)),
        [X, CLS],
        False,
    ),
]


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: f"{i}-{CASES[i][0]}")
def test_loss_module(case, dtype_name, device):
    name, make, inputs, second, *consts = CASES[case]
    assert type(make(mytorch)).__name__ == name
    assert repr(make(mytorch)) == repr(make(torch))
    if consts:
        make = _with_constants(make, consts[0], dtype_name)
    check_layer(make, inputs, dtype_name, device, second=second)


def _with_constants(make, consts, dtype_name):
    """The loss inside a module that passes ``consts`` (no gradient) as its last arguments, on
    the input's device and in the case's dtype."""

    def wrapped(T):
        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.loss = make(T)

            def forward(self, *xs):
                cs = [T.tensor(c.astype(dtype_name), device=xs[0].device) for c in consts]
                return self.loss(*xs, *cs)

        return Wrap()

    return wrapped


def test_ctc_loss_module(dtype_name, device):
    rng = seeded_rng("ctc module")
    t_len, n, c, s = 6, 2, 4, 3
    logits = rng.standard_normal((t_len, n, c))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = rng.integers(1, c, (n, s))
    lengths = np.array([6, 5]), np.array([3, 2])

    def make(T):
        loss = T.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
        il, tl = (T.tensor(v) for v in lengths)
        tg = T.tensor(targets)

        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.loss = loss

            def forward(self, x):
                return self.loss(x, tg.to(x.device), il.to(x.device), tl.to(x.device))

        return Wrap()

    check_layer(make, [logp], dtype_name, device, second=False)


@pytest.mark.parametrize(
    "cls",
    ["L1Loss", "MSELoss", "NLLLoss", "BCELoss", "KLDivLoss", "SoftMarginLoss", "MultiMarginLoss"],
)
@pytest.mark.parametrize(
    "size_average,reduce", [(None, False), (False, None), (True, True), (False, True)]
)
def test_legacy_reduction_args(cls, size_average, reduce):
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        tm = getattr(torch.nn, cls)(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings(record=True) as wm:
        warnings.simplefilter("always")
        mm = getattr(mytorch.nn, cls)(size_average=size_average, reduce=reduce)
    assert mm.reduction == tm.reduction
    assert [str(w.message) for w in wm] == [str(w.message) for w in wt]
    assert [w.category for w in wm] == [w.category for w in wt]


def test_weight_buffers():
    for T in (torch, mytorch):
        m = T.nn.CrossEntropyLoss()
        assert m.weight is None and list(m.state_dict()) == []
        b = T.nn.BCEWithLogitsLoss(pos_weight=T.ones(3))
        assert list(b.state_dict()) == ["pos_weight"] and [n for n, _ in b.named_buffers()] == [
            "pos_weight"
        ]
    m = mytorch.nn.NLLLoss(weight=mytorch.ones(3)).to("standin", mytorch.float64)
    assert m.weight.device.type == "standin" and m.weight.dtype == mytorch.float64


@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.nn.MultiMarginLoss(p=3),
        lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
        lambda T: T.nn.TripletMarginLoss(margin=0),
        lambda T: T.nn.TripletMarginWithDistanceLoss(margin=-1.0),
    ],
)
def test_constructor_errors(make):
    m, t = raises_like(make)
    assert m == t


def test_bad_targets_raise_as_torch():
    x, y = np.ones((2, 3), dtype="float32"), np.array([0, 3])
    raises_like(lambda T: T.nn.CrossEntropyLoss()(T.tensor(x), T.tensor(y)))
    raises_like(lambda T: T.nn.NLLLoss()(T.tensor(x), T.tensor(y)))
    raises_like(lambda T: T.nn.MSELoss(reduction="avg")(T.tensor(x), T.tensor(x)), (), ValueError)


def test_torch_paths():
    for name in ("MSELoss", "CrossEntropyLoss", "CTCLoss", "TripletMarginWithDistanceLoss"):
        cls = getattr(mytorch.nn.modules.loss, name)
        assert cls is getattr(mytorch.nn, name) and cls.__module__ == "mytorch.nn.modules.loss"
    assert set(mytorch.nn.modules.loss.__all__) <= set(torch.nn.modules.loss.__all__)
