import assert from 'node:assert/strict';
import type { LayerEpochMetrics, RunLayer } from '../../../../src/contract/runFormat';
import {
  repeatedCallsNotice,
  classSpread,
  commandUri,
  entropyBar,
  hoverMarkdown,
  HOVER_COMMANDS,
  EPOCH_STRIP_COMMAND,
  MAX_CHANNEL_ROWS,
  meanChannelBits,
  notRecordedMarkdown,
  RECORD_AGAIN_COMMAND,
  type LayerHoverData,
} from '../../../../src/extension/editor/hoverContent';
import type { L10n } from '../../../../src/extension/l10n';
import { escapeMarkdown } from '../../../../src/extension/markdown';

function metricsOf(channelBits: (number | null)[], extra: Partial<LayerEpochMetrics> = {}): LayerEpochMetrics {
  return {
    layer: 1,
    interSampleBits: 9.5,
    interSampleBitsPerClass: [4, 5],
    channelBits,
    channelBitsPerClass: [channelBits.map((v) => (v === null ? null : v - 0.25)), channelBits.map((v) => (v === null ? null : v + 0.5))],
    deadChannels: [],
    nonFiniteCount: 0,
    ...extra,
  };
}

const conv: RunLayer = {
  index: 1,
  name: 'conv1',
  className: 'Conv2D',
  outputShape: [24, 24, 3],
  channels: 3,
  parameters: 84,
  source: { file: '/m.ts', line: 13, column: 13 },
};

function data(metrics: LayerEpochMetrics | undefined, overrides: Partial<LayerHoverData> = {}): LayerHoverData {
  return {
    runFolder: '/ws/.cnnslicer/runs/r1',
    runName: 'r1',
    status: 'completed',
    epoch: 3,
    plannedEpochs: 3,
    layer: conv,
    metrics,
    bins: 32,
    probeSize: 500,
    ...overrides,
  };
}

/** The table rows of a hover (lines starting with "| <digit>"). */
const rows = (markdown: string) => markdown.split('\n').filter((l) => /^\| \d/.test(l));

describe("hover content: a layer's channel entropies from the run metrics", () => {
  it('averages the defined channel entropies, and has no mean when none is defined', () => {
    assert.equal(meanChannelBits(metricsOf([1, 2, null, 3])), 2);
    assert.equal(meanChannelBits(metricsOf([null, null])), undefined);
    assert.equal(meanChannelBits(metricsOf([])), undefined);
    assert.equal(meanChannelBits(undefined), undefined);
  });

  it('takes the class spread of a channel over the classes that have a value', () => {
    assert.deepEqual(classSpread([[1.5], [null], [3.25], []], 0), { min: 1.5, max: 3.25 });
    assert.equal(classSpread([[null], [null]], 0), undefined);
    // Not read (a per-class file that could not be): no spread.
    assert.equal(classSpread(undefined, 0), undefined);
  });

  it("draws bars in eighths on the estimator's own scale, log2 of the bins", () => {
    assert.equal(entropyBar(5, 5), '██████████');
    assert.equal(entropyBar(2.5, 5), '█████');
    assert.equal(entropyBar(0.0625 * 5, 5, 10), '▋'); // 5/8 of one character
    assert.equal(entropyBar(0, 5), '');
    assert.equal(entropyBar(9, 5), '██████████');
    assert.equal(entropyBar(Number.NaN, 5), '');
    assert.equal(entropyBar(1, 0), '');
  });

  it('shows title, one row per channel with value, bar and class spread, and the inter-sample entropy in bits', () => {
    const md = hoverMarkdown([data(metricsOf([1.5, 2.5, 5]))]);
    assert.match(md.split('\n')[0], /^\*\*conv1\*\* · Conv2D · 24×24×3 · epoch 3$/);
    assert.deepEqual(rows(md), [
      '| 0 | 1.50 | ███ | 1.25–2.00 |',
      '| 1 | 2.50 | █████ | 2.25–3.00 |',
      '| 2 | 5.00 | ██████████ | 4.75–5.50 |',
    ]);
    assert.match(md, /entropy \(bits\)/);
    assert.match(md, /Inter\\-sample entropy: 9\\.50 bits over 500 probe inputs/);
  });

  it('flags dead channels, shows undefined values as a dash, and counts non-finite activations', () => {
    const perClass = [
      [0, null, 2.75],
      [0, null, 3.5],
    ];
    const md = hoverMarkdown([data(metricsOf([0, null, 3], { deadChannels: [0], nonFiniteCount: 7, channelBitsPerClass: perClass }))]);
    assert.deepEqual(rows(md), ['| 0 | 0.00 | *dead* | 0.00–0.00 |', '| 1 | — |  | — |', '| 2 | 3.00 | ██████ | 2.75–3.50 |']);
    assert.match(md, /1 of 3 channels dead/);
    assert.match(md, /7 non\\-finite activations ignored/);
  });

  it(`lists at most ${MAX_CHANNEL_ROWS} channels and says how many more there are`, () => {
    const md = hoverMarkdown([data(metricsOf(Array.from({ length: 100 }, (_, i) => (i % 5) + 0.5)))]);
    assert.equal(rows(md).length, MAX_CHANNEL_ROWS);
    assert.match(md, new RegExp(`… ${100 - MAX_CHANNEL_ROWS} more channels`));
  });

  it('links "Open in CNN Slicer" and "Compare" with the run folder and layer as command arguments', () => {
    const md = hoverMarkdown([data(metricsOf([1]))]);
    for (const command of ['cnnSlicer.showEntropy', 'cnnSlicer.compareEpochs']) {
      assert.ok(HOVER_COMMANDS.includes(command));
      const link = commandUri(command, ['/ws/.cnnslicer/runs/r1', 1]);
      assert.ok(md.includes(`(${link} "`), `${command} link`);
    }
    assert.deepEqual(JSON.parse(decodeURIComponent(commandUri('x', ['/a b/(c)', 2]).slice('command:x?'.length))), ['/a b/(c)', 2]);
    assert.match(md, /\[Open in CNN Slicer\]\([^)]*\) · \[Compare\]/);
  });

  it('puts the links before the channel table, so a wide layer does not push them below the fold', () => {
    const md = hoverMarkdown([data(metricsOf(Array.from({ length: 64 }, () => 1)))]);
    const lines = md.split('\n');
    const links = lines.findIndex((l) => l.startsWith('[Open in CNN Slicer]'));
    const table = lines.findIndex((l) => l.startsWith('| channel'));
    assert.ok(links > 0 && table > 0 && links < table, `links on line ${links}, table on line ${table}`);
  });

  it('links the epoch strip of a layer that has a layer before it, on its run and layer', () => {
    const second = { ...conv, index: 2, name: 'pool1', className: 'MaxPooling2D' };
    const md = hoverMarkdown([data(metricsOf([1]), { layer: second })]);
    assert.ok(HOVER_COMMANDS.includes(EPOCH_STRIP_COMMAND));
    assert.ok(md.includes(`[Epoch strip](${commandUri(EPOCH_STRIP_COMMAND, ['/ws/.cnnslicer/runs/r1', 2])} "`));
    // The first layer after the input has no layer before it to pair with.
    assert.doesNotMatch(hoverMarkdown([data(metricsOf([1]))]), /Epoch strip/);
  });

  it('marks a run recorded before the last edit first, with a Record Again link', () => {
    const fresh = hoverMarkdown([data(metricsOf([1]))]);
    assert.doesNotMatch(fresh, /before your last edit/);
    const md = hoverMarkdown([data(metricsOf([1]), { stale: true })]);
    assert.match(md.split('\n')[0], /recorded before your last edit — \[Record Again\]/);
    assert.ok(HOVER_COMMANDS.includes(RECORD_AGAIN_COMMAND));
    assert.ok(md.includes(`(${commandUri(RECORD_AGAIN_COMMAND, ['/ws/.cnnslicer/runs/r1'])} "`));
    assert.equal(md.split('before your last edit').length, 2, 'said once');
  });

  it('says "not recorded yet" for a definition the run has no layer for, with a Record Again link', () => {
    const md = notRecordedMarkdown('dense', '/ws/.cnnslicer/runs/r1', 'r1');
    assert.match(md, /^\*\*dense\*\* · not recorded yet/);
    assert.ok(md.includes(`(${commandUri(RECORD_AGAIN_COMMAND, ['/ws/.cnnslicer/runs/r1'])} "`));
  });

  it("escapes the user's layer names so they cannot add links, tables or theme icons", () => {
    const layer = { ...conv, name: 'x](command:evil)|$(zap)*' };
    const md = hoverMarkdown([data(metricsOf([1]), { layer })]);
    assert.ok(md.startsWith('**x\\]\\(command:evil\\)\\|\\$\\(zap\\)\\*** · '));
    assert.equal(escapeMarkdown('a_b'), 'a\\_b');
  });

  it('says so when the layer has no metrics at that epoch, and when the run is still recording', () => {
    const md = hoverMarkdown([data(undefined, { status: 'recording', epoch: 1, plannedEpochs: 5 })]);
    assert.match(md.split('\n')[0], /epoch 1 of 5, recording$/);
    assert.match(md, /No entropies of this layer were recorded at epoch 1/);
    assert.equal(rows(md).length, 0);
  });

  it('lists the layers made by one definition as a table, a row each with its link', () => {
    const second = { ...conv, index: 4, name: 'conv1_again' };
    const md = hoverMarkdown([data(metricsOf([1])), data(metricsOf([2], { interSampleBits: null }), { layer: second })]);
    const tableRows = md.split('\n').filter((l) => l.startsWith('| ['));
    assert.equal(tableRows.length, 2);
    assert.match(tableRows[1], /\[conv1\\_again\]\(command:cnnSlicer\.showEntropy\?/);
    // A 24×24 map with 32 bins: the ceiling is log2 32 = 5 bits; 2 bits is 40% of it.
    assert.match(tableRows[1], /\| 2\.00 \| 40% of 5\\\.0 \|/);
  });

  it('reports an undefined inter-sample entropy', () => {
    const md = hoverMarkdown([data(metricsOf([2], { interSampleBits: null }))]);
    assert.match(md, /Inter\\-sample entropy: undefined/);
  });

  it('says why the inter-sample entropy is undefined: identical probe inputs at a dead layer, not too few inputs', () => {
    const recorded = hoverMarkdown([data(metricsOf([0, 0, 0], { interSampleBits: null, interSampleUndefined: 'identical-samples' }))]);
    assert.match(recorded, /Inter\\-sample entropy: undefined \\\(all probe inputs are identical here\\\)/);
    assert.doesNotMatch(recorded, /too few/);
    // A run recorded before the rule holds the ceiling at a layer whose every channel is dead: no number.
    const old = hoverMarkdown([data(metricsOf([0, 0, 0], { interSampleBits: Math.log2(500 * 499), deadChannels: [0, 1, 2] }))]);
    assert.match(old, /Inter\\-sample entropy: undefined \\\(all probe inputs are identical here\\\)/);
    assert.doesNotMatch(old, /17\.9/);
  });

  it('passes every user-visible string through the given l10n', () => {
    const seen: string[] = [];
    const l10n: L10n = { t: (m, ...args) => (seen.push(m), `«${m.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]))}»`) };
    const md = hoverMarkdown([data(metricsOf([1, 2], { deadChannels: [1] }))], l10n);
    assert.ok(seen.includes('Open in CNN Slicer') && seen.includes('Compare') && seen.includes('dead') && seen.includes('epoch {0}'));
    assert.match(md, /«epoch 3»/);
  });

  it('shows bits with two decimals and the unit in the header', () => {
    const md = hoverMarkdown([data(metricsOf([3.14159, 0]))]);
    assert.deepEqual(
      rows(md).map((r) => r.split('|')[2].trim()),
      ['3.14', '0.00'],
    );
  });
});

describe('hoverContent: the layer’s recorded label information I(T;Y)', () => {
  /** The hover as a person reads it: Markdown escapes removed. */
  const read = (layers: LayerHoverData[]) => hoverMarkdown(layers).replace(/\\(.)/g, '$1');

  it('adds the recorded I(T;Y) at the shown epoch, with two decimals and its estimator', () => {
    const text = read([data(metricsOf([1, 2, 3], { labelInformationBits: 0.23456 }), { epoch: 2 })]);
    assert.match(text, /^I\(T;Y\) with the labels at epoch 2: 0\.23 bits \(pairwise estimator, at most H\(S\)\)$/m);
  });

  it('says undefined, never 0, when the recorded value is null', () => {
    const text = read([data(metricsOf([1, 2, 3], { labelInformationBits: null }))]);
    assert.match(text, /^I\(T;Y\) with the labels at epoch 3: undefined \(fewer than 2 probe inputs, or one class\)$/m);
    assert.doesNotMatch(text, /I\(T;Y\)[^\n]*0\.00/);
  });

  it('leaves the line out for a run recorded before label information existed', () => {
    assert.doesNotMatch(read([data(metricsOf([1, 2, 3]))]), /I\(T;Y\)/);
  });

  it('shows the value of the metrics it is given, so another epoch shows another value', () => {
    assert.match(read([data(metricsOf([1, 2, 3], { labelInformationBits: 0.05 }), { epoch: 0 })]), /at epoch 0: 0\.05 bits/);
    assert.match(read([data(metricsOf([1, 2, 3], { labelInformationBits: 0.41 }), { epoch: 3 })]), /at epoch 3: 0\.41 bits/);
  });

  it('says when a PyTorch module is called more than once: one module, a layer of the run per call', () => {
    assert.equal(repeatedCallsNotice(['conv1', 'layer1.0.conv1']), undefined);
    // Markdown-escaped (`\(`, `\-`): compared without the escapes.
    const notice = repeatedCallsNotice(['relu', 'relu-2', 'relu-3', 'conv1'])?.replace(/\\/g, '');
    assert.ok(notice?.includes('forward() calls 3 times'), notice);
    assert.ok(notice?.includes('relu, relu-2, relu-3'), notice);
    assert.ok(!notice?.includes('conv1'), notice);
  });
});
