"""weight_norm / spectral_norm through torch.nn.utils.parametrizations (and the old hook API):
parameter names, the recomposed weights, and a few training steps."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

rng = np.random.default_rng(9)
W1 = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
W2 = torch.from_numpy(rng.standard_normal((2, 6)).astype(np.float32))
X = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
Y = torch.from_numpy(rng.standard_normal((16, 2)).astype(np.float32))

fc1, fc2 = nn.Linear(4, 6), nn.Linear(6, 2)
with torch.no_grad():
    fc1.weight.copy_(W1)
    fc1.bias.fill_(0.1)
    fc2.weight.copy_(W2)
    fc2.bias.zero_()
fc1 = weight_norm(fc1, name="weight", dim=0)
print("weight_norm params", [n for n, _ in fc1.named_parameters()])
print("g", np.round(fc1.parametrizations.weight.original0.detach().numpy().ravel(), 5).tolist())
print("recomposed equal", torch.allclose(fc1.weight, W1, atol=1e-6))
print("is parametrized", parametrize.is_parametrized(fc1), parametrize.is_parametrized(fc2))

# spectral_norm's power iteration starts from a random u: make it the same in both runs.
fc2 = spectral_norm(fc2, n_power_iterations=3)
sn = fc2.parametrizations.weight[0]
with torch.no_grad():
    sn._u.copy_(torch.from_numpy(np.full(2, 2**-0.5, dtype=np.float32)))
    sn._v.copy_(torch.from_numpy(np.full(6, 6**-0.5, dtype=np.float32)))
print("spectral_norm params", sorted(n for n, _ in fc2.named_parameters()))
print("buffers", sorted(n for n, _ in fc2.named_buffers()))

model = nn.Sequential(fc1, nn.ELU(), fc2)
opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
for step in range(5):
    opt.zero_grad()
    loss = nn.functional.smooth_l1_loss(model(X), Y, beta=0.5)
    loss.backward()
    opt.step()
    sigma = torch.linalg.matrix_norm(fc2.weight.detach(), ord=2).item()
    print(f"step {step} loss {loss.item():.5f} sigma {sigma:.4f}")

model.eval()
with torch.no_grad():
    print(f"eval out sum {model(X).sum().item():.5f}")
parametrize.remove_parametrizations(fc1, "weight")
print("after remove", [n for n, _ in fc1.named_parameters()])

old = torch.nn.utils.weight_norm(nn.Linear(4, 3), name="weight")
print("old api", sorted(n for n, _ in old.named_parameters()))
