// The Python model scan (src/extension/detection/pythonScan.ts, with the parser of pythonParser.ts
// and the recorder's tables of pythonOps.ts): the layer definitions of PyTorch model files in the
// styles public code uses, found without Python where the PyTorch recorder (python/cnn_slicer)
// locates the same layers. The recorder's positions are literals here, printed by
// test/fixtures/python-models/recorded_sources.py (run it again after changing a model file).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sameArg } from '../../../../src/extension/detection/layerMatching';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import { scanPythonModel } from '../../../../src/extension/detection/pythonScan';
import type { DetectedLayer } from '../../../../src/extension/detection/types';
import { read, root } from '../../../support/modelSources';
import { RECORDED, RECORDED_AT_CONTAINER, USED_CLASSES } from '../../../support/pythonRecorded';

const models = (name: string) => join(root, 'test/fixtures/python-models', name);

/** A site as the recorder writes a position (1-based line and column), with its names and the options it gives. */
const row = (l: DetectedLayer) => [l.className, l.line + 1, l.column + 1, l.python?.paths.join(' '), l.args ?? {}];

/**
 * Whether a recorded layer's name is one the site makes: one of its paths (a `*` for any index)
 * ends the name, after the path of the owner's instance. A module called again adds `-2`, `-3`; a
 * functional op's `-n` counts the calls of its scope as they run (and a module attribute of the same
 * name), which the text's order only approximates, so it is left out of the comparison.
 */
function nameFits(name: string, site: DetectedLayer): boolean {
  const bare = name.replace(/-\d+$/, '');
  return (site.python?.paths ?? []).some((path) => {
    const pattern = (site.python?.kind === 'functional' ? path.replace(/-\d+$/, '') : path)
      .split('.')
      .map((part) => (part === '*' ? '\\d+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('\\.');
    return new RegExp(`(^|\\.)${pattern}$`).test(bare);
  });
}

describe('Python model scan: layer definitions of PyTorch files without running Python', function () {
  let parser: PythonParser;
  before(async () => {
    parser = await loadPythonParser(pythonWasmFolder());
  });
  const scan = (file: string) => scanPythonModel(read(models(file)), parser);

  it('loads the parser once: the same parser for the same folder', async () => {
    assert.equal(await loadPythonParser(pythonWasmFolder()), parser);
  });

  it('finds attributes with their literal options, and the functional ops of forward() (a LeNet-style model)', () => {
    const d = scan('attributes.py');
    assert.equal(d.isModel, true);
    assert.deepEqual(d.moduleClasses, ['Net']);
    assert.deepEqual(d.layers.map(row), [
      ['Conv2d', 10, 22, 'conv1', { filters: 6, kernelSize: 5, strides: 1 }],
      ['BatchNorm2d', 11, 20, 'bn1', {}],
      ['Conv2d', 12, 22, 'conv2', { filters: 16, kernelSize: [3, 3], strides: 1 }],
      ['MaxPool2d', 13, 21, 'pool', { poolSize: 2, strides: 2 }],
      ['Conv2d', 14, 21, 'side', { filters: 16, kernelSize: 1, strides: 2 }],
      ['Linear', 16, 20, 'fc1', { units: 32 }],
      ['Tanh', 17, 20, 'act', {}],
      ['Linear', 18, 20, 'fc2', {}],
      ['max_pool2d', 21, 13, 'max_pool2d', { poolSize: 2, strides: 2 }],
      ['relu', 21, 26, 'relu', {}],
      ['relu', 23, 23, 'relu-2', {}],
      ['add', 24, 13, 'add', {}],
      ['cat', 25, 13, 'cat', {}],
      ['max_pool2d', 25, 27, 'max_pool2d-2', { poolSize: [3, 3], strides: 1 }],
      ['sigmoid', 27, 13, 'sigmoid', {}],
      ['log_softmax', 28, 16, 'log_softmax', {}],
    ]);
    // Positions are editor positions: 0-based, the end just after the call (here on the next line).
    const side = d.layers.find((l) => l.python?.paths[0] === 'side');
    assert.deepEqual([side?.line, side?.column, side?.endLine, side?.endColumn], [13, 20, 14, 45]);
    assert.deepEqual(d.layers.map((l) => [l.python?.kind, l.python?.owner, l.units]).slice(0, 3), [
      ['module', 'Net', 6],
      ['module', 'Net', 6],
      ['module', 'Net', 16],
    ]);
  });

  it('finds the blocks of a kuangliu/pytorch-cifar ResNet: _make_layer, a conditional shortcut Sequential, the residual +=', () => {
    const d = scan('resnet.py');
    assert.deepEqual(d.moduleClasses, ['BasicBlock', 'ResNet']);
    assert.deepEqual(d.layers.map(row), [
      ['Conv2d', 11, 22, 'conv1', { kernelSize: 3 }],
      ['BatchNorm2d', 12, 20, 'bn1', {}],
      ['Conv2d', 13, 22, 'conv2', { kernelSize: 3, strides: 1 }],
      ['BatchNorm2d', 14, 20, 'bn2', {}],
      ['Conv2d', 19, 17, 'shortcut.0', { kernelSize: 1 }],
      ['BatchNorm2d', 20, 17, 'shortcut.1', {}],
      ['relu', 24, 15, 'relu', {}],
      ['add', 26, 9, 'add', {}],
      ['relu', 27, 15, 'relu-2', {}],
      ['Conv2d', 36, 22, 'conv1', { filters: 8, kernelSize: 3, strides: 1 }],
      ['BatchNorm2d', 37, 20, 'bn1', {}],
      ['Linear', 40, 23, 'linear', {}],
      ['relu', 51, 15, 'relu', {}],
      ['avg_pool2d', 54, 15, 'avg_pool2d', { poolSize: 8, strides: 8 }],
    ]);
  });

  it('finds ModuleList comprehensions, a ModuleList filled in a loop and a ModuleList of entries (from torch import nn)', () => {
    assert.deepEqual(scan('modulelist.py').layers.map(row), [
      ['Conv2d', 9, 21, 'stem', { kernelSize: 3, strides: 1 }],
      ['Conv2d', 10, 37, 'convs.*', { kernelSize: 3, strides: 1 }],
      ['BatchNorm2d', 13, 31, 'norms.*', {}],
      ['ReLU', 14, 36, 'acts.0', {}],
      ['ReLU6', 14, 47, 'acts.1', {}],
      ['LeakyReLU', 14, 59, 'acts.2', {}],
      ['AdaptiveAvgPool2d', 15, 21, 'pool', {}],
      ['Linear', 16, 21, 'head', {}],
      ['add', 21, 17, 'add', {}],
    ]);
  });

  it('finds the entries of a Sequential of an OrderedDict by key, with classes imported from torch.nn by name', () => {
    assert.deepEqual(scan('ordereddict.py').layers.map(row), [
      ['Conv2d', 14, 31, 'features.conv0', { filters: 6, kernelSize: 3, strides: 1 }],
      ['BatchNorm2d', 15, 31, 'features.norm0', {}],
      ['ReLU', 16, 31, 'features.relu0', {}],
      ['MaxPool2d', 17, 31, 'features.pool0', { poolSize: 2, strides: 2 }],
      ['Linear', 21, 53, 'classifier.fc', { units: 3 }],
    ]);
  });

  it('follows every way of naming torch: import torch.nn, an alias of nn, classes and functions imported by name', () => {
    assert.deepEqual(scan('aliases.py').layers.map(row), [
      ['Conv2d', 13, 18, 'a', { filters: 2, kernelSize: 3, strides: 1 }],
      ['Conv2d', 14, 18, 'b', { filters: 2, kernelSize: 3, strides: 1 }],
      ['Conv2d', 15, 18, 'c', { filters: 4, kernelSize: 1, strides: 1 }],
      ['Conv2d', 16, 18, 'd', { filters: 4, kernelSize: 1, strides: 1 }],
      ['Linear', 17, 19, 'fc', { units: 2 }],
      ['relu', 20, 13, 'relu', {}],
      ['relu', 21, 13, 'relu-2', {}],
      ['relu', 22, 13, 'relu-3', {}],
      ['sigmoid', 23, 13, 'sigmoid', {}],
      ['adaptive_avg_pool2d', 24, 13, 'adaptive_avg_pool2d', {}],
    ]);
  });

  it('finds the forms of torchvision-style code: layer helpers, helper functions, Sequential subclasses, ModuleDict, top-level Sequential', () => {
    const d = scan('zoo.py');
    const of = (owner: string | undefined) => d.layers.filter((l) => l.python?.owner === owner).map(row);
    // `self.conv1 = conv3x3(…)`: the recorder locates the layer at the helper's call, not inside it.
    assert.deepEqual(of('BasicBlock'), [
      ['Conv2d', 26, 22, 'conv1', {}],
      ['BatchNorm2d', 27, 20, 'bn1', {}],
      ['ReLU', 28, 21, 'relu', {}],
      ['Conv2d', 29, 22, 'conv2', {}],
      ['BatchNorm2d', 30, 20, 'bn2', {}],
      ['add', 47, 9, 'add', {}],
    ]);
    // A Sequential subclass's entries, given to super().__init__; a ModuleDict's by key.
    assert.deepEqual(of('ConvBNReLU'), [
      ['Conv2d', 196, 13, '0', {}],
      ['BatchNorm2d', 197, 13, '1', {}],
      ['ReLU6', 198, 13, '2', {}],
    ]);
    assert.deepEqual(of('SmallCNN').slice(0, 2), [
      ['Linear', 301, 47, 'heads.logits', {}],
      ['Linear', 301, 78, 'heads.aux', { units: 2 }],
    ]);
    // Outside any class: make_layers(cfg)'s list (VGG), a function's Sequential and the script's own.
    assert.deepEqual(of(undefined), [
      ['MaxPool2d', 153, 24, '*', { poolSize: 2, strides: 2 }],
      ['Conv2d', 155, 22, '*', { kernelSize: 3, strides: 1 }],
      ['BatchNorm2d', 157, 36, '*', {}],
      ['ReLU', 157, 55, '*', {}],
      ['ReLU', 159, 36, '*', {}],
      ['Conv2d', 313, 9, '0', { filters: 8, kernelSize: 3, strides: 1 }],
      ['ReLU', 314, 9, '1', {}],
      ['MaxPool2d', 315, 9, '2', { poolSize: 2, strides: 2 }],
      ['Linear', 317, 9, '4', {}],
      ['Conv2d', 321, 23, '0', { filters: 4, kernelSize: 3, strides: 1 }],
      ['ReLU', 321, 43, '1', {}],
    ]);
    assert.equal(d.layers.length, 71);
  });

  it('finds channel slices and the pieces of chunk/split as the recorder numbers them, and no other subscript', () => {
    const text = [
      'import torch',
      'import torch.nn as nn',
      '',
      'class Cut(nn.Module):',
      '    def forward(self, x):',
      '        a, b = x[:, :4, ...], x[:, 4:]',
      '        c = x[:, :, :3], x[0], x[:, ::2], x[:, 1], x.shape[1:]',
      '        d = torch.chunk(x, 3, 1), torch.split(x, 4, dim=1), x.split(split_size_or_sections=[1, 2, 5], dim=1)',
      '        return a, b, c, d',
      '',
    ].join('\n');
    const layers = scanPythonModel(text, parser).layers;
    assert.deepEqual(layers.map(row), [
      ['slice', 6, 16, 'slice', {}],
      ['slice', 6, 31, 'slice-2', {}],
      ['chunk', 8, 13, 'chunk chunk-2 chunk-3', {}],
      ['split', 8, 35, 'split', {}],
      ['split', 8, 61, 'split-2 split-3 split-4', {}],
    ]);
  });

  it('gives no layer for a file with a syntax error, and never throws', () => {
    const broken = scan('syntax_error.py');
    assert.deepEqual(broken.layers, []);
    assert.equal(broken.syntaxError, true);
    for (const text of [
      '',
      'import torch\n',
      'import torch\nclass (nn.Module:\n',
      'import torch\n\x00\uffff))) = nn.Conv2d(',
      'print("no model")\n',
    ]) {
      const d = scanPythonModel(text, parser);
      assert.deepEqual(d.layers, [], JSON.stringify(text));
    }
    assert.equal(scanPythonModel('print("no torch")\n', parser).isModel, false);
  });

  it('tells a model file from a file of layers without a model, and counts columns as the editor does', () => {
    const helpers = scanPythonModel('import torch.nn as nn\n\ndef head(n):\n    return nn.Linear(n, 10)\n', parser);
    assert.equal(helpers.isModel, false);
    assert.deepEqual(helpers.layers.map(row), [['Linear', 4, 12, '', { units: 10 }]]);
    const script = scanPythonModel('import torch\nmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU())\n', parser);
    assert.equal(script.isModel, true);
    assert.deepEqual(script.layers.map(row), [
      ['Conv2d', 2, 29, '0', { filters: 2, kernelSize: 3, strides: 1 }],
      ['ReLU', 2, 55, '1', {}],
    ]);
    // UTF-16 code units, as vscode.Position counts (the recorder's column counts UTF-8 bytes).
    const accented = scanPythonModel(
      'import torch.nn as nn\nclass Ré(nn.Module):\n    def __init__(self):\n        self.é = nn.ReLU()\n',
      parser,
    );
    assert.deepEqual(accented.layers.map(row), [['ReLU', 4, 18, 'é', {}]]);
  });

  describe('agrees with the PyTorch recorder on every layer of the recorded models', () => {
    for (const file of [...new Set(RECORDED.map((r) => r.file))]) {
      it(`${file}: each recorded layer at a site of its class whose names and options fit, and each site recorded`, () => {
        const text = read(join(root, file));
        const layers = scanPythonModel(text, parser).layers;
        const at = new Map(layers.map((l) => [`${l.line + 1}:${l.column + 1}`, l]));
        const recorded = RECORDED.filter((r) => r.file === file).flatMap((r) => r.layers);
        const atContainer = RECORDED_AT_CONTAINER[file] ?? [];
        for (const [name, className, line, column, args] of recorded) {
          const site = atContainer.includes(name)
            ? layers.find((l) => l.line + 1 >= line && nameFits(name, l))
            : at.get(`${line}:${column}`);
          assert.ok(
            site,
            `${file}: no site for the recorded ${name} (${className}) at ${line}:${column}; sites: ${JSON.stringify(layers.map(row))}`,
          );
          assert.equal(site.className, className, `${name} at ${line}:${column}`);
          assert.ok(nameFits(name, site), `${name} is not a name of the site ${JSON.stringify(row(site))}`);
          for (const [key, value] of Object.entries(site.args ?? {}))
            assert.ok(
              args?.[key] !== undefined && sameArg(value, args[key]),
              `${name}: ${key} ${JSON.stringify(value)} against ${JSON.stringify(args)}`,
            );
        }
        const positions = new Set(recorded.map(([, , line, column]) => `${line}:${column}`));
        const used = USED_CLASSES[file];
        const unrecorded = layers.filter(
          (l) =>
            (!used || used.includes(l.python?.owner ?? '')) &&
            !positions.has(`${l.line + 1}:${l.column + 1}`) &&
            !atContainer.some((name) => nameFits(name, l)),
        );
        assert.deepEqual(unrecorded.map(row), []);
      });
    }
  });
});
