// What the channel-importance card and the Findings list say, as pure functions of their answers
// (webview/views/information/importance.ts, src/contract/findingsText.ts), the dash for undefined
// numbers (src/contract/format.ts), and what a report plans for them (src/contract/plan.ts).
import assert from 'node:assert/strict';
import { canonicalQuery, checkAnswer } from '../../../../../src/contract/queries';
import type { ChannelAblation, ChannelImportanceAnswer, Finding, MeasureCorrelation } from '../../../../../src/contract/queries';
import { formatNumber, formatPercent } from '../../../../../src/contract/format';
import {
  importanceLayers,
  isDenseLayer,
  REPORT_IMPORTANCE_LAYERS,
  reportImportanceLayers,
  reportPlan,
} from '../../../../../src/contract/plan';
import {
  classesText,
  correlationSentence,
  deltaLossText,
  formatMeasure,
  importancePoints,
  measureName,
  rankedChannels,
  reading,
} from '../../../../../webview/views/information/importance';
import { ablationLine, evidenceFocus, evidenceText } from '../../../../../src/contract/findingsText';
import { planLayer as layer, planManifest } from '../../../../support/planManifest';

const lenet = planManifest(
  [
    layer(0, 'input', 'InputLayer', 1),
    layer(1, 'conv1', 'Conv2D', 6),
    layer(2, 'pool1', 'MaxPooling2D', 6),
    layer(3, 'conv2', 'Conv2D', 16),
    layer(4, 'flatten', 'Flatten', 1),
    layer(5, 'dense1', 'Dense', 1),
  ],
  [0, 1, 2],
);

const correlation = (
  spearman: number | null,
  pValue: number | null,
  note?: string,
  adjusted = pValue === null ? null : Math.min(1, 4 * pValue),
  interval: [number, number] | null = spearman === null ? null : [spearman - 0.2, spearman + 0.2],
): MeasureCorrelation => ({
  measure: 'channelEntropy',
  values: [],
  spearman,
  pValue,
  adjustedPValue: adjusted,
  spearmanLow: interval?.[0] ?? null,
  spearmanHigh: interval?.[1] ?? null,
  channelCount: 16,
  ...(note ? { note } : {}),
});

/** Channels of a layer: one whose Δ-loss interval leaves out 0 (a cost measured), the others within noise; `noise` makes all of them noise. */
const channelsOf = (noise = false): ChannelAblation[] => [
  {
    channel: 0,
    measured: true,
    estimate: null,
    deltaLoss: 0.004,
    deltaLossLow: -0.002,
    deltaLossHigh: 0.01,
    deltaAccuracy: 0,
    classesLosing: [],
  },
  {
    channel: 1,
    measured: true,
    estimate: null,
    deltaLoss: 0.05,
    deltaLossLow: noise ? -0.001 : 0.03,
    deltaLossHigh: 0.07,
    deltaAccuracy: -0.02,
    classesLosing: [],
  },
];

function answer(): ChannelImportanceAnswer {
  const a = {
    epoch: 2,
    layer: 3,
    mode: 'zero',
    inputCount: 200,
    classNames: ['zero', 'one', 'two'],
    baseline: { accuracy: 0.9, loss: 0.3 },
    channels: [
      {
        channel: 0,
        measured: true,
        estimate: null,
        deltaLoss: 0.02,
        deltaLossLow: 0.005,
        deltaLossHigh: 0.031,
        deltaAccuracy: -0.01,
        classesLosing: [{ class: 2, deltaAccuracy: -0.05 }],
      },
      {
        channel: 1,
        measured: true,
        estimate: null,
        deltaLoss: null,
        deltaLossLow: null,
        deltaLossHigh: null,
        deltaAccuracy: 0,
        classesLosing: [],
      },
      {
        channel: 2,
        measured: true,
        estimate: null,
        deltaLoss: 0.5,
        deltaLossLow: 0.41,
        deltaLossHigh: 0.6,
        deltaAccuracy: -0.2,
        classesLosing: [
          { class: 1, deltaAccuracy: -0.4 },
          { class: 0, deltaAccuracy: -0.1 },
        ],
      },
    ],
    measures: [
      {
        measure: 'channelEntropy',
        values: [1.5, 0.25, null],
        spearman: 0.62,
        pValue: 0.003,
        adjustedPValue: 0.003,
        spearmanLow: 0.2,
        spearmanHigh: 0.9,
        channelCount: 2,
      },
      {
        measure: 'nearDuplicateShare',
        values: [0.5, 0, null],
        spearman: null,
        pValue: null,
        adjustedPValue: null,
        spearmanLow: null,
        spearmanHigh: null,
        channelCount: 0,
        note: 'no matrix',
      },
    ],
    estimate: { exhaustive: true, measuredCount: 3, topK: 8, sampled: 8, seed: 0, spearman: 1, verified: true },
    permutations: 999,
    correction: 'holm',
    bootstrap: { resamples: 2000, seed: 0, level: 0.95 },
    ranking: [2, 0, 1],
  };
  const checked = checkAnswer('channelImportance', a);
  assert.ok(checked.answer, checked.problem);
  return checked.answer;
}

describe('channel importance: what the card says', () => {
  it('reads a rank correlation in one sentence: predicts, inversely, no evidence, cannot be tested', () => {
    const channels = channelsOf();
    assert.equal(
      correlationSentence(correlation(0.62, 0.003), 'mean channel entropy', channels),
      'mean channel entropy predicts ablation cost: ρ = 0.62 (95% interval +0.42 to +0.82), p = 0.003 (Holm-adjusted 0.012), over 16 channels.',
    );
    assert.equal(reading(correlation(-0.5, 0.01), channels), 'inversely');
    assert.match(
      correlationSentence(correlation(-0.5, 0.01), 'x', channels),
      /^x predicts ablation cost inversely .*ρ = −0\.50 .*, p = 0\.010/,
    );
    assert.equal(
      correlationSentence(correlation(0.12, 0.41), 'I_pair(T_c;Y)', channels),
      'No evidence that I_pair(T_c;Y) predicts ablation cost: ρ = 0.12 (95% interval −0.08 to +0.32), p = 0.410 (Holm-adjusted 1.000), over 16 channels (Holm-adjusted p not below 0.05).',
    );
    // At the threshold it does not count: the adjusted p must be below 0.05.
    assert.equal(reading(correlation(0.9, 0.05, undefined, 0.05), channels), 'no-evidence');
    assert.match(correlationSentence(correlation(0.9, 0.0002), 'x', channels), /p < 0\.001 \(Holm-adjusted < 0\.001\)/);
    assert.equal(
      correlationSentence(correlation(null, null, 'one channel'), 'x', channels),
      'x cannot be set against ablation cost: one channel.',
    );
  });

  it('gives no verdict where the evidence holds none: p < 0.05 but not after Holm’s adjustment, ρ’s interval or every Δ loss interval covering 0', () => {
    const channels = channelsOf();
    // The case: p = 0.02 over 4 measures is 0.08 after the adjustment.
    assert.equal(reading(correlation(0.55, 0.02), channels), 'no-evidence');
    assert.match(
      correlationSentence(correlation(0.55, 0.02), 'x', channels),
      /^No evidence that x predicts .*Holm-adjusted 0\.080.*\(Holm-adjusted p not below 0\.05\)\.$/,
    );
    assert.equal(reading(correlation(0.55, 0.001, undefined, 0.004, [-0.05, 0.8]), channels), 'no-evidence');
    assert.match(
      correlationSentence(correlation(0.55, 0.001, undefined, 0.004, [-0.05, 0.8]), 'x', channels),
      /\(the interval of ρ covers 0\)\.$/,
    );
    assert.equal(reading(correlation(0.55, 0.001), channelsOf(true)), 'no-evidence');
    assert.match(correlationSentence(correlation(0.55, 0.001), 'x', channelsOf(true)), /every channel’s Δ loss interval covers 0/);
  });

  it('writes Δ loss with its bootstrap interval', () => {
    assert.equal(deltaLossText(channelsOf()[0]), '+0.004 (95% interval −0.002 to +0.010)');
    assert.equal(deltaLossText({ ...channelsOf()[0], deltaLoss: null, deltaLossLow: null, deltaLossHigh: null }), '—');
  });

  it('draws one dot per channel with the measure on x and Δ loss on y, undefined values kept as null (never 0)', () => {
    const a = answer();
    const points = importancePoints(a, a.measures[0], measureName('channelEntropy'));
    assert.deepEqual(
      points.map((p) => [p.channel, p.x, p.y]),
      [
        [0, 1.5, 0.02],
        [1, 0.25, null],
        [2, null, 0.5],
      ],
    );
    assert.deepEqual(points[2].lines, [
      'channel 2',
      'mean channel entropy: —',
      'Δ loss +0.500 (95% interval +0.410 to +0.600)',
      'Δ accuracy −20.0%',
      'classes losing most: one −40.0%, zero −10.0%',
    ]);
    assert.equal(classesText(a.channels[1], a.classNames), '—');
  });

  it('ranks the channels most costly first and writes each measure in its unit', () => {
    const a = answer();
    assert.deepEqual(rankedChannels(a), [
      { rank: 1, index: 2 },
      { rank: 2, index: 0 },
      { rank: 3, index: 1 },
    ]);
    assert.equal(formatMeasure('channelEntropy', 1.5), '1.500');
    assert.equal(formatMeasure('nearDuplicateShare', 0.5), '50.0%');
    assert.equal(formatMeasure('labelInformation', null), '—');
    assert.equal(measureName('capacityToNext', 'conv3'), 'largest capacity to conv3');
  });

  it('writes undefined numbers as a dash and never a signed zero', () => {
    assert.equal(formatNumber(null), '—');
    assert.equal(formatNumber(Number.NaN), '—');
    assert.equal(formatNumber(-0.0001), '0.000');
    assert.equal(formatNumber(-0.0001, { sign: true }), '+0.000');
    assert.equal(formatNumber(-1.25, { digits: 1 }), '−1.3');
    assert.equal(formatPercent(undefined), '—');
    assert.equal(formatPercent(-0.0004, { sign: true }), '+0.0%');
    assert.equal(formatPercent(0.956), '95.6%');
  });
});

const finding = (over: Partial<Finding>): Finding => ({
  kind: 'dead-channels',
  severity: 'warning',
  layer: 3,
  epoch: 2,
  message: 'm',
  detail: 'd',
  evidence: {},
  view: { view: 'channel', layer: 3 },
  ...over,
});

describe('findings: what the list says and where an item leads', () => {
  it('gives the measured ablation of the channels a finding names in one line', () => {
    const ablation = {
      channels: [0, 1, 2, 3, 4],
      mode: 'zero' as const,
      accuracyBefore: 0.956,
      accuracyAfter: 0.954,
      lossBefore: 0.2,
      lossAfter: 0.21,
    };
    assert.equal(ablationLine(finding({ ablation })), 'zeroing these 5 channels: probe accuracy 95.6% → 95.4%, loss +0.010');
    assert.equal(
      ablationLine(finding({ ablation: { ...ablation, channels: [7], mode: 'mean', lossAfter: null } })),
      'replacing channel 7 by its mean: probe accuracy 95.6% → 95.4%, loss —',
    );
    assert.equal(ablationLine(finding({})), undefined);
  });

  it('opens the evidence view at the layer, channel and epoch; the Layer view on the pair that ends at the layer', () => {
    assert.deepEqual(evidenceFocus(finding({ view: { view: 'channel', layer: 3, channel: 5, epoch: 1 } }), lenet), {
      focus: { view: 'channel', layer: 3, channel: 5 },
      epoch: 1,
    });
    // A single named channel is focused when the view names none.
    assert.deepEqual(evidenceFocus(finding({ channels: [4], view: { view: 'information' } }), lenet)?.focus, {
      view: 'information',
      layer: 3,
      channel: 4,
    });
    assert.deepEqual(evidenceFocus(finding({ view: { view: 'layer', layer: 3 } }), lenet)?.focus.pair, [2, 3]);
    // The first multi-channel layer is paired with the next.
    assert.deepEqual(evidenceFocus(finding({ layer: 1, view: { view: 'layer', layer: 1 } }), lenet)?.focus.pair, [1, 2]);
    // An epoch the run did not record is not applied.
    assert.equal(evidenceFocus(finding({ view: { view: 'training', epoch: 9 } }), lenet)?.epoch, undefined);
    // A comparison with another run is not a view of this panel.
    assert.equal(evidenceFocus(finding({ view: { view: 'compare', run: 'r2' } }), lenet), undefined);
    assert.equal(evidenceText([1, 2, 3]), '1, 2, 3');
    assert.equal(evidenceText(null), '—');
    assert.equal(evidenceText(0.12345), '0.123');
  });
});

describe('report plan: findings first, channel importance of the multi-channel layers', () => {
  it('plans the findings first and the importance of each multi-channel layer at the last epoch', () => {
    const plan = reportPlan(lenet, { epochs: [0, 2], datasetDiversity: false, deconvolutionChannels: 2 });
    assert.equal(canonicalQuery(plan[0].query), canonicalQuery({ kind: 'findings' }));
    const importance = plan.filter((p) => p.query.kind === 'channelImportance').map((p) => p.query);
    assert.deepEqual(
      importance,
      [1, 2, 3].map((layer) => ({ kind: 'channelImportance', layer, epoch: 2 })),
    );
    assert.ok(importance.every((q) => plan.find((p) => p.query === q)?.view === 'information'));
    // The one Taylor pass of every layer just before them: each importance answer reads its estimates from it.
    const estimate = plan.findIndex((p) => p.query.kind === 'channelImportanceEstimate');
    assert.deepEqual(plan[estimate].query, { kind: 'channelImportanceEstimate', epoch: 2 });
    assert.equal(plan[estimate + 1].query, importance[0]);
    assert.equal(plan.filter((p) => p.query.kind === 'channelImportanceEstimate').length, 1);
    // A run whose model predicts no class has no loss to estimate from.
    const none = { ...lenet, output: { kind: 'none', labelMeasuresAbsent: 'a regression' } } as unknown as typeof lenet;
    const regression = reportPlan(none, { epochs: [0, 2], datasetDiversity: false, deconvolutionChannels: 2 });
    assert.ok(!regression.some((p) => p.query.kind === 'channelImportanceEstimate'));
  });

  it('plans nothing of them for a run without an epoch, and spreads the importance over a deep model', () => {
    const empty = reportPlan(planManifest(lenet.layers, []), { epochs: [], datasetDiversity: false, deconvolutionChannels: 2 });
    assert.ok(!empty.some((p) => ['findings', 'channelImportance', 'channelImportanceEstimate'].includes(p.query.kind)));
    const deep = planManifest(
      Array.from({ length: 40 }, (_, i) => layer(i, `conv${i}`, i === 0 ? 'InputLayer' : 'Conv2D', i === 0 ? 1 : 8)),
      [0],
    );
    const layers = reportImportanceLayers(deep);
    assert.equal(layers.length, REPORT_IMPORTANCE_LAYERS);
    assert.equal(layers[0], 1);
    assert.equal(layers[layers.length - 1], 39);
  });

  it('offers the dense layers of more than one unit before the scored output too, each unit a channel', () => {
    const shaped = (index: number, name: string, className: string, outputShape: number[]) => ({
      ...layer(index, name, className, outputShape.length > 1 ? outputShape[outputShape.length - 1] : 1),
      outputShape,
    });
    const layers = [
      shaped(0, 'input', 'InputLayer', [28, 28, 1]),
      shaped(1, 'conv1', 'Conv2D', [24, 24, 8]),
      shaped(2, 'flatten', 'Flatten', [4608]),
      shaped(3, 'dense1', 'Dense', [64]),
      shaped(4, 'gate', 'Dense', [1]),
      shaped(5, 'dropout', 'Dropout', [64]),
      shaped(6, 'output', 'Dense', [10]),
    ];
    const m = planManifest(layers, [0, 1]);
    // Not the flatten (it mixes nothing), a one-unit layer, a dropout, nor the output's class scores.
    assert.deepEqual(isDenseLayer(layers[3]), true);
    assert.deepEqual(importanceLayers(m), [1, 3]);
    assert.deepEqual(reportImportanceLayers(m), [1, 3]);
    const asked = reportPlan(m, { epochs: [0, 1], datasetDiversity: false, deconvolutionChannels: 2 })
      .filter((p) => p.query.kind === 'channelImportance')
      .map((p) => canonicalQuery(p.query));
    assert.deepEqual(
      asked,
      [1, 3].map((l) => canonicalQuery({ kind: 'channelImportance', layer: l, epoch: 1 })),
    );
    // A model whose scores come from a named layer before the last: the dense layers after it are not offered.
    const named = { ...m, output: { kind: 'softmax', layer: 'dense1' } } as unknown as typeof m;
    assert.deepEqual(importanceLayers(named), [1]);
  });
});
