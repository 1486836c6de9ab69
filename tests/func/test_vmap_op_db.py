"""vmap over every row of the op database: ``vmap(row)`` on inputs stacked from three examples
equals the row applied to each example and stacked (values, dtypes, shapes), with every input
batched and with the first one batched alone. The per-example results are the ones
tests/ops/test_op_db.py checks against torch. Rows whose ops have no batching rule run through
the per-example fallback (tests/func/test_vmap.py checks that the families named in issue 18
use their rules); a primitive outside test_vmap.MAY_LOOP that loops fails the row."""

import pathlib
import sys

import numpy as np
import pytest
from helpers import seeded_rng

import mytorch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "ops"))
from op_db import SAMPLE_IDS, SAMPLES, inputs_for  # noqa: E402
from test_vmap import MAY_LOOP  # noqa: E402

from mytorch.func import _batched  # noqa: E402

B = 3
# Rows that vmap cannot run, with why (strict xfails).
_LOOSE = "its function writes batched values into an unbatched buffer / reads arrays directly"
XFAIL = {
    "lstsq": _LOOSE,
    "linalg_lu": _LOOSE,
    "linalg_lu_wide": _LOOSE,
    "linalg_lu_tall": _LOOSE,
    "masked_scatter": "a data-dependent intermediate shape (the mask's count) per example",
}


def _params():
    out = []
    for (op, i), ident in zip(SAMPLES, SAMPLE_IDS):
        marks = []
        if op.name in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[op.name]))
        out.append(pytest.param(op, i, id=ident, marks=marks))
    return out


def _outs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _per_example(op, arrays_b, dims):
    res = []
    for arrays in arrays_b:
        res.append(_outs(op.fn(mytorch, *[mytorch.tensor(a) for a in arrays])))
    return res


@pytest.mark.parametrize("batched", ["all", "first"])
@pytest.mark.parametrize("op, i", _params())
@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
def test_vmap_matches_per_example(op, i, batched, monkeypatch):
    rng = seeded_rng(op.name, i, "vmap")
    arrays_b = [inputs_for(op, i, rng) for _ in range(B)]
    n = len(arrays_b[0])
    if n == 0:
        pytest.skip("no tensor inputs")
    dims = [0] * n if batched == "all" else [0] + [None] * (n - 1)
    if batched == "first":  # the other inputs shared by the examples
        arrays_b = [[a[0]] + arrays_b[0][1:] for a in arrays_b]
    try:
        want = _per_example(op, arrays_b, dims)
    except Exception:
        pytest.skip("the row raises on these inputs")
    for k in range(len(want[0])):
        shapes = {tuple(w[k].shape) for w in want if isinstance(w[k], mytorch.Tensor)}
        if len(shapes) > 1:
            pytest.skip("a data-dependent output shape: not vmappable, as in torch")
    stacked = [
        mytorch.tensor(np.stack([a[k] for a in arrays_b])) if d == 0
        else mytorch.tensor(arrays_b[0][k])
        for k, d in enumerate(dims)
    ]  # fmt: skip
    looped = []
    real_loop = _batched.loop

    def loop(fn, op_, *args, **kw):
        looped.append(op_.name)
        return real_loop(fn, op_, *args, **kw)

    monkeypatch.setattr(_batched, "loop", loop)
    try:
        got = mytorch.func.vmap(lambda *xs: op.fn(mytorch, *xs), in_dims=tuple(dims))(*stacked)
    except RuntimeError as e:
        if any(w in str(e) for w in ("randomness", "data-dependent", "dynamic shape", ".item()")):
            pytest.skip(f"not vmappable, as in torch: {e}")
        raise
    except IndexError as e:  # flip/roll along a dim of 0-d examples (test_vmap_0d_median.py)
        if str(e) == "Dimension out of range (expected to be in range of [-1, 0], but got 1)":
            pytest.skip(f"not vmappable, as in torch: {e}")
        raise
    assert set(looped) <= set(MAY_LOOP), f"ruled primitives looped: {set(looped) - set(MAY_LOOP)}"
    got = _outs(got)
    assert len(got) == len(want[0])
    for k, g in enumerate(got):
        ws = [w[k] for w in want]
        if not isinstance(ws[0], mytorch.Tensor):
            continue
        assert g.dtype == ws[0].dtype, f"output {k}: {g.dtype} != {ws[0].dtype}"
        expect = np.stack([w.detach().numpy() for w in ws])
        assert tuple(g.shape) == expect.shape, f"output {k}: {tuple(g.shape)} != {expect.shape}"
        np.testing.assert_allclose(
            g.detach().numpy(), expect, rtol=1e-6, atol=1e-9, equal_nan=True, err_msg=f"out {k}"
        )
