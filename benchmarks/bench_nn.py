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
Run from the repository root:

    python -m pip install . && python benchmarks/bench_nn.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (
    compare,
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

    results, shares, skipped = {}, {}, []
    for row in ROWS:
        state = _state(torch_lib, row)
        fns, layer_fns = {}, {}
        reference = first_loss(torch_lib, row, state)
        for name, lib in libs.items():
            with lib.active() as torch:
                if not _has(torch, row):
                    skipped.append(f"{row} on {name}")
                    continue
                got = first_loss(torch, row, state)
                if not np.isclose(got, reference, rtol=1e-4, atol=1e-5):
                    raise SystemExit(f"bench_nn: {row}: {name}'s loss {got} != torch's {reference}")
                fns[name] = make_step(torch, row, state)
                layer_fns[name] = {
                    lname: make_layer_step(torch, *recorded)
                    for lname, recorded in layer_inputs(torch, row, state).items()
                }
        results[row] = compare(fns, libs, **timing)
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

    print(f"## Training steps ({args.stat})")
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
    print("## Targets (issue 16)")
    print()
    for row, target in TARGETS.items():
        times = results.get(row, {})
        ratio = None
        if "compiled" in times and "torch" in times:
            ratio = times["compiled"] / times["torch"]
        print(target_line(row, ratio, target))
    print(f"- {load_line()} at end")


if __name__ == "__main__":
    main()
