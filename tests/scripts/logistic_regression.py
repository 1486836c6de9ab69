"""Logistic regression with BCEWithLogitsLoss (pos_weight) and Adam; accuracy on a held-out set."""

import numpy as np
import torch
from torch import nn, optim

rng = np.random.default_rng(42)
n, d = 200, 5
true_w = rng.standard_normal(d)
feats = rng.standard_normal((n, d))
labels = (feats @ true_w + 0.5 * rng.standard_normal(n) > 0).astype(np.float32)

X = torch.tensor(feats, dtype=torch.float32)
y = torch.tensor(labels).unsqueeze(1)
X_train, X_test = X[:150], X[150:]
y_train, y_test = y[:150], y[150:]

model = nn.Linear(d, 1)
with torch.no_grad():
    model.weight.copy_(torch.from_numpy(np.linspace(-0.2, 0.2, d, dtype=np.float32)[None]))
    model.bias.zero_()

loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1.5]))
opt = optim.Adam(model.parameters(), lr=0.05, betas=(0.9, 0.99), weight_decay=1e-3)

for step in range(60):
    opt.zero_grad()
    logits = model(X_train)
    loss = loss_fn(logits, y_train)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step:3d} loss {loss.item():.6f}")

with torch.no_grad():
    probs = torch.sigmoid(model(X_test))
    preds = (probs > 0.5).float()
    acc = (preds == y_test).float().mean().item()
    test_loss = nn.functional.binary_cross_entropy(probs, y_test).item()
print(f"test accuracy {acc:.4f}")
print(f"test bce {test_loss:.6f}")
print("weights", [round(v, 4) for v in model.weight.squeeze().tolist()])
print(f"bias {model.bias.item():.5f}")
