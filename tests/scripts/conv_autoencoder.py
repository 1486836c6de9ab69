"""A convolutional autoencoder: strided Conv2d down, ConvTranspose2d and Upsample up,
initialised with model.apply and nn.init, trained with OneCycleLR; features through a
forward hook."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(23)
imgs = torch.from_numpy(rng.random((8, 2, 8, 8)).astype(np.float32))

model = nn.Sequential(
    nn.Conv2d(2, 4, 3, stride=2, padding=1),  # 4x4x4
    nn.GroupNorm(2, 4),
    nn.GELU(),
    nn.Conv2d(4, 8, 3, stride=2, padding=1),  # 8x2x2
    nn.ReLU(inplace=True),
    nn.ConvTranspose2d(8, 4, kernel_size=2, stride=2),  # 4x4x4
    nn.Hardswish(),
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),  # 4x8x8
    nn.Conv2d(4, 2, 3, padding=1),
    nn.Sigmoid(),
)
counter = iter(range(100))


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        k = next(counter)
        w = np.cos(np.arange(m.weight.numel()) * (0.7 + 0.1 * k)).reshape(m.weight.shape)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(0.3 * w))
        nn.init.constant_(m.bias, 0.01 * k)


model.apply(init_weights)
features = {}
handle = model[3].register_forward_hook(lambda mod, inp, out: features.update(code=out.detach()))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=8)
for step in range(8):
    recon = model(imgs)
    loss = F.mse_loss(recon, imgs) + 0.1 * F.l1_loss(recon, imgs)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f} lr {sched.get_last_lr()[0]:.5f}")

handle.remove()
print("code shape", tuple(features["code"].shape), f"code mean {features['code'].mean():.5f}")
print("modules", [type(m).__name__ for m in model.modules()][:4])
print(f"interp {F.interpolate(imgs[:1], size=(5, 3), mode='bicubic').sum().item():.5f}")
print(f"avgpool {F.adaptive_avg_pool2d(imgs, 3).std().item():.6f}")
