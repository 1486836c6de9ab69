"""The usual reproducibility preamble (seeds, cudnn flags, deterministic algorithms, device
selection), then self-attention three ways: scaled_dot_product_attention with is_causal,
nn.MultiheadAttention with a causal mask, and by hand; @torch.no_grad() and inference_mode."""

import random

import numpy as np
import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)
cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.use_deterministic_algorithms(True)
torch.set_float32_matmul_precision("high")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("device", device, "deterministic", torch.are_deterministic_algorithms_enabled())
torch.set_printoptions(precision=3, sci_mode=False)

rng = np.random.default_rng(SEED)
B, L, E, H = 2, 5, 8, 2
x = torch.from_numpy(rng.standard_normal((B, L, E)).astype(np.float32)).to(device)
mha = nn.MultiheadAttention(E, H, batch_first=True, bias=True).to(device)
mha.load_state_dict(
    {
        k: torch.from_numpy(rng.normal(0, 0.3, tuple(v.shape)).astype(np.float32))
        for k, v in mha.state_dict().items()
    }
)
causal = torch.triu(torch.full((L, L), float("-inf")), diagonal=1).to(device)
out, weights = mha(x, x, x, attn_mask=causal, need_weights=True, average_attn_weights=True)
print(weights[0])
print(f"mha out {out.sum().item():.5f}", torch.allclose(weights.sum(-1), torch.ones(B, L)))

q = k = v = x.view(B, L, H, E // H).transpose(1, 2)
sdpa = F.scaled_dot_product_attention(q, k, v, is_causal=True)
scores = q @ k.transpose(-2, -1) / (E // H) ** 0.5
scores = scores.masked_fill(torch.ones(L, L, dtype=torch.bool).triu(1), float("-inf"))
manual = scores.softmax(dim=-1) @ v
print(f"sdpa vs manual {(sdpa - manual).abs().max().item() < 1e-5}")
print(sdpa[0, 0])


@torch.no_grad()
def evaluate(model, inp):
    return model(inp, inp, inp, need_weights=False)[0]


y = evaluate(mha, x)
print("no_grad result requires grad:", y.requires_grad)
with torch.inference_mode():
    z = mha(x, x, x)[0]
    print("inference mode", torch.is_inference_mode_enabled(), z.requires_grad)
print(f"same {torch.allclose(y, z, atol=1e-6)}", torch.is_inference_mode_enabled())

seqs = [torch.arange(3.0), torch.arange(5.0), torch.tensor([7.0])]
padded = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
print(padded)
loss = out.pow(2).mean()
loss.backward()
print(f"grad in_proj {mha.in_proj_weight.grad.norm().item():.5f}")
print(f"grad out_proj {mha.out_proj.weight.grad.norm().item():.5f}")
