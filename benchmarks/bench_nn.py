"""Training steps of small networks: compiled build vs pure-Python build vs torch CPU.

Issue 16's benchmark. Each row is one training step: forward, backward, and a plain SGD update
of every parameter under ``no_grad`` (``p -= lr * p.grad``, then the gradient is dropped):

- cnn: the digits CNN at batch 64 (28x28 inputs): Conv2d(1, 32, 3), ReLU, Conv2d(32, 64, 3),
  ReLU, max_pool2d(2), Dropout(0.25), Linear(9216, 128), ReLU, Dropout(0.5), Linear(128, 10),
  cross_entropy;
- lstm: one LSTM layer, input 64, hidden 128, sequence 32, batch 32, a Linear head on the last
  step, mse_loss;
- transformer: one TransformerEncoderLayer, d_model 256, 4 heads, feed-forward 1024, sequence
  128, batch 16 (batch_first), dropout 0.1, mean of the output;
- mlp: Linear(784, 256), ReLU, Linear(256, 256), ReLU, Linear(256, 10) at batch 128,
  cross_entropy.

Every contender starts from the same weights (torch's initial state_dict copied in through NumPy)
and the same batch. A second table gives each layer's share of the step: every leaf module's
forward and backward, timed alone on the input it received in the step, over the sum of them.

Issue 17's rows:

- full training steps: the same four networks, each step forward, backward, ``optimizer.step()``
  and ``optimizer.zero_grad(set_to_none=True)``; Adam (lr 1e-3) for the cnn, the transformer and
  the mlp, SGD with momentum 0.9 (lr 0.01) for the lstm, each library's default implementation;
- the optimizer alone: one Adam step over 10M float32 parameters in 100 tensors of 100k (1M in
  10k with --quick), gradients set once; torch twice, with ``foreach=True`` and ``fused=True``;
- a DataLoader epoch over sklearn's digits (1797 samples of 8x8 float32, int64 labels) as a
  TensorDataset, batch_size 64, shuffle=True, num_workers 0 and 2.

Run from the repository root:

    python -m pip install . && python benchmarks/bench_nn.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
    fmt_ratio,
    fmt_time,
    load_libraries,
    load_line,
    markdown_table,
    parse_args,
    pin_threads,
    print_header,
    ratio_legend,
    results_table,
    target_line,
)

LR = 0.01
# Issue 16's targets: compiled/torch at most this.
TARGETS = {"cnn": 1.2, "transformer": 1.2, "lstm": 1.0, "mlp": 1.0}
# Issue 17: each row's optimizer in the full training steps, and the targets.
OPTIMIZERS = {
    "cnn": ("Adam", {"lr": 1e-3}),
    "lstm": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "transformer": ("Adam", {"lr": 1e-3}),
    "mlp": ("Adam", {"lr": 1e-3}),
}
TRAIN_TARGET = 1.2  # compiled/torch, every full training step
OPTIM_TARGET = 1.0  # compiled/torch (fused), the Adam step alone
# The optimizer-alone row: tensors x elements (float32); --quick: a tenth of the elements.
OPTIM_TENSORS, OPTIM_SIZE = 100, 100_000
LOADER_WORKERS = (0, 2)
_rng = np.random.default_rng(0)


def _randn(*shape):
    return _rng.standard_normal(shape).astype(np.float32)


def _cnn_model(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return self.fc2(x)

    return Net()


def _lstm_model(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(64, 128, batch_first=True)
            self.head = nn.Linear(128, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    return Net()


def _transformer_model(torch):
    return torch.nn.TransformerEncoderLayer(256, 4, 1024, 0.1, batch_first=True)


def _mlp_model(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def _ce(torch, out, y):
    return torch.nn.functional.cross_entropy(out, y)


def _mse(torch, out, y):
    return torch.nn.functional.mse_loss(out, y)


def _mean(torch, out, y):
    return out.mean()


# name -> (model builder, input arrays, target array or None, loss)
ROWS = {
    "cnn": (_cnn_model, _randn(64, 1, 28, 28), _rng.integers(0, 10, 64), _ce),
    "lstm": (_lstm_model, _randn(32, 32, 64), _randn(32, 1), _mse),
    "transformer": (_transformer_model, _randn(16, 128, 256), None, _mean),
    "mlp": (_mlp_model, _randn(128, 784), _rng.integers(0, 10, 128), _ce),
}


def _has(torch, row):
    needs = {"lstm": "LSTM", "transformer": "TransformerEncoderLayer"}.get(row)
    return needs is None or hasattr(torch.nn, needs)


def _state(torch_lib, row):
    """The row's initial weights, from torch: {name: NumPy array}."""
    torch_lib.manual_seed(0)
    model = ROWS[row][0](torch_lib)
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _build(torch, row, state):
    make, x, y, loss = ROWS[row]
    model = make(torch)
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    model.train()
    xt = torch.tensor(x)
    yt = None if y is None else torch.tensor(y)
    params = list(model.parameters())
    return model, xt, yt, loss, params


def make_step(torch, row, state):
    """A zero-argument training step on this library, and a check that it runs."""
    model, xt, yt, loss, params = _build(torch, row, state)

    def step():
        out = loss(torch, model(xt), yt)
        out.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return out

    return step


def make_train_step(torch, row, state, eval_mode=False):
    """A zero-argument full training step: forward, backward, optimizer.step(), zero_grad."""
    model, xt, yt, loss, params = _build(torch, row, state)
    if eval_mode:
        model.eval()
    name, kwargs = OPTIMIZERS[row]
    opt = getattr(torch.optim, name)(params, **kwargs)

    def step():
        out = loss(torch, model(xt), yt)
        out.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return out

    def loss_now():
        with torch.no_grad():
            return float(loss(torch, model(xt), yt))

    return step, loss_now


def trained_loss(torch, row, state):
    """The loss after one full training step in eval mode (no dropout): checks the optimizer."""
    step, loss_now = make_train_step(torch, row, state, eval_mode=True)
    step()
    return loss_now()


def first_loss(torch, row, state):
    """The loss of the first forward in eval mode (no dropout): the same for every contender."""
    model, xt, yt, loss, _ = _build(torch, row, state)
    model.eval()
    with torch.no_grad():
        return float(loss(torch, model(xt), yt))


# Modules timed as one layer although they have children (whose forward they do not call).
UNITS = ("MultiheadAttention", "LSTM", "GRU", "RNN")


def _layers(model):
    """(name, module) of every layer: a leaf module or a UNITS one, never inside another layer."""
    found = []
    for name, mod in model.named_modules():
        if not name or any(name.startswith(outer + ".") for outer, _ in found):
            continue
        if type(mod).__name__ in UNITS or not list(mod.children()):
            found.append((name, mod))
    return found


def _to_numpy(value):
    return value.detach().numpy().copy() if hasattr(value, "detach") else value


def layer_inputs(torch, row, state):
    """{layer name: (module, positional inputs, keyword inputs)} as first seen in one forward,
    tensors as NumPy arrays."""
    model, xt, yt, loss, _ = _build(torch, row, state)
    seen = {}
    handles = []
    for name, mod in _layers(model):

        def hook(m, args, kwargs, name=name):
            record = ([_to_numpy(a) for a in args], {k: _to_numpy(v) for k, v in kwargs.items()})
            seen.setdefault(name, (m,) + record)

        handles.append(mod.register_forward_pre_hook(hook, with_kwargs=True))
    with torch.no_grad():
        model(xt)
    for h in handles:
        h.remove()
    return seen


def _as_input(torch, value):
    if isinstance(value, np.ndarray):
        return torch.tensor(value, requires_grad=value.dtype.kind == "f")
    return value


def make_layer_step(torch, module, args, kwargs):
    """Forward and backward of one layer alone on its recorded input."""
    xs = [_as_input(torch, a) for a in args]
    kw = {k: _as_input(torch, v) for k, v in kwargs.items()}

    def step():
        out = module(*xs, **kw)
        if isinstance(out, tuple):
            out = out[0]
        out.sum().backward()
        for p in module.parameters():
            p.grad = None

    return step


def _optim_arrays(quick):
    size = OPTIM_SIZE // 10 if quick else OPTIM_SIZE
    rng = np.random.default_rng(1)
    params = [rng.standard_normal(size).astype(np.float32) for _ in range(OPTIM_TENSORS)]
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(OPTIM_TENSORS)]
    return params, grads


def make_optim_step(torch, params, grads, **kwargs):
    """Adam over the parameters (copies of the arrays), their gradients set once: (its step,
    the first parameter as a NumPy array)."""
    ps = [torch.tensor(a, requires_grad=True) for a in params]
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g)
    opt = torch.optim.Adam(ps, lr=1e-3, **kwargs)
    return opt.step, lambda: ps[0].detach().numpy().copy()


def optim_row(libs, torch_lib, timing, quick):
    """{contender: seconds per Adam step}; torch as "torch (foreach)" and "torch (fused)"."""
    params, grads = _optim_arrays(quick)
    fns, firsts = {}, {}
    for name, lib in libs.items():
        variants = {name: {}}
        if name == "torch":
            variants = {"torch (foreach)": {"foreach": True}, "torch (fused)": {"fused": True}}
        for label, kwargs in variants.items():
            with lib.active() as torch:
                fns[label], firsts[label] = make_optim_step(torch, params, grads, **kwargs)
                fns[label]()
                firsts[label] = firsts[label]()
    if "torch (foreach)" in firsts:
        want = firsts["torch (foreach)"]
        for label, got in firsts.items():
            if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                raise SystemExit(f"bench_nn: Adam: {label}'s step differs from torch's")
    del params, grads
    return compare(fns, libs, **timing)


def _digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    d = load_digits()
    return d.data.reshape(-1, 8, 8).astype(np.float32), d.target.astype(np.int64)


def make_epoch(torch, x, y, workers):
    """One pass over a shuffled DataLoader of the digits: a zero-argument function."""
    data = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True, num_workers=workers)

    def epoch():
        seen = 0
        for xb, yb in loader:
            seen += int(yb.shape[0])
        if seen != len(y):
            raise SystemExit(f"bench_nn: a DataLoader epoch gave {seen} samples, not {len(y)}")
        return seen

    return epoch


def loader_rows(libs, timing):
    """{"digits, num_workers=N": {contender: seconds per epoch}}, or {} without sklearn."""
    digits = _digits()
    if digits is None:
        return {}
    results = {}
    for workers in LOADER_WORKERS:
        fns = {}
        for name, lib in libs.items():
            with lib.active() as torch:
                fns[name] = make_epoch(torch, *digits, workers)
        results[f"digits, num_workers={workers}"] = compare(fns, libs, **timing)
    return results


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    libs = load_libraries(args.builds)
    pin_threads(libs, args.threads)
    print_header("bench_nn: training steps of small networks", libs)
    if "torch" not in libs:
        raise SystemExit("bench_nn: the weights come from torch; include it in --builds")
    torch_lib = libs["torch"].module
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.2
    timing = {"repeat": repeat, "warmup": 2, "min_time": min_time, "stat": args.stat}

    results, trains, shares, skipped = {}, {}, {}, []
    for row in ROWS:
        state = _state(torch_lib, row)
        fns, train_fns, layer_fns = {}, {}, {}
        reference = first_loss(torch_lib, row, state)
        trained = trained_loss(torch_lib, row, state)
        for name, lib in libs.items():
            with lib.active() as torch:
                if not _has(torch, row):
                    skipped.append(f"{row} on {name}")
                    continue
                got = first_loss(torch, row, state)
                if not np.isclose(got, reference, rtol=1e-4, atol=1e-5):
                    raise SystemExit(f"bench_nn: {row}: {name}'s loss {got} != torch's {reference}")
                got = trained_loss(torch, row, state)
                if not np.isclose(got, trained, rtol=1e-3, atol=1e-4):
                    raise SystemExit(
                        f"bench_nn: {row}: {name}'s loss after a step {got} != torch's {trained}"
                    )
                fns[name] = make_step(torch, row, state)
                train_fns[name] = make_train_step(torch, row, state)[0]
                layer_fns[name] = {
                    lname: make_layer_step(torch, *recorded)
                    for lname, recorded in layer_inputs(torch, row, state).items()
                }
        results[row] = compare(fns, libs, **timing)
        trains[row] = compare(train_fns, libs, **timing)
        per_layer = {}
        for lname in next(iter(layer_fns.values())):
            per_layer[lname] = compare(
                {n: f[lname] for n, f in layer_fns.items() if lname in f},
                libs,
                repeat=3,
                warmup=1,
                min_time=0.02 if args.quick else 0.05,
                stat=args.stat,
            )
        shares[row] = per_layer
    optim = optim_row(libs, torch_lib, timing, args.quick)
    loaders = loader_rows(libs, timing)

    print(f"## Training steps, plain SGD under no_grad ({args.stat})")
    print()
    print(results_table(results, libs))
    print()
    print(ratio_legend(list(libs)))
    print()
    print("## Each layer's share (forward + backward of the layer alone, over the sum of them)")
    print()
    names = list(libs)
    header = ["row", "layer"] + [f"{n} (share)" for n in names]
    lines = []
    for row, per_layer in shares.items():
        totals = {n: sum(t.get(n, 0.0) for t in per_layer.values()) for n in names}
        for lname, times in per_layer.items():
            cells = []
            for n in names:
                t = times.get(n)
                share = "" if t is None or not totals[n] else f" ({100 * t / totals[n]:.0f}%)"
                cells.append(fmt_time(t) + share)
            lines.append([row, lname] + cells)
    print(markdown_table(header, lines))
    if skipped:
        print()
        print("Not run (the layer is missing): " + ", ".join(skipped))
    print()
    print(f"## Full training steps: forward, backward, optimizer.step(), zero_grad ({args.stat})")
    print()
    notes = {row: _optimizer_note(row) for row in trains}
    print(results_table(trains, libs, extra=notes, note_col="optimizer"))
    print()
    print(_optim_table(optim, args.quick, args.stat))
    print()
    if loaders:
        print(f"## DataLoader epoch over the digits, batch_size 64, shuffle ({args.stat})")
        print()
        print(results_table(loaders, libs))
    else:
        print("DataLoader rows not run: sklearn (load_digits) is not installed.")
    print()
    print("## Targets (issue 16)")
    print()
    for row, target in TARGETS.items():
        times = results.get(row, {})
        ratio = None
        if "compiled" in times and "torch" in times:
            ratio = times["compiled"] / times["torch"]
        print(target_line(row, ratio, target))
    print()
    print("## Targets (issue 17)")
    print()
    for row in ROWS:
        print(target_line(f"{row} full step", _ratio(trains.get(row, {}), "torch"), TRAIN_TARGET))
    fused = _ratio(optim, "torch (fused)")
    print(target_line("Adam step alone", fused, OPTIM_TARGET, versus="torch (fused)"))
    print(f"- {load_line()} at end")


def _ratio(times, den):
    if "compiled" in times and den in times:
        return times["compiled"] / times[den]
    return None


def _optimizer_note(row):
    name, kwargs = OPTIMIZERS[row]
    return name + "(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def _optim_table(times, quick, stat):
    """The optimizer-alone row as a table of its own: torch has two columns."""
    size = OPTIM_SIZE // 10 if quick else OPTIM_SIZE
    names = [n for n in ("compiled", "pure", "torch (foreach)", "torch (fused)") if n in times]
    ratios = [(a, b) for a, b in (("compiled", "torch (fused)"), ("compiled", "torch (foreach)"),
                                  ("pure", "compiled")) if a in times and b in times]  # fmt: skip
    header = ["workload"] + names + [f"{a}/{b}" for a, b in ratios]
    cells = [f"Adam, {OPTIM_TENSORS} x {size} float32"]
    cells += [fmt_time(times[n]) for n in names]
    cells += [fmt_ratio(times[a], times[b]) for a, b in ratios]
    title = f"## The optimizer alone: one Adam step, gradients set once ({stat})"
    return title + "\n\n" + markdown_table(header, [cells])


if __name__ == "__main__":
    main()
