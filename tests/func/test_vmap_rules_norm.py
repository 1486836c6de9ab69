"""The batching rules of mytorch.func._rules_norm (layer norm's primitives) against
torch.func.vmap, each checked not to fall back to the per-example loop: batched inputs with
shared, batched or absent weight and bias, and per-example gradients (the backward primitive
batched) to second order."""

import pytest
from test_vmap import _arr, _check, _no_fallback

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _ln(L, x, w=None, b=None):
    k = 1 if w is None else w.ndim
    return L.nn.functional.layer_norm(x, tuple(x.shape[x.ndim - k :]), w, b)


CASES = {
    "plain": (lambda L: lambda x: _ln(L, x), [(3, 4, 5)], None),
    "shared_affine": (lambda L: lambda x, w, b: _ln(L, x, w, b), [(3, 4, 5), (5,), (5,)],
                      (0, None, None)),
    "two_dims": (lambda L: lambda x, w, b: _ln(L, x, w, b), [(3, 2, 4, 5), (4, 5), (4, 5)],
                 (0, None, None)),
    "batched_weight": (lambda L: lambda x, w, b: _ln(L, x, w, b), [(3, 4, 5), (3, 5), (5,)],
                       (0, 0, None)),
    "batched_bias": (lambda L: lambda x, w, b: _ln(L, x, w, b), [(3, 4, 5), (5,), (3, 5)],
                     (0, None, 0)),
    "batched_all": (lambda L: lambda x, w, b: _ln(L, x, w, b), [(3, 4, 5), (3, 5), (3, 5)], 0),
    "weight_only_batched": (lambda L: lambda x, w: _ln(L, x, w), [(4, 5), (3, 5)], (None, 0)),
    "grad_x": (lambda L: L.func.grad(lambda x, w, b: (_ln(L, x, w, b) ** 2 * x).sum()),
               [(3, 4, 5), (5,), (5,)], (0, None, None)),
    "grad_w": (lambda L: L.func.grad(lambda w, x, b: (_ln(L, x, w, b) ** 2 * x).sum()),
               [(5,), (3, 4, 5), (5,)], (None, 0, None)),
    "grad_all": (lambda L: L.func.grad(lambda x, w, b: (_ln(L, x, w, b) ** 3).sum(),
                                       argnums=(0, 1, 2)), [(3, 4, 5), (3, 5), (3, 5)], 0),
    "grad_batched_w": (lambda L: L.func.grad(lambda w, x: (_ln(L, x, w) * x).sum()),
                       [(3, 5), (4, 5)], (0, None)),
    "hessian": (lambda L: L.func.hessian(lambda x: _ln(L, x)[0].sin().sum()), [(3, 2, 4)],
                None),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_norm_by_rule(name, monkeypatch):
    fn, shapes, in_dims = CASES[name]
    arrays = [_arr(*s, key=f"{name}{i}") for i, s in enumerate(shapes)]
    _no_fallback(monkeypatch)
    _check(fn, arrays, **({} if in_dims is None else {"in_dims": in_dims}))
