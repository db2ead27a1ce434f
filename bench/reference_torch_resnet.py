"""PyTorch reference for the model zoo (bench/zooBench.ts): one training epoch of the full-width
ResNet-18 of examples/resnet18.ts, layer for layer — a 3×3 stem, four stages of two basic blocks
(3×3 convolution without bias, BatchNormalization, ReLU, 3×3 convolution, BatchNormalization, the
residual add and ReLU; a strided 1×1 convolution and BatchNormalization project the shortcut when
the shape changes) at 64, 128, 256 and 512 channels, global average pooling and a 10-way dense
layer — with Adam, the same learning rate, batch size and inputs, on one CPU thread.
BatchNormalization uses Keras's epsilon (1e-3) and momentum (0.99, PyTorch's 0.01).
The inputs arrive as NHWC, as TensorFlow.js takes them, and are transposed once before the clock starts.
Reads X.npy (float32 [N, 32, 32, 3]) and Y.npy ([N]); prints JSON {seconds, cpuSeconds, loss, torchVersion}.
Usage: python3 reference_torch_resnet.py X.npy Y.npy BATCH LEARNING_RATE
"""
import sys

import torch
from torch import nn

# The timed epoch is the LeNet/CIFAR reference's own, so both measure the same way.
from reference_torch import timed_epoch


def conv_bn(c_in, c_out, kernel, stride):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01),
    )


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.a = conv_bn(c_in, c_out, 3, stride)
        self.b = conv_bn(c_out, c_out, 3, 1)
        self.proj = conv_bn(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else None

    def forward(self, x):
        y = self.b(torch.relu(self.a(x)))
        return torch.relu(y + (x if self.proj is None else self.proj(x)))


def resnet18(base=64):
    layers = [conv_bn(3, base, 3, 1), nn.ReLU()]
    c_in = base
    for stage, factor in enumerate([1, 2, 4, 8]):
        c_out = base * factor
        layers += [BasicBlock(c_in, c_out, 1 if stage == 0 else 2), BasicBlock(c_out, c_out, 1)]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)]
    return nn.Sequential(*layers)


def main():
    x_path, y_path, batch, learning_rate = sys.argv[1:5]
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    timed_epoch(resnet18, x_path, y_path, int(batch), learning_rate, threads)


if __name__ == "__main__":
    main()
