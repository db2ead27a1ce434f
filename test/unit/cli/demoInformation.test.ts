import assert from 'node:assert/strict';
import { formatImportance, formatInformationPlane } from '../../../src/cli/demoInformation';
import { fixtureManifest, fixtureMetrics } from '../../support/runFixture';

describe("the demo's information-plane table", () => {
  const manifest = fixtureManifest('run-1', [0, 2]);
  const withPlane = (epoch: number, scale: number) => {
    const m = fixtureMetrics(epoch);
    m.layers = m.layers.map((l) => ({
      ...l,
      labelInformationBits: 0.1 * scale * l.layer,
      inputCapacityBits: 0.5 * scale,
      binnedInformation: { ixtBits: 2, ityBits: 1, saturated: l.layer === 2 },
    }));
    return m;
  };

  it('prints every layer but the input with both estimators at the first and last epoch, saturated points starred', () => {
    const text = formatInformationPlane(manifest, withPlane(0, 1), withPlane(2, 2));
    const lines = text.trim().split('\n');
    assert.match(lines[0], /epoch 0 → epoch 2 \(bits, 4 probe inputs\)/);
    // Four probe inputs of two classes: 2 of 6 pairs share a label, H(S) = 0.918; H(Y) = 1; log2 4 = 2.
    assert.match(text, /at most H\(S\) = 0\.918/);
    assert.match(text, /log2 N = 2\.000, I\(T;Y\) at most H\(Y\) = 1\.000/);
    const rows = lines.slice(4);
    assert.deepEqual(
      rows.map((r) => r.split(/\s{2,}/)),
      [
        ['conv', '0.500 → 1.000', '0.100 → 0.200', '2.000 → 2.000', '1.000 → 1.000'],
        ['dense', '0.500 → 1.000', '0.200 → 0.400', '2.000* → 2.000*', '1.000* → 1.000*'],
      ],
    );
  });
  it('says so for a run recorded before the plane was measured', () => {
    assert.match(formatInformationPlane(manifest, fixtureMetrics(0), fixtureMetrics(2)), /recorded before the information plane/);
  });
});

describe("the demo's rank-correlation lines", () => {
  const measure = (
    name: 'channelEntropy' | 'labelInformation' | 'capacityToNext',
    rho: number | null,
    p: number | null,
    adjusted: number | null,
    interval: [number, number] | null,
    note?: string,
  ) => ({
    measure: name,
    values: [1, 2, 3],
    spearman: rho,
    pValue: p,
    adjustedPValue: adjusted,
    spearmanLow: interval?.[0] ?? null,
    spearmanHigh: interval?.[1] ?? null,
    channelCount: rho === null ? 0 : 3,
    ...(note ? { note } : {}),
  });
  const answer = (costly: [number, number]) => ({
    epoch: 3,
    layer: 3,
    mode: 'zero' as const,
    inputCount: 500,
    classNames: ['a', 'b'],
    baseline: { accuracy: 0.956, loss: 0.15 },
    channels: [
      {
        channel: 0,
        measured: true,
        estimate: null,
        deltaLoss: 0.01,
        deltaLossLow: -0.004,
        deltaLossHigh: 0.024,
        deltaAccuracy: -0.01,
        classesLosing: [],
      },
      {
        channel: 1,
        measured: true,
        estimate: null,
        deltaLoss: 0.045,
        deltaLossLow: costly[0],
        deltaLossHigh: costly[1],
        deltaAccuracy: -0.02,
        classesLosing: [],
      },
      {
        channel: 2,
        measured: true,
        estimate: null,
        deltaLoss: -0.003,
        deltaLossLow: -0.009,
        deltaLossHigh: 0.002,
        deltaAccuracy: 0,
        classesLosing: [],
      },
    ],
    measures: [
      measure('channelEntropy', -0.13, 0.639, 0.639, [-0.6, 0.4]),
      measure('labelInformation', 0.46, 0.0001, 0.0002, [0.2, 0.7]),
      measure('capacityToNext', null, null, null, null, 'no layer after it'),
    ],
    estimate: { exhaustive: true, measuredCount: 3, topK: 8, sampled: 8, seed: 0, spearman: 0.5, verified: false },
    permutations: 9999,
    correction: 'holm' as const,
    bootstrap: { resamples: 2000, seed: 0, level: 0.95 },
    ranking: [1, 0, 2],
  });

  it('prints ρ with its interval, p and its Holm adjustment, the reading, and the costliest channels with their Δ loss intervals', () => {
    const lines = formatImportance('conv2', answer([0.03, 0.06]))
      .trimEnd()
      .split('\n');
    assert.match(
      lines[0],
      /conv2 \(3 channels, zero ablation, baseline accuracy 95\.6%; 9999 permutations, p Holm-adjusted over 2 tests; 95% bootstrap intervals, 2000 resamples of 500 inputs\)/,
    );
    assert.match(lines[1], /channelEntropy\s+ρ = -0\.13 \[-0\.60, 0\.40\]\s+p = 0\.639\s+Holm = 0\.639\s+over {3}3 channels: no evidence$/);
    assert.match(lines[2], /labelInformation\s+ρ = {2}0\.46 \[0\.20, 0\.70\]\s+p < 0\.001\s+Holm < 0\.001\s+over {3}3 channels: predicts$/);
    assert.match(lines[3], /capacityToNext\s+ρ = {5}—\s+p = {5}—\s+Holm = {5}—\s+over {3}0 channels: untested {2}\(no layer after it\)$/);
    assert.equal(lines[1].indexOf('over'), lines[2].indexOf('over'), 'the columns line up');
    assert.equal(lines[2].indexOf('over'), lines[3].indexOf('over'));
    assert.equal(
      lines[4],
      '    Every channel ablated exactly; the Taylor estimate orders them with ρ = 0.50 (Spearman, over the 3 measured channels).',
    );
    assert.match(
      lines[5],
      /most costly to ablate: 1 \(Δ loss \+0\.045 \[\+0\.030, \+0\.060\]\), 0 \(Δ loss \+0\.010 \[−0\.004, \+0\.024\]\), 2 \(Δ loss −0\.003 \[−0\.009, \+0\.002\]\)/,
    );
  });

  it('says "no evidence" for a small p when every channel’s Δ loss interval covers 0', () => {
    const lines = formatImportance('conv2', answer([-0.01, 0.1]))
      .trimEnd()
      .split('\n');
    assert.match(lines[2], /labelInformation.*Holm < 0\.001.*: no evidence$/);
  });
});
