"""mytorch.nn.utils: gradient clipping, parameter/vector conversion and functional_call."""

from mytorch.nn.utils import rnn, stateless
from mytorch.nn.utils.clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from mytorch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "rnn",
    "stateless",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]
