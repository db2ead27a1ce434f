// One lens per definition (src/extension/editor/definitionLens.ts): a ResNet block's line standing
// for 8 layers gets their count and range, each entropy's share of its ceiling, and a class the
// run's model never built says so. The run is what the PyTorch recorder wrote for the kuangliu-style
// ResNet fixture (test/support/pythonRecorded.ts) and 8 hand-made instances of one line.
import assert from 'node:assert/strict';
import { unitsPerChannelOf } from '../../../../src/analysis/layout';
import { formatBitsOfCeiling, intraSampleCeiling } from '../../../../src/contract/format';
import type { LayerEpochMetrics, RunLayer } from '../../../../src/contract/runFormat';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import { scanPythonModel } from '../../../../src/extension/detection/pythonScan';
import { sitesOfRun, type ManifestLayer, type TextLines } from '../../../../src/extension/detection/sourcePosition';
import { definitionLens, layerCeiling, unusedClasses } from '../../../../src/extension/editor/definitionLens';
import { hoverMarkdown, notUsedMarkdown, passesOnNote, type LayerHoverData } from '../../../../src/extension/editor/hoverContent';
import { read, root } from '../../../support/modelSources';
import { RECORDED } from '../../../support/pythonRecorded';

const FILE = '/workspace/models/resnet.py';

/** A ResNet18's conv1 of a BasicBlock: 8 blocks, channels first, maps from 32×32 down to 4×4. */
const BLOCKS: [string, number, number][] = [
  ['layer1.0.conv1', 64, 32],
  ['layer1.1.conv1', 64, 32],
  ['layer2.0.conv1', 128, 16],
  ['layer2.1.conv1', 128, 16],
  ['layer3.0.conv1', 256, 8],
  ['layer3.1.conv1', 256, 8],
  ['layer4.0.conv1', 512, 4],
  ['layer4.1.conv1', 512, 4],
];
const MEANS = [4.4, 4.19, 4.3, 4.25, 4.1, 4.0, 3.9, 3.95];
const instances = BLOCKS.map(([name, channels, size], i) => ({
  layer: {
    index: 4 + 7 * i,
    name,
    className: 'Conv2d',
    outputShape: [channels, size, size],
    channels,
    parameters: 0,
    dataFormat: 'channelsFirst' as const,
  },
  mean: MEANS[i],
}));

describe('the lens of a definition standing for many layers', () => {
  it('reads the values per channel from the channel axis: channels first, last, a vector', () => {
    assert.equal(unitsPerChannelOf([512, 4, 4], 'channelsFirst'), 16);
    assert.equal(unitsPerChannelOf([4, 4, 512]), 16);
    assert.equal(unitsPerChannelOf([512, 1, 1], 'channelsFirst'), 1);
    assert.equal(unitsPerChannelOf([10], 'channelsFirst'), 10);
    assert.equal(unitsPerChannelOf([10]), 10);
  });

  it('puts the ceiling at log2 of the values per channel, at most log2 of the bins', () => {
    assert.equal(intraSampleCeiling(16, 32), 4, 'a 4×4 map: 4 bits');
    assert.equal(intraSampleCeiling(1024, 32), 5, 'a 32×32 map with 32 bins: the bins');
    assert.equal(intraSampleCeiling(1, 32), 0, 'a 1×1 map: nothing');
    assert.equal(layerCeiling({ outputShape: [512, 4, 4], dataFormat: 'channelsFirst' }, 32), 4);
    assert.equal(layerCeiling({ outputShape: [4, 4, 512] }, 32), 4, 'channels last');
    assert.equal(formatBitsOfCeiling(2.9, 4, { digits: 1 }), '2.9 bits · 73% of 4.0');
    assert.equal(formatBitsOfCeiling(2.88, 4, { digits: 2 }), '2.88 bits · 72% of 4.0');
    assert.equal(formatBitsOfCeiling(0, 0), '1 value per channel: no spatial entropy', 'never 0.00 bits');
    assert.equal(formatBitsOfCeiling(null, 4), 'undefined');
  });

  it('gives 8 instances one lens: count, range, the names and the shares of their ceilings', () => {
    const lens = definitionLens(instances, { epoch: 2, runName: '#1', bins: 32 });
    assert.equal(lens.title, '8 layers · 3.90–4.40 bits');
    assert.match(lens.tooltip, /layer1\.0\.conv1 … layer4\.1\.conv1/);
    assert.match(lens.tooltip, /at epoch 2 of run #1/);
    // 4.40 of 5 (32×32 capped by 32 bins) is 88%; 3.95 of 4 (4×4) is 99%; the lowest share is layer3.1's 4.00 / 5 = 80%.
    assert.match(lens.tooltip, /80–99% of each layer's ceiling/);
  });

  it('gives one instance its bits, and a 1×1 map no false 0.00', () => {
    const one = definitionLens([instances[6]], { epoch: 2, runName: '#1', bins: 32 });
    assert.equal(one.title, 'show entropy · 3.90 bits');
    assert.match(one.tooltip, /3\.90 bits · 98% of 4\.0/);
    const pooled = {
      layer: { ...instances[7].layer, name: 'avg_pool2d', className: 'avg_pool2d', outputShape: [512, 1, 1] },
      mean: 0,
    };
    const flat = definitionLens([pooled], { epoch: 2, runName: '#1', bins: 32 });
    assert.equal(flat.title, 'show entropy · 1 value per channel: no spatial entropy');
    assert.doesNotMatch(flat.tooltip, /0\.00/);
    const mixed = definitionLens([pooled, instances[7]], { epoch: 2, runName: '#1', bins: 32 });
    assert.equal(mixed.title, '2 layers · 3.95 bits', 'the 1×1 map is left out of the range');
  });

  it('hovers a row for every one of the 8 instances, none cut', () => {
    const data: LayerHoverData[] = instances.map((i) => ({
      runFolder: '/runs/r1',
      runName: '#1',
      status: 'completed',
      epoch: 2,
      plannedEpochs: 2,
      layer: i.layer,
      metrics: metricsOf(i.layer.index, i.mean),
      bins: 32,
      probeSize: 100,
    }));
    const md = hoverMarkdown(data);
    const rows = md.split('\n').filter((l) => l.startsWith('| ['));
    assert.equal(rows.length, 8);
    assert.match(rows[0], /layer1\\\.0\\\.conv1.*\| 4\.40 \| 88% of 5\\\.0 \|/);
    assert.match(rows[7], /layer4\\\.1\\\.conv1.*\| 3\.95 \| 99% of 4\\\.0 \|/);
    assert.match(md, /\*\*8 layers\*\*/);
  });

  it('hovers one layer with its share of the ceiling, and a 1×1 map without a table of zeros', () => {
    const base = {
      runFolder: '/runs/r1',
      runName: '#1',
      status: 'completed' as const,
      epoch: 2,
      plannedEpochs: 2,
      bins: 32,
      probeSize: 100,
    };
    const deep = hoverMarkdown([{ ...base, layer: instances[6].layer, metrics: metricsOf(instances[6].layer.index, 3.9) }]);
    assert.match(deep, /Mean channel entropy: 3\\.90 bits · 98% of 4\\.0/);
    assert.ok(
      deep.split('\n').some((l) => /^\| 0 \| 3\.90/.test(l)),
      'the channel table',
    );
    const pooled = { ...instances[7].layer, name: 'avg_pool2d', className: 'avg_pool2d', outputShape: [512, 1, 1] };
    const flat = hoverMarkdown([{ ...base, layer: pooled, metrics: metricsOf(pooled.index, 0) }]);
    assert.match(flat, /1 value per channel: no spatial entropy/);
    assert.ok(!flat.split('\n').some((l) => /^\| \d/.test(l)), 'no channel rows of 0.00');
    assert.match(flat, /Inter\\-sample entropy: 9\\\.00 bits/, 'the inter-sample entropy is still shown');
  });

  it('says a BatchNorm keeps the convolution’s entropies, and not a ReLU', () => {
    const conv = instances[0].layer;
    const bn: RunLayer = { ...conv, index: conv.index + 1, name: 'layer1.0.bn1', className: 'BatchNorm2d' };
    assert.equal(
      passesOnNote(bn, conv),
      "BatchNorm2d keeps each channel's entropy of layer1.0.conv1: per-channel affine map, not new evidence",
    );
    assert.equal(passesOnNote({ ...bn, className: 'relu' }, conv), undefined, 'a ReLU clips: its entropy is its own');
    assert.equal(passesOnNote(conv, undefined), undefined);
    const md = hoverMarkdown([
      {
        runFolder: '/runs/r1',
        runName: '#1',
        status: 'completed',
        epoch: 2,
        plannedEpochs: 2,
        layer: bn,
        before: conv,
        metrics: metricsOf(bn.index, 4.4),
        bins: 32,
        probeSize: 100,
      },
    ]);
    assert.match(md, /BatchNorm2d keeps each channel's entropy of layer1\\\.0\\\.conv1/);
  });
});

describe('classes the run never built', () => {
  let parser: PythonParser;
  before(async () => {
    parser = await loadPythonParser(pythonWasmFolder());
  });

  const resnet = RECORDED.find((r) => r.file.endsWith('resnet.py'));
  const layers: ManifestLayer[] = [
    { index: 0, name: 'input', className: 'InputLayer' },
    ...(resnet?.layers ?? []).map(([name, className, line, column, args], i) => ({
      index: i + 1,
      name,
      className,
      source: { file: FILE, line, column },
      ...(args ? { args } : {}),
    })),
  ];
  // The fixture with kuangliu's Bottleneck (test/fixtures/pytorch-cifar/models/resnet.py) appended: ResNetTiny never builds it.
  const cifar = read(`${root}/test/fixtures/pytorch-cifar/models/resnet.py`);
  const bottleneckClass = cifar.slice(cifar.indexOf('class Bottleneck('), cifar.indexOf('class ResNet('));
  assert.match(bottleneckClass, /^class Bottleneck\(nn\.Module\):\n[^]*self\.conv1 = nn\.Conv2d[^]*self\.bn1 = nn\.BatchNorm2d/);
  const text = `${read(`${root}/test/fixtures/python-models/resnet.py`)}\n\n${bottleneckClass}`;
  const lines = text.split('\n');
  const textLines: TextLines = { lineCount: lines.length, lineAt: (line) => ({ text: lines[line] ?? '' }) };
  const sitesOf = (source: string, run: ManifestLayer[]) =>
    sitesOfRun(scanPythonModel(source, parser).layers, run, (p) => p === FILE, {
      fileUnchanged: false,
      lineCount: source.split('\n').length,
      utf8Columns: textLines,
    });

  it('places the 4 blocks of ResNetTiny on BasicBlock’s one conv1 line', () => {
    const sites = sitesOf(text, layers);
    const conv1 = sites.find((s) => s.line === 10);
    assert.deepEqual(
      conv1?.layers.map((l) => layers[l].name),
      ['layer1.0.conv1', 'layer1.1.conv1', 'layer2.0.conv1', 'layer2.1.conv1'],
    );
  });

  it('names Bottleneck unused, never BasicBlock or ResNet', () => {
    const sites = sitesOf(text, layers);
    assert.deepEqual([...unusedClasses(sites)], ['Bottleneck']);
    const bottleneck = sites.filter((s) => s.detected?.python?.owner === 'Bottleneck');
    assert.ok(bottleneck.length >= 2, 'its conv1 and bn1 are definitions');
    assert.ok(bottleneck.every((s) => s.layers.length === 0));
    assert.match(notUsedMarkdown('Conv2d', 'Bottleneck', '#1'), /not used by this run's model/);
    assert.doesNotMatch(notUsedMarkdown('Conv2d', 'Bottleneck', '#1'), /added or changed/);
  });

  it('names no class unused when the run has no layer from the file', () => {
    assert.equal(unusedClasses(sitesOf(text, [layers[0]])).size, 0);
  });
});

function metricsOf(layer: number, mean: number): LayerEpochMetrics {
  return {
    layer,
    interSampleBits: 9,
    interSampleBitsPerClass: [],
    channelBits: [mean, mean],
    channelBitsPerClass: [],
    deadChannels: [],
    nonFiniteCount: 0,
  };
}
