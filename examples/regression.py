"""Polynomial regression: fit a cubic with one Linear layer on the features (x, x^2, x^3).

Runs with mytorch as it is, or with PyTorch by changing the import line to `import torch`.

    python examples/regression.py
    python examples/regression.py --steps 200 --optimizer sgd --lr 0.01
"""

import mytorch as torch

import argparse

TRUE_WEIGHTS = [1.0, -2.0, 0.5]  # the coefficients of x, x^2, x^3
TRUE_BIAS = 3.0


def features(x):
    """The columns x, x^2, x^3 of an (N,) tensor, as an (N, 3) matrix."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, 4)], 1)


def target(x):
    w = torch.tensor(TRUE_WEIGHTS)
    return features(x) @ w + TRUE_BIAS


def poly_desc(w, b):
    terms = [f"{b:+.3f}"] + [f"{c:+.3f} x^{i}" for i, c in enumerate(w, 1)]
    return "y = " + " ".join(terms)


def main():
    parser = argparse.ArgumentParser(description="fit a cubic with a Linear layer")
    parser.add_argument("--steps", type=int, default=500, help="full-batch optimisation steps")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--noise", type=float, default=0.1, help="std of the noise on y")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x = torch.rand(args.samples) * 4 - 2  # uniform on [-2, 2)
    y = target(x) + args.noise * torch.randn(args.samples)
    inputs, y = features(x), y.unsqueeze(1)

    model = torch.nn.Linear(3, 1)
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = torch.nn.MSELoss()

    for step in range(1, args.steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), y)
        loss.backward()
        optimizer.step()
        if step == 1 or step % max(1, args.steps // 5) == 0:
            print(f"step {step:5d}: loss {loss.item():.6f}")

    with torch.no_grad():
        final_loss = loss_fn(model(inputs), y).item()
    print("true:   ", poly_desc(TRUE_WEIGHTS, TRUE_BIAS))
    print("learned:", poly_desc(model.weight.view(-1).tolist(), model.bias.item()))
    print(f"final loss: {final_loss:.6f}")


if __name__ == "__main__":
    main()
