"""Least squares, Cholesky solves, eigh, and an SVD-based PCA, with a gradient through them."""

import numpy as np
import torch

rng = np.random.default_rng(6)
A = torch.tensor(rng.standard_normal((20, 4)), dtype=torch.float64)
true = torch.tensor([[1.0], [-2.0], [0.5], [3.0]], dtype=torch.float64)
b = A @ true + 0.01 * torch.tensor(rng.standard_normal((20, 1)))

sol = torch.linalg.lstsq(A, b).solution
print("lstsq", [round(v, 6) for v in sol.squeeze(1).tolist()])
normal = torch.linalg.solve(A.T @ A, A.T @ b)
print(f"normal equations agree {torch.allclose(sol, normal)}")

M = A.T @ A + torch.eye(4, dtype=torch.float64)
L = torch.linalg.cholesky(M)
print(f"cholesky lower {torch.allclose(L, L.tril())}  recon {(L @ L.T - M).abs().max().item():.1e}")
y = torch.cholesky_solve(A.T @ b, L)
print("cholesky_solve", [round(v, 6) for v in y.squeeze(1).tolist()])

evals, evecs = torch.linalg.eigh(M)
print("eigh values", [round(v, 6) for v in evals.tolist()])
print(f"orthonormal {torch.allclose(evecs.T @ evecs, torch.eye(4, dtype=torch.float64))}")
print(f"logdet {torch.logdet(M).item():.8f} slogdet {torch.linalg.slogdet(M)[1].item():.8f}")

# PCA: centre, SVD, explained variance, projection (signs fixed by the largest entry).
X = torch.tensor(rng.standard_normal((50, 3)) @ np.diag([3.0, 1.0, 0.2]), dtype=torch.float32)
Xc = X - X.mean(dim=0, keepdim=True)
U, S, Vh = torch.linalg.svd(Xc, full_matrices=False)
signs = torch.sign(Vh[torch.arange(3), Vh.abs().argmax(dim=1)])
Vh = Vh * signs.unsqueeze(1)
explained = S**2 / (S**2).sum()
print("explained", [round(v, 5) for v in explained.tolist()])
proj = Xc @ Vh[:2].T
print("proj shape", tuple(proj.shape), f"var {proj.var(dim=0, unbiased=True).sum().item():.4f}")
print(f"pinv check {(torch.linalg.pinv(Xc) @ Xc - torch.eye(3)).abs().max().item() < 1e-4}")
print(f"cond {torch.linalg.cond(Xc).item():.4f}")

# A gradient through eigh and solve.
W = torch.tensor(rng.standard_normal((3, 3)), dtype=torch.float64, requires_grad=True)
sym = W @ W.T + 3 * torch.eye(3, dtype=torch.float64)
ev = torch.linalg.eigvalsh(sym)
loss = ev.max() + torch.linalg.solve(sym, torch.ones(3, dtype=torch.float64)).sum()
loss.backward()
print("grad W", np.round(W.grad.numpy(), 6).tolist())
print(f"matrix_exp trace {torch.linalg.matrix_exp(sym.detach() / 10).trace().item():.8f}")
print(f"det {torch.linalg.det(sym).item():.6f} inv norm {torch.linalg.inv(sym).norm().item():.6f}")
