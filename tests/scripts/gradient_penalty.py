"""A WGAN-GP critic step: interpolates between real and fake samples (fixed alpha from NumPy),
the gradient penalty through autograd.grad(create_graph=True), and Adam on the critic."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(15)
real = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32) + 1.0)
fake = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
alphas = [torch.from_numpy(rng.random((16, 1)).astype(np.float32)) for _ in range(4)]

critic = nn.Sequential(
    nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.SiLU(), nn.Linear(16, 1)
)
wrng = np.random.default_rng(16)
with torch.no_grad():
    for p in critic.parameters():
        p.copy_(torch.from_numpy(wrng.normal(0, 0.4, size=tuple(p.shape)).astype(np.float32)))
opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))


def gradient_penalty(critic, real, fake, alpha):
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(interp)
    grads = torch.autograd.grad(
        outputs=out,
        inputs=interp,
        grad_outputs=torch.ones_like(out),
        create_graph=True,
        retain_graph=True,
        only_inputs=True,
    )[0]
    grads = grads.view(grads.size(0), -1)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


for step, alpha in enumerate(alphas):
    opt.zero_grad()
    w_dist = critic(real).mean() - critic(fake).mean()
    gp = gradient_penalty(critic, real, fake, alpha)
    loss = -w_dist + 10.0 * gp
    loss.backward()
    grad_norm = torch.sqrt(sum((p.grad**2).sum() for p in critic.parameters()))
    opt.step()
    print(f"step {step} w_dist {w_dist.item():.6f} gp {gp.item():.6f} grad {grad_norm.item():.6f}")

# The same penalty on parameters: the gradient of the penalty w.r.t. the first layer weight.
gp = gradient_penalty(critic, real, fake, alphas[0])
(dw,) = torch.autograd.grad(gp, critic[0].weight)
print(f"d gp / d w0 norm {dw.norm().item():.6f}")
print("requires_grad", gp.requires_grad)
