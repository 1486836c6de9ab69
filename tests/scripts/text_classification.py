"""The text classification tutorial's model: nn.EmbeddingBag (mean) over offsets, a Linear
head, SGD with StepLR and clip_grad_norm_, evaluated with accuracy."""

# tolerance: rtol=1e-3, atol=1e-4
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(41)
VOCAB, EMBED, CLASSES = 30, 6, 4
docs = [rng.integers(0, VOCAB, size=rng.integers(2, 7)) for _ in range(40)]
labels = torch.tensor([int(d.sum() % CLASSES) for d in docs])


def collate(batch_docs):
    text = torch.cat([torch.tensor(d, dtype=torch.int64) for d in batch_docs])
    lengths = torch.tensor([len(d) for d in batch_docs])
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths[:-1]]).cumsum(dim=0)
    return text, offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        w = np.linspace(-initrange, initrange, VOCAB * EMBED, dtype=np.float32)
        self.embedding.weight.data = torch.from_numpy(np.random.default_rng(0).permutation(w))
        self.embedding.weight.data = self.embedding.weight.data.reshape(VOCAB, EMBED)
        self.fc.weight.data = torch.from_numpy(
            np.linspace(-0.5, 0.5, EMBED * CLASSES, dtype=np.float32)
        ).view(CLASSES, EMBED)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


model = TextClassificationModel(VOCAB, EMBED, CLASSES)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
for epoch in range(3):
    model.train()
    total_acc, total_count = 0, 0
    for i in range(0, 40, 10):
        text, offsets = collate(docs[i : i + 10])
        label = labels[i : i + 10]
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
    scheduler.step()
    print(f"epoch {epoch} loss {loss.item():.5f} accuracy {total_acc / total_count:.4f}")

model.eval()
with torch.no_grad():
    text, offsets = collate(docs)
    probs = torch.softmax(model(text, offsets), dim=1)
print("probs", np.round(probs[:3].numpy(), 4).tolist())
print(f"nll {torch.nn.functional.nll_loss(probs.log(), labels).item():.5f}")
