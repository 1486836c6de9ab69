"""A small CNN (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Dropout, Linear) on synthetic 12x12 images
with CrossEntropyLoss, AdamW and a StepLR schedule."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(3)
images = rng.standard_normal((48, 1, 12, 12)).astype(np.float32)
targets = rng.integers(0, 3, size=48)
images[targets == 1, :, :6] += 1.0  # class 1: bright top half
images[targets == 2, :, :, :6] -= 1.0  # class 2: dark left half
X = torch.from_numpy(images)
y = torch.from_numpy(targets)  # int64


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))  # 4x6x6
        x = self.pool(F.relu(self.conv2(x)))  # 8x2x2
        x = torch.flatten(x, 1)
        return self.fc(self.dropout(x))


net = Net()
prng = np.random.default_rng(7)
with torch.no_grad():
    for name, p in net.named_parameters():
        if name.startswith("bn"):
            continue  # keep BatchNorm's ones/zeros
        p.copy_(torch.from_numpy(prng.normal(0, 0.3, size=tuple(p.shape)).astype(np.float32)))

criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(5):
    net.train()
    total = 0.0
    for i in range(0, 48, 16):
        optimizer.zero_grad()
        out = net(X[i : i + 16])
        loss = criterion(out, y[i : i + 16])
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step()
    print(f"epoch {epoch} loss {total / 3:.5f} lr {scheduler.get_last_lr()[0]:.5f}")

net.eval()
with torch.no_grad():
    logits = net(X)
    correct = (logits.argmax(dim=1) == y).sum().item()
print(f"train accuracy {correct / len(y):.4f}")
print("running_mean", [round(v, 4) for v in net.bn1.running_mean.tolist()])
print("running_var", [round(v, 4) for v in net.bn1.running_var.tolist()])
print("batches tracked", net.bn1.num_batches_tracked.item())
