"""The optimizers' argument checks (one helper, mytorch.optim.optimizer._check_args) against
torch's: the same ValueError with the same message for each invalid argument, the first one in
torch's order when several are, and the same values let through (NaN where torch lets it)."""

import pytest

import mytorch
from helpers import torch

pytestmark = pytest.mark.torch

NAN = float("nan")
CASES = [
    ("Adadelta", dict(lr=-1.0)),
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1e-6)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adadelta", dict(rho=2.0, eps=-1.0)),
    ("Adagrad", dict(lr=-1.0)),
    ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(weight_decay=-0.5)),
    ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(eps=-1.0)),
    ("Adagrad", dict(eps=-1.0, lr_decay=-1)),
    ("Adam", dict(lr=-1e-3)),
    ("Adam", dict(lr=NAN)),
    ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-1e-2)),
    ("Adam", dict(weight_decay=-1, betas=(2.0, 0.5))),
    ("AdamW", dict(lr=-1e-3)),
    ("AdamW", dict(betas=(0.9, 1.0))),
    ("AdamW", dict(weight_decay=-1e-2)),
    ("Adamax", dict(lr=-1.0)),
    ("Adamax", dict(eps=-1.0)),
    ("Adamax", dict(betas=(-0.5, 0.9))),
    ("Adamax", dict(weight_decay=-1.0)),
    ("ASGD", dict(lr=-1.0)),
    ("ASGD", dict(weight_decay=-1.0)),
    ("LBFGS", dict(lr=-1.0)),
    ("NAdam", dict(lr=-1.0)),
    ("NAdam", dict(eps=-1.0)),
    ("NAdam", dict(betas=(0.9, 1.5))),
    ("NAdam", dict(weight_decay=-1.0)),
    ("NAdam", dict(momentum_decay=-1.0)),
    ("RAdam", dict(lr=-1.0)),
    ("RAdam", dict(eps=-1.0)),
    ("RAdam", dict(betas=(1.5, 0.9))),
    ("RAdam", dict(weight_decay=-1.0)),
    ("RMSprop", dict(lr=-1.0)),
    ("RMSprop", dict(eps=-1.0)),
    ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(weight_decay=-1.0)),
    ("RMSprop", dict(alpha=-1.0)),
    ("RMSprop", dict(alpha=-1.0, momentum=-1.0)),
    ("Rprop", dict(lr=-1.0)),
    ("Rprop", dict(etas=(0.0, 1.2))),
    ("Rprop", dict(etas=(0.5, 1.0))),
    ("Rprop", dict(etas=(1.5, 2.0))),
    ("SGD", dict(lr=-0.1)),
    ("SGD", dict(momentum=-0.9)),
    ("SGD", dict(weight_decay=-1e-4)),
    ("SGD", dict(lr=-0.1, momentum=-1)),
    ("SparseAdam", dict(lr=0.0)),
    ("SparseAdam", dict(lr=-1.0)),
    ("SparseAdam", dict(eps=0.0)),
    ("SparseAdam", dict(betas=(0.9, 1.0))),
]
ACCEPTED = [
    ("Adadelta", dict(lr=0.0, rho=1.0, eps=0.0, weight_decay=0.0)),
    ("Adadelta", dict(rho=0.0)),
    ("Adam", dict(lr=0.0, eps=0.0, betas=(0.0, 0.0))),
    ("SGD", dict(lr=NAN, momentum=NAN, weight_decay=NAN)),  # SGD tests x < 0: NaN passes
    ("SGD", dict(lr=0.0)),
    ("RMSprop", dict(alpha=0.0, momentum=0.0)),
    ("Rprop", dict(etas=(0.1, 1.01))),
    ("SparseAdam", dict(lr=1e-9, eps=1e-12, betas=(0.0, 0.0))),
]


def _make(lib, name, kwargs):
    return getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_invalid_argument_raises_torchs_error(name, kwargs):
    with pytest.raises(Exception) as et:
        _make(torch, name, kwargs)
    with pytest.raises(Exception) as em:
        _make(mytorch, name, kwargs)
    assert type(et.value) is ValueError
    assert type(em.value) is ValueError
    assert str(em.value) == str(et.value)


@pytest.mark.parametrize("name, kwargs", ACCEPTED, ids=[f"{n}-{k}" for n, k in ACCEPTED])
def test_edge_values_accepted_as_in_torch(name, kwargs):
    _make(torch, name, kwargs)
    _make(mytorch, name, kwargs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop", "Rprop", "ASGD", "LBFGS"])
def test_tensor_lr_must_have_one_element(name):
    for lib in (torch, mytorch):
        with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
            _make(lib, name, dict(lr=lib.tensor([0.1, 0.2])))
