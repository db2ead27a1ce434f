"""kuangliu/pytorch-cifar's architectures that slice, scale or aggregate feature maps, written anew
(see __init__.py): DPN, SENet, RegNet, DLA, SimpleDLA, PNASNet."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .classic import CLASSES, BasicBlock


# -- DPN -------------------------------------------------------------------------------------------
class DualPathBottleneck(nn.Module):
    """A grouped bottleneck whose first `out_planes` channels are added to the shortcut's (the
    residual path) and whose last `dense_depth` are concatenated after the shortcut's rest (the
    dense path)."""

    def __init__(self, last_planes, in_planes, out_planes, dense_depth, stride, first_layer):
        super(DualPathBottleneck, self).__init__()
        self.out_planes = out_planes
        self.conv1 = nn.Conv2d(last_planes, in_planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv2 = nn.Conv2d(in_planes, in_planes, kernel_size=3, stride=stride, padding=1, groups=4, bias=False)
        self.bn2 = nn.BatchNorm2d(in_planes)
        self.conv3 = nn.Conv2d(in_planes, out_planes + dense_depth, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes + dense_depth)
        self.shortcut = nn.Sequential()
        if first_layer:
            self.shortcut = nn.Sequential(
                nn.Conv2d(last_planes, out_planes + dense_depth, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes + dense_depth),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        x = self.shortcut(x)
        d = self.out_planes
        out = torch.cat([x[:, :d, :, :] + out[:, :d, :, :], x[:, d:, :, :], out[:, d:, :, :]], 1)
        return F.relu(out)


class DPN(nn.Module):
    def __init__(self, in_planes=(8, 16, 16, 24), out_planes=(16, 24, 32, 40), num_blocks=(2, 1, 1, 1), dense_depth=(4, 4, 4, 8)):
        super(DPN, self).__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.last_planes = 16
        self.layer1 = self._make_layer(in_planes[0], out_planes[0], num_blocks[0], dense_depth[0], stride=1)
        self.layer2 = self._make_layer(in_planes[1], out_planes[1], num_blocks[1], dense_depth[1], stride=2)
        self.layer3 = self._make_layer(in_planes[2], out_planes[2], num_blocks[2], dense_depth[2], stride=2)
        self.layer4 = self._make_layer(in_planes[3], out_planes[3], num_blocks[3], dense_depth[3], stride=2)
        self.linear = nn.Linear(out_planes[3] + (num_blocks[3] + 1) * dense_depth[3], CLASSES)

    def _make_layer(self, in_planes, out_planes, num_blocks, dense_depth, stride):
        layers = []
        for i, s in enumerate([stride] + [1] * (num_blocks - 1)):
            layers.append(DualPathBottleneck(self.last_planes, in_planes, out_planes, dense_depth, s, i == 0))
            self.last_planes = out_planes + (i + 2) * dense_depth
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


# -- SENet -----------------------------------------------------------------------------------------
class SEPreActBlock(nn.Module):
    """A pre-activation block whose output is scaled per channel by a squeeze (`F.avg_pool2d(out,
    out.size(2))`) and excitation (1×1 convolutions, `F.sigmoid`) before the shortcut is added."""

    def __init__(self, in_planes, planes, stride=1):
        super(SEPreActBlock, self).__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False))
        self.fc1 = nn.Conv2d(planes, planes // 8, kernel_size=1)
        self.fc2 = nn.Conv2d(planes // 8, planes, kernel_size=1)

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        w = F.avg_pool2d(out, out.size(2))
        w = F.relu(self.fc1(w))
        w = F.sigmoid(self.fc2(w))
        out = out * w
        out += shortcut
        return out


class SENet(nn.Module):
    def __init__(self, num_blocks=(2, 1, 1, 1), widths=(16, 16, 24, 32)):
        super(SENet, self).__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(widths[0], num_blocks[0], stride=1)
        self.layer2 = self._make_layer(widths[1], num_blocks[1], stride=2)
        self.layer3 = self._make_layer(widths[2], num_blocks[2], stride=2)
        self.layer4 = self._make_layer(widths[3], num_blocks[3], stride=2)
        self.linear = nn.Linear(widths[3], CLASSES)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(SEPreActBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


# -- RegNet (Y: grouped convolutions and squeeze-and-excitation) -----------------------------------
class RegNetSE(nn.Module):
    def __init__(self, in_planes, se_planes):
        super(RegNetSE, self).__init__()
        self.se1 = nn.Conv2d(in_planes, se_planes, kernel_size=1, bias=True)
        self.se2 = nn.Conv2d(se_planes, in_planes, kernel_size=1, bias=True)

    def forward(self, x):
        out = F.adaptive_avg_pool2d(x, (1, 1))
        out = F.relu(self.se1(out))
        out = self.se2(out).sigmoid()
        return x * out


class RegNetBlock(nn.Module):
    def __init__(self, w_in, w_out, stride, group_width, bottleneck_ratio, se_ratio):
        super(RegNetBlock, self).__init__()
        w_b = int(round(w_out * bottleneck_ratio))
        self.conv1 = nn.Conv2d(w_in, w_b, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(w_b)
        self.conv2 = nn.Conv2d(w_b, w_b, kernel_size=3, stride=stride, padding=1, groups=w_b // group_width, bias=False)
        self.bn2 = nn.BatchNorm2d(w_b)
        self.with_se = se_ratio > 0
        if self.with_se:
            self.se = RegNetSE(w_b, int(round(w_in * se_ratio)))
        self.conv3 = nn.Conv2d(w_b, w_out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(w_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or w_in != w_out:
            self.shortcut = nn.Sequential(nn.Conv2d(w_in, w_out, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(w_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        if self.with_se:
            out = self.se(out)
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class RegNet(nn.Module):
    cfg = {"depths": [1, 2, 1, 1], "widths": [8, 16, 24, 32], "strides": [1, 1, 2, 2], "group_width": 4, "bottleneck_ratio": 1, "se_ratio": 0.25}

    def __init__(self):
        super(RegNet, self).__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(0)
        self.layer2 = self._make_layer(1)
        self.layer3 = self._make_layer(2)
        self.layer4 = self._make_layer(3)
        self.linear = nn.Linear(self.cfg["widths"][-1], CLASSES)

    def _make_layer(self, i):
        cfg, layers = self.cfg, []
        for k in range(cfg["depths"][i]):
            stride = cfg["strides"][i] if k == 0 else 1
            layers.append(RegNetBlock(self.in_planes, cfg["widths"][i], stride, cfg["group_width"], cfg["bottleneck_ratio"], cfg["se_ratio"]))
            self.in_planes = cfg["widths"][i]
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = out.view(out.size(0), -1)
        return self.linear(out)


# -- DLA and SimpleDLA (trees whose roots concatenate) ---------------------------------------------
class Root(nn.Module):
    """Aggregates a list of maps: concatenated, a 1×1 convolution, BatchNorm, ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size=1):
        super(Root, self).__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=(kernel_size - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, xs):
        x = torch.cat(xs, 1)
        return F.relu(self.bn(self.conv(x)))


class Tree(nn.Module):
    """DLA's hierarchical aggregation: at level 1 two blocks and their root; above it, the subtrees
    of the lower levels, a block on the input (`prev_root`) and two blocks, all their outputs
    aggregated by one root."""

    def __init__(self, block, in_channels, out_channels, level=1, stride=1):
        super(Tree, self).__init__()
        self.level = level
        if level == 1:
            self.root = Root(2 * out_channels, out_channels)
            self.left_node = block(in_channels, out_channels, stride=stride)
            self.right_node = block(out_channels, out_channels, stride=1)
        else:
            self.root = Root((level + 2) * out_channels, out_channels)
            for i in reversed(range(1, level)):
                self.__setattr__("level_%d" % i, Tree(block, in_channels, out_channels, level=i, stride=stride))
            self.prev_root = block(in_channels, out_channels, stride=stride)
            self.left_node = block(out_channels, out_channels, stride=1)
            self.right_node = block(out_channels, out_channels, stride=1)

    def forward(self, x):
        xs = [self.prev_root(x)] if self.level > 1 else []
        for i in reversed(range(1, self.level)):
            x = self.__getattr__("level_%d" % i)(x)
            xs.append(x)
        x = self.left_node(x)
        xs.append(x)
        x = self.right_node(x)
        xs.append(x)
        return self.root(xs)


class SimpleTree(nn.Module):
    """SimpleDLA's tree: a left and a right subtree (blocks at level 1), the right reading the
    left's output, both aggregated by the root."""

    def __init__(self, block, in_channels, out_channels, level=1, stride=1):
        super(SimpleTree, self).__init__()
        self.root = Root(2 * out_channels, out_channels)
        if level == 1:
            self.left_tree = block(in_channels, out_channels, stride=stride)
            self.right_tree = block(out_channels, out_channels, stride=1)
        else:
            self.left_tree = SimpleTree(block, in_channels, out_channels, level=level - 1, stride=stride)
            self.right_tree = SimpleTree(block, out_channels, out_channels, level=level - 1, stride=1)

    def forward(self, x):
        out1 = self.left_tree(x)
        out2 = self.right_tree(out1)
        return self.root([out1, out2])


class DLA(nn.Module):
    def __init__(self, tree=Tree, widths=(8, 8, 12, 16, 16, 24, 32)):
        super(DLA, self).__init__()
        w = widths
        self.base = nn.Sequential(nn.Conv2d(3, w[0], kernel_size=3, stride=1, padding=1, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(True))
        self.layer1 = nn.Sequential(nn.Conv2d(w[0], w[1], kernel_size=3, stride=1, padding=1, bias=False), nn.BatchNorm2d(w[1]), nn.ReLU(True))
        self.layer2 = nn.Sequential(nn.Conv2d(w[1], w[2], kernel_size=3, stride=1, padding=1, bias=False), nn.BatchNorm2d(w[2]), nn.ReLU(True))
        self.layer3 = tree(BasicBlock, w[2], w[3], level=1, stride=1)
        self.layer4 = tree(BasicBlock, w[3], w[4], level=2, stride=2)
        self.layer5 = tree(BasicBlock, w[4], w[5], level=2, stride=2)
        self.layer6 = tree(BasicBlock, w[5], w[6], level=1, stride=2)
        self.linear = nn.Linear(w[6], CLASSES)

    def forward(self, x):
        out = self.base(x)
        out = self.layer2(self.layer1(out))
        out = self.layer4(self.layer3(out))
        out = self.layer6(self.layer5(out))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def SimpleDLA():
    return DLA(tree=SimpleTree)


# -- PNASNet (cell B) ------------------------------------------------------------------------------
class SepConv(nn.Module):
    """A depthwise convolution (groups = input channels; at a reduction its output has twice
    as many channels, two filters a channel) and its BatchNorm."""

    def __init__(self, in_planes, out_planes, kernel_size, stride):
        super(SepConv, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding=(kernel_size - 1) // 2, bias=False, groups=in_planes)
        self.bn1 = nn.BatchNorm2d(out_planes)

    def forward(self, x):
        return self.bn1(self.conv1(x))


class CellB(nn.Module):
    """Two branches, each a sum of two paths (7×7 and 3×3 separable; a 3×3 max pooling and a 5×5
    separable), concatenated and reduced by a 1×1 convolution."""

    def __init__(self, in_planes, out_planes, stride=1):
        super(CellB, self).__init__()
        self.stride = stride
        self.sep_conv1 = SepConv(in_planes, out_planes, kernel_size=7, stride=stride)
        self.sep_conv2 = SepConv(in_planes, out_planes, kernel_size=3, stride=stride)
        self.sep_conv3 = SepConv(in_planes, out_planes, kernel_size=5, stride=stride)
        if stride == 2:
            self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1, padding=0, bias=False)
            self.bn1 = nn.BatchNorm2d(out_planes)
        self.conv2 = nn.Conv2d(2 * out_planes, out_planes, kernel_size=1, stride=1, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)

    def forward(self, x):
        y1 = self.sep_conv1(x)
        y2 = self.sep_conv2(x)
        y3 = F.max_pool2d(x, kernel_size=3, stride=self.stride, padding=1)
        if self.stride == 2:
            y3 = self.bn1(self.conv1(y3))
        y4 = self.sep_conv3(x)
        b1 = F.relu(y1 + y2)
        b2 = F.relu(y3 + y4)
        y = torch.cat([b1, b2], 1)
        return F.relu(self.bn2(self.conv2(y)))


class PNASNet(nn.Module):
    def __init__(self, cell_type=CellB, num_cells=1, num_planes=8):
        super(PNASNet, self).__init__()
        self.in_planes = num_planes
        self.cell_type = cell_type
        self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_planes)
        self.layer1 = self._make_layer(num_planes, num_cells)
        self.layer2 = self._downsample(num_planes * 2)
        self.layer3 = self._make_layer(num_planes * 2, num_cells)
        self.layer4 = self._downsample(num_planes * 4)
        self.layer5 = self._make_layer(num_planes * 4, num_cells)
        self.linear = nn.Linear(num_planes * 4, CLASSES)

    def _make_layer(self, planes, num_cells):
        layers = []
        for _ in range(num_cells):
            layers.append(self.cell_type(self.in_planes, planes, stride=1))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def _downsample(self, planes):
        layer = self.cell_type(self.in_planes, planes, stride=2)
        self.in_planes = planes
        return layer

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = self.layer5(self.layer4(out))
        out = F.avg_pool2d(out, 8)
        out = self.linear(out.view(out.size(0), -1))
        return out
