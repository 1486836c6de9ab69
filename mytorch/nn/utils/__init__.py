"""mytorch.nn.utils: gradient clipping, parameter/vector conversion, functional_call,
parametrizations, weight and spectral normalisation, conv/linear + batchnorm fusion."""

from mytorch.nn.utils import parametrizations, parametrize, stateless
from mytorch.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from mytorch.nn.utils import rnn
from mytorch.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from mytorch.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from mytorch.nn.utils.init import skip_init
from mytorch.nn.utils.memory_format import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)
from mytorch.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from mytorch.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "rnn",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grads_with_norm_",
    "clip_grad_value_",
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "skip_init",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]
