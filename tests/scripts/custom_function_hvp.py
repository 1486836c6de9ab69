"""A custom autograd.Function (with a differentiable backward), gradcheck on it, and a
Hessian-vector product by double backward, checked against the explicit Hessian."""

import numpy as np
import torch


class SoftPlusSq(torch.autograd.Function):
    """f(x) = softplus(x) ** 2, backward written with torch ops so it is twice differentiable."""

    @staticmethod
    def forward(ctx, x, beta):
        ctx.save_for_backward(x)
        ctx.beta = beta
        return torch.nn.functional.softplus(x, beta=beta) ** 2

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        sp = torch.nn.functional.softplus(x, beta=ctx.beta)
        return grad_out * 2 * sp * torch.sigmoid(ctx.beta * x), None


rng = np.random.default_rng(2)
x = torch.tensor(rng.standard_normal(4), dtype=torch.float64, requires_grad=True)
A = torch.tensor(rng.standard_normal((4, 4)), dtype=torch.float64)


def loss_fn(x):
    return SoftPlusSq.apply(A @ x, 1.5).sum() + (x**3).sum() / 3


print("gradcheck", torch.autograd.gradcheck(lambda t: SoftPlusSq.apply(t, 1.5), (x,)))
print("gradgradcheck", torch.autograd.gradgradcheck(lambda t: SoftPlusSq.apply(t, 1.5), (x,)))

loss = loss_fn(x)
(g,) = torch.autograd.grad(loss, x, create_graph=True)
v = torch.tensor([1.0, -2.0, 0.5, 0.25], dtype=torch.float64)
(hvp,) = torch.autograd.grad(g, x, grad_outputs=v, retain_graph=True)
print(f"loss {loss.item():.8f}")
print("grad", [round(t, 8) for t in g.tolist()])
print("hvp", [round(t, 8) for t in hvp.tolist()])

rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(4)]
H = torch.stack(rows)
print("symmetric", torch.allclose(H, H.T))
print(f"hvp error {(H @ v - hvp).abs().max().item():.2e}")
print("hessian diag", [round(t, 8) for t in torch.diagonal(H).tolist()])

# backward() accumulation into .grad, twice, then a hook doubling the gradient.
x.grad = None
loss_fn(x).backward()
loss_fn(x).backward()
print("accumulated", [round(t, 8) for t in x.grad.tolist()])
y = x.detach().clone().requires_grad_(True)
handle = y.register_hook(lambda grad: grad * 2)
loss_fn(y).backward()
handle.remove()
print("hooked", [round(t, 8) for t in y.grad.tolist()])
