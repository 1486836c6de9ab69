"""The classic PyTorch MNIST example, on scikit-learn's bundled 8x8 digits (nothing to download).

Runs with mytorch as it is, or with PyTorch by changing the import line to `import torch`.
Needs scikit-learn (pip install "mytorch-autograd[examples]"); shows a progress bar when tqdm
is installed.

    python examples/mnist_digits.py                 # 10 epochs, about 98% test accuracy
    python examples/mnist_digits.py --epochs 1 --save-model
"""

import mytorch as torch

import argparse
import time

import numpy as np

nn = torch.nn
F = torch.nn.functional
StepLR = torch.optim.lr_scheduler.StepLR
DataLoader = torch.utils.data.DataLoader
TensorDataset = torch.utils.data.TensorDataset

try:
    from tqdm import tqdm
except ImportError:  # a plain line per epoch instead
    tqdm = None


class Net(nn.Module):
    """MNIST's Net with the sizes adapted to 8x8 inputs: padded convolutions, one 2x2 pooling."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, padding=1)  # 1x8x8 -> 32x8x8
        self.conv2 = nn.Conv2d(32, 64, 3, 1, padding=1)  # -> 64x8x8
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 4 * 4, 128)  # after max_pool2d(2): 64x4x4
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(model, train_loader, optimizer, epoch, epochs):
    model.train()
    batches = train_loader
    if tqdm is not None:
        batches = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False)
    total, seen = 0.0, 0
    for data, target in batches:
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(data)
        seen += len(data)
        if tqdm is not None:
            batches.set_postfix(loss=f"{loss.item():.4f}")
    return total / seen


def test(model, test_loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    n = len(test_loader.dataset)
    return test_loss / n, correct, n


def load_digits_split(split_seed=0, test_fraction=0.2):
    """The 1797 digits as (N, 1, 8, 8) float32 in [0, 1], then normalised with the training
    set's mean and standard deviation; a fixed, stratified 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    x_train, x_test, y_train, y_test = train_test_split(
        images,
        digits.target,
        test_size=test_fraction,
        random_state=split_seed,
        stratify=digits.target,
    )
    mean, std = x_train.mean(), x_train.std()  # like MNIST's Normalize((0.1307,), (0.3081,))
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.int64)))
    test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test.astype(np.int64)))
    return train_set, test_set


def main():
    parser = argparse.ArgumentParser(description="8x8 digits, after PyTorch's MNIST example")
    parser.add_argument("--batch-size", type=int, default=32, metavar="N")
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N")
    parser.add_argument("--epochs", type=int, default=10, metavar="N")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--save-model", action="store_true", help="save the model's state dict")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, test_set = load_digits_split()
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size)

    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss = train(model, train_loader, optimizer, epoch, args.epochs)
        test_loss, correct, n = test(model, test_loader)
        print(
            f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
            f"test accuracy {correct}/{n} ({100.0 * correct / n:.1f}%)"
        )
        scheduler.step()
    print(f"{time.perf_counter() - start:.1f} s for {args.epochs} epoch(s)")
    print(f"accuracy: {100.0 * correct / n:.1f}%")

    if args.save_model:
        torch.save(model.state_dict(), "mnist_digits_cnn.pt")


if __name__ == "__main__":
    main()
