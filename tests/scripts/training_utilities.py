"""Training-loop utilities: parameter groups with their own lr, freezing, gradient
accumulation, optimizer state_dict save/restore, MultiStepLR + ExponentialLR chained,
LBFGS with a closure, and parameters_to_vector."""

import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(31)
X = torch.from_numpy(rng.standard_normal((24, 4)).astype(np.float32))
Y = torch.from_numpy((X.numpy() @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32)) + 0.3)

backbone = nn.Sequential(nn.Linear(4, 6), nn.Softplus(), nn.Linear(6, 6), nn.Mish())
head = nn.Linear(6, 1)
vec = torch.from_numpy(np.sin(np.arange(4 * 6 + 6 + 36 + 6 + 6 + 1)).astype(np.float32) * 0.4)
torch.nn.utils.vector_to_parameters(vec, list(backbone.parameters()) + list(head.parameters()))

opt = torch.optim.SGD(
    [{"params": backbone.parameters(), "lr": 0.01}, {"params": head.parameters()}],
    lr=0.05,
    momentum=0.8,
)
s1 = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
s2 = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
accum = 3
for epoch in range(5):
    opt.zero_grad()
    for k in range(accum):
        xb, yb = X[k * 8 : (k + 1) * 8], Y[k * 8 : (k + 1) * 8]
        loss = nn.functional.huber_loss(head(backbone(xb)), yb, delta=1.0) / accum
        loss.backward()
    opt.step()
    s1.step()
    s2.step()
    lrs = [f"{g['lr']:.6f}" for g in opt.param_groups]
    print(f"epoch {epoch} loss {loss.item() * accum:.6f} lrs", lrs)

state = opt.state_dict()
print("state", len(state["state"]), [len(g["params"]) for g in state["param_groups"]])
opt2 = torch.optim.SGD(
    [{"params": backbone.parameters(), "lr": 1.0}, {"params": head.parameters()}],
    lr=1.0,
    momentum=0.8,
)
opt2.load_state_dict(state)
print("restored lrs", [round(g["lr"], 6) for g in opt2.param_groups])

for p in backbone.parameters():
    p.requires_grad_(False)
head.double()  # LBFGS's line search is sensitive to rounding: run it in float64
Y = Y.double()
lbfgs = torch.optim.LBFGS(
    head.parameters(), lr=0.5, max_iter=10, history_size=5, line_search_fn="strong_wolfe"
)
feats = backbone(X).double()


def closure():
    lbfgs.zero_grad()
    loss = nn.functional.mse_loss(head(feats), Y)
    loss.backward()
    return loss


for it in range(3):
    loss = lbfgs.step(closure)
    print(f"lbfgs {it} loss {loss.item():.6f}")
print(f"head {nn.utils.parameters_to_vector(head.parameters()).norm().item():.5f}")
print("trainable", sum(p.numel() for p in backbone.parameters() if p.requires_grad))
