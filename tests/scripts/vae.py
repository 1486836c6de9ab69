"""A small VAE: encoder to (mu, logvar), reparameterisation with fixed noise, decoder with
sigmoid, BCE reconstruction + KL loss, Adam with ReduceLROnPlateau."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

rng = np.random.default_rng(12)
data = torch.from_numpy((rng.random((32, 10)) > 0.5).astype(np.float32))
noise = [torch.from_numpy(rng.standard_normal((32, 2)).astype(np.float32)) for _ in range(6)]


class VAE(nn.Module):
    def __init__(self, d_in=10, d_hidden=8, d_latent=2):
        super().__init__()
        self.enc = nn.Linear(d_in, d_hidden)
        self.mu = nn.Linear(d_hidden, d_latent)
        self.logvar = nn.Linear(d_hidden, d_latent)
        self.dec1 = nn.Linear(d_latent, d_hidden)
        self.dec2 = nn.Linear(d_hidden, d_in)

    def encode(self, x):
        h = F.leaky_relu(self.enc(x), 0.1)
        return self.mu(h), self.logvar(h)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.dec2(F.softplus(self.dec1(z))))

    def forward(self, x, eps):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld, bce, kld


model = VAE()
wrng = np.random.default_rng(13)
for p in model.parameters():
    p.data = torch.from_numpy(wrng.uniform(-0.4, 0.4, size=tuple(p.shape)).astype(np.float32))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)

for epoch, eps in enumerate(noise):
    model.train()
    optimizer.zero_grad()
    recon, mu, logvar = model(data, eps)
    loss, bce, kld = loss_function(recon, data, mu, logvar)
    loss.backward()
    optimizer.step()
    plateau.step(loss.item() if epoch != 3 else 1e9)
    lr = optimizer.param_groups[0]["lr"]
    print(f"epoch {epoch} loss {loss.item() / 32:.5f}", end=" ")
    print(f"bce {bce.item():.4f} kld {kld.item():.4f} lr {lr}")

model.eval()
with torch.no_grad():
    z = torch.from_numpy(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
    samples = model.decode(z)
print("samples", np.round(samples.numpy(), 4).tolist())
