"""The tests' training epoch (test_recorder.py, test_engine.py)."""

import torch.nn.functional as F


def train_one_epoch(model, optimizer, x, y, batch=32):
    """One epoch of cross-entropy over (x, y) in order, `batch` inputs a step: (mean loss, accuracy) as floats."""
    model.train()
    total, correct = 0.0, 0
    for i in range(0, len(x), batch):
        optimizer.zero_grad()
        out = model(x[i : i + batch])
        loss = F.cross_entropy(out, y[i : i + batch])
        loss.backward()
        optimizer.step()
        total += float(loss) * len(out)
        correct += int((out.argmax(1) == y[i : i + batch]).sum())
    return total / len(x), correct / len(x)
