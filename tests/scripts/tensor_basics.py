"""The "Tensors" tutorial: creation, attributes, indexing, joining, arithmetic, in-place ops,
the NumPy bridge, and the printed form of tensors."""

import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
x_rand = torch.full_like(x_data, 7, dtype=torch.float)
print(x_data, x_np.dtype, x_ones, x_rand, sep="\n")

shape = (2, 3)
print(torch.zeros(shape), torch.ones(shape, dtype=torch.int16), sep="\n")
tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4)
print(f"Shape: {tensor.shape} Datatype: {tensor.dtype} Device: {tensor.device}")
print("First row:", tensor[0])
print("First column:", tensor[:, 0])
print("Last column:", tensor[..., -1])
tensor[:, 1] = 0
print(tensor)
t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1.shape, torch.stack([tensor, tensor]).shape)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y1, torch.equal(y1, y2), torch.equal(y1, y3))
z1 = tensor * tensor
z3 = torch.empty_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z1.sum(), z3.mean(dim=0), z1.max(dim=1))
agg = tensor.sum()
print(agg.item(), type(agg.item()))
tensor.add_(5)
print(tensor)

t = torch.ones(5)
n = t.numpy()
t.add_(1)
print(f"t: {t}", f"n: {n}")
n2 = np.ones(3)
t2 = torch.from_numpy(n2)
np.add(n2, 1, out=n2)
print(t2)

a = torch.tensor([[0.5, -1.25, 3.0], [2.0, 0.0, -0.75]], requires_grad=True)
b = a.exp().log1p() * 2
print(b)
print(a.argmax(), a.argmax(dim=1), a.topk(2, dim=1).values)
print(torch.where(a > 0, a, torch.zeros_like(a)))
print(torch.sort(a.detach().flatten(), descending=True))
print(torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), num_classes=3))
print(a.detach().to(torch.float64).clamp(min=0).cumsum(0))
print(torch.linspace(0, 1, 5), torch.eye(2, dtype=torch.bool))
print(a.unsqueeze(0).expand(2, 2, 3).permute(2, 0, 1).contiguous().view(3, -1).shape)
print(torch.tensor(3.5), torch.tensor([True, False]), torch.tensor([1e-8, 1e10]))
