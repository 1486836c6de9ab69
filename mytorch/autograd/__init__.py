"""mytorch.autograd: backward, grad, Function, grad-mode switches and numerical gradient checks."""

from mytorch._autograd import backward, grad
from mytorch._grad_mode import is_grad_enabled
from mytorch._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from mytorch.autograd._create_graph import create_graph_default
from mytorch.autograd._create_graph import get_create_graph_default, set_create_graph_default
from mytorch.autograd import graph
from mytorch.autograd import anomaly_mode
from mytorch.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from mytorch.autograd.function import Function, FunctionCtx, once_differentiable
from mytorch.autograd.gradcheck import gradcheck, gradgradcheck
from mytorch.autograd import forward_ad, functional  # noqa: F401  (their submodules)


__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "graph",
    "anomaly_mode",
    "detect_anomaly",
    "set_detect_anomaly",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "gradcheck",
    "gradgradcheck",
    "once_differentiable",
    "create_graph_default",
    "get_create_graph_default",
    "set_create_graph_default",
]
