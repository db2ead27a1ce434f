"""PyTorch reference for `npm run bench` (bench/torchBench.ts): one training epoch of the same model
as examples/mnist-lenet.ts or examples/cifar-cnn.ts, layer for layer, with the same optimizer,
learning rate, batch size and inputs, on one CPU thread (the kind of code a PyTorch user would write).
PyTorch's own layout (NCHW) is used: the inputs arrive as NHWC, as TensorFlow.js takes them, and are
transposed once before the clock starts.
Reads X.npy (float32 [N, H, W, C]) and Y.npy (int32 [N]); prints JSON {seconds, cpuSeconds, loss, torchVersion}.
Usage: python3 reference_torch.py lenet|cifar X.npy Y.npy BATCH LEARNING_RATE [THREADS [EPOCHS]]
THREADS (default 1) is torch.set_num_threads's; EPOCHS (default 1) epochs are timed together.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def lenet():
    # examples/mnist-lenet.ts: conv 8 5×5 relu, pool 2, conv 16 5×5 relu, pool 2, dense 64 relu, dense 10.
    return nn.Sequential(
        nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def cifar():
    # examples/cifar-cnn.ts: two blocks of two 3×3 'same' convolutions and a pool, dense 128, dense 10.
    def block(c_in, c_out):
        return [
            nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
        ]

    return nn.Sequential(
        *block(3, 32), *block(32, 64),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def timed_epoch(model, x_path, y_path, batch, learning_rate, threads=1, epochs=1):
    """One timed training epoch of `model` on X.npy/Y.npy (NHWC, transposed once before the clock), with
    Adam at `learning_rate` and one untimed batch first; prints the JSON line the bench reads.
    bench/reference_torch_resnet.py imports it for the zoo's ResNet-18."""
    torch.set_num_threads(threads)
    torch.manual_seed(2021)
    x = torch.from_numpy(np.ascontiguousarray(np.load(x_path).transpose(0, 3, 1, 2)))
    y = torch.from_numpy(np.load(y_path).astype(np.int64))
    model = model()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=float(learning_rate))
    # The softmax layer and categorical cross-entropy of the tfjs model, in PyTorch's fused form.
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    # One untimed batch first, as on the TensorFlow.js side (first-call allocations).
    step(x[:batch], y[:batch])
    start = time.perf_counter()
    start_cpu = time.process_time()
    loss = None
    for _ in range(epochs):
        order = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], batch):
            rows = order[i : i + batch]
            loss = step(x[rows], y[rows])
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    print(json.dumps({"seconds": seconds, "cpuSeconds": cpu_seconds, "loss": float(loss), "torchVersion": torch.__version__}))


def main():
    kind, x_path, y_path, batch, learning_rate = sys.argv[1:6]
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    epochs = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    # The model is built after the seed is set, so its initial weights are the same at every run.
    timed_epoch(lenet if kind == "lenet" else cifar, x_path, y_path, int(batch), learning_rate, threads, epochs)


if __name__ == "__main__":
    main()
