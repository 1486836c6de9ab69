"""Time-series forecasting: Conv1d features, an LSTMCell unrolled by hand (teacher forcing, then
free-running prediction), clip_grad_value_, NAdam and CosineAnnealingWarmRestarts."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn

t = np.linspace(0, 8 * np.pi, 161, dtype=np.float32)
series = np.sin(t) + 0.5 * np.sin(3 * t + 1)
windows = np.stack([series[i : i + 21] for i in range(0, 140, 10)])  # (14, 21)
X = torch.from_numpy(windows[:, :-1]).unsqueeze(1)  # (B, 1, 20)
Y = torch.from_numpy(windows[:, 1:])  # next-step targets


class Forecaster(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.conv = nn.Conv1d(1, 4, kernel_size=3, padding=1, padding_mode="replicate")
        self.cell = nn.LSTMCell(4, hidden)
        self.out = nn.Linear(hidden, 1)
        self.hidden = hidden

    def forward(self, x):
        feats = torch.relu(self.conv(x)).transpose(1, 2)  # (B, T, 4)
        h = torch.zeros(x.size(0), self.hidden)
        c = torch.zeros(x.size(0), self.hidden)
        outputs = []
        for step in range(feats.size(1)):
            h, c = self.cell(feats[:, step], (h, c))
            outputs.append(self.out(h))
        return torch.cat(outputs, dim=1)


model = Forecaster()
wrng = np.random.default_rng(51)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(wrng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
print([name for name, _ in model.named_parameters()])

opt = torch.optim.NAdam(model.parameters(), lr=0.02)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-3)
for epoch in range(7):
    opt.zero_grad()
    pred = model(X)
    loss = nn.functional.mse_loss(pred, Y)
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    opt.step()
    sched.step()
    print(f"epoch {epoch} loss {loss.item():.6f} lr {opt.param_groups[0]['lr']:.6f}")

model.eval()
with torch.no_grad():
    pred = model(X[:2])
    err = (pred - Y[:2]).abs()
print(f"mae {err.mean().item():.5f} max {err.max().item():.5f}")
print("last preds", np.round(pred[:, -3:].numpy(), 4).tolist())
