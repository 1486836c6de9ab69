"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal),
and the hook-based nn.utils.weight_norm / spectral_norm, against torch with the same weights."""

import copy
import pickle

import numpy as np
import pytest

import mytorch
from helpers import assert_matches, raises, raises_like, seeded_rng, to_numpy, torch
from nn_check import assert_same_state_dict, compare_derivatives, copy_state

pytestmark = pytest.mark.torch


def both(make):
    """``make(lib)`` in torch and mytorch, mytorch's loaded with torch's state."""
    tm, mm = make(torch), make(mytorch)
    copy_state(mm, tm)
    return mm, tm


def pair_input(shape, dtype_name="float64", key="x"):
    a = seeded_rng("parametrize", key, shape).standard_normal(shape).astype(dtype_name)
    return mytorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def assert_same_module(mm, tm):
    assert type(mm).__name__ == type(tm).__name__
    assert repr(mm) == repr(tm)
    assert_same_state_dict(mm, tm)
    for (km, vm), (kt, vt) in zip(mm.state_dict().items(), tm.state_dict().items()):
        assert km == kt
        assert_matches(vm, vt)


def check_call(mm, tm, shape, dtype_name="float64", second=True):
    """Outputs, gradients w.r.t. the parameters (the originals), and second derivatives."""
    xm, xt = pair_input(shape, dtype_name)
    om, ot = mm(xm), tm(xt)
    assert_matches(om, ot)
    tp, mp = [xt] + list(tm.parameters()), [xm] + list(mm.parameters())
    compare_derivatives(ot, om, tp, mp, dtype_name, "cpu", second)


# --- the parametrizations of torch.nn.utils.parametrizations ----------------------------------
@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
@pytest.mark.parametrize("layer", ["linear", "conv"])
def test_weight_norm(dim, layer):
    def make(T):
        T.manual_seed(0)
        if layer == "linear":
            m = T.nn.Linear(3, 4).double()
        else:
            m = T.nn.Conv2d(2, 3, 2).double()
        return m

    mm, tm = both(make)
    for m, T in ((mm, mytorch), (tm, torch)):
        T.nn.utils.parametrizations.weight_norm(m, dim=dim)
    # original0/original1 are computed from the copied weight, not copied
    assert_same_module(mm, tm)
    shape = (2, 3) if layer == "linear" else (1, 2, 4, 4)
    check_call(mm, tm, shape, second=False)
    assert_matches(mm.weight, tm.weight)
    # NOTE: torch's fused CPU _weight_norm (dim 0 or the last) has a wrong second derivative
    # (its gradgradcheck fails), so the second derivatives are compared with the formula
    # written out in torch ops.
    d = -1 if dim is None else dim

    def written_out(g, v):
        if d == -1:
            return v * (g / v.norm())
        others = [i for i in range(v.ndim) if i != d % v.ndim]
        return v * (g / torch.linalg.vector_norm(v, dim=others, keepdim=True))

    tm.parametrizations.weight[0].forward = written_out
    check_call(mm, tm, shape)


def test_weight_norm_float32_and_old_state_dict():
    def make(T):
        return T.nn.Linear(4, 2)

    mm, tm = both(make)
    sd_old = {"weight_g": np.abs(np.arange(2.0)).reshape(2, 1) + 1, "weight_v": np.ones((2, 4))}
    for m, T in ((mm, mytorch), (tm, torch)):
        T.nn.utils.parametrizations.weight_norm(m)
        sd = {k: T.tensor(v, dtype=T.float32) for k, v in sd_old.items()}
        sd["bias"] = T.zeros(2)
        assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    assert_same_module(mm, tm)
    check_call(mm, tm, (3, 4), "float32", second=False)


@pytest.mark.parametrize("n_iter", [1, 3])
@pytest.mark.parametrize(
    "layer, kw",
    [("linear", {}), ("conv", {}), ("convT", {}), ("linear", dict(dim=1)), ("conv", dict(dim=-1))],
)
def test_spectral_norm(layer, kw, n_iter):
    def make(T):
        T.manual_seed(0)
        if layer == "linear":
            m = T.nn.Linear(5, 4).double()
        elif layer == "conv":
            m = T.nn.Conv2d(2, 3, 2).double()
        else:
            m = T.nn.ConvTranspose2d(2, 3, 2).double()
        return T.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=n_iter, **kw)

    # u and v start random (then 15 power iterations): torch's are copied in
    mm, tm = both(make)
    assert_same_module(mm, tm)
    shape = (2, 5) if layer == "linear" else (1, 2, 4, 4)
    for _ in range(2):  # each training call iterates again from the updated u and v
        check_call(mm, tm, shape)
        assert_same_module(mm, tm)
    u0 = mm.parametrizations.weight[0]._u.clone()
    mm.eval(), tm.eval()
    check_call(mm, tm, shape)
    assert_same_module(mm, tm)
    assert_matches(mm.parametrizations.weight[0]._u, torch.tensor(to_numpy(u0)))
    # sigma: the weight over the parametrized weight
    sm = mm.parametrizations.weight.original / mm.weight
    st = tm.parametrizations.weight.original / tm.weight
    assert_matches(sm.mean(), st.mean())
    # after more iterations, sigma is the largest singular value of the weight as a matrix
    mm.train()
    for _ in range(30):
        mm.weight
    original = to_numpy(mm.parametrizations.weight.original)
    sigma = float(np.mean(original / to_numpy(mm.weight)))
    dim = 1 if layer == "convT" else kw.get("dim", 0) % original.ndim
    mat = np.moveaxis(original, dim, 0).reshape(original.shape[dim], -1)
    np.testing.assert_allclose(sigma, np.linalg.svd(mat, compute_uv=False)[0], rtol=1e-6)


def test_spectral_norm_1d_and_errors():
    def make(T):
        T.manual_seed(0)
        m = T.nn.Module()
        m.w = T.nn.Parameter(T.tensor([3.0, 4.0], dtype=T.float64))
        return T.nn.utils.parametrizations.spectral_norm(m, "w")

    mm, tm = both(make)
    assert_same_module(mm, tm)
    assert_matches(mm.w, tm.w)

    def bad(T, **kw):
        T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(2, 2), **kw)

    raises_like(lambda T: bad(T, n_power_iterations=0), ["n_power_iterations=0"], ValueError)
    raises_like(lambda T: bad(T, dim=2), ["Dimension out of range"], IndexError)
    raises_like(lambda T: bad(T, name="nothing"), ["has no parameter or buffer"], ValueError)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3)])
@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder", None])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal(shape, omap, trivial):
    def make(T):
        T.manual_seed(0)
        m = T.nn.Module()
        w = seeded_rng("orth", shape).standard_normal(shape)
        m.weight = T.nn.Parameter(T.tensor(w))
        return m

    mm, tm = make(mytorch), make(torch)
    for m, T in ((mm, mytorch), (tm, torch)):
        T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap, use_trivialization=trivial)
    rect = shape[-1] != shape[-2]
    if trivial and rect:
        copy_state(mm, tm)  # the base is completed with random columns
    # the original and the base come from the weight (QR / geqrf), not copied
    assert_same_module(mm, tm)
    wm, wt = mm.weight, tm.weight
    assert_matches(wm, wt)
    q = to_numpy(wm)
    qq = q.swapaxes(-1, -2) @ q if shape[-2] >= shape[-1] else q @ q.swapaxes(-1, -2)
    np.testing.assert_allclose(qq, np.broadcast_to(np.eye(qq.shape[-1]), qq.shape), atol=1e-10)
    tp, mp = list(tm.parameters()), list(mm.parameters())
    compare_derivatives(wt, wm, tp, mp, "float64", "cpu", True)


def test_orthogonal_assign_and_errors():
    def make(T, omap="matrix_exp", trivial=True, shape=(3, 3)):
        m = T.nn.Module()
        m.weight = T.nn.Parameter(T.tensor(seeded_rng("orth2").standard_normal(shape)))
        return T.nn.utils.parametrizations.orthogonal(
            m, orthogonal_map=omap, use_trivialization=trivial
        )

    mm, tm = make(mytorch), make(torch)
    target = np.linalg.qr(seeded_rng("q").standard_normal((3, 3)))[0]
    mm.weight, tm.weight = mytorch.tensor(target), torch.tensor(target)
    assert_same_module(mm, tm)
    assert_matches(mm.weight, tm.weight)
    np.testing.assert_allclose(to_numpy(mm.weight), target, atol=1e-12)

    def assign(T):
        make(T, trivial=False).weight = T.eye(3, dtype=T.float64)

    raises_like(assign, ["use_trivialization=False"], NotImplementedError)

    def assign_shape(T):
        make(T).weight = T.eye(2, dtype=T.float64)

    raises_like(assign_shape, ["Expected a matrix or batch of matrices of shape"], ValueError)
    raises_like(lambda T: make(T, omap="qr"), ["orthogonal_map has to be one of"], ValueError)
    raises_like(lambda T: make(T, shape=(3,)), ["Got a tensor of 1 dimensions"], ValueError)


# --- parametrize itself, with parametrizations written for the test ----------------------------
def modules(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()

    class Scale(T.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, X):
            return X / self.s

    class NoInverse(T.nn.Module):
        def forward(self, X):
            return X * 2

    class Sum2(T.nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    class Flat(T.nn.Module):  # changes the shape: needs unsafe=True
        def forward(self, X):
            return X.reshape(-1)

    return dict(Symmetric=Symmetric, Scale=Scale, NoInverse=NoInverse, Sum2=Sum2, Flat=Flat)


def linear(T):
    T.manual_seed(0)
    return T.nn.Linear(3, 3).double()


def register(T, m, spec, **kw):
    for name, *args in spec:
        names = [a for a in args if isinstance(a, str)]
        tname = names[0] if names else "weight"
        args = [a for a in args if not isinstance(a, str)]
        T.nn.utils.parametrize.register_parametrization(m, tname, modules(T)[name](*args), **kw)
    return m


SPECS = [
    [("Symmetric",)],
    [("Symmetric",), ("Scale", 3.0)],
    [("Scale", 2.0), ("NoInverse",)],
    [("Sum2",)],
    [("Sum2",), ("Symmetric",)],
    [("Symmetric",), ("Scale", 0.5, "bias")],
]


@pytest.mark.parametrize("spec", SPECS)
def test_register_parametrization(spec):
    mm, tm = both(linear)
    for m, T in ((mm, mytorch), (tm, torch)):
        register(T, m, spec)
    assert_same_module(mm, tm)
    check_call(mm, tm, (2, 3))
    P = mytorch.nn.utils.parametrize
    assert P.is_parametrized(mm) and P.is_parametrized(mm, "weight")
    assert not P.is_parametrized(mm, "other") and not P.is_parametrized(mytorch.nn.Linear(1, 1))
    assert P.type_before_parametrizations(mm) is mytorch.nn.Linear
    assert type(mm).__bases__ == (mytorch.nn.Linear,)
    assert isinstance(mm.parametrizations.weight, P.ParametrizationList)
    assert mm.parametrizations.weight.unsafe is tm.parametrizations.weight.unsafe
    # assignment goes through right_inverse (and fails where one is missing)
    value = np.arange(9.0).reshape(3, 3) / 10
    if any(s[0] == "NoInverse" for s in spec):
        raises_like(
            lambda T: setattr(T is mytorch and mm or tm, "weight", T.tensor(value)),
            ["does not implement right_inverse"],
            RuntimeError,
        )
        return
    mm.weight, tm.weight = mytorch.tensor(value), torch.tensor(value)
    assert_same_module(mm, tm)
    check_call(mm, tm, (2, 3))


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(spec, leave):
    mm, tm = both(linear)
    for m, T in ((mm, mytorch), (tm, torch)):
        register(T, m, spec)
    names = list(tm.parametrizations)
    for name in names:
        weight_before = (
            mm.get_parameter("parametrizations." + name + ".original")
            if (hasattr(mm.parametrizations[name], "original"))
            else None
        )

        def remove(T, name=name):
            m = mm if T is mytorch else tm
            return T.nn.utils.parametrize.remove_parametrizations(m, name, leave)

        if not leave and not hasattr(tm.parametrizations[name], "original"):
            raises_like(remove, ["Cannot leave unparametrized"], ValueError)
            return
        assert remove(mytorch) is mm and remove(torch) is tm
        if weight_before is not None:  # the same Parameter object, set in place
            assert mm._parameters[name] is weight_before
    assert type(mm) is mytorch.nn.Linear and type(tm) is torch.nn.Linear
    assert "parametrizations" not in mm._modules
    assert_same_module(mm, tm)
    check_call(mm, tm, (2, 3))


def test_parametrize_buffer_unsafe_and_errors():
    def make(T):
        m = T.nn.Module()
        m.register_buffer("buf", T.arange(6.0, dtype=T.float64).reshape(2, 3))
        return m

    mm, tm = make(mytorch), make(torch)
    for m, T in ((mm, mytorch), (tm, torch)):
        register(T, m, [("Flat", "buf")], unsafe=True)
    assert_same_module(mm, tm)
    assert_matches(mm.buf, tm.buf)
    assert mm.parametrizations.buf.unsafe is True

    def flat_safe(T):
        register(T, make(T), [("Flat", "buf")])

    raises_like(flat_safe, ["may not change the shape", "unparametrized shape"], ValueError)

    def chained_shape(T):
        m = register(T, make(T), [("Scale", 2.0, "buf")])
        register(T, m, [("Flat", "buf")])

    raises_like(chained_shape, ["may not change the shape", "module.buf.shape"], ValueError)

    def missing(T):
        register(T, make(T), [("Scale", 2.0, "nothing")])

    raises_like(missing, ["does not have a parameter, a buffer"], ValueError)

    def not_parametrized(T):
        T.nn.utils.parametrize.remove_parametrizations(make(T), "buf")

    raises_like(not_parametrized, ["does not have a parametrization on buf"], ValueError)

    def pickled(T):
        pickle.dumps(register(T, make(T), [("Scale", 2.0, "buf")]))

    raises_like(pickled, ["Serialization of parametrized modules"], RuntimeError)
    with raises(ValueError, match="one or more modules"):
        mytorch.nn.utils.parametrize.ParametrizationList([], mytorch.ones(2))


def test_cached_deepcopy_transfer():
    P = mytorch.nn.utils.parametrize
    mm = register(mytorch, linear(mytorch), [("Symmetric",)])
    assert mm.weight is not mm.weight
    with P.cached():
        w = mm.weight
        with P.cached():
            assert mm.weight is w
        assert mm.weight is w
    assert mm.weight is not w
    # deepcopy: a module of the same generated class with its own originals
    mc = copy.deepcopy(mm)
    assert type(mc) is type(mm)
    assert mc.parametrizations.weight.original is not mm.parametrizations.weight.original
    assert_matches(mc.weight, torch.tensor(to_numpy(mm.weight)))
    # transfer: the target gets the same parametrizations and shares the originals
    mt, tt = both(linear)
    ts = register(torch, linear(torch), [("Symmetric",), ("Scale", 2.0)])
    ms = register(mytorch, linear(mytorch), [("Symmetric",), ("Scale", 2.0)])
    copy_state(ms, ts)
    for src, dst, T in ((ms, mt, mytorch), (ts, tt, torch)):
        assert T.nn.utils.parametrize.transfer_parametrizations_and_params(src, dst) is dst
    assert mt.parametrizations.weight.original is ms.parametrizations.weight.original
    assert_same_module(mt, tt)
    check_call(mt, tt, (2, 3))


# --- the hook-based weight_norm and spectral_norm -------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm(dim):
    mm, tm = both(linear)
    with pytest.warns(FutureWarning):
        assert mytorch.nn.utils.weight_norm(mm, dim=dim) is mm
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(tm, dim=dim)
    assert_same_module(mm, tm)
    # NOTE: torch's fused _weight_norm (dim 0 or the last) has a wrong second derivative
    check_call(mm, tm, (2, 3), second=dim is None)
    assert_matches(mm.weight, tm.weight)
    raises_like(
        lambda T: T.nn.utils.weight_norm(mm if T is mytorch else tm),
        ["Cannot register two weight_norm hooks"],
        RuntimeError,
    )
    mytorch.nn.utils.remove_weight_norm(mm)
    torch.nn.utils.remove_weight_norm(tm)
    assert_same_module(mm, tm)
    check_call(mm, tm, (2, 3))
    raises_like(
        lambda T: T.nn.utils.remove_weight_norm(mm if T is mytorch else tm),
        ["weight_norm of 'weight' not found"],
        ValueError,
    )


@pytest.mark.parametrize("layer", ["linear", "convT"])
def test_old_spectral_norm(layer):
    def make(T):
        T.manual_seed(0)
        m = T.nn.Linear(5, 4) if layer == "linear" else T.nn.ConvTranspose2d(2, 3, 2)
        return T.nn.utils.spectral_norm(m.double(), n_power_iterations=2)

    mm, tm = both(make)
    assert_same_module(mm, tm)
    shape = (2, 5) if layer == "linear" else (1, 2, 3, 3)
    for _ in range(2):
        check_call(mm, tm, shape)
        assert_same_module(mm, tm)
        assert_matches(mm.weight, tm.weight)
    mm.eval(), tm.eval()
    check_call(mm, tm, shape)
    assert_same_module(mm, tm)
    assert mm.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    mytorch.nn.utils.remove_spectral_norm(mm)
    torch.nn.utils.remove_spectral_norm(tm)
    assert_same_module(mm, tm)
    check_call(mm, tm, shape)
    raises_like(
        lambda T: T.nn.utils.remove_spectral_norm(mm if T is mytorch else tm),
        ["spectral_norm of 'weight' not found"],
        ValueError,
    )


def test_old_spectral_norm_loads_version_0_state_dict():
    def make(T):
        T.manual_seed(0)
        return T.nn.utils.spectral_norm(T.nn.Linear(4, 3).double())

    mm, tm = both(make)
    sd = {k: to_numpy(v) for k, v in tm.state_dict().items()}
    # the version-0 form: the normalised weight saved, v not
    sd["weight"] = to_numpy(tm.weight_orig) / 1.7
    del sd["weight_v"]
    for m, T in ((mm, mytorch), (tm, torch)):
        state = {k: T.tensor(v) for k, v in sd.items()}
        assert repr(m.load_state_dict(state)) == "<All keys matched successfully>"
    assert_same_module(mm, tm)
    mm.eval(), tm.eval()
    check_call(mm, tm, (2, 4))


@pytest.mark.parametrize(
    "how",
    ["weight_norm", "spectral_norm", "orthogonal-cayley", "orthogonal-householder", "old_sn"],
)
def test_parametrized_module_moved(how, device):
    """A parametrized module moved to a device (matrix_exp is CPU-only: not here)."""

    def make(T):
        T.manual_seed(0)
        m = T.nn.Linear(4, 3).double()
        if how.startswith("orthogonal"):
            T.nn.utils.parametrizations.orthogonal(m, orthogonal_map=how.split("-")[1])
        elif how == "old_sn":
            T.nn.utils.spectral_norm(m)
        else:
            getattr(T.nn.utils.parametrizations, how)(m)
        return m

    mm, tm = both(make)
    mm.to(device)
    xm, xt = pair_input((2, 4))
    om, ot = mm(xm.detach().to(device)), tm(xt)
    assert om.device.type == device
    assert_matches(om.cpu(), ot)
    om.sum().backward(), ot.sum().backward()
    for (name, pm), pt in zip(mm.named_parameters(), tm.parameters()):
        assert pm.grad.device.type == device, name
        assert_matches(pm.grad.cpu(), pt.grad)
