"""The autograd tutorial: backward through a small computation, vector-Jacobian products,
retain_grad, no_grad / detach, gradient accumulation and the grad_fn chain."""

import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.tensor(
    [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [0.7, -0.8, 0.9], [-1.0, 1.1, 1.2], [0.13, 0.14, -0.15]],
    requires_grad=True,
)
b = torch.tensor([0.01, -0.02, 0.03], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print("loss has grad_fn", loss.grad_fn is not None)
print(z.grad_fn.name(), z.grad_fn.next_functions)
loss.backward()
print(w.grad)
print(b.grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad, (torch.matmul(x, w) + b).detach().requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out))
print(f"\nCall after zeroing gradients\n{inp.grad}")

a = torch.tensor([2.0, 3.0], requires_grad=True)
h = a * a
h.retain_grad()
q = (h * torch.tensor([1.0, -1.0])).sum() + h.prod()
q.backward()
print(h.grad, a.grad, h.is_leaf, a.is_leaf)

s = torch.tensor(1.5, requires_grad=True)
f = torch.sin(s) * torch.exp(s)
(df,) = torch.autograd.grad(f, s, create_graph=True)
(d2f,) = torch.autograd.grad(df, s)
print(f"f {f.item():.6f} df {df.item():.6f} d2f {d2f.item():.6f}")

m = torch.nn.Linear(3, 1)
with torch.no_grad():
    m.weight.fill_(0.5)
    m.bias.fill_(-0.1)
m.weight.requires_grad_(False)
out = m(torch.tensor([[1.0, 2.0, 3.0]]))
out.backward()
print(m.weight.grad, m.bias.grad, out.detach())
