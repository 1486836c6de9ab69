"""Optimizers and learning-rate schedules. Matches torch.optim."""

from mytorch.optim import lr_scheduler
from mytorch.optim.adadelta import Adadelta
from mytorch.optim.adagrad import Adagrad
from mytorch.optim.adam import Adam
from mytorch.optim.adamax import Adamax
from mytorch.optim.adamw import AdamW
from mytorch.optim.asgd import ASGD
from mytorch.optim.lbfgs import LBFGS
from mytorch.optim.nadam import NAdam
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.radam import RAdam
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.rprop import Rprop
from mytorch.optim.sgd import SGD
from mytorch.optim.sparse_adam import SparseAdam

__all__ = [
    "ASGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "SparseAdam",
    "lr_scheduler",
]
