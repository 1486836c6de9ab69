"""mytorch.nn.modules._functions: the autograd Function behind SyncBatchNorm in training
across processes (torch.nn.modules._functions.SyncBatchNorm).

Forward: each process sums its input and its squares per channel and counts its values; one
all-reduce of (sum, sum of squares, count) gives the global mean and biased variance (the
processes may hold batches of different sizes, an empty one included), and the running
statistics take the unbiased global variance, as one BatchNorm over the concatenated batch.
Backward: each process sums ``g`` and ``g * (x - mean)`` per channel; one all-reduce of both
gives the input's gradient of that single BatchNorm. The weight's and bias's gradients stay
this process's own (as torch: DistributedDataParallel averages them).
"""

import mytorch
from mytorch import distributed as dist
from mytorch.autograd.function import Function, once_differentiable

__all__ = ["SyncBatchNorm"]

_NARROW = ("float16", "bfloat16")


def _layout(input):
    """(reduction dims, per-channel broadcast shape, values per channel here)."""
    c = input.shape[1]
    dims = [0, *range(2, input.ndim)]
    shape = [1, c] + [1] * (input.ndim - 2)
    return dims, shape, input.numel() // c


class SyncBatchNorm(Function):
    """Batch normalisation with statistics over every process of ``process_group``."""

    @staticmethod
    def forward(
        ctx, input, weight, bias, running_mean, running_var, eps, momentum, process_group,
        world_size,
    ):  # fmt: skip
        dims, shape, n = _layout(input)
        # the statistics of a half-precision input are summed in float32
        x = input.float() if input.dtype.name in _NARROW else input
        stats = mytorch.cat(
            [x.sum(dims), (x * x).sum(dims), mytorch.full((1,), float(n), dtype=x.dtype,
                                                          device=x.device)]
        )  # fmt: skip
        dist.all_reduce(stats, group=process_group)
        c = input.shape[1]
        total = float(stats[2 * c].item())
        mean = stats[:c] / total
        var = (stats[c : 2 * c] / total - mean * mean).clamp(min=0)
        invstd = (var + eps).rsqrt()
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_((mean * momentum).to(running_mean.dtype))
        if running_var is not None:
            unbiased = var * (total / max(total - 1, 1))
            running_var.mul_(1 - momentum).add_((unbiased * momentum).to(running_var.dtype))
        scale = invstd.view(shape)
        if weight is not None:
            scale = scale * weight.view(shape)
        out = (x - mean.view(shape)) * scale
        if bias is not None:
            out = out + bias.view(shape)
        ctx.save_for_backward(input, weight, mean, invstd)
        ctx.process_group = process_group
        ctx.total = total
        return out.to(input.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, weight, mean, invstd = ctx.saved_tensors
        dims, shape, _ = _layout(input)
        x = input.float() if input.dtype.name in _NARROW else input
        g = grad_output.to(x.dtype)
        xmu = x - mean.view(shape)
        sum_dy = g.sum(dims)
        sum_dy_xmu = (g * xmu).sum(dims)
        need = ctx.needs_input_grad
        grad_input = grad_weight = grad_bias = None
        if need[1]:
            grad_weight = (sum_dy_xmu * invstd).to(weight.dtype)
        if need[2]:
            grad_bias = sum_dy.to(weight.dtype)
        if need[0]:
            c = input.shape[1]
            sums = mytorch.cat([sum_dy, sum_dy_xmu])
            dist.all_reduce(sums, group=ctx.process_group)
            mean_dy = (sums[:c] / ctx.total).view(shape)
            mean_dy_xmu = (sums[c:] / ctx.total).view(shape)
            scale = invstd.view(shape)
            if weight is not None:
                scale = scale * weight.view(shape)
            istd = invstd.view(shape)
            grad_input = ((g - mean_dy - xmu * istd * istd * mean_dy_xmu) * scale).to(input.dtype)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None
