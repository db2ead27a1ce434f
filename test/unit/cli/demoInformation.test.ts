import assert from 'node:assert/strict';
import { formatImportance, formatInformationPlane } from '../../../src/cli/demoInformation';
import { fixtureManifest, fixtureMetrics } from '../support/runFixture';

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
  it('prints ρ and p for each measure, p below 0.001 as such, an undefined one as a dash with its reason, and the costliest channels', () => {
    const measure = (
      name: 'channelEntropy' | 'labelInformation' | 'capacityToNext',
      rho: number | null,
      p: number | null,
      note?: string,
    ) => ({
      measure: name,
      values: [1, 2, 3],
      spearman: rho,
      pValue: p,
      channelCount: rho === null ? 0 : 3,
      ...(note ? { note } : {}),
    });
    const text = formatImportance('conv2', {
      epoch: 3,
      layer: 3,
      mode: 'zero',
      inputCount: 500,
      classNames: ['a', 'b'],
      baseline: { accuracy: 0.956, loss: 0.15 },
      channels: [
        { channel: 0, deltaLoss: 0.01, deltaAccuracy: -0.01, classesLosing: [] },
        { channel: 1, deltaLoss: 0.045, deltaAccuracy: -0.02, classesLosing: [] },
        { channel: 2, deltaLoss: -0.003, deltaAccuracy: 0, classesLosing: [] },
      ],
      measures: [
        measure('channelEntropy', -0.13, 0.639),
        measure('labelInformation', 0.46, 0.0001),
        measure('capacityToNext', null, null, 'no layer after it'),
      ],
      permutations: 9999,
      ranking: [1, 0, 2],
    });
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /conv2 \(3 channels, zero ablation, baseline accuracy 95\.6%; 9999 permutations\)/);
    assert.match(lines[1], /channelEntropy\s+ρ = -0\.13\s+p = 0\.639\s+over 3 channels$/);
    assert.match(lines[2], /labelInformation\s+ρ = {2}0\.46\s+p < 0\.001\s+over 3 channels$/);
    assert.match(lines[3], /capacityToNext\s+ρ = {5}—\s+p = {5}—\s+over 0 channels {2}\(no layer after it\)$/);
    assert.equal(lines[1].indexOf('over'), lines[2].indexOf('over'), 'the columns line up');
    assert.equal(lines[2].indexOf('over'), lines[3].indexOf('over'));
    assert.match(lines[4], /most costly to ablate: 1 \(Δ loss \+0\.045\), 0 \(Δ loss \+0\.010\), 2 \(Δ loss −0\.003\)/);
  });
});
