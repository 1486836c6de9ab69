"""A custom Module with a registered buffer, a ParameterList, a ModuleDict and a nested
Sequential; its state_dict goes through NumPy and back into a fresh model."""

import numpy as np
import torch
import torch.nn as nn


class RunningScaler(nn.Module):
    def __init__(self, dim, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scratch", torch.ones(dim), persistent=False)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
        return x - self.mean


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scaler = RunningScaler(3)
        self.weights = nn.ParameterList([nn.Parameter(torch.ones(3, 3)) for _ in range(2)])
        self.heads = nn.ModuleDict({"a": nn.Linear(3, 2), "b": nn.Linear(3, 1, bias=False)})
        self.body = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.LayerNorm(3))

    def forward(self, x):
        x = self.scaler(x)
        for w in self.weights:
            x = torch.tanh(x @ w)
        x = self.body(x)
        return self.heads["a"](x).sum(1) + self.heads["b"](x).squeeze(1)


model = Model()
print(list(model.state_dict().keys()))
print([name for name, _ in model.named_buffers()])
rng = np.random.default_rng(4)
numpy_state = {
    k: rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.5
    for k, v in model.state_dict().items()
}
result = model.load_state_dict({k: torch.from_numpy(v) for k, v in numpy_state.items()})
print("missing", result.missing_keys, "unexpected", result.unexpected_keys)

X = torch.from_numpy(rng.standard_normal((10, 3)).astype(np.float32))
opt = torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True, momentum=0.5, dampening=0)
for step in range(4):
    opt.zero_grad()
    loss = (model(X) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")

saved = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
fresh = Model()
fresh.load_state_dict({k: torch.tensor(v) for k, v in saved.items()})
fresh.eval()
model.eval()
with torch.no_grad():
    same = torch.equal(fresh(X), model(X))
print("round trip equal", same)
print("mean buffer", np.round(saved["scaler.mean"], 5).tolist())
print("strict error", end=" ")
try:
    fresh.load_state_dict({"nope": torch.zeros(1)})
except RuntimeError as e:
    print(type(e).__name__, "Missing key(s)" in str(e), "Unexpected key(s)" in str(e))
print("opt state keys", sorted(opt.state_dict()["state"].keys()))
