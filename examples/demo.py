"""mytorch demo: ordinary PyTorch code with one changed import."""

import mytorch as torch

print("mytorch", torch.__version__, "| compiled hot path:", torch.compiled())

# 1. Derivatives of any order: gradients from autograd.grad stay differentiable by default.
a = torch.tensor(3.0, dtype=torch.float32, requires_grad=True)
b = torch.tensor(10.0, dtype=torch.float32, requires_grad=True)
c = 2 + (a + b**2) / (a + b + a * b)
dc_da, dc_db = torch.autograd.grad(c, [a, b])  # no create_graph needed
d2c_da2 = torch.autograd.grad(dc_da, [a])[0]
d2c_db2 = torch.autograd.grad(dc_db, [b])[0]
print(c, dc_da, dc_db, d2c_da2, d2c_db2)

# The same, written the PyTorch way.
c = 2 + (a + b**2) / (a + b + a * b)
dc_da, dc_db = torch.autograd.grad(c, [a, b], create_graph=True, retain_graph=True)
print(torch.autograd.grad(dc_da, [a], create_graph=True)[0], torch.autograd.grad(dc_db, [b])[0])

# 2. Broadcasting with correct gradients.
a = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.float32, requires_grad=True)
b = torch.tensor([7, 8, 9], dtype=torch.float32, requires_grad=True)
c = a + b
c.backward(torch.ones(2, 3))
print(a.grad, b.grad)

# 3. Classic lesson examples.
x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 4 * x + 3
y.backward()
print("d/dx (x^2 + 4x + 3) at 2:", x.grad)

x = torch.tensor(2.0, requires_grad=True)
y = torch.sin((x + 2) + (1 + torch.exp(x**2)))
y.backward()
print("d/dx sin((x + 2) + (1 + exp(x^2))) at 2:", x.grad)

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = 2 * x[0] + 3 * x[1] + 4 * x[2]
y.backward()
print("gradient of 2x0 + 3x1 + 4x2:", x.grad)

A = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
torch.sum(A).backward()
print("gradient of sum(A):", A.grad)

W = torch.tensor([[1.0, 2.0], [2.0, 1.0]])
x1 = torch.tensor([1.0, 2.0], requires_grad=True)
torch.matmul(torch.matmul(x1, W), x1).backward()
print("gradient of x1 W x1:", x1.grad)

try:
    torch.tensor(3, requires_grad=True)
except RuntimeError as e:
    print("RuntimeError:", e)

# 4. Gradient descent on f(x) = (x - 3)^2 + 1.
x = torch.tensor(0.0, requires_grad=True)
lr = 0.1
for step in range(50):
    y = (x - 3) ** 2 + 1
    y.backward()
    x.data = x.data - lr * x.grad
    x.grad.zero_()
print("gradient descent: x =", x, "f(x) =", (x - 3) ** 2 + 1)
