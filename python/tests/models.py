"""Small models of the tests; their source lines are asserted (test_layers.py), so keep lines in place."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 5)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.bn(self.conv2(x))))
        return self.fc(torch.flatten(x, 1))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Sequential()
        self.shortcut = nn.Sequential(
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c),
        )

    def forward(self, x):
        out = self.relu(self.bn(self.conv(x)))
        out += self.shortcut(x)
        out = F.relu(out, inplace=True)
        return self.relu(out)


class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True))
        self.layer1 = self._make_layer(2)
        self.fc = nn.Linear(4, 3)

    def _make_layer(self, n):
        layers = []
        for _ in range(n):
            layers.append(Block(4))
        layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.layer1(self.stem(x))
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class ConvInplaceRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(3 * 6 * 6, 2)

    def forward(self, x):
        x = self.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


class Fourier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 6 * 6, 2)

    def forward(self, x):
        x = torch.fft.fft2(self.conv(x)).real
        return self.fc(x.flatten(1))


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x * 0.5)


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x).squeeze(1)


def synthetic_digits(n, seed=0):
    """`n` 1x28x28 inputs of 10 classes that a LeNet learns a little in one epoch."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    x = torch.randn(n, 1, 28, 28, generator=g) * 0.3
    for i in range(n):
        c = int(labels[i])
        x[i, 0, 2 * c : 2 * c + 6, 4:24] += 1.0
    return x, labels
