// Schema-checked answers of the findings and channelImportance kinds for the fixture run's layers,
// with known numbers, for the tests of the Findings list and the channel-importance card.
import assert from 'node:assert/strict';
import { checkAnswer } from '../../src/service/queries';
import type { ChannelImportanceAnswer, FindingsAnswer } from '../../src/service/queries';

/**
 * The importance of `channels` channels of `layer` at `epoch`: channel c costs Δ loss = 0.01·c
 * (so the last channel is the most costly), its entropy rises with c (ρ = 1, p = 0.001), its label
 * information is flat but for noise (p = 0.5), its capacity to the next layer undefined for channel 0,
 * and the near-duplicate share undefined (with a note).
 */
export function importanceAnswer(layer: number, epoch: number, channels: number, classNames: string[]): ChannelImportanceAnswer {
  const ids = Array.from({ length: channels }, (_, c) => c);
  const answer = {
    epoch,
    layer,
    mode: 'zero',
    inputCount: 200,
    classNames,
    baseline: { accuracy: 0.9, loss: 0.35 },
    channels: ids.map((c) => ({
      channel: c,
      deltaLoss: 0.01 * c,
      deltaAccuracy: -0.005 * c,
      classesLosing: c === 0 ? [] : [{ class: c % classNames.length, deltaAccuracy: -0.02 * c }],
    })),
    measures: [
      { measure: 'channelEntropy', values: ids.map((c) => 1 + 0.1 * c), spearman: 1, pValue: 0.001, channelCount: channels },
      {
        measure: 'labelInformation',
        values: ids.map((c) => 0.2 + ((c * 7) % 5) * 0.01),
        spearman: 0.1,
        pValue: 0.5,
        channelCount: channels,
      },
      {
        measure: 'capacityToNext',
        values: ids.map((c) => (c === 0 ? null : 2 - 0.05 * c)),
        spearman: -0.9,
        pValue: 0.002,
        channelCount: channels - 1,
        otherLayer: layer + 2,
      },
      {
        measure: 'nearDuplicateShare',
        values: ids.map(() => null),
        spearman: null,
        pValue: null,
        channelCount: 0,
        note: 'no redundancy matrix at this epoch',
      },
    ],
    permutations: 999,
    ranking: [...ids].reverse(),
  };
  const checked = checkAnswer('channelImportance', answer);
  assert.ok(checked.answer, checked.problem);
  return checked.answer;
}

/** Three findings at `epoch`: dead channels of `layer` (with their measured ablation, evidence in the Channel view), a label-information drop at `dropLayer` (Layer view), and a control run above chance (a comparison). */
export function findingsAnswer(epoch: number, layer: number, layerName: string, dropLayer: number): FindingsAnswer {
  const answer = {
    epoch,
    findings: [
      {
        kind: 'control-above-chance',
        severity: 'warning',
        epoch,
        message: 'This model classifies from the image border alone: 71% against 10% chance',
        detail: 'The control run (border:4) reaches a probe accuracy far above the majority-class rate (binomial test, p < 0.001).',
        evidence: { accuracy: 0.71, chance: 0.1 },
        view: { view: 'compare', run: 'control-run-42' },
      },
      {
        kind: 'dead-channels',
        severity: 'warning',
        layer,
        layerName,
        source: { file: 'examples/mnist-lenet.ts', line: 12, column: 3 },
        epoch,
        message: '5 dead channels: 0, 1, 2, 3, 4',
        detail: 'These channels have zero entropy on every probe input (threshold deadEntropy = 0 bits).',
        evidence: { deadChannels: [0, 1, 2, 3, 4], channelCount: 6 },
        channels: [0, 1, 2, 3, 4],
        ablation: {
          channels: [0, 1, 2, 3, 4],
          mode: 'zero',
          accuracyBefore: 0.956,
          accuracyAfter: 0.954,
          lossBefore: 0.2,
          lossAfter: 0.21,
        },
        view: { view: 'channel', layer, epoch, channel: 3 },
      },
      {
        kind: 'label-information-drop',
        severity: 'information',
        layer: dropLayer,
        epoch,
        message: 'Label information drops by 40% against the layer before',
        detail: 'I(T;Y) falls from 3.1 to 1.9 bits (threshold labelDrop = 0.3).',
        evidence: { before: 3.1, after: 1.9, drop: null },
        view: { view: 'layer', layer: dropLayer, epoch },
      },
    ],
    thresholds: { deadEntropy: 0, labelDrop: 0.3 },
    skipped: [{ kind: 'probe-loss-rising', reason: 'one recorded epoch' }],
  };
  const checked = checkAnswer('findings', answer);
  assert.ok(checked.answer, checked.problem);
  return checked.answer;
}
