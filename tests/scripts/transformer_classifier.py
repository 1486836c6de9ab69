"""A TransformerEncoder classifies padded token sequences using src_key_padding_mask and
masked mean pooling; trained for a few steps with Adam and a LambdaLR warm-up."""

# tolerance: rtol=1e-3, atol=1e-4
import math

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(8)
vocab, d_model, n_cls, batch, seq = 20, 16, 3, 5, 6
tokens = torch.from_numpy(rng.integers(1, vocab, size=(batch, seq)))
lengths = [6, 4, 5, 2, 3]
pad_mask = torch.zeros(batch, seq, dtype=torch.bool)
for i, n in enumerate(lengths):
    tokens[i, n:] = 0
    pad_mask[i, n:] = True
labels = torch.tensor([0, 2, 1, 1, 0])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model, padding_idx=0)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True, activation="gelu"
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, n_cls)

    def forward(self, tokens, pad_mask):
        x = self.embed(tokens) * math.sqrt(d_model)
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1)
        return self.head(pooled)


model = Classifier()
wrng = np.random.default_rng(1)
sd = model.state_dict()
new_sd = {}
for k, v in sd.items():
    if "norm" in k:
        new_sd[k] = v.clone()
    else:
        new_sd[k] = torch.tensor(wrng.normal(0, 0.2, size=tuple(v.shape)), dtype=torch.float32)
model.load_state_dict(new_sd)
print("params", sum(p.numel() for p in model.parameters()), "keys", len(sd))

opt = torch.optim.Adam(model.parameters(), lr=5e-3)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3))
for step in range(6):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(tokens, pad_mask), labels)
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.5f} lr {sched.get_last_lr()[0]:.5f}")

model.eval()
with torch.no_grad():
    logits = model(tokens, pad_mask)
print("logits", np.round(logits.numpy(), 4).tolist())
