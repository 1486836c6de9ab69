"""An LSTM classifies variable-length sequences (pack_padded_sequence, pad_packed_sequence)."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

rng = np.random.default_rng(11)
batch, max_len, feat, hidden, classes = 6, 7, 3, 5, 2
lengths = torch.tensor([7, 6, 5, 3, 3, 1])
seqs = torch.from_numpy(rng.standard_normal((batch, max_len, feat)).astype(np.float32))
for i, n in enumerate(lengths.tolist()):
    seqs[i, n:] = 0.0  # padding
labels = torch.tensor([0, 1, 0, 1, 1, 0])


class SeqClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(feat, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=True)
        out, (h_n, c_n) = self.lstm(packed)
        padded, out_lengths = pad_packed_sequence(out, batch_first=True)
        last = torch.cat([h_n[-2], h_n[-1]], dim=1)  # final layer, both directions
        return self.head(last), padded, out_lengths


model = SeqClassifier()
wrng = np.random.default_rng(5)
model.load_state_dict(
    {
        k: torch.from_numpy(wrng.uniform(-0.4, 0.4, size=tuple(v.shape)).astype(np.float32))
        for k, v in model.state_dict().items()
    }
)
print(sorted(model.state_dict().keys())[:4])

opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
for step in range(6):
    opt.zero_grad()
    logits, padded, out_lengths = model(seqs, lengths)
    loss = loss_fn(logits, labels)
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")

print("padded shape", tuple(padded.shape), "lengths", out_lengths.tolist())
print(f"padded sum {padded.sum().item():.5f}")
print(f"padding is zero {padded[5, 1:].abs().sum().item():.5f}")
print("grad ih_l0", f"{model.lstm.weight_ih_l0.grad.abs().sum().item():.5f}")
print("pred", logits.argmax(1).tolist())
