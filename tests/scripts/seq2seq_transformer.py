"""A tiny nn.Transformer copy task: causal mask from generate_square_subsequent_mask, padding
masks, teacher forcing, CrossEntropyLoss(ignore_index), and greedy decoding in eval mode."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn

PAD, BOS, V, D = 0, 1, 8, 16
rng = np.random.default_rng(17)
src = torch.from_numpy(rng.integers(2, V, size=(4, 5)))
src[2, 3:] = PAD
tgt = torch.cat([torch.full((4, 1), BOS), src], dim=1)  # copy task


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.pos = nn.Parameter(torch.zeros(1, 8, D))
        self.tf = nn.Transformer(
            d_model=D,
            nhead=2,
            num_encoder_layers=1,
            num_decoder_layers=1,
            dim_feedforward=32,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.out = nn.Linear(D, V)

    def forward(self, src, tgt_in):
        s = self.emb(src) + self.pos[:, : src.size(1)]
        t = self.emb(tgt_in) + self.pos[:, : tgt_in.size(1)]
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        h = self.tf(
            s,
            t,
            tgt_mask=causal,
            src_key_padding_mask=src == PAD,
            tgt_key_padding_mask=tgt_in == PAD,
            memory_key_padding_mask=src == PAD,
        )
        return self.out(h)


model = Seq2Seq()
wrng = np.random.default_rng(18)
model.load_state_dict(
    {
        k: (
            v.clone()
            if "norm" in k
            else torch.tensor(wrng.normal(0, 0.25, size=tuple(v.shape)), dtype=torch.float32)
        )
        for k, v in model.state_dict().items()
    }
)
print(nn.Transformer.generate_square_subsequent_mask(3))

crit = nn.CrossEntropyLoss(ignore_index=PAD)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=1e-4)
for step in range(6):
    logits = model(src, tgt[:, :-1])
    loss = crit(logits.reshape(-1, V), tgt[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.5f} lr {sched.get_last_lr()[0]:.6f}")

model.eval()
with torch.no_grad():
    ys = torch.full((4, 1), BOS)
    for _ in range(5):
        nxt = model(src, ys)[:, -1].argmax(-1, keepdim=True)
        ys = torch.cat([ys, nxt], dim=1)
print("decoded", ys[:, 1:].tolist())
