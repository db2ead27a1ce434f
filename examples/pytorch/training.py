"""The training loop of examples/pytorch/train_lenet.py and scripts/bench-resnet18.py: cross-entropy
minibatches in a seeded order, recorded by CNN Slicer's Recorder or not, and timed.

Its caller puts the repository's `python/` folder on sys.path first (for `cnn_slicer`).
"""

import contextlib
import time

import torch
import torch.nn.functional as F

from cnn_slicer import Recorder


def train_one_epoch(model, optimizer, x, y, generator, batch_size):
    """One epoch over (x, y) in the order `generator` draws; (mean loss, accuracy) of its batches."""
    model.train()
    order = torch.randperm(len(x), generator=generator)
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        optimizer.zero_grad()
        out = model(x[batch])
        loss = F.cross_entropy(out, y[batch])
        loss.backward()
        optimizer.step()
        total += float(loss) * len(batch)
        correct += int((out.argmax(1) == y[batch]).sum())
    return total / len(x), correct / len(x)


def train(model, optimizer, train_set, probe, epochs, batch_size, generator, record=True, **recorder_options):
    """Trains `epochs` epochs on `train_set` = (x, y). With `record`, a Recorder (`probe`, the epochs,
    batch size, optimizer, cross-entropy, the training size and `recorder_options`: name, dataset,
    runs_dir, control) records epoch 0 and every epoch, and its run folder is printed first; with a
    control, the training inputs and labels are those the control keeps. Prints each
    epoch's `epoch E: loss L, accuracy A`, then `training: S s` (or `training and recording: S s`):
    the wall time from before the recorder is made to the end of the loop (bench/pytorchBench.ts
    reads that line)."""
    x, y = train_set
    started = time.perf_counter()
    rec = None
    if record:
        rec = Recorder(
            model,
            probe=probe,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            loss="cross_entropy",
            train_size=len(x),
            **recorder_options,
        )
        print(rec.run_dir)
        if rec.control is not None:  # a control experiment: train on what the control keeps (docs/pytorch.md)
            x = rec.control(x) if rec.control.pixels else x
            y = rec.control.labels(y)
    with rec if rec is not None else contextlib.nullcontext():
        if rec is not None:
            rec.epoch(0)
        for epoch in range(1, epochs + 1):
            loss, accuracy = train_one_epoch(model, optimizer, x, y, generator, batch_size)
            if rec is not None:
                rec.epoch(epoch, train_loss=loss, train_accuracy=accuracy)
            print(f"epoch {epoch}: loss {loss:.4f}, accuracy {accuracy:.4f}")
    print(f"training{' and recording' if record else ''}: {time.perf_counter() - started:.2f} s")
