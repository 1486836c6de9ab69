"""A GRU character language model: Embedding, GRU, Linear, truncated BPTT with detach,
clip_grad_norm_, and greedy generation."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn

text = "hello world, hello torch. the quick brown fox jumps over the lazy dog. "
vocab = sorted(set(text))
stoi = {c: i for i, c in enumerate(vocab)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


class CharRNN(nn.Module):
    def __init__(self, vocab_size, emb=8, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb)
        self.rnn = nn.GRU(emb, hidden, batch_first=False)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, idx, h=None):
        x = self.embed(idx)  # (T, B, emb)
        y, h = self.rnn(x, h)
        return self.out(y), h


model = CharRNN(len(vocab))
wrng = np.random.default_rng(21)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(wrng.normal(0, 0.3, size=tuple(p.shape)).astype(np.float32)))

opt = torch.optim.Adam(model.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()
seq_len, batch = 12, 2
streams = data[: (len(data) // batch) * batch].view(batch, -1).t().contiguous()  # (N, B)

h = None
for step in range(0, streams.size(0) - 1 - seq_len, seq_len):
    inp = streams[step : step + seq_len]
    tgt = streams[step + 1 : step + 1 + seq_len]
    if h is not None:
        h = h.detach()
    logits, h = model(inp, h)
    loss = criterion(logits.reshape(-1, len(vocab)), tgt.reshape(-1))
    opt.zero_grad()
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    print(f"step {step:2d} loss {loss.item():.5f} grad norm {total_norm.item():.5f}")

with torch.no_grad():
    idx = torch.tensor([[stoi["h"]]])
    hidden, chars = None, []
    for _ in range(10):
        logits, hidden = model(idx, hidden)
        idx = logits[-1].argmax(dim=-1, keepdim=True)
        chars.append(idx.item())
print("generated ids", chars)
print("perplexity", f"{torch.exp(loss).item():.4f}")
