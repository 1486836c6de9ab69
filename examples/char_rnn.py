"""A character-level LSTM language model on public-domain poems (examples/data/poems.txt).

Runs with mytorch as it is, or with PyTorch by changing the import line to `import torch`.
Trains with truncated backpropagation through time (the hidden state is carried from one chunk
to the next and detached), then samples text at a temperature.

    python examples/char_rnn.py                      # 10 epochs, a few minutes
    python examples/char_rnn.py --steps 30 --sample-length 200 --temperature 0.8
"""

import mytorch as torch

import argparse
import math
import os
import time

nn = torch.nn
F = torch.nn.functional

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "poems.txt")


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_size=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, hidden=None):
        out, hidden = self.lstm(self.embed(x), hidden)
        return self.head(out), hidden


def load_text(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    return "".join(lines[1:])  # the first line is the file's header (sources, status)


def batchify(data, batch_size):
    """Cut the 1-d code stream into batch_size parallel streams: a (batch_size, n) tensor."""
    n = data.numel() // batch_size
    return data[: n * batch_size].view(batch_size, n)


def detach(hidden):
    """Truncated BPTT: keep the state's values, cut the graph behind them."""
    return tuple(h.detach() for h in hidden)


def sample(model, stoi, itos, prime, length, temperature):
    model.eval()
    with torch.no_grad():
        x = torch.tensor([[stoi[c] for c in prime]])
        logits, hidden = model(x)
        out = []
        for _ in range(length):
            probs = F.softmax(logits[:, -1] / temperature, dim=-1)
            code = torch.multinomial(probs, 1)
            out.append(itos[code.item()])
            logits, hidden = model(code, hidden)
    model.train()
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description="character-level LSTM language model")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the text")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--bptt", type=int, default=64, help="characters per truncated chunk")
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    parser.add_argument("--sample-length", type=int, default=400)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--prime", default="The ", help="text the sample starts from")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    text = load_text(DATA)
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    if not args.prime or set(args.prime) - set(stoi):
        parser.error(f"--prime needs 1 or more of the text's characters: {''.join(itos)!r}")
    data = torch.tensor([stoi[c] for c in text])
    streams = batchify(data, args.batch_size)
    chunks = (streams.size(1) - 1) // args.bptt
    print(f"{len(text)} characters, {len(itos)} distinct; {chunks} steps per epoch")

    model = CharLSTM(len(itos), hidden_size=args.hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    total_steps = args.epochs * chunks if args.steps is None else args.steps
    report_every = max(1, total_steps // 10)
    step, start = 0, time.perf_counter()
    while step < total_steps:
        hidden = None  # each epoch starts from a zero state
        running, count = 0.0, 0
        for i in range(0, chunks * args.bptt, args.bptt):
            x = streams[:, i : i + args.bptt]
            y = streams[:, i + 1 : i + 1 + args.bptt]
            if hidden is not None:
                hidden = detach(hidden)
            logits, hidden = model(x, hidden)
            loss = F.cross_entropy(logits.reshape(-1, len(itos)), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            step += 1
            running += loss.item()
            count += 1
            if step == 1 or step % report_every == 0 or step == total_steps:
                print(
                    f"step {step}/{total_steps} (epoch {(step - 1) // chunks + 1}): "
                    f"loss {running / count:.4f} ({running / count / math.log(2):.3f} bits/char)"
                )
                running, count = 0.0, 0
            if step == total_steps:
                break
    print(f"{time.perf_counter() - start:.1f} s for {step} steps")

    print(f"sample ({args.sample_length} characters at temperature {args.temperature}):")
    print("-----")
    print(args.prime + sample(model, stoi, itos, args.prime, args.sample_length, args.temperature))
    print("-----")


if __name__ == "__main__":
    main()
