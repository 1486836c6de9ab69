"""A two-layer MLP fits a noisy sine with SGD + momentum and MSELoss (mini-batches by slicing)."""

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
rng = np.random.default_rng(0)
x_np = rng.uniform(-3, 3, size=(128, 1)).astype(np.float32)
y_np = (np.sin(x_np) + 0.1 * rng.standard_normal((128, 1))).astype(np.float32)
X, Y = torch.from_numpy(x_np), torch.from_numpy(y_np)


class MLP(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(1, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


model = MLP()
# Same starting point in both libraries: weights from NumPy.
wrng = np.random.default_rng(1)
state = {
    k: torch.tensor(wrng.uniform(-0.5, 0.5, size=tuple(v.shape)).astype(np.float32))
    for k, v in model.state_dict().items()
}
model.load_state_dict(state)

criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(8):
    running = 0.0
    for i in range(0, 128, 32):
        xb, yb = X[i : i + 32], Y[i : i + 32]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    print(f"epoch {epoch} loss {running / 128:.5f}")

model.eval()
with torch.no_grad():
    pred = model(X)
    mse = ((pred - Y) ** 2).mean()
print(f"final mse {mse.item():.5f}")
print("grad norm", f"{torch.cat([p.grad.flatten() for p in model.parameters()]).norm():.5f}")
print("num params", sum(p.numel() for p in model.parameters()))
